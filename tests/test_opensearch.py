"""The OpenSearch engine against a real node (scripts/opensearch): the same briefs in a Whoosh
folder and an OpenSearch index answer the query-language and curation tables alike, and an
export moves an archive from one engine to the other and back without losing anything."""

from __future__ import annotations

import pytest

from conftest import write
from test_query import BRIEFS

pytestmark = pytest.mark.opensearch

# Queries of the query-language tables (tests/test_query.py) whose answers must be the same set
# of briefs on both engines.
PARITY = [
    "sanctions relief", "SANCTIONS Relief", "sanction", '"maximum pressure"', '"pressure maximum"',
    'tag:"North Korea"', "tag:iran", "tags:IRAN", "author:ha", 'author:"mathew ha"', "Author:DOE",
    "author:roe", "title:kim", "title:pressure", "body:pressure", 'type:"policy brief"', "type:analysis",
    "org:fdd", "org:brookings", 'org:"cato institute"', 'ORG:"Foundation for Defense of Democracies"',
    "date:2019", "date:2019-04", "date:2019-04-17", 'date:"April 17, 2019"', "date:2019..2020",
    "date:2019-12..", "date:..2019-03", "date:2019-03-02..2019-04-17", "date:2019-12-31..2019-12-31",
    "tariffs OR enrichment", "sanctions AND tariffs", "sanctions NOT relief", "sanctions -relief",
    "sanctions -tag:draft -tag:trade", 'sanctions -tag:"north korea"', "NOT sanctions", "-sanctions -seas",
    "(iran OR venezuela) sanctions", "sanctions iran OR venezuela", "(tag:iran OR tag:trade) author:roe",
    "tag:sanctions (date:2019-04 OR date:2019-12)", "pyongyang AND (kim OR accusations) NOT tag:sanctions",
    "and", "summ*", "sanctions*", "negotiat*", "tag:north*", "title:adapt*", "author:mat*", "tarifs~",
    "pyongyng~", "sanctons~", "diplomcy~1", "author:mathw~", "tag:venezuelo~",
    "what did critics say about sanctions relief for iran",
]


SKIP_KEYS = ("score", "snippet", "added")  # the engine's own scores and snippets; the two adds' times


def _plain(rows, ordered: bool = False):
    """Rows without SKIP_KEYS (unless ``ordered``, in id order)."""
    if isinstance(rows, dict) and "id" in rows:
        return {k: v for k, v in rows.items() if k not in SKIP_KEYS}
    if isinstance(rows, list) and rows and isinstance(rows[0], dict) and "id" in rows[0]:
        out = [{k: v for k, v in x.items() if k not in SKIP_KEYS} for x in rows]
        return out if ordered else sorted(out, key=lambda x: x["id"])
    return rows


def _ids(r) -> list[str]:
    assert r.exit_code == 0, r
    return [x["id"] for x in r.json]


@pytest.fixture
def both(cli, tmp_path, os_index):
    """The seven briefs of test_query in a Whoosh folder and in an OpenSearch index."""
    paths = [write(tmp_path / "in" / f"{name}.txt", text) for name, text in BRIEFS.items()]
    folder = tmp_path / "w"
    a = cli("--index", folder, "add", *paths, "--json")
    b = cli("--index", os_index, "add", *paths, "--json")
    assert a.exit_code == 0 and b.exit_code == 0, (a, b)
    assert [x["id"] for x in a.json] == [x["id"] for x in b.json]  # ids come from the texts
    return str(folder), os_index, {p.stem: x["id"] for p, x in zip(paths, a.json)}


def test_same_answers_on_both_engines(cli, both):
    folder, remote, fx = both
    differ = []
    for q in PARITY:
        w = _ids(cli("--index", folder, "search", "--limit", "0", "--json", "--", q))
        o = _ids(cli("--index", remote, "search", "--limit", "0", "--json", "--", q))
        if set(w) != set(o):
            differ.append((q, sorted(w), sorted(o)))
        # sorted by date, the order is the same too
        wd = _ids(cli("--index", folder, "search", "--sort", "date", "--limit", "0", "--json", "--", q))
        od = _ids(cli("--index", remote, "search", "--sort", "date", "--limit", "0", "--json", "--", q))
        if set(w) == set(o) and wd != od:
            differ.append((q + " (date order)", wd, od))
    assert differ == []
    # the answers are not all empty: the comparison is about something
    assert len(_ids(cli("--index", remote, "search", "--limit", "0", "--json", "sanction"))) == 5


