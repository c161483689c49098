"""Accents and case: folded in the index and in queries (text, titles, authors, organizations,
tags), names shown as written; one author or organization however it is spelled; an archive of
the older format says to run `brief reindex`."""

from __future__ import annotations

import json

import pytest

from conftest import write

BRIEFS = {
    "regime": """Title: Le régime des sanctions
Author: José Pérez
Tags: Sécurité
Organization: The Brookings Institution

Le régime des sanctions contre l'Iran. Müller a écrit sur la Straße.
""",
    "plain": """Title: Regime change and its critics
Author: Jose Perez
Tags: securite
Organization: Brookings Institution

A regime that falls is not always replaced by a better one.
""",
    "comma": """Title: Notes from Łódź
Organization: Cato Institute

Notes written in Łódź about Mueller and Muller.
""",
    "muller": """Title: Trade memo
Author: Anna Müller

Nothing about the other topics here.
""",
}


@pytest.fixture
def fx(tmp_path, cli):
    paths = [write(tmp_path / "in" / f"{k}.txt", v) for k, v in BRIEFS.items()]
    r = cli("add", *[p for p in paths if p.stem != "comma"], "--json")
    assert r.exit_code == 0, r
    ids = {p.stem: x["id"] for p, x in zip([p for p in paths if p.stem != "comma"], r.json)}
    r = cli("add", paths[2], "--author", "Pérez, José", "--json")  # "Last, First", as a library catalogue has it
    assert r.exit_code == 0, r
    ids["comma"] = r.json[0]["id"]
    return ids


def found(cli, fx, *args) -> set[str]:
    r = cli("search", *args, "--limit", "0", "--json")
    assert r.exit_code == 0, r
    by_id = {v: k for k, v in fx.items()}
    return {by_id[x["id"]] for x in r.json}


def test_words_match_with_or_without_accents(cli, fx):
    assert found(cli, fx, "regime") == {"regime", "plain"}
    assert found(cli, fx, "régime") == {"regime", "plain"}
    assert found(cli, fx, "RÉGIME") == {"regime", "plain"}
    assert found(cli, fx, "lodz") == {"comma"}
    assert found(cli, fx, "strasse") == {"regime"}
    assert found(cli, fx, "title:regime") == {"regime", "plain"}
    assert found(cli, fx, "régi*") == {"regime", "plain"}
    assert found(cli, fx, "re\u0301gime") == {"regime", "plain"}  # typed decomposed (NFD)


def test_names_match_with_or_without_accents(cli, fx):
    assert found(cli, fx, "author:muller") == {"muller"}
    assert found(cli, fx, "author:Müller") == {"muller"}
    assert found(cli, fx, "author:perez") == {"regime", "plain", "comma"}
    assert found(cli, fx, 'author:"jose perez"') == {"regime", "plain"}
    assert found(cli, fx, "tag:securite") == {"regime", "plain"}
    assert found(cli, fx, "tag:Sécurité") == {"regime", "plain"}
    assert found(cli, fx, 'org:"the brookings institution"') == {"regime", "plain"}
    assert found(cli, fx, 'org:"brookings institution"') == {"regime", "plain"}
    r = cli("list", "--author", "perez", "--org", "brookings", "--format", "ids")
    assert set(r.stdout.split()) == {fx["regime"], fx["plain"]}


def test_names_are_shown_as_written(cli, fx):
    rec = cli("show", fx["regime"], "--json").json
    assert rec["authors"] == ["José Pérez"] and rec["tags"] == ["Sécurité"]
    assert rec["organization"] == "The Brookings Institution"
    assert rec["title"] == "Le régime des sanctions"


def test_authors_and_orgs_count_spellings_once(cli, fx):
    rows = cli("authors", "--json").json
    counts = {(r["name"] if isinstance(r, dict) else r[0]): (r["count"] if isinstance(r, dict) else r[1])
              for r in rows}
    perez = [k for k in counts if "rez" in k]
    assert len(perez) == 1 and counts[perez[0]] == 3, rows
    orgs = cli("orgs", "--json").json
    names = [(r["name"] if isinstance(r, dict) else r[0]) for r in orgs]
    brookings = [n for n in names if "Brookings" in n]
    assert len(brookings) == 1, orgs
    facets = cli("search", "regime", "--facets", "--json").json["facets"]
    assert [x["count"] for x in facets["authors"]] == [2]
    assert [x["count"] for x in facets["organizations"]] == [2]
    assert [x["count"] for x in facets["tags"]] == [2]


def test_older_format_says_to_reindex_then_works(cli, fx, archive_dir):
    meta = archive_dir / "brief.json"
    info = json.loads(meta.read_text())
    info["format"] = 1
    meta.write_text(json.dumps(info))
    r = cli("search", "regime")
    assert r.exit_code == 1 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "format 1" in lines[0] and "reindex" in lines[0], r
    assert cli("export").exit_code == 0  # the data can still be taken out
    r = cli("reindex")
    assert r.exit_code == 0, r
    assert json.loads(meta.read_text())["format"] >= 2
    assert found(cli, fx, "regime") == {"regime", "plain"}
