"""Fuzz: random bytes and metadata at `add`, random strings at `search` and the date filters.

Every call must end with a clear result or a clear error (exit 0, 1 or 2; no traceback; an
error is one 'Error: ...' line) and the archive must still pass `brief check`. Bounded:
a few dozen examples each, in-process, so the whole file runs in well under a minute.
"""

from __future__ import annotations

import json
import os
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SEED, write

FUZZ = settings(max_examples=40, deadline=None, derandomize=False,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "latin-1", "cp1252")
text_bytes = st.tuples(st.text(max_size=1500), st.sampled_from(ENCODINGS)).map(
    lambda te: te[0].encode(te[1], errors="replace"))
contents = st.one_of(st.binary(max_size=3000), text_bytes,
                     st.builds(lambda a, b: a + b, text_bytes, st.binary(max_size=40)))
labels = st.text(max_size=40)
dates = st.one_of(st.text(max_size=20), st.dates().map(str), st.integers(-10, 100_000).map(str),
                  st.sampled_from(["2019-02-30", "0000-01-01", "9999-12-31", "April 17, 2019", "13/13/13"]))

file_names = st.text(st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)),
                     min_size=1, max_size=30).filter(lambda s: s not in (".", ".."))

QUERY_PIECES = st.sampled_from(['"', "(", ")", "*", "?", ":", "~", "^", "-", "+", "[", "]", "{", "}", "\\", "/",
                                "!", "&&", "||", " AND ", " OR ", " NOT ", "title:", "sanctions", "relief",
                                "korea", " ", "\x00", "\x1b[31m", "🙂", "ü", "TO", "'"])
queries = st.one_of(st.text(max_size=60), st.lists(QUERY_PIECES, max_size=12).map("".join))


def _fresh_random() -> None:
    """Hypothesis seeds the global `random` the same for every example; Whoosh names new
    segments with it, so two commits in one process would pick the same segment name (a
    real process is seeded from os.urandom). Give each example fresh randomness."""
    random.seed(os.urandom(16))


def _clear_error(r) -> None:
    assert r.stderr.startswith("Error: ") and r.stderr.count("\n") == 1, r
    assert "Traceback" not in r.stderr


def _check_ok(cli) -> None:
    r = cli("check", "--json")
    assert r.exit_code == 0 and r.json["ok"], r


@FUZZ
@given(data=contents, name=file_names, title=st.none() | labels, authors=st.lists(labels, max_size=3),
       tags=st.lists(labels, max_size=3), date=st.none() | dates, type_=st.none() | labels,
       org=st.none() | labels)
def test_add_random_bytes_and_metadata(cli, tmp_path, data, name, title, authors, tags, date, type_, org):
    _fresh_random()
    path = write(tmp_path / "in" / name, data)
    args = ["add", str(path), "--json"]
    for opt, v in (("--title", title), ("--date", date), ("--type", type_), ("--org", org)):
        if v is not None:
            args += [opt, v]
    for a in authors:
        args += ["--author", a]
    for t in tags:
        args += ["--tag", t]
    r = cli(*args)
    assert r.exit_code in (0, 1, 2), r
    assert "Traceback" not in r.stderr
    if r.exit_code == 2:
        _clear_error(r)
        assert r.stdout in ("", "[]\n")  # --json keeps stdout valid JSON even after an error
    else:
        assert r.stdout.startswith("["), r
        [res] = json.loads(r.stdout)
        assert r.stderr == ""
        assert res["path"] == str(path)
        if r.exit_code == 1:
            assert res["status"] == "failed" and res["id"] is None
            assert res["error"].startswith(f"{path}: ") and "\n" not in res["error"].removeprefix(str(path))
        else:
            assert res["status"] in ("added", "updated", "unchanged") and res["error"] is None
            rec = cli("show", res["id"], "--json").json
            assert rec["id"] == res["id"] and rec["text"].strip()
            if res["status"] == "added":  # (else the same text may be archived from another file)
                assert rec["source"] == str(path)
            shown = cli("show", res["id"], "--no-pager")
            assert shown.exit_code == 0 and "\x1b" not in shown.stdout
    _check_ok(cli)


@FUZZ
@given(q=queries, since=st.none() | dates, tag=st.none() | labels)
def test_search_random_strings(cli, q, since, tag):
    _fresh_random()
    if not (cli("list", "--format", "ids").stdout.strip()):
        assert cli("add", SEED).exit_code == 0
    args = ["search", q, "--json"]
    if since is not None:
        args += ["--since", since]
    if tag is not None:
        args += ["--tag", tag]
    r = cli(*args)
    assert r.exit_code in (0, 2), r
    if r.exit_code == 2:
        _clear_error(r)
        assert r.stdout == ""
    else:
        hits = json.loads(r.stdout)
        assert isinstance(hits, list) and all(set(h) >= {"id", "title", "snippet", "score"} for h in hits)
    t = cli(*[a for a in args if a != "--json"])  # the table for people: same outcome, no raw escapes
    assert t.exit_code == r.exit_code and "\x1b" not in t.stdout
    _check_ok(cli)