def test_records_list_show_and_facets_match(cli, both):
    folder, remote, fx = both
    for args in (["list", "--json"], ["list", "--sort", "title", "--json"], ["show", fx["nk2020"], "--json"],
                 ["list", "--query", "tag:sanctions -tag:iran", "--json"], ["tags", "--json"],
                 ["authors", "--json"], ["orgs", "--json"]):
        w, o = cli("--index", folder, *args), cli("--index", remote, *args)
        assert w.exit_code == o.exit_code == 0, (w, o)
        assert _plain(w.json, ordered=True) == _plain(o.json, ordered=True), args
    w = cli("--index", folder, "list", "--facets", "--format", "json").json
    o = cli("--index", remote, "list", "--facets", "--format", "json").json
    assert w == o and {"value": "Sanctions", "count": 3} in w["facets"]["tags"]


def test_curation_on_both_engines(cli, both):
    folder, remote, fx = both
    for index in (folder, remote):
        assert cli("--index", index, "tag", fx["iran"], fx["nk"], "+reviewed", "-sanctions").exit_code == 0
        assert cli("--index", index, "edit", fx["trade"], "--title", "Tariffs, again").exit_code == 0
        r = cli("--index", index, "rename-tag", "north korea", "DPRK")
        assert r.exit_code == 0, r
        assert cli("--index", index, "remove", fx["draft"], "--yes").exit_code == 0
    for args in (["list", "--json"], ["search", "tag:reviewed", "--json"], ["search", "tag:dprk", "--json"],
                 ["tags", "--json"]):
        w, o = cli("--index", folder, *args), cli("--index", remote, *args)
        assert w.exit_code == o.exit_code == 0, (w, o)
        assert _plain(w.json) == _plain(o.json), args
    shown = cli("--index", remote, "show", fx["iran"], "--json").json
    assert shown["tags"] == ["Iran", "reviewed"] and "sanctions" not in [t.lower() for t in shown["tags"]]
    assert cli("--index", remote, "show", fx["trade"], "--json").json["title"] == "Tariffs, again"
    assert cli("--index", remote, "show", fx["draft"]).exit_code != 0


def test_export_import_round_trip_is_lossless(cli, both, tmp_path, os_index):
    folder, remote, fx = both
    cli("--index", folder, "tag", fx["nk"], "+kept")
    first = tmp_path / "w.jsonl"
    assert cli("--index", folder, "export", first).exit_code == 0
    # Whoosh -> a new OpenSearch index -> a new Whoosh folder
    target = os_index + "x"
    r = cli("--index", target, "import", first)
    assert r.exit_code == 0, r
    middle = tmp_path / "o.jsonl"
    assert cli("--index", target, "export", middle).exit_code == 0
    back = tmp_path / "back"
    assert cli("--index", back, "import", middle).exit_code == 0
    last = tmp_path / "b.jsonl"
    assert cli("--index", back, "export", last).exit_code == 0
    rows = lambda p: sorted(p.read_text("utf-8").splitlines())  # noqa: E731
    assert len(rows(first)) == len(BRIEFS)
    assert rows(first) == rows(middle) == rows(last)
    assert any('"kept"' in line for line in rows(middle))


def test_clear_errors(cli, opensearch_url, tmp_path, os_index):
    host = opensearch_url.split("://", 1)[1]
    assert cli("--index", os_index, "add", write(tmp_path / "a.txt", "Title: A\n\nSanctions.\n")).exit_code == 0
    for mode in ("hybrid", "semantic"):  # OpenSearch keeps no vectors: one line naming the index
        r = cli("--index", os_index, "search", "--mode", mode, "sanctions")
        assert r.exit_code == 1 and r.stdout == "" and r.stderr.count("\n") == 1, r
        assert f"{os_index} is not one: it keeps no vectors (use --mode lexical)" in r.stderr, r
    r = cli("--index", f"opensearch://{host}/no-such-index", "list")
    assert r.exit_code == 1 and "no archive at opensearch://" in r.stderr and "\n" == r.stderr[-1]
    r = cli("--index", "opensearch://127.0.0.1:1/briefs", "list")
    assert r.exit_code == 1 and "unreachable" in r.stderr and "Traceback" not in r.stderr
    r = cli("--index", "opensearch://127.0.0.1:1", "list")
    assert r.exit_code == 2 and "give opensearch://HOST:PORT/INDEX" in r.stderr


