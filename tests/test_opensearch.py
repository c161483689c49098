"""The OpenSearch engine against a real node (scripts/opensearch): the same briefs in a Whoosh
folder and an OpenSearch index answer the query-language and curation tables alike, and an
export moves an archive from one engine to the other and back without losing anything."""

from __future__ import annotations

import pytest

from conftest import write
from test_query import (BOOLEANS, BRIEFS, DATE_QUERIES, FIELD_VALUES, MALFORMED, PREFIX_AND_FUZZY,
                        WITH_OPTIONS)

pytestmark = pytest.mark.opensearch

# The query-language tables of tests/test_query.py, each with the order its test sorts by: on
# both engines the same briefs (ids and fields) in that order, and the table's own answer.
TABLES = [(q, want, "date") for q, want in FIELD_VALUES + DATE_QUERIES] + \
         [(q, want, "title") for q, want in BOOLEANS] + \
         [(q, sorted(want, key=lambda n: BRIEFS[n].split("\n", 1)[0][7:].casefold()), "title")
          for q, want in PREFIX_AND_FUZZY]
# Queries ranked by relevance (test_query's words, stemming, phrases, typographic quotes, stop
# words, a question): the same set on both engines, and sorted by date the same order.
RANKED = ["sanctions relief", "SANCTIONS Relief", "sanction", '"maximum pressure"', '"pressure maximum"',
          "\u201cmaximum pressure\u201d", "the of", "diplomacy", "Pyongyang sanctions", "kim OR seas",
          "what did critics say about sanctions relief for iran", "how does north korea evade sanctions"]


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


def _rows(r) -> list[dict]:
    assert r.exit_code == 0, r
    return r.json


def test_query_tables_on_both_engines(cli, both):
    folder, remote, fx = both
    name = {v: k for k, v in fx.items()}
    differ = []
    for q, want, sort in TABLES:
        args = ("search", "--sort", sort, "--limit", "0", "--json", "--", q)
        w, o = _rows(cli("--index", folder, *args)), _rows(cli("--index", remote, *args))
        if [name[x["id"]] for x in o] != want or _plain(w, ordered=True) != _plain(o, ordered=True):
            differ.append((q, sort, want, [name[x["id"]] for x in w], [name[x["id"]] for x in o]))
    for q, opts, want in WITH_OPTIONS:
        args = ("search", *opts, "--limit", "0", "--json", "--", q)
        w, o = _rows(cli("--index", folder, *args)), _rows(cli("--index", remote, *args))
        if [name[x["id"]] for x in o] != want or _plain(w) != _plain(o):
            differ.append((q, opts, want, [name[x["id"]] for x in w], [name[x["id"]] for x in o]))
    for q in (*RANKED, f"id:{fx['trade'][:4]}", f"ID:{fx['trade'].upper()}"):
        w = _rows(cli("--index", folder, "search", "--limit", "0", "--json", "--", q))
        o = _rows(cli("--index", remote, "search", "--limit", "0", "--json", "--", q))
        if _plain(w) != _plain(o):  # the same set, the same fields; ranks are each engine's own
            differ.append((q, "relevance", sorted(name[x["id"]] for x in w), sorted(name[x["id"]] for x in o)))
        wd = _ids(cli("--index", folder, "search", "--sort", "date", "--limit", "0", "--json", "--", q))
        od = _ids(cli("--index", remote, "search", "--sort", "date", "--limit", "0", "--json", "--", q))
        if wd != od:
            differ.append((q, "date", wd, od))
    assert differ == []
    # the comparison is about something: most answers are neither empty nor everything
    sizes = [len(want) for _, want, _ in TABLES]
    assert len(TABLES) >= 50 and sum(0 < n < len(BRIEFS) for n in sizes) >= 45
    assert {name[x] for x in _ids(cli("--index", remote, "search", "--limit", "0", "--json", "diplomacy"))} \
        == {"nk2020"}  # diplomatic (nk) is another stem


def test_malformed_queries_same_line_on_both_engines(cli, both):
    folder, remote, fx = both
    for q, message in MALFORMED:
        w = cli("--index", folder, "search", "--", q)
        o = cli("--index", remote, "search", "--", q)
        assert w.exit_code == o.exit_code == 2 and o.stdout == "", (q, o)
        assert o.stderr == w.stderr and message in o.stderr and o.stderr.count("\n") == 1, (q, w, o)


