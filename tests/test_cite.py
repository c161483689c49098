"""brief cite: each style on fixture briefs against exact strings; BibTeX/RIS parsed back."""

from __future__ import annotations

import json

import pytest

from conftest import write

# Briefs with known fields (imported, so that the added time, and with it the accessed date, is fixed).
RECORDS = [
    {"id": "kim0001", "title": "Kim Jong Un’s Recent Speech Should Remind the U.S. Not to Give Up Pressure",
     "authors": ["Mathew Ha", "Jane Q. Roe"], "date": "2019-04-17", "tags": ["North Korea", "Sanctions"],
     "type": "Policy Brief", "organization": "Foundation for the Defense of Democracies", "org_abbr": "FDD",
     "url": "https://www.fdd.org/analysis/2019/04/17/kim/", "added": "2024-05-01T10:00:00+00:00",
     "text": "Kim Jong Un's speech\n\nSanctions relief is what he wants."},
    {"id": "sotu014", "title": "State of the Union Address", "authors": ["Barack Obama"], "date": "2014-01-28",
     "type": "Speech", "added": "2024-05-02T10:00:00+00:00", "text": "Mr. Speaker, Mr. Vice President..."},
    {"id": "note001", "title": "Untitled note on tariffs & 50% duties", "added": "2024-05-03T10:00:00+00:00",
     "text": "A note with no author, no date, no type."},
]

EXPECTED = {
    "apa": [
        "Ha, M., & Roe, J. Q. (2019). Kim Jong Un’s Recent Speech Should Remind the U.S. Not to Give Up Pressure "
        "[Policy Brief]. Foundation for the Defense of Democracies. https://www.fdd.org/analysis/2019/04/17/kim/",
        "Obama, B. (2014, January 28). State of the Union Address [Speech].",
        "Untitled note on tariffs & 50% duties. (n.d.).",
    ],
    "chicago": [
        "Ha, Mathew, and Jane Q. Roe. 2019. Kim Jong Un’s Recent Speech Should Remind the U.S. Not to Give Up "
        "Pressure. Policy Brief. Foundation for the Defense of Democracies. "
        "https://www.fdd.org/analysis/2019/04/17/kim/.",
        "Obama, Barack. 2014. “State of the Union Address.” Speech. January 28.",
        "“Untitled Note on Tariffs & 50% Duties.” n.d.",
    ],
    "mla": [
        "Ha, Mathew, and Jane Q. Roe. Kim Jong Un’s Recent Speech Should Remind the U.S. Not to Give Up Pressure. "
        "Policy Brief. Foundation for the Defense of Democracies, 17 Apr. 2019, "
        "https://www.fdd.org/analysis/2019/04/17/kim/.",
        "Obama, Barack. “State of the Union Address.” Speech. 28 Jan. 2014.",
        "“Untitled Note on Tariffs & 50% Duties.” Accessed 3 May 2024.",
    ],
}

BIBTEX = """@techreport{ha2019kim,
  author = {Ha, Mathew and Roe, Jane Q.},
  title = {{Kim Jong Un’s Recent Speech Should Remind the U.S. Not to Give Up Pressure}},
  institution = {Foundation for the Defense of Democracies},
  type = {Policy Brief},
  year = {2019},
  month = apr,
  date = {2019-04-17},
  url = {https://www.fdd.org/analysis/2019/04/17/kim/},
  urldate = {2024-05-01},
  keywords = {North Korea, Sanctions},
}

@misc{obama2014state,
  author = {Obama, Barack},
  title = {{State of the Union Address}},
  type = {Speech},
  year = {2014},
  month = jan,
  date = {2014-01-28},
}

@misc{untitled,
  title = {{Untitled note on tariffs \\& 50\\% duties}},
}
"""

RIS = """TY  - RPRT
ID  - kim0001
AU  - Ha, Mathew
AU  - Roe, Jane Q.
TI  - Kim Jong Un’s Recent Speech Should Remind the U.S. Not to Give Up Pressure
PY  - 2019
DA  - 2019/04/17
PB  - Foundation for the Defense of Democracies
M3  - Policy Brief
UR  - https://www.fdd.org/analysis/2019/04/17/kim/
Y2  - 2024/05/01
KW  - North Korea
KW  - Sanctions
ER  - 

TY  - GEN
ID  - sotu014
AU  - Obama, Barack
TI  - State of the Union Address
PY  - 2014
DA  - 2014/01/28
M3  - Speech
ER  - 

TY  - GEN
ID  - note001
TI  - Untitled note on tariffs & 50% duties
ER  - 
"""


@pytest.fixture
def fixture_archive(cli, tmp_path):
    f = write(tmp_path / "records.jsonl", "".join(json.dumps(r) + "\n" for r in RECORDS))
    r = cli("import", f)
    assert r.exit_code == 0, r
    return [r["id"] for r in RECORDS]


@pytest.mark.parametrize("style", ["apa", "chicago", "mla"])
def test_prose_styles_exact(cli, fixture_archive, style):
    r = cli("cite", *fixture_archive, "--style", style)
    assert r.exit_code == 0, r
    assert r.stdout.splitlines() == EXPECTED[style]


def test_default_style_is_apa_and_order_is_as_given(cli, fixture_archive):
    r = cli("cite", "sotu", "kim0")
    assert r.stdout.splitlines() == [EXPECTED["apa"][1], EXPECTED["apa"][0]]


