"""The query language: every syntax form on a small archive with known answers (which ids, in
which order), and every malformed query (one line, what and where, exit status 2)."""

from __future__ import annotations

import pytest

from conftest import write

# Seven briefs with known fields. Bodies are written so that each query below has one answer.
BRIEFS = {
    "iran": """Title: Sanctions relief and its discontents
Author: Jane Roe
Date: 2019-04-17
Tags: Iran; Sanctions
Type: Policy Brief
Organization: Foundation for Defense of Democracies (FDD)

Sanctions relief for Iran was granted in exchange for limits on enrichment. Critics argue the
relief came too early and that maximum pressure should have continued.
""",
    "nk": """Title: Maximum pressure on Pyongyang
Author: Mathew Ha
Date: 2019-03-02
Tags: North Korea; Sanctions
Type: Policy Brief
Organization: Foundation for Defense of Democracies (FDD)

The maximum pressure campaign combined economic sanctions with diplomatic isolation. Kim seeks
sanctions relief without denuclearization.
""",
    "nk2020": """Title: Kim's summitry in 2020
Authors: Mathew Ha, John Doe
Date: 2020-01-15
Tags: North Korea; Diplomacy
Type: Analysis
Organization: Brookings Institution

Summit diplomacy stalled. Negotiators in Pyongyang and Washington traded accusations.
""",
    "trade": """Title: Tariffs and the trade deficit
Author: Jane Roe
Date: 2018-11-20
Tags: Trade
Type: Memo
Organization: Cato Institute

Tariffs raised prices for consumers while the trade deficit widened. Sanctions are not tariffs.
""",
    "climate": """Title: Adapting coastal cities to rising seas
Author: Ana Lima
Date: 2021-06-01
Tags: Climate
Type: Policy Brief
Organization: Brookings Institution

Coastal cities face rising seas. Adaptation funding remains scarce.
""",
    "venezuela": """Title: Oil, sanctions and Caracas
Author: Ana Lima
Date: 2019-12-31
Tags: Venezuela; Sanctions
Type: Analysis
Organization: Cato Institute

Sanctions on the oil sector of Venezuela cut exports to a trickle.
""",
    "draft": """Title: Draft notes on sanctioning regimes
Tags: Draft

Notes about sanctioning regimes, to be finished.
""",
}


@pytest.fixture
def fx(tmp_path, cli):
    """The seven briefs in a fresh archive; returns {name: id}."""
    paths = [write(tmp_path / "in" / f"{name}.txt", text) for name, text in BRIEFS.items()]
    r = cli("add", *paths, "--json")
    assert r.exit_code == 0, r
    ids = {p.stem: x["id"] for p, x in zip(paths, r.json)}
    assert len(set(ids.values())) == len(BRIEFS)
    return ids


def names(fx, rows) -> list[str]:
    by_id = {v: k for k, v in fx.items()}
    return [by_id[r["id"]] for r in rows]


def found(cli, fx, query, *opts) -> list[str]:
    """The briefs a search finds, by fixture name, in the order shown. (``--`` lets a query
    start with ``-``, as on the command line.)"""
    r = cli("search", *opts, "--limit", "0", "--json", "--", query)
    assert r.exit_code == 0, r
    return names(fx, r.json)


# -- the fixture is what the tests assume --------------------------------------------------------------
def test_fixture_fields(cli, fx):
    rec = cli("show", fx["nk2020"], "--json").json
    assert rec["authors"] == ["Mathew Ha", "John Doe"] and rec["date"] == "2020-01-15"
    assert rec["type"] == "Analysis" and rec["organization"] == "Brookings Institution"
    assert cli("show", fx["draft"], "--json").json["date"] is None


# -- words, phrases, stemming -----------------------------------------------------------------------
def test_words_all_of_them(cli, fx):
    assert found(cli, fx, "sanctions relief", "--sort", "date") == ["iran", "nk"]
    assert found(cli, fx, "SANCTIONS Relief", "--sort", "date") == ["iran", "nk"]


def test_stemming(cli, fx):
    # sanction = sanctions = sanctioning
    assert found(cli, fx, "sanction", "--sort", "title") == ["draft", "nk", "venezuela", "iran", "trade"]


