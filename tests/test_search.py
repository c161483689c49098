"""Search output and the features around the query: sorting, paging, the total, facets,
"did you mean", questions, `brief similar`, the scripting formats, snippets."""

from __future__ import annotations

import csv
import os
import io
import json

from conftest import SEED, write
from test_query import BRIEFS, fx, names  # noqa: F401  (fx is a fixture)

RECORD_KEYS = {"id", "title", "authors", "date", "tags", "type", "organization", "source", "sha256", "added",
               "words", "format", "pages"}


def ids_of(r) -> list[str]:
    assert r.exit_code == 0, r
    return [x["id"] for x in r.json]


# -- sorting ----------------------------------------------------------------------------------------
def test_sort_date_title_reverse(cli, fx):
    by = lambda *a: names(fx, cli("search", "sanction", "--json", *a).json)  # noqa: E731
    assert by("--sort", "date") == ["venezuela", "iran", "nk", "trade", "draft"]  # undated last
    assert by("--sort", "date", "--reverse") == ["trade", "nk", "iran", "venezuela", "draft"]
    assert by("--sort", "title") == ["draft", "nk", "venezuela", "iran", "trade"]
    assert by("--sort", "TITLE", "-r") == ["trade", "iran", "venezuela", "nk", "draft"]
    rel = by()
    assert by("--reverse") == rel[::-1]
    assert by("--sort", "added") and set(by("--sort", "added")) == set(rel)


def test_sort_relevance_has_scores_others_do_not(cli, fx):
    rows = cli("search", "sanctions relief", "--json").json
    assert [set(r) for r in rows] == [RECORD_KEYS | {"score", "snippet", "mode"}] * 2
    assert rows[0]["score"] >= rows[1]["score"] > 0
    rows = cli("search", "sanctions relief", "--sort", "date", "--json").json
    assert all("score" not in r and "snippet" in r for r in rows)


def test_unknown_sort(cli, fx):
    r = cli("search", "sanctions", "--sort", "size")
    assert r.exit_code == 2 and "unknown sort 'size' (choose relevance, date, title, added)" in r.stderr


# -- paging and the total -----------------------------------------------------------------------------
def test_limit_offset_page_and_total_in_header(cli, fx):
    full = names(fx, cli("search", "sanction", "--sort", "date", "--limit", "0", "--json").json)
    assert len(full) == 5
    page = lambda *a: names(fx, cli("search", "sanction", "--sort", "date", "--json", *a).json)  # noqa: E731
    assert page("--limit", "2") == full[:2]
    assert page("--limit", "2", "--offset", "2") == full[2:4]
    assert page("--limit", "2", "--page", "2") == full[2:4]
    assert page("--limit", "2", "--page", "3") == full[4:]
    assert page("--limit", "2", "--page", "4") == []
    t = cli("search", "sanction", "--sort", "date", "--limit", "2", "--page", "2")
    assert t.stdout.splitlines()[0] == "5 briefs match (showing 3–4)"
    assert BRIEFS["nk"].split("\n")[0][7:] in t.stdout and "Oil, sanctions" not in t.stdout
    t = cli("search", "sanction", "--limit", "0")
    assert t.stdout.splitlines()[0] == "5 briefs match"
    lst = cli("list", "--limit", "3", "--page", "3")
    assert lst.stdout.splitlines()[0] == "7 briefs (showing 7–7)"


def test_page_errors(cli, fx):
    r = cli("search", "sanction", "--page", "2", "--offset", "1")
    assert r.exit_code == 2 and "give --page or --offset, not both" in r.stderr
    r = cli("list", "--page", "2")
    assert r.exit_code == 2 and "--page needs a --limit" in r.stderr
    r = cli("search", "sanction", "--page", "0")
    assert r.exit_code == 2


# -- facets -------------------------------------------------------------------------------------------
def test_facets_count_all_matches_not_just_the_page(cli, fx):
    r = cli("search", "sanction", "--limit", "1", "--facets", "--json")
    assert r.exit_code == 0, r
    data = r.json
    assert data["total"] == 5
    f = data["facets"]
    assert f["tags"][0] == {"value": "Sanctions", "count": 3}
    assert {x["value"]: x["count"] for x in f["tags"]} == {
        "Sanctions": 3, "Iran": 1, "North Korea": 1, "Trade": 1, "Venezuela": 1, "Draft": 1}
    assert {x["value"]: x["count"] for x in f["authors"]} == {"Jane Roe": 2, "Mathew Ha": 1, "Ana Lima": 1}
    assert f["authors"][0] == {"value": "Jane Roe", "count": 2}
    assert {x["value"]: x["count"] for x in f["organizations"]} == {
        "Foundation for Defense of Democracies": 2, "Cato Institute": 2}
    assert f["years"] == [{"value": "2019", "count": 3}, {"value": "2018", "count": 1}]  # newest first


