"""brief trend: counts per period on a fixture archive with known dates, --per-cent, the chart."""

from __future__ import annotations

import json

import pytest

from conftest import write

# (id, date, text): "sanctions" in 5 briefs, "pressure" in 3; nothing in 2017; one undated.
BRIEFS = [
    ("a000001", "2016-03-10", "Sanctions on the regime and maximum pressure."),
    ("a000002", "2016-11-02", "Trade talks and tariffs."),
    ("a000003", "2018-02-14", "Sanctions relief was offered."),
    ("a000004", "2018-02-20", "Sanctions evasion at sea; pressure grows."),
    ("a000005", "2018-07-01", "A summit in Singapore."),
    ("a000006", "2019-01-15", "Sanctions again, and pressure."),
    ("a000007", None, "Undated sanctions note."),
]


@pytest.fixture
def archive(cli, tmp_path):
    lines = [json.dumps({"id": i, "title": f"Brief {i}", "date": d, "text": t, "added": "2024-01-01T00:00:00+00:00"})
             for i, d, t in BRIEFS]
    r = cli("import", write(tmp_path / "b.jsonl", "\n".join(lines) + "\n"))
    assert r.exit_code == 0, r


def rows(cli, *args):
    r = cli("trend", *args, "--json")
    assert r.exit_code == 0, r
    return [(x["period"], x["query"], x["count"], x["total"]) for x in r.json]


def test_counts_per_year_with_the_empty_year(cli, archive):
    assert rows(cli, "sanctions") == [("2016", "sanctions", 1, 2), ("2017", "sanctions", 0, 0),
                                      ("2018", "sanctions", 2, 3), ("2019", "sanctions", 1, 1)]


def test_several_queries_side_by_side(cli, archive):
    got = rows(cli, "sanctions", "pressure", "--since", "2018")
    assert got == [("2018", "sanctions", 2, 3), ("2018", "pressure", 1, 3),
                   ("2019", "sanctions", 1, 1), ("2019", "pressure", 1, 1)]


def test_by_quarter_and_month(cli, archive):
    q = rows(cli, "sanctions", "--by", "quarter", "--since", "2018", "--until", "2018")
    assert q == [("2018-Q1", "sanctions", 2, 2), ("2018-Q2", "sanctions", 0, 0),
                 ("2018-Q3", "sanctions", 0, 1), ("2018-Q4", "sanctions", 0, 0)]
    m = rows(cli, "sanctions", "--by", "month", "--since", "2018-01", "--until", "2018-03")
    assert m == [("2018-01", "sanctions", 0, 0), ("2018-02", "sanctions", 2, 2), ("2018-03", "sanctions", 0, 0)]
    # a cut period counts only its days: --since 2018-02-18 leaves one February brief
    assert rows(cli, "sanctions", "--by", "month", "--since", "2018-02-18", "--until", "2018-02") == [
        ("2018-02", "sanctions", 1, 1)]
    assert rows(cli, "sanctions", "--since", "2018-02-18", "--until", "2018-12-31") == [("2018", "sanctions", 1, 2)]


def test_whole_span_by_month_shows_every_month(cli, archive):
    m = rows(cli, "sanctions", "--by", "month")
    assert len(m) == 35 and m[0][0] == "2016-03" and m[-1][0] == "2019-01"
    assert sum(c for _, _, c, _ in m) == 4 and sum(t for _, _, _, t in m) == 6


def test_per_cent_chart_and_json(cli, archive):
    r = cli("trend", "sanctions", "--per-cent")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert lines[0] == 'Share of briefs per year matching "sanctions", 2016 – 2019'
    assert [ln.split()[0] + " " + ln.split()[-1] for ln in lines[2:6]] == ["2016 50%", "2017 0%", "2018 67%",
                                                                            "2019 100%"]
    assert "1 undated brief matching \"sanctions\" left out" in r.stderr


def test_filters_and_saved_searches(cli, archive):
    assert cli("tag", "+nk", "a000003", "a000006").exit_code == 0
    assert rows(cli, "sanctions", "--tag", "nk") == [("2018", "sanctions", 1, 1), ("2019", "sanctions", 1, 1)]
    assert cli("saved", "add", "sx", "sanctions", "--since", "2018").exit_code == 0
    assert rows(cli, "@sx") == [("2016", "@sx", 0, 2), ("2017", "@sx", 0, 0), ("2018", "@sx", 2, 3),
                                ("2019", "@sx", 1, 1)]


def test_errors(cli, archive):
    r = cli("trend", "sanctions", "--by", "week")
    assert r.exit_code == 2 and r.stderr.strip() == "Error: unknown --by 'week' (choose year, quarter or month)"
    r = cli("trend", '"unclosed')
    assert r.exit_code == 2 and "unclosed quote" in r.stderr
    r = cli("trend", "sanctions", "--since", "2020", "--until", "2019")
    assert r.exit_code == 2 and "--since 2020 is after --until 2019" in r.stderr


CHART_60 = """\
      sanctions                  pressure
2016 │███████████            1  │███████████            1
2017 │                       0  │                       0
2018 │██████████████████████ 2  │███████████            1
2019 │███████████            1  │███████████            1
     └──────────────────────    └──────────────────────
     0                     2   0                     2
"""


def test_chart_snapshot_at_fixed_width():
    from brieftool.trend import chart

    lines = chart(["2016", "2017", "2018", "2019"], {"sanctions": [1, 0, 2, 1], "pressure": [1, 0, 1, 1]}, width=60)
    assert "\n".join(lines) + "\n" == CHART_60


def test_long_spans_become_sparklines():
    from brieftool.trend import chart

    labels = [str(y) for y in range(1900, 2000)]
    vals = [float(y % 10) for y in range(1900, 2000)]
    lines = chart(labels, {"q": vals}, width=60)
    assert lines[0] == "q  (highest 9 in 1909; one cell per period)"
    assert lines[1] == "1900 │ ▁▂▃▄▅▆▇██ ▁▂▃▄▅▆▇██ ▁▂▃▄▅▆▇██ ▁▂▃▄▅▆▇██ ▁▂▃▄▅▆▇██ ▁▂"  # 0 = blank
    assert lines[2] == "1953 │▃▄▅▆▇██ ▁▂▃▄▅▆▇██ ▁▂▃▄▅▆▇██ ▁▂▃▄▅▆▇██ ▁▂▃▄▅▆▇██"
    assert lines[-1].strip() == "… to 1999"


def test_stats_draws_the_timeline_the_same_way(cli, archive):
    out = cli("stats").stdout
    assert "Briefs per year\n2016 │" in out
    assert "\n2017 │" in out and "└" in out


def test_chart_through_the_cli_at_a_fixed_width(brief_exe, archive, archive_dir):
    r = brief_exe("trend", "sanctions", "pressure", env={"COLUMNS": "60"})
    assert r.exit_code == 0, r
    assert r.stdout == 'Briefs per year matching "sanctions" vs "pressure", 2016 – 2019\n' + CHART_60