def test_phrase_in_order_title_ranked_first(cli, fx):
    assert found(cli, fx, '"maximum pressure"') == ["nk", "iran"]  # title match first
    assert found(cli, fx, '"pressure maximum"') == []


def test_typographic_quotes_are_quotes(cli, fx):
    assert found(cli, fx, "\u201cmaximum pressure\u201d") == ["nk", "iran"]


# -- fields -----------------------------------------------------------------------------------------
FIELD_VALUES = [
    ('tag:"North Korea"', ["nk2020", "nk"]),
    ('TAG:"north korea"', ["nk2020", "nk"]),
    ("tag:iran", ["iran"]),
    ("tags:IRAN", ["iran"]),
    ("author:ha", ["nk2020", "nk"]),
    ('author:"mathew ha"', ["nk2020", "nk"]),
    ("Author:DOE", ["nk2020"]),
    ("author:roe", ["iran", "trade"]),
    ("title:kim", ["nk2020"]),
    ("title:pressure", ["nk"]),  # iran has the word in its body only
    ("body:pressure", ["iran", "nk"]),
    ('type:"policy brief"', ["climate", "iran", "nk"]),
    ("type:analysis", ["nk2020", "venezuela"]),
    ("org:fdd", ["iran", "nk"]),
    ("org:brookings", ["climate", "nk2020"]),
    ('org:"cato institute"', ["venezuela", "trade"]),
    ('ORG:"Foundation for Defense of Democracies"', ["iran", "nk"]),
]


@pytest.mark.parametrize("query, expected", FIELD_VALUES)
def test_field_values(cli, fx, query, expected):
    assert found(cli, fx, query, "--sort", "date") == expected


def test_id_field_takes_a_prefix(cli, fx):
    assert found(cli, fx, f"id:{fx['trade'][:4]}") == ["trade"]
    assert found(cli, fx, f"ID:{fx['trade'].upper()}") == ["trade"]


# -- dates ------------------------------------------------------------------------------------------
DATE_QUERIES = [
    ("date:2019", ["venezuela", "iran", "nk"]),
    ("date:2019-04", ["iran"]),
    ("date:2019-4", ["iran"]),
    ("date:2019-04-17", ["iran"]),
    ('date:"April 17, 2019"', ["iran"]),
    ("date:2019..2020", ["nk2020", "venezuela", "iran", "nk"]),
    ("date:2019-12..", ["climate", "nk2020", "venezuela"]),
    ("date:..2019-03", ["nk", "trade"]),
    ("date:2019-03-02..2019-04-17", ["iran", "nk"]),  # both ends inclusive
    ("date:2019-12-31..2019-12-31", ["venezuela"]),
]


@pytest.mark.parametrize("query, expected", DATE_QUERIES)
def test_dates_are_whole_periods(cli, fx, query, expected):
    assert found(cli, fx, query, "--sort", "date") == expected


def test_date_query_equals_since_until_options(cli, fx):
    assert (found(cli, fx, "sanctions date:2019-04..2019", "--sort", "date")
            == found(cli, fx, "sanctions", "--since", "2019-04", "--until", "2019", "--sort", "date")
            == ["venezuela", "iran"])


# -- booleans, exclusion, grouping ------------------------------------------------------------------
BOOLEANS = [
    ("tariffs OR enrichment", ["iran", "trade"]),
    ("sanctions AND tariffs", ["trade"]),
    ("sanctions NOT relief", ["draft", "venezuela", "trade"]),
    ("sanctions -relief", ["draft", "venezuela", "trade"]),
    ("sanctions -tag:draft -tag:trade", ["nk", "venezuela", "iran"]),
    ('sanctions -tag:"north korea"', ["draft", "venezuela", "iran", "trade"]),
    ("NOT sanctions", ["climate", "nk2020"]),
    ("-sanctions -seas", ["nk2020"]),
    ("(iran OR venezuela) sanctions", ["venezuela", "iran"]),
    ("sanctions iran OR venezuela", ["venezuela", "iran"]),  # OR binds tighter than a space
    ("(tag:iran OR tag:trade) author:roe", ["iran", "trade"]),
    ("tag:sanctions (date:2019-04 OR date:2019-12)", ["venezuela", "iran"]),
    ("pyongyang AND (kim OR accusations) NOT tag:sanctions", ["nk2020"]),
    ("and", []),  # a lowercase and is a word (a stop word: nothing to find)
]