def test_list_query_on_both_engines(cli, both):
    folder, remote, fx = both
    for args in (["list", "--query", "tag:sanctions -tag:iran"], ["list", "-q", "date:2019..", "--type", "analysis"],
                 ["list", "-q", "sanctions relief", "--sort", "title"], ["list", "--query", "author:lima"],
                 ["list", "--undated"], ["list", "--tag", "north korea", "--sort", "title", "--reverse"]):
        w, o = cli("--index", folder, *args, "--json"), cli("--index", remote, *args, "--json")
        assert w.exit_code == o.exit_code == 0, (args, w, o)
        assert _plain(w.json, ordered=True) == _plain(o.json, ordered=True), args
        w, o = cli("--index", folder, *args), cli("--index", remote, *args)
        assert w.stdout == o.stdout, args  # the table people read, too
    assert _ids(cli("--index", remote, "list", "--query", "tag:sanctions -tag:iran", "--json")) == \
        [fx["venezuela"], fx["nk"]]


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


# Curation steps (the forms of tests/test_curate.py), run in order on the five briefs of
# test_curate in both engines; ``{name}`` is that brief's id. Every step must give the same exit
# status, messages and lines on both, and afterwards the same records.
CURATION = [
    ["tag", "{sanctions}", "{trade}", "--add", "Reviewed", "--add", "Gulf states", "--remove", "iran"],
    ["tag", "{korea}", "+north korea", "-dprk", "--json"],
    ["tag", "{korea}", "+NORTH KOREA"],  # already there: unchanged
    ["tag", "zzzzzzz", "{seas}", "+x"],  # an unknown id: one line, the good id still tagged
    ["tag", "--author", "jane roe", "--since", "2019", "--until", "2019", "--add", "jr19", "--yes"],
    ["tag", "--tag", "sanctions", "--type", "policy brief", "--add", "pb-sanctions", "--yes"],
    ["tag", "--org", "fdd", "--add", "fdd", "--yes"],
    ["tag", "--query", "date:2019", "--add", "y2019", "--yes", "--json"],
    ["tag", "--query", 'tag:"north korea" OR tag:climate', "--add", "Korea", "--yes"],
    ["tag", "--query", "relief", "--add", "relief", "--dry-run"],
    ["tag", "--query", "zyzzyva", "--add", "x", "--yes"],
    ["edit", "{trade}", "--title", "Tariffs,  again", "--author", "A. One", "--author", "B. Two",
     "--date", "March 3, 2021", "--type", "Testimony", "--org", "Cato Institute (CATO)"],
    ["edit", "{sanctions}", "--add-author", "John Doe", "--add-author", "jane roe"],
    ["edit", "{seas}", "--clear", "date", "--clear", "tags", "--json"],
    ["edit", "{trade}", "--title", "Tariffs, again"],  # nothing to change
    ["edit", "zzzzzzz", "--title", "x"],
    ["rename-tag", "sanctions", "Sanctions policy"],
    ["rename-tag", "korea", "North Korea"],  # merged into the existing tag
    ["rename-tag", "NORTH KOREA", "North Korea"],  # respelled
    ["rename-tag", "nope", "x"],
    ["rename-tag", "Gulf states", "Gulf", "--dry-run"],
    ["rename-author", "roe", "X"],  # whole names only
    ["rename-author", "JANE ROE", "Jane Roe-Smith"],
    ["rename-author", "john doe", "Ana Lima", "--json"],  # merged
    ["remove", "{undated}", "--yes"],
    ["reindex"],
]


@pytest.fixture
def five_both(cli, tmp_path, os_index):
    from test_curate import TEXTS

    paths = [write(tmp_path / "in" / f"{name}.txt", text) for name, text in TEXTS.items()]
    folder = tmp_path / "w"
    for index in (folder, os_index):
        assert cli("--index", index, "add", *paths).exit_code == 0
    by_title = {text.split("\n", 1)[0][7:]: name for name, text in TEXTS.items()}
    rows = cli("--index", folder, "list", "--json").json
    assert sorted(x["id"] for x in rows) == sorted(x["id"] for x in cli("--index", os_index, "list", "--json").json)
    return str(folder), os_index, {by_title[x["title"]]: x["id"] for x in rows}


def _lines(text: str) -> list[str]:
    return sorted(text.splitlines())  # the order of the changed briefs is each engine's own