def test_facets_table_after_hits(cli, fx):
    r = cli("search", "sanction", "--limit", "2", "--facets")
    out = r.stdout
    assert out.index("Facets over all 5 matching briefs:") > out.index("5 briefs match (showing 1–2)")
    lines = {ln.split()[0]: ln for ln in out.split("Facets over all")[1].splitlines()[1:] if ln.strip()}
    assert "Sanctions 3" in lines["tags"] and "Jane Roe 2" in lines["authors"]
    assert "2019 3 · 2018 1" in lines["years"] and "Cato Institute 2" in lines["organizations"]


def test_facets_jsonl_csv_and_ids(cli, fx):
    lines = [json.loads(x) for x in cli("search", "tag:iran", "--facets", "--format", "jsonl").stdout.splitlines()]
    assert {"facet": "tags", "value": "Iran", "count": 1} in lines
    assert {"facet": "years", "value": "2019", "count": 1} in lines
    rows = list(csv.reader(io.StringIO(cli("search", "tag:iran", "--facets", "--format", "csv").stdout)))
    assert rows[0] == ["facet", "value", "count"] and ["authors", "Jane Roe", "1"] in rows
    r = cli("search", "tag:iran", "--facets", "--format", "ids")
    assert r.exit_code == 2 and "--facets has no ids form" in r.stderr


def test_list_facets_and_similar_facets(cli, fx):
    f = cli("list", "--facets", "--json").json
    assert f["total"] == 7 and {"value": "2019", "count": 3} in f["facets"]["years"]
    assert {x["value"]: x["count"] for x in f["facets"]["organizations"]}["Brookings Institution"] == 2
    f = cli("similar", fx["nk"], "--facets", "--json").json
    assert f["total"] >= 1 and "facets" in f


def test_done_when_seed_tagged_north_korea_with_facets(cli):
    bid = cli("add", SEED, "--tag", "North Korea", "--json").json[0]["id"]
    r = cli("search", 'tag:"north korea" date:2019 sanctions', "--facets")
    assert r.exit_code == 0, r
    assert r.stdout.startswith("1 brief match") and bid in r.stdout
    assert "Kim Jong Un’s Recent Speech" in r.stdout
    facets = r.stdout.split("Facets over all 1 matching brief:")[1]
    assert "North Korea 1" in facets and "Mathew Ha 1" in facets and "2019 1" in facets
    assert "Foundation for the Defense of Democracies 1" in facets


# -- did you mean -------------------------------------------------------------------------------------
def test_did_you_mean_on_no_match(cli, fx):
    r = cli("search", "sanctons")
    assert r.exit_code == 0 and r.stdout.startswith("0 briefs match")
    assert 'no match for "sanctons"; did you mean "sanctions"?' in r.stderr
    # JSON stays clean: the hint is on stderr only
    r = cli("search", "tarifs", "--json")
    assert r.json == [] and 'did you mean "tariffs"?' in r.stderr


def test_did_you_mean_keeps_the_rest_of_the_query(cli, fx):
    r = cli("search", "pyongyng tag:sanctions", "--json")
    assert r.json == []
    assert 'did you mean "pyongyang tag:sanctions"?' in r.stderr
    # with the any-word fallback in between: still suggested
    r = cli("search", "sanctons relief", "--json")
    assert "No brief has all of these words" in r.stderr
    assert 'no brief has all the words of "sanctons relief"; did you mean "sanctions relief" (2 briefs)?' in r.stderr


def test_no_suggestion_when_the_words_are_known_or_nothing_is_near(cli, fx):
    assert "did you mean" not in cli("search", "sanctions").stderr
    assert "did you mean" not in cli("search", "zyzzyva").stderr
    # a word of the archive, even with few hits, is not "corrected"
    assert "did you mean" not in cli("search", "trickle").stderr