@pytest.mark.parametrize("query, expected", BOOLEANS)
def test_booleans(cli, fx, query, expected):
    assert found(cli, fx, query, "--sort", "title") == expected


# -- prefix and near spellings ----------------------------------------------------------------------
PREFIX_AND_FUZZY = [
    ("summ*", ["nk2020"]),  # summitry, summit
    ("sanctions*", ["draft", "nk", "venezuela", "iran", "trade"]),  # sanctions* = sanction*
    ("negotiat*", ["nk2020"]),  # Negotiators: stem "negoti", shorter than the prefix
    ("diplomati*", ["nk"]),  # diplomatic (stem "diplomat"), not diplomacy
    ("tag:north*", ["nk2020", "nk"]),
    ("title:adapt*", ["climate"]),
    ("author:mat*", ["nk2020", "nk"]),
    ("tarifs~", ["trade"]),
    ("pyongyng~", ["nk2020", "nk"]),
    ("sanctons~", ["draft", "nk", "venezuela", "iran", "trade"]),
    ("diplomcy~1", ["nk2020"]),  # diplomacy
    ("diplomcy~2", ["nk", "nk2020"]),  # diplomacy, diplomatic
    ("author:mathw~", ["nk2020", "nk"]),
    ("tag:venezuelo~", ["venezuela"]),
]


@pytest.mark.parametrize("query, expected", PREFIX_AND_FUZZY)
def test_prefix_and_fuzzy(cli, fx, query, expected):
    got = found(cli, fx, query, "--sort", "title")
    assert got == sorted(expected, key=lambda n: BRIEFS[n].split("\n", 1)[0][7:].casefold())


# -- the options are ANDed with the query -----------------------------------------------------------
WITH_OPTIONS = [  # (query, options, the briefs found)
    ("sanctions", ("--tag", "iran"), ["iran"]),
    ("date:2019", ("--author", "roe"), ["iran"]),
    ("tag:sanctions", ("--org", "cato"), ["venezuela"]),
    ("sanctions", ("--type", "analysis"), ["venezuela"]),
    ("tag:iran", ("--since", "2020"), []),
]


def test_options_and_query_combined(cli, fx):
    for query, opts, expected in WITH_OPTIONS:
        assert found(cli, fx, query, *opts) == expected, (query, opts)


def test_list_query_filters_with_the_same_syntax(cli, fx):
    r = cli("list", "--query", "tag:sanctions -tag:iran", "--json")
    assert r.exit_code == 0, r
    assert names(fx, r.json) == ["venezuela", "nk"]
    assert names(fx, cli("list", "-q", "date:2019..", "--type", "analysis", "--json").json) == ["nk2020", "venezuela"]
    assert names(fx, cli("list", "-q", "sanctions relief", "--sort", "title", "--json").json) == ["nk", "iran"]
    t = cli("list", "--query", "author:lima")
    assert t.stdout.startswith("2 briefs") and "Oil, sanctions and Caracas" in t.stdout


# -- malformed queries: one line, what and where, exit 2 --------------------------------------------
MALFORMED = [
    ('"maximum pressure', 'unclosed quote at column 1'),
    ('sanctions tag:"north korea', "unclosed quote at column 15"),
    ("(iran OR venezuela sanctions", "unclosed '(' at column 1"),
    ("iran) sanctions", "unmatched ')' at column 5"),
    ("iran ()", "empty parentheses at column 6"),
    ("auther:ha", "unknown field 'auther' at column 1 (known fields: author, body, date, id, org, tag, title, type)"),
    ("sanctions date:2019-13", "impossible date '2019-13' in date:2019-13 at column 11"),
    ("date:2019-02-30", "impossible date '2019-02-30'"),
    ("date:2020..2019", "date range '2020..2019' is empty (2020 is after 2019) at column 1"),
    ("date:..", "date range '..' needs a start, an end or both"),
    ("date:someday", "cannot read 'someday' as a date"),
    ("tag:", "empty value for tag: at column 1"),
    ('iran tag:""', "empty value for tag: at column 6"),
    ("author: ha", "empty value for author: at column 1"),
    ("iran AND", "AND needs a term after it at column 6"),
    ("OR iran", "OR needs a term before it at column 1"),
    ("iran OR OR venezuela", "OR needs a term after it at column 6"),
    ("iran NOT", "NOT needs a term after it at column 6"),
    ("sa*ctions", "a wildcard * can only end a word at column 3"),
    ("*", "a wildcard * needs letters before it at column 1"),
    ("date:2019*", "date: takes a date or a range like 2019..2020"),
    ("kim~3", "the edit distance must be 1 or 2"),
]