def test_two_writers_at_once(brief_exe, tmp_path, os_index):
    """Two `brief add` processes and a `brief tag` on one index at the same time: no lock, nothing lost."""
    import subprocess
    import sys

    a = [write(tmp_path / "a" / f"{n}.txt", f"Title: Alpha {n}\n\nAlpha brief number {n} on sanctions policy {n}.\n")
         for n in range(12)]
    b = [write(tmp_path / "b" / f"{n}.txt", f"Title: Beta {n}\n\nBeta brief number {n} on trade policy {n}.\n")
         for n in range(12)]
    first = brief_exe("--index", os_index, "add", a[0], "--json")
    assert first.exit_code == 0, first
    tagged = first.json[0]["id"]
    cmd = [sys.executable, "-m", "brieftool", "--index", os_index]
    procs = [subprocess.Popen(cmd + ["add", str(tmp_path / "a")], stdout=subprocess.PIPE, stderr=subprocess.PIPE),
             subprocess.Popen(cmd + ["add", str(tmp_path / "b")], stdout=subprocess.PIPE, stderr=subprocess.PIPE),
             subprocess.Popen(cmd + ["tag", tagged, "+both"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    r = brief_exe("--index", os_index, "list", "--limit", "0", "--json")
    titles = sorted(x["title"] for x in r.json)
    assert titles == sorted([f"Alpha {n}" for n in range(12)] + [f"Beta {n}" for n in range(12)])
    assert "both" in brief_exe("--index", os_index, "show", tagged, "--json").json["tags"]


def test_three_nodes_survive_losing_one(tmp_path, monkeypatch, opensearch_cluster):
    """3 nodes, 1 replica: SIGKILL (by its pid) of a node holding a copy of the index, while a
    reader loops on search and count: every answer has the same totals, nothing added before the
    kill is lost, and the cluster still takes a new brief."""
    import json
    import subprocess
    import sys
    import threading
    import time
    import urllib.request

    from conftest import ROOT

    from brieftool import ingest, search
    from brieftool.engine import open_archive

    url, d = opensearch_cluster
    script = ROOT / "scripts" / "opensearch"
    get = lambda path: json.loads(urllib.request.urlopen(url + path, timeout=70).read())  # noqa: E731
    monkeypatch.setenv("BRIEF_OPENSEARCH_REPLICAS", "1")
    loc = "opensearch://" + url.split("://", 1)[1] + "/briefs"
    archive = open_archive(loc, create=True)
    paths = [write(tmp_path / "in" / f"{n}.txt", f"Title: Brief {n}\n\nSanctions brief {n} about policy.\n")
             for n in range(30)]
    res = ingest.add_paths(archive, [str(x) for x in paths])
    assert sum(r.status == "added" for r in res) == 30
    assert get("/_cluster/health/briefs?wait_for_status=green&timeout=60s")["status"] == "green"
    shards = get("/_cat/shards/briefs?format=json")
    assert sorted(s["prirep"] for s in shards) == ["p", "r"] and {s["state"] for s in shards} == {"STARTED"}
    # the reader talks to node0: kill the other node holding a copy (the primary when node0 has none)
    holders = sorted((s["prirep"], s["node"]) for s in shards if s["node"] != "node0")
    victim = int(holders[0][1][4:])
    answers, errors, stop = [], [], threading.Event()

    def read():
        a = open_archive(loc)
        while not stop.is_set():
            try:
                answers.append((search.search(a, "sanctions", limit=5).total, a.count()))
            except Exception as e:  # noqa: BLE001 - every failure is reported by the test
                errors.append(repr(e))
            time.sleep(0.25)

    t = threading.Thread(target=read)
    t.start()
    try:
        deadline = time.monotonic() + 30
        while len(answers) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        before = len(answers)
        k = subprocess.run([sys.executable, str(script), "kill-node", str(victim), "--dir", d])
        assert k.returncode == 0
        deadline = time.monotonic() + 30
        while get("/_cluster/health")["number_of_nodes"] != 2 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert get("/_cluster/health")["number_of_nodes"] == 2  # the node is really gone
        time.sleep(3)
    finally:
        stop.set()
        t.join(60)
    assert errors == [] and before >= 3 and len(answers) >= before + 8, (errors, answers)
    assert set(answers) == {(30, 30)}
    after = open_archive(loc)
    assert sorted(b.title for b in after.records()) == sorted(f"Brief {n}" for n in range(30))
    extra = write(tmp_path / "in2" / "x.txt", "Title: After the kill\n\nSanctions brief written after.\n")
    assert [r.status for r in ingest.add_paths(after, [str(extra)])] == ["added"]
    assert search.search(after, "sanctions", limit=5).total == 31