def test_curation_table_on_both_engines(cli, five_both):
    folder, remote, fx = five_both
    differ = []
    for step in CURATION:
        args = [a.format(**fx) for a in step]
        w, o = cli("--index", folder, *args), cli("--index", remote, *args)
        same_out = (_plain(w.json) == _plain(o.json)) if "--json" in args and w.stdout else \
            _lines(w.stdout) == _lines(o.stdout)
        if (w.exit_code, w.stderr.replace(folder, "ARCHIVE")) != (o.exit_code, o.stderr.replace(remote, "ARCHIVE")) \
                or not same_out:
            differ.append((step, w, o))
        wl, ol = cli("--index", folder, "list", "--json").json, cli("--index", remote, "list", "--json").json
        # the same records, newest first (briefs of one date, or undated, in each engine's own order)
        if _plain(wl) != _plain(ol) or [x["date"] for x in wl] != [x["date"] for x in ol]:
            differ.append((step, "list", wl, ol))
        for view in (["tags", "--json"], ["authors", "--json"], ["orgs", "--json"]):
            wv, ov = cli("--index", folder, *view), cli("--index", remote, *view)
            if wv.json != ov.json:
                differ.append((step, view, wv.json, ov.json))
    assert differ == []
    # and the steps did what they say (on OpenSearch)
    show = lambda n: cli("--index", remote, "show", fx[n], "--json").json  # noqa: E731
    assert show("trade")["title"] == "Tariffs, again" and show("trade")["authors"] == ["A. One", "B. Two"]
    assert show("trade")["date"] == "2021-03-03" and show("trade")["organization"] == "Cato Institute"
    assert show("sanctions")["authors"] == ["Jane Roe-Smith", "Ana Lima"]
    assert "Sanctions policy" in show("sanctions")["tags"] and "Iran" not in show("sanctions")["tags"]
    assert show("seas")["date"] is None and show("seas")["tags"] == []
    assert cli("--index", remote, "show", fx["undated"]).exit_code != 0
    assert cli("--index", remote, "authors", "--json").json == [
        {"name": "Ana Lima", "count": 3}, {"name": "A. One", "count": 1}, {"name": "B. Two", "count": 1},
        {"name": "Jane Roe-Smith", "count": 1}]
    tags = {t["name"]: t["count"] for t in cli("--index", remote, "tags", "--json").json}
    assert tags["North Korea"] == 1 and "Korea" not in tags and "DPRK" not in tags and tags["jr19"] == 2
    assert tags["Sanctions policy"] == 2 and "Sanctions" not in tags and "Iran" not in tags


def test_similar_on_both_engines(cli, both):
    """`similar` searches for the brief's key terms, weighed alike on both engines: the same
    nearest brief for every brief, and mostly the same next ones."""
    folder, remote, fx = both
    name = {v: k for k, v in fx.items()}
    nonempty = 0
    for n, bid in fx.items():
        w = [name[x] for x in _ids(cli("--index", folder, "similar", bid, "--limit", "0", "--json"))]
        o = [name[x] for x in _ids(cli("--index", remote, "similar", bid, "--limit", "0", "--json"))]
        assert n not in w + o
        assert w[:1] == o[:1], (n, w, o)
        assert len(set(w[:3]) & set(o[:3])) >= min(3, len(w), len(o)) - 1, (n, w, o)
        nonempty += bool(w)
    assert nonempty >= 5
    assert _ids(cli("--index", remote, "similar", fx["iran"], "--json"))[0] == fx["nk"]  # sanctions relief, pressure
    r = cli("--index", remote, "similar", fx["iran"])
    assert r.exit_code == 0 and r.stdout.startswith("4 briefs like") and "relief" in r.stdout + r.stderr


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


def test_check_and_reindex_on_opensearch(cli, both):
    """check reads every document; a document whose search fields no longer match its record
    (written by hand, or by an older brief) is a problem that reindex repairs in place; a record
    whose text does not match its sha256 is reported and dropped only with --drop-bad."""
    from opensearchpy import OpenSearch

    folder, remote, fx = both
    r = cli("--index", remote, "check")
    assert r.exit_code == 0 and r.stdout.splitlines()[0] == f"archive {remote}: format 1, 7 briefs", r
    host, index = remote.split("://", 1)[1].split("/")
    c = OpenSearch(hosts=[f"http://{host}"])
    c.update(index=index, id=fx["iran"], body={"doc": {"tag": ["Elsewhere"]}}, refresh=True)
    assert _ids(cli("--index", remote, "search", "tag:iran", "--json")) == []  # the index is off its record
    r = cli("--index", remote, "check")
    assert r.exit_code == 1 and "problem: 1 brief(s) have search fields that differ from their records" in r.stdout
    r = cli("--index", remote, "reindex")
    assert r.exit_code == 0, r
    assert _ids(cli("--index", remote, "search", "tag:iran", "--json")) == [fx["iran"]]
    assert cli("--index", remote, "check").exit_code == 0
    # a damaged record: its text no longer matches its sha256
    doc = c.get(index=index, id=fx["draft"])["_source"]
    doc["rec"]["text"] = doc["rec"]["text"].replace("Notes", "Nodes")
    c.index(index=index, id=fx["draft"], body=doc, refresh=True)
    r = cli("--index", remote, "check")
    assert r.exit_code == 1 and f"problem: brief {fx['draft']}: cannot be read" in r.stdout and "sha256" in r.stdout
    r = cli("--index", remote, "reindex")
    assert r.exit_code == 1 and "1 record(s) cannot be read" in r.stderr and "nothing was changed" in r.stderr
    assert cli("--index", remote, "show", fx["draft"]).exit_code == 0
    r = cli("--index", remote, "reindex", "--drop-bad")
    assert r.exit_code == 0 and f"dropped: record {fx['draft']!r} cannot be read" in r.stderr, r
    assert cli("--index", remote, "check").exit_code == 0
    assert sorted(_ids(cli("--index", remote, "list", "--json"))) == sorted(v for k, v in fx.items() if k != "draft")


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