def test_a_word_that_matched_is_not_rewritten(cli, tmp_path):
    for i in range(4):
        write(tmp_path / f"s{i}.txt", f"Brief {i}\n\nThe sanctions regime number {i} is discussed here.")
    write(tmp_path / "typo.txt", "Typo brief\n\nOne writer spelled it sanctons by mistake.")
    assert cli("add", *sorted(tmp_path.glob("*.txt"))).exit_code == 0
    r = cli("search", "sanctons")
    assert r.stdout.startswith("1 brief match")
    assert "did you mean" not in r.stderr  # the typo is a word of the archive: it found its brief
    # a word no brief has is respelled; the words that matched stay as typed
    r = cli("search", "how is the sanctins regime discussed")
    assert 'did you mean "how is the sanctions regime discussed" (4 briefs)?' in r.stderr


# -- questions: all the words first, then some ----------------------------------------------------------
def test_question_lists_all_words_first_then_some(cli, fx):
    q = "why did critics argue that sanctions relief for iran came too early"
    r = cli("search", q, "--json")
    got = names(fx, r.json)
    assert got[0] == "iran"  # the only brief with all the content words
    assert set(got) == {"iran", "nk", "venezuela", "trade", "draft"}  # some of the words
    assert "No brief has all" not in r.stderr
    t = cli("search", q)
    assert t.stdout.splitlines()[0] == "5 briefs match, 1 with all the words"
    # a short query keeps "all of the words"
    assert names(fx, cli("search", "sanctions relief", "--json").json) in (["iran", "nk"], ["nk", "iran"])


def test_question_paging_across_the_two_tiers(cli, fx):
    q = "why did critics argue that sanctions relief for iran came too early"
    full = names(fx, cli("search", q, "--limit", "0", "--json").json)
    pages = [names(fx, cli("search", q, "--limit", "2", "--page", str(p), "--json").json) for p in (1, 2, 3)]
    assert sum(pages, []) == full
    assert names(fx, cli("search", q, "--limit", "0", "--reverse", "--json").json) == full[::-1]


# -- similar --------------------------------------------------------------------------------------------
def test_similar_excludes_the_brief_and_ranks_the_closest_first(cli, fx):
    r = cli("similar", fx["iran"][:5], "--json")
    got = names(fx, r.json)
    assert "iran" not in got and got[0] == "nk"  # shares sanctions relief, maximum pressure
    assert set(r.json[0]) == RECORD_KEYS | {"score", "snippet", "mode"}
    t = cli("similar", fx["iran"])
    assert t.stdout.splitlines()[0].startswith(f"{len(got)} brief")
    assert f"like {fx['iran']} (Sanctions relief and its discontents)" in t.stdout.splitlines()[0]


def test_similar_options(cli, fx):
    assert names(fx, cli("similar", fx["iran"], "--tag", "north korea", "--json").json) == ["nk"]
    assert len(cli("similar", fx["iran"], "--limit", "1", "--json").json) == 1
    ids = cli("similar", fx["nk"], "--format", "ids").stdout.split()
    assert fx["nk"] not in ids and fx["iran"] in ids
    by_date = names(fx, cli("similar", fx["nk"], "--sort", "date", "--json").json)
    dates = [cli("show", fx[n], "--json").json["date"] for n in by_date]
    assert dates == sorted([d for d in dates if d], reverse=True) + [None] * dates.count(None)  # undated last


def test_similar_unknown_or_ambiguous_id(cli, fx):
    r = cli("similar", "zzzzzzz")
    assert r.exit_code == 2 and "no brief with id 'zzzzzzz'" in r.stderr
    r = cli("similar", "")
    assert r.exit_code == 2 and "empty id" in r.stderr


# -- formats ---------------------------------------------------------------------------------------------
def test_formats_on_search(cli, fx):
    want = ids_of(cli("search", "sanction", "--sort", "date", "--json"))
    assert cli("search", "sanction", "--sort", "date", "--format", "ids").stdout.split() == want
    lines = cli("search", "sanction", "--sort", "date", "--format", "jsonl").stdout.splitlines()
    assert [json.loads(x)["id"] for x in lines] == want
    rows = list(csv.DictReader(io.StringIO(cli("search", "sanctions relief", "-f", "csv").stdout)))
    assert [r["id"] for r in rows] == ids_of(cli("search", "sanctions relief", "--json"))
    assert {"score", "snippet"} <= set(rows[0]) and "relief" in rows[0]["snippet"]
    r = cli("search", "sanction", "--json", "--format", "csv")
    assert r.exit_code == 2 and "--json and --format disagree" in r.stderr