def test_bibtex_exact_and_parses_back(cli, fixture_archive):
    import bibtexparser

    r = cli("cite", *fixture_archive, "--style", "bibtex")
    assert r.exit_code == 0, r
    assert r.stdout == BIBTEX
    lib = bibtexparser.parse_string(r.stdout)
    assert not lib.failed_blocks
    by_key = {e.key: e for e in lib.entries}
    assert set(by_key) == {"ha2019kim", "obama2014state", "untitled"}
    kim = by_key["ha2019kim"]
    assert kim.entry_type == "techreport"
    assert kim.fields_dict["author"].value == "Ha, Mathew and Roe, Jane Q."
    assert kim.fields_dict["institution"].value == "Foundation for the Defense of Democracies"
    assert kim.fields_dict["url"].value == "https://www.fdd.org/analysis/2019/04/17/kim/"
    assert "institution" not in by_key["untitled"].fields_dict and "year" not in by_key["untitled"].fields_dict


def test_ris_exact_and_parses_back(cli, fixture_archive):
    import rispy

    r = cli("cite", *fixture_archive, "--style", "ris")
    assert r.exit_code == 0, r
    assert r.stdout == RIS
    entries = rispy.loads(r.stdout)
    assert [e["type_of_reference"] for e in entries] == ["RPRT", "GEN", "GEN"]
    assert entries[0]["authors"] == ["Ha, Mathew", "Roe, Jane Q."]
    assert entries[0]["publisher"] == "Foundation for the Defense of Democracies"
    assert entries[0]["urls"] == ["https://www.fdd.org/analysis/2019/04/17/kim/"]
    assert entries[0]["keywords"] == ["North Korea", "Sanctions"]
    assert "authors" not in entries[2] and "year" not in entries[2]


def test_csl_json_is_the_one_mapping(cli, fixture_archive):
    r = cli("cite", *fixture_archive, "--json")
    assert r.exit_code == 0, r
    items = r.json
    assert items[0] == {
        "id": "kim0001", "type": "report",
        "title": "Kim Jong Un’s Recent Speech Should Remind the U.S. Not to Give Up Pressure",
        "author": [{"family": "Ha", "given": "Mathew"}, {"family": "Roe", "given": "Jane Q."}],
        "publisher": "Foundation for the Defense of Democracies", "genre": "Policy Brief",
        "issued": {"date-parts": [[2019, 4, 17]]}, "URL": "https://www.fdd.org/analysis/2019/04/17/kim/",
        "accessed": {"date-parts": [[2024, 5, 1]]}, "keyword": "North Korea, Sanctions"}
    assert items[1]["type"] == "speech" and items[1]["event-date"] == {"date-parts": [[2014, 1, 28]]}
    # Nothing invented for the bare note: no author, date, publisher, genre or URL.
    assert set(items[2]) == {"id", "type", "title", "accessed"} and items[2]["type"] == "document"
    assert cli("cite", *fixture_archive, "--style", "csl-json").json == items


def test_unknown_ids_are_reported_and_the_others_cited(cli, fixture_archive):
    r = cli("cite", "kim0", "nosuch", "--style", "apa")
    assert r.exit_code == 1
    assert r.stdout.splitlines() == [EXPECTED["apa"][0]]
    assert "no brief with id 'nosuch'" in r.stderr
    r = cli("cite", "nosuch")
    assert r.exit_code == 2 and r.stdout == ""


def test_bad_style_is_one_line(cli, fixture_archive):
    r = cli("cite", "kim0", "--style", "harvard")
    assert r.exit_code == 2
    assert r.stderr.strip() == "Error: unknown citation style 'harvard' (choose apa, chicago, mla, bibtex, ris, csl-json)"


def test_url_from_front_matter_is_kept_and_cited(cli, tmp_path):
    f = write(tmp_path / "b.txt", "Title: Grain corridors\nAuthor: Ann Lee\nDate: 2023-07-01\n"
                                  "URL: https://example.org/grain\n\nThe Black Sea grain deal.\n")
    assert cli("add", f).exit_code == 0
    rec = json.loads(cli("export").stdout.splitlines()[0])
    assert rec["url"] == "https://example.org/grain"
    item = cli("cite", rec["id"], "--json").json[0]
    assert item["URL"] == "https://example.org/grain"


def test_names_split_into_family_and_given():
    from brieftool.cite import split_name

    assert split_name("Mathew Ha") == {"family": "Ha", "given": "Mathew"}
    assert split_name("Ha, Mathew") == {"family": "Ha", "given": "Mathew"}
    assert split_name("Martin Luther King Jr.") == {"family": "King", "given": "Martin Luther", "suffix": "Jr."}
    assert split_name("Ludwig van Beethoven") == {"family": "van Beethoven", "given": "Ludwig"}
    assert split_name("Congressional Research Service") == {"literal": "Congressional Research Service"}
    assert split_name("CRS") == {"literal": "CRS"}
    assert split_name("Madonna") == {"literal": "Madonna"}


def test_style_precedence_option_env_config(cli, fixture_archive, monkeypatch):
    assert cli("config", "set", "cite-style", "mla").exit_code == 0
    assert cli("cite", "sotu").stdout.strip() == EXPECTED["mla"][1]          # config file
    monkeypatch.setenv("BRIEF_CITE_STYLE", "chicago")
    assert cli("cite", "sotu").stdout.strip() == EXPECTED["chicago"][1]      # environment over config
    assert cli("cite", "sotu", "--style", "apa").stdout.strip() == EXPECTED["apa"][1]  # option over both