@pytest.mark.parametrize("query, message", MALFORMED)
def test_malformed_query_is_one_clear_line(cli, fx, query, message):
    r = cli("search", query)
    assert r.exit_code == 2, r
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith("Error: bad query: ") and message in r.stderr


@pytest.mark.parametrize("query, message", MALFORMED[:6])
def test_malformed_list_query_and_no_archive_needed(cli, query, message):
    # the query is checked before the archive is opened (there is none here)
    r = cli("list", "--query", query)
    assert r.exit_code == 2 and message in r.stderr and r.stderr.count("\n") == 1


def test_malformed_query_through_real_entry_point(brief_exe):
    r = brief_exe("search", "auther:ha")
    assert r.exit_code == 2 and r.stdout == "" and r.stderr.strip() == (
        "Error: bad query: unknown field 'auther' at column 1 "
        "(known fields: author, body, date, id, org, tag, title, type)")


# -- the parser as a library ------------------------------------------------------------------------
def W(node) -> str:
    """A query tree as the Whoosh engine compiles it."""
    from brieftool.engine.whoosh_query import compile_query

    return str(compile_query(node))


def test_parse_words_and_fallback():
    from brieftool.query import parse

    p = parse("sanctions relief")
    assert W(p.query) == "((title:sanction^0.1 OR body:sanction) AND (title:relief^0.1 OR body:relief))"
    assert W(p.fallback) == "((title:sanction^0.1 OR body:sanction) OR (title:relief^0.1 OR body:relief))"
    assert p.words == ["sanctions", "relief"] and p.spans == [(0, 9), (10, 16)]
    # field terms and exclusions stay required in the any-word fallback
    p = parse("tag:iran sanctions relief -draft")
    assert W(p.fallback) == ("(tag:iran AND NOT (title:draft^0.1 OR body:draft) AND "
                               "((title:sanction^0.1 OR body:sanction) OR (title:relief^0.1 OR body:relief)))")
    assert parse("sanctions").fallback is None and parse("tag:iran").fallback is None


def test_parse_question_words_left_out():
    from brieftool.query import parse

    p = parse("how does north korea evade sanctions")
    assert p.content_words == 4
    assert "how" not in W(p.query) and "doe" not in W(p.query)
    assert p.words == ["how", "does", "north", "korea", "evade", "sanctions"]
    # a query of question words only keeps them
    assert W(parse("who").query) == "(title:who^0.1 OR body:who)"
    # and a phrase keeps every word
    assert W(parse('"how to"').query) == "(title:how^0.1 OR body:how)"


def test_parse_only_stop_words_finds_nothing(cli, fx):
    from whoosh import query as Q

    from brieftool.query import parse

    from brieftool.engine.whoosh_query import compile_query

    assert compile_query(parse("the of").query) is Q.NullQuery
    assert found(cli, fx, "the of") == []


def test_filters_keeps_its_interface():
    from brieftool.query import filters, parse_period

    assert filters() is None
    q = filters(tags=["North  Korea"], author="Ha", since="2019", until="2019", type="Policy Brief", org="FDD")
    s = W(q)
    assert "tag:north korea" in s and "author:ha" in s and "type:policy brief" in s and "org:fdd" in s
    assert W(filters(query="tag:iran")) == "tag:iran"
    import datetime as dt

    assert parse_period("2019-02") == (dt.date(2019, 2, 1), dt.date(2019, 3, 1))