def test_ids_pipe_into_show_with_real_processes(brief_exe, tmp_path):
    for name in ("iran", "venezuela", "trade"):
        write(tmp_path / "in" / f"{name}.txt", BRIEFS[name])
    r = brief_exe("add", *sorted((tmp_path / "in").glob("*.txt")))
    assert r.exit_code == 0, r
    ids = brief_exe("search", "tag:sanctions", "--sort", "date", "--format", "ids").stdout.split()
    assert len(ids) == 2
    shown = brief_exe("show", "--json", *ids).json  # what `| xargs brief show --json` runs
    assert [x["title"] for x in shown] == ["Oil, sanctions and Caracas", "Sanctions relief and its discontents"]


# -- snippets in the table --------------------------------------------------------------------------------
def test_snippet_stays_a_few_lines_with_long_unbroken_text(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    text = ("Unbroken\n\n" + "x" * 5000 + " sanctions relief " + "y" * 8000 + "\n\n"
            + ("word " * 3000) + "\n")
    bid = cli("add", write(tmp_path / "long.txt", text), "--json").json[0]["id"]
    r = cli("search", "sanctions relief")
    assert r.exit_code == 0 and bid in r.stdout
    lines = r.stdout.splitlines()
    assert all(len(ln) <= 80 for ln in lines), lines
    assert len(lines) <= 1 + 1 + 4  # header, title, at most four lines of snippet
    assert "sanctions relief" in r.stdout and "x" * 41 not in r.stdout
    snip = cli("search", "sanctions relief", "--json").json[0]["snippet"]
    assert len(snip) <= 260 and "sanctions relief" in snip


def test_snippet_of_a_brief_with_markup_and_escapes(cli, tmp_path):
    bid = cli("add", write(tmp_path / "m.txt", "Markup\n\n[bold red]sanctions[/] \x1b[31mrelief\x1b[0m here\n"),
              "--json").json[0]["id"]
    r = cli("search", "sanctions relief")
    assert bid in r.stdout and "[bold red]" in r.stdout and "\\x1b[31m" in r.stdout and "\x1b" not in r.stdout


def test_snippet_library_function_cuts_long_runs():
    from brieftool.models import Brief
    from brieftool.search import MARK_OFF, MARK_ON, plain, snippet

    b = Brief(text="a" * 1000 + " relief " + "b" * 1000)
    s = snippet(b, {"relief"})
    assert MARK_ON + "relief" + MARK_OFF in s
    assert max(len(w) for w in plain(s).split()) <= 41
    assert snippet(Brief(text="short text"), set()) == "short text"


# -- start-up: a search loads what it uses -----------------------------------------------------------------
def test_search_process_does_not_import_unused_modules(cli, tmp_path, archive_dir):
    import subprocess
    import sys

    cli("add", write(tmp_path / "a.txt", BRIEFS["iran"]))
    code = ("import sys\nfrom brieftool.cli import app\n"
            "app(['--index', sys.argv[1], 'search', 'sanctions', '--json'], standalone_mode=False)\n"
            "bad = [m for m in ('urllib.request', 'http.client', 'email.parser', 'dateutil.parser', "
            "'multiprocessing', 'whoosh.multiproc') if m in sys.modules]\n"
            "print('LOADED', bad, file=sys.stderr)\n")
    p = subprocess.run([sys.executable, "-c", code, str(archive_dir)], capture_output=True, text=True)
    assert '"Sanctions relief and its discontents"' in p.stdout, p.stderr
    assert "LOADED []" in p.stderr
    # and `brief --help` does not load Whoosh or Rich's tables at all
    code = ("import sys\nfrom brieftool.cli import app\n"
            "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
            "print('LOADED', sorted(m for m in ('whoosh', 'rich.table', 'brieftool.search', 'brieftool.query') "
            "if m in sys.modules), file=sys.stderr)\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "similar" in p.stdout and "LOADED []" in p.stderr, p.stderr


# -- phrases matched by positions; passages chosen the same way every run ----------------------------
def test_quick_phrase_spans_are_whoosh_spans(tmp_path):
    """brief matches an exact phrase by its words' positions (engine/whoosh.py _quick_phrases);
    for every brief and phrase the spans, and so the matches and their order, are Whoosh's own."""
    import random

    from whoosh import query as wq
    from whoosh.query.spans import SpanNear2

    from brieftool.engine.whoosh import WhooshArchive
    from brieftool.models import Brief

    rng = random.Random(7)
    words = "debt national the of relief sanctions debt tax cuts state union".split()
    a = WhooshArchive.open(tmp_path / "archive", create=True)
    with a.writer() as w:
        for i in range(60):
            text = " ".join(rng.choice(words) for _ in range(rng.randint(5, 80)))
            w.put(Brief(id=f"b{i:03d}", title=f"Brief {i}", text=text, sha256=f"{i:064x}"))
    cls = SpanNear2.SpanNear2Matcher
    assert getattr(cls, "_brief_quick", False)
    quick, whoosh_own = cls._get_spans, cls._brief_original_get_spans
    phrases = [[rng.choice(["debt", "nation", "relief", "sanction", "tax", "cut", "state", "union"])
                for _ in range(rng.randint(2, 4))] for _ in range(80)] + [["debt", "debt"], ["debt", "debt", "debt"]]
    matched = 0
    with a.ix.searcher() as s:
        for ph in phrases:
            q = wq.Phrase("body", ph)
            got = {}
            for impl in (quick, whoosh_own):
                cls._get_spans = impl
                try:
                    m = q.matcher(s)
                    found = []
                    while m.is_active():
                        found.append((m.id(), sorted((sp.start, sp.end) for sp in m.spans())))
                        m.next()
                finally:
                    cls._get_spans = quick
                got[impl] = found
            assert got[quick] == got[whoosh_own], ph
            matched += bool(got[quick])
    assert matched >= 20  # the phrases do match: the comparison is not of empty lists


def test_snippet_passages_are_the_same_every_run(tmp_path, brief_exe):
    # Three passages score the same: the two earliest are shown, in every process (Whoosh broke
    # such ties by the passages' memory addresses).
    filler = " ".join(f"word{i}" for i in range(60))
    text = "Tie memo\n\n" + " ".join(f"{filler} national debt number {k}." for k in ("one", "two", "three")) + "\n"
    f = write(tmp_path / "tie.txt", text)
    idx = tmp_path / "ties"
    assert brief_exe("--index", idx, "add", f).exit_code == 0
    seen = set()
    for seed in ("1", "2", "3", "4"):
        r = brief_exe("--index", idx, "search", '"national debt"', "--json", env=dict(os.environ, PYTHONHASHSEED=seed))
        assert r.exit_code == 0, r
        seen.add(json.loads(r.stdout)[0]["snippet"])
    assert len(seen) == 1
    (snip,) = seen
    assert "number one" in snip and "number two" in snip and "number three" not in snip


def _whoosh_fragments(text, terms, maxchars, surround, charlimit):
    """Whoosh's own passages: the body analyzer over every word, then its fragmenter."""
    from whoosh import highlight as wh

    from brieftool.engine.whoosh_query import _analyzer

    tokens = _analyzer("body")(text, chars=True, mode="query", removestops=False)
    frag = wh.ContextFragmenter(maxchars=maxchars, surround=surround, charlimit=charlimit)
    return list(frag.fragment_tokens(text, wh.set_matched_filter(tokens, frozenset(terms))))


def test_snippet_passages_are_whooshs_own():
    """highlight() finds its passages without analyzing every word (engine/whoosh_search.py
    _fragments); for texts of every shape (accents, stop words, one-letter words, long runs,
    long gaps, past the fragmenter's character limit) and any terms, maxchars and surround,
    the passages, their words and the snippet are Whoosh's own."""
    import random

    from whoosh import highlight as wh

    from brieftool.engine import whoosh_search as ws
    from brieftool.engine.whoosh_query import _analyzer, analyze

    rng = random.Random(11)
    vocab = ("the of a I us it national debt debts indebted sanctions sanctioned relief Relief économie "
             "Économie economy economies naïve résumé Straße ÆON flying fly flies running ran yes "
             "y.m.c.a U.S. 1999 x2 Ω ω co-operation ironically this thi may MAI are AR").split()

    def frags(fs):
        return [(f.startchar, f.endchar, [(t.startchar, t.endchar, t.text) for t in f.matches]) for f in fs]

    compared = nonempty = 0
    for _ in range(400):
        parts = []
        for _ in range(rng.randint(0, 300)):
            w = rng.choice(vocab) if rng.random() < 0.8 else "z" * rng.randint(1, 90)
            parts.append(w + rng.choice([" ", " ", ", ", ". ", "\n\n", " " * rng.randint(2, 150), "—"]))
        text = "".join(parts)
        terms = {t for w in rng.sample(vocab, rng.randint(1, 4)) for t in analyze("body", w)}
        terms |= set(rng.choice([[], ["the"], ["a"], ["us"], ["zz"], ["this"], ["thi"], ["mai"], ["ar"]]))  # stop words too
        maxchars, surround = rng.choice([5, 30, 80, 240]), rng.choice([0, 1, 20, 60])
        charlimit = rng.choice([wh.DEFAULT_CHARLIMIT, 1000, 300, 57])
        if rng.random() < 0.5:
            ws._word_terms.clear()
        mine = frags(ws._fragments(text, frozenset(terms), ws._analysis_plan(), maxchars, surround, charlimit))
        assert mine == frags(_whoosh_fragments(text, terms, maxchars, surround, charlimit)), (text, terms)
        compared += 1
        nonempty += bool(mine)
        if charlimit == wh.DEFAULT_CHARLIMIT:
            frag = wh.ContextFragmenter(maxchars=maxchars, surround=60)
            own = wh.highlight(text, frozenset(terms), _analyzer("body"), frag, ws._MarkFormatter(), top=2,
                               scorer=ws._first_on_ties)
            assert ws.highlight(text, terms, maxchars) == own
    assert compared == 400 and nonempty > 200  # the texts do match: not a comparison of empty lists


def test_quick_skip_lands_where_whoosh_steps(tmp_path):
    """brief skips within a block of postings by bisection (engine/whoosh.py _quick_skip): for
    every word and any run of targets the matcher stops on the same postings as Whoosh's own
    step-by-step skip_to, across blocks (over 128 briefs a word) and to the end."""
    import random

    from whoosh.codec.whoosh3 import W3LeafMatcher

    from brieftool.engine.whoosh import WhooshArchive
    from brieftool.models import Brief

    rng = random.Random(5)
    words = "debt tax relief union state".split()
    a = WhooshArchive.open(tmp_path / "archive", create=True)
    with a.writer() as w:
        for i in range(700):
            text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 6)))
            w.put(Brief(id=f"b{i:04d}", title=f"Brief {i}", text=text, sha256=f"{i:064x}"))
    quick, own = W3LeafMatcher.skip_to, W3LeafMatcher._brief_original_skip_to
    assert quick is not own
    compared = 0
    with a.ix.searcher() as s:
        reader = s.reader()
        for word in ["debt", "tax", "relief", "union", "state"]:
            for trial in range(30):
                targets = sorted(rng.sample(range(1, 760), rng.randint(1, 40)))
                seen = {}
                for impl in (quick, own):
                    W3LeafMatcher.skip_to = impl
                    pick = random.Random(trial)  # the same next() calls for both
                    try:
                        m = reader.postings("body", word)
                        path = []
                        for t in targets:
                            if not m.is_active():
                                break
                            m.skip_to(t)
                            path.append((t, m.id() if m.is_active() else None))
                            if m.is_active() and pick.random() < 0.3:
                                m.next()
                    finally:
                        W3LeafMatcher.skip_to = quick
                    seen[impl] = path
                assert seen[quick] == seen[own], (word, targets)
                compared += len(seen[quick])
    assert compared > 1000