def test_killed_add_keeps_what_it_sent_and_a_rerun_completes_it(tmp_path, os_index):
    """SIGKILL `brief add` of 60 files (a commit every 10) once it has reported some: every brief
    it reported is in the index, whole; the same add again adds the rest, each brief once."""
    import json
    import subprocess
    import sys
    import time

    from brieftool.engine import open_archive

    files = [str(write(tmp_path / "in" / f"{n:02d}.txt", f"Title: Piece {n}\n\nA brief on grain exports, number {n}.\n"))
             for n in range(60)]
    cmd = [sys.executable, "-m", "brieftool", "--index", os_index, "add", "--batch-size", "10", "--verbose"]
    out = tmp_path / "add.out"

    def reported() -> set[str]:
        return {ln.split()[1] for ln in out.read_text("utf-8").splitlines() if ln.startswith("added")}

    with open(out, "w") as f:
        p = subprocess.Popen(cmd + files, stdout=f, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        while p.poll() is None and len(reported()) < 10:
            time.sleep(0.005)
        p.kill()
        status = p.wait()
    said = reported()
    kept = {b.id: b for b in open_archive(os_index).records()}
    assert status == -9 and 10 <= len(said) and len(kept) < 60, (status, len(said), len(kept))  # killed midway
    assert said <= set(kept)
    for b in kept.values():  # each whole: its record, title and text as in its file
        n = int(b.title.split()[1])
        assert b.body.strip() == f"A brief on grain exports, number {n}." and b.source == files[n]
    again = subprocess.run(cmd + ["--json"] + files, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    statuses = [x["status"] for x in json.loads(again.stdout)]
    assert len(statuses) == 60 and statuses.count("added") == 60 - len(kept), statuses
    titles = [b.title for b in open_archive(os_index).records()]
    assert sorted(titles) == sorted(f"Piece {n}" for n in range(60))


def test_three_nodes_survive_losing_one(tmp_path, monkeypatch, opensearch_cluster):
    """3 nodes, 1 replica: SIGKILL (by its pid) of the node holding the primary copy, while a
    reader loops on search and count: every answer has the same totals, nothing added before the
    kill is lost, and the cluster still takes a new brief."""
    import json
    import subprocess
    import sys
    import threading
    import time
    import urllib.request
    from pathlib import Path

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
    # kill the node holding the primary (its replica is promoted); the reader talks to another node
    victim = int(next(s["node"] for s in shards if s["prirep"] == "p")[4:])
    nodes = json.loads((Path(d) / "cluster.json").read_text())["nodes"]
    reader_url = next(n["url"] for n in nodes if n["i"] != victim)
    loc = "opensearch://" + reader_url.split("://", 1)[1] + "/briefs"
    get = lambda path: json.loads(urllib.request.urlopen(reader_url + path, timeout=70).read())  # noqa: E731
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
    deadline = time.monotonic() + 30  # the replica became the primary, on a node still alive
    while time.monotonic() < deadline and not any(
            s["prirep"] == "p" and s["state"] == "STARTED" for s in get("/_cat/shards/briefs?format=json")):
        time.sleep(0.5)
    assert [s["node"] for s in get("/_cat/shards/briefs?format=json")
            if s["prirep"] == "p" and s["state"] == "STARTED"] != [f"node{victim}"]
    assert any(s["prirep"] == "p" and s["state"] == "STARTED" for s in get("/_cat/shards/briefs?format=json"))
    after = open_archive(loc)
    assert sorted(b.title for b in after.records()) == sorted(f"Brief {n}" for n in range(30))
    extra = write(tmp_path / "in2" / "x.txt", "Title: After the kill\n\nSanctions brief written after.\n")
    assert [r.status for r in ingest.add_paths(after, [str(extra)])] == ["added"]
    assert search.search(after, "sanctions", limit=5).total == 31