def test_kept_term_lookups_answer_as_whoosh_reads_them(tmp_path):
    """Each segment's term table keeps the place of every key it was asked about
    (engine/whoosh.py _kept_lookups): for terms there and not there, asked in any order and
    again, every answer is the one Whoosh's own look-up reads from the file."""
    import random

    from whoosh.filedb import filetables

    from brieftool.engine.whoosh import WhooshArchive
    from brieftool.models import Brief

    rng = random.Random(9)
    words = [f"w{i}" for i in range(300)]
    a = WhooshArchive.open(tmp_path / "archive", create=True)
    with a.writer() as w:
        for i in range(200):
            w.put(Brief(id=f"b{i:03d}", title=f"Brief {i}", text=" ".join(rng.sample(words, 20)), sha256=f"{i:064x}"))
    own = filetables.HashReader._brief_original_lookups
    with a.ix.searcher() as s:
        (leaf, _), = s.reader().leaf_readers()
        table = leaf._terms._tindex
        asked = present = 0
        for _ in range(3):
            for word in rng.sample(words + [f"x{i}" for i in range(100)], 400):
                key = leaf._terms._keycoder("body", word.encode())
                want = {}
                for name, fn in own.items():
                    try:
                        want[name] = fn(table, key) if name != "get" else fn(table, key, "none")
                    except KeyError:
                        want[name] = KeyError
                got = {}
                for name in own:
                    try:
                        got[name] = getattr(table, name)(key) if name != "get" else table.get(key, "none")
                    except KeyError:
                        got[name] = KeyError
                assert got == want, word
                asked += 1
                present += want["__contains__"]
        assert len(table._brief_ranges) == 400 and present > 600 and asked - present > 200
