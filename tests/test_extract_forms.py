"""Tests for the recognisers of brieftool.extract (issue 10): each real form of a brief's
metadata, the negative cases, and the resolver's rule when recognisers disagree."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from brieftool.extract import Candidate, Extracted, extract, gazetteer
from brieftool.extract.resolve import resolve

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "extract"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def read(name: str, **kw) -> Extracted:
    return extract(fixture(name), filename=name, **kw)


def brief(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs) + "\n"


# --------------------------------------------------------------------------- publishers' shapes

with open(FIXTURES / "truth.csv", newline="", encoding="utf-8") as _fh:
    TRUTH = list(csv.DictReader(_fh))


@pytest.mark.parametrize("row", TRUTH, ids=[r["file"] for r in TRUTH])
def test_publisher_fixture_fields(row):
    got = read(row["file"])
    f = got.fields
    title = f["title"].replace(":", "").replace("’", "'")
    assert " ".join(title.split()) == " ".join(row["title"].replace(":", "").split())
    assert f.get("date") == dt.date.fromisoformat(row["date"])
    assert f.get("authors", []) == [a.strip() for a in row["authors"].split(";") if a.strip()]
    assert f.get("organization") == row["organization"]
    assert f.get("type", "") == row["type"]


def test_rand_cover():
    got = read("rand_report.txt")
    assert got.fields["title"] == "Deterring Russian Aggression in the Baltic States: What It Takes to Win"
    assert got.sources["title"] == "first line"
    assert got.sources["type"] == "banner"  # RESEARCH REPORT: a banner, not the title
    assert got.sources["authors"] == "under title"
    assert got.sources["date"] == "header line"  # "Published March 14, 2023"


def test_passing_mention_of_another_employer_is_not_the_organization():
    got = read("brookings_commentary.txt")
    assert got.fields["organization"] == "Brookings Institution"
    assert got.sources["organization"] == "bio"
    assert "Georgetown" not in str(got.fields)
    # and a thank-you to another think tank in the body is not the publisher either
    assert read("rand_report.txt").fields["organization"] == "RAND Corporation"


def test_section_232_and_body_numbers_are_not_dates():
    got = read("cato_policy_analysis.txt")
    assert got.fields["date"] == dt.date(2019, 4, 2)  # from "April 2, 2019 | Number 861"
    assert got.sources["date"] == "header line"
    text = brief("Steel Tariffs and Jobs", "Section 232 of the Trade Expansion Act of 1962 applies.",
                 "In 2018, 1,234 plants and 25 percent tariffs; see 19 U.S.C. 1862 (2019).")
    assert "date" not in extract(text).fields


def test_byline_affiliation_is_the_organization_not_an_author():
    got = read("cato_policy_analysis.txt")
    assert got.fields["authors"] == ["Scott Lincicome"]
    assert got.fields["organization"] == "Cato Institute"


def test_heritage_number_date_line_and_banner():
    got = read("heritage_backgrounder.txt")
    assert got.fields["type"] == "Backgrounder"
    assert got.fields["title"] == "Reforming Federal Flood Insurance"
    assert got.fields["date"] == dt.date(2020, 1, 10)


def test_gao_cover():
    got = read("gao_report.txt")
    assert got.fields["organization"] == "Government Accountability Office"
    assert got.fields["org_abbr"] == "GAO"
    assert got.fields["date"] == dt.date(2021, 2, 1)  # "February 2021" on the cover
    assert "Report to Congressional Committees" not in got.fields["title"]
    assert "GAO-21-123" not in got.fields["title"]


def test_cbo_banner_gives_type_and_org():
    got = read("cbo_cost_estimate.txt")
    assert (got.fields["organization"], got.fields["type"]) == ("Congressional Budget Office", "Cost Estimate")
    assert got.fields["title"] == "H.R. 582, Raise the Wage Act"


def test_french_and_german_notes():
    fr = read("french_note_ifri.txt")
    assert fr.fields["authors"] == ["Marc Dubois", "Claire Martin"]
    assert fr.sources["authors"] == "byline"
    assert fr.fields["date"] == dt.date(2023, 4, 17)
    de = read("german_note_swp.txt")
    assert de.fields["authors"] == ["Anna Schmidt", "Jonas Weber"]
    assert de.fields["date"] == dt.date(2024, 3, 12)
    assert de.fields["title"] == "Die Zukunft der NATO-Ostflanke"  # not the series banner SWP-Aktuell


def test_memo_header():
    got = read("memo.txt")
    assert got.fields == {
        "title": "Revenue Effects of a Carbon Tax", "date": dt.date(2021, 3, 3), "authors": ["Jane Porter"],
        "type": "Memo", "organization": "Congressional Budget Office", "org_abbr": "CBO",
    }
    assert got.sources["title"] == got.sources["authors"] == got.sources["date"] == "memo"


def test_testimony_statement():
    got = read("testimony.txt")
    assert got.fields["authors"] == ["Laura Kim"]
    assert got.fields["organization"] == "Economic Policy Institute"
    assert got.fields["date"] == dt.date(2019, 4, 3)
    assert got.fields["type"] == "Testimony"
    assert got.fields["title"] == "The State of Rural Broadband"  # the quoted title line, without quotes
    assert got.sources["authors"] == "testimony"


def test_markdown_keys_and_last_first_names():
    got = read("zotero_last_first.md")
    assert got.fields["authors"] == ["Paul K. Kerr", "Anya L. Fink"]
    assert got.fields["date"] == dt.date(2024, 1, 9)  # 01/09/2024: U.S. order
    assert got.fields["type"] == "CRS Report"  # R45249 is a CRS report number
    assert got.sources["authors"] == "markdown keys"
    assert got.fields["title"] == "Nuclear Modernization and Arms Control"
    assert got.sources["title"] == "heading"


def test_markdown_table_rows_and_no_markdown_in_values():
    text = ("# **Farm Bill Primer**\n\n| **Author:** | Stubbs, Megan |\n| **Publication Date:** | 04/13/2026 |\n"
            "| **Topics:** | Agriculture, Food & Rural Policy; Social Welfare |\n\nBody.\n")
    got = extract(text)
    assert got.fields["title"] == "Farm Bill Primer"
    assert got.fields["authors"] == ["Megan Stubbs"]
    assert got.fields["date"] == dt.date(2026, 4, 13)
    assert got.fields["tags"] == ["Agriculture, Food & Rural Policy", "Social Welfare"]  # ";" splits first


def test_csis_keys_titles_and_suffixes():
    got = read("csis_critical_questions.md")
    assert got.fields["authors"] == ["Grace Chen", "Robert Alvarez Jr."]
    assert got.fields["type"] == "Commentary"  # "Critical Questions" is CSIS's name for a commentary
    assert got.fields["tags"] == ["Energy Security", "Asia", "Taiwan"]
    assert got.fields["org_abbr"] == "CSIS"


def test_wrapped_pdf_title_and_running_head():
    got = read("wrapped_pdf_title.txt")
    assert got.fields["title"] == ("Election Law and the Supreme Court in 2026: Pending Cases on Redistricting, "
                                   "Campaign Finance, and Mail-In Ballots")
    assert got.fields["type"] == "CRS Insight"  # INSIGHTi is a running head, not a title
    assert got.sources["date"] == "under title"


def test_posted_on_with_lowercase_by():
    got = read("web_posted_on.txt")
    assert got.fields["date"] == dt.date(2023, 9, 5)
    assert got.fields["authors"] == ["Ahmed Diallo"]
    assert got.sources["date"] == got.sources["authors"] == "header line"


def test_topics_line_at_the_end_of_a_long_brief():
    text = brief("A Title", *["A paragraph of prose about energy prices and households."] * 60,
                 "Keywords: energy prices | households | regulation")
    got = extract(text)
    assert got.fields["tags"] == ["energy prices", "households", "regulation"]
    assert got.sources["tags"] == "topics"


def test_uk_and_eu_briefings():
    uk = read("uk_commons_briefing.txt")
    assert uk.fields["tags"] == ["Energy", "Household finances", "Cost of living"]
    assert uk.sources["tags"] == "header line"  # a Topics: line in the head
    eu = read("eu_eprs_briefing.md")
    assert eu.fields["tags"] == ["raw materials", "supply chains", "industrial policy"]
    assert eu.fields["title"] == "The EU's Critical Raw Materials Act"  # the heading, not "BRIEFING"


# --------------------------------------------------------------------------- single forms


@pytest.mark.parametrize("lines, date", [
    (["Date: April 3, 2019"], dt.date(2019, 4, 3)),
    (["DATE: 2019-04-03"], dt.date(2019, 4, 3)),
    (["Publication date: 3 April 2019"], dt.date(2019, 4, 3)),
    (["Updated March 3, 2021"], dt.date(2021, 3, 3)),
    (["Released 17-Apr-2019"], dt.date(2019, 4, 17)),
    (["Published: Mon, 15 Apr 2019 10:00:00 GMT"], dt.date(2019, 4, 15)),
    (["Brookings Institution | Policy Brief | May 2, 2018"], dt.date(2018, 5, 2)),
    (["Publié le 17 avril 2019"], dt.date(2019, 4, 17)),
    (["Fecha: 17 de abril de 2019"], dt.date(2019, 4, 17)),
])
def test_header_line_dates_anywhere_in_the_head(lines, date):
    text = brief("A Title", "An opening paragraph that is prose.", *lines, "Body.")
    got = extract(text)
    assert got.fields["date"] == date
    assert got.sources["date"] == "header line"


@pytest.mark.parametrize("line", [
    "| Aug. 15, 1971 | President Nixon proclaimed a surcharge on imports. |",  # a table row of the body
    "The Act of April 3, 2019 changed this.",
    "Section 232 investigations | 2018",
    "Updated figures for 2019 are below.",
])
def test_not_header_lines(line):
    assert "date" not in extract(brief("A Title", "Prose first.", line, "Body.")).fields


def test_file_name_date_only_when_the_text_gives_none():
    got = extract("Remarks\n\nThank you all.\n", filename="2019-04-17_memo.txt")
    assert got.fields["date"] == dt.date(2019, 4, 17)
    assert got.sources["date"] == "file name"
    got = extract("Date: May 1, 2019\n\nBody.\n", filename="2019-04-17_memo.txt")
    assert got.fields["date"] == dt.date(2019, 5, 1)
    assert got.notes == []  # a file name date is too weak to be a disagreement worth a note
    assert "date" not in extract("Body.\n", filename="2019-13-45-x.txt").fields


def test_transcript_first_line():
    text = "President: George Washington\n\nBeloved Cherokees,\nMany years have passed since.\n"
    got = extract(text, filename="1796-08-29-talk-cherokee-nation.txt")
    assert got.fields == {"authors": ["George Washington"], "type": "Speech", "title": "talk cherokee nation",
                          "date": dt.date(1796, 8, 29)}
    assert got.sources == {"authors": "transcript", "type": "transcript", "title": "file name", "date": "file name"}


@pytest.mark.parametrize("banner", ["MEMORANDUM", "BACKGROUNDER", "RESEARCH REPORT", "POLICY BRIEF", "Legal Sidebari",
                                    "IF10753", "GAO-21-123", "Center for Strategic and International Studies",
                                    "Fellow-Citizens of the Senate and House of Representatives:",
                                    "To the Congress of the United States:"])
def test_banner_is_not_the_title(banner):
    got = extract(brief(banner, "The Real Title", "Body text of the brief, in prose."))
    assert got.fields["title"] == "The Real Title"


def test_banner_evidence():
    assert extract(brief("POLICY BRIEF", "T", "Body.")).fields["type"] == "Policy Brief"
    got = extract(brief("GAO-21-123", "T", "Body."))
    assert got.fields["organization"] == "Government Accountability Office"
    got = extract(brief("IF10753", "T", "Body."))
    assert (got.fields["organization"], got.fields["type"]) == ("Congressional Research Service", "CRS In Focus")


@pytest.mark.parametrize("line, authors", [
    ("By Ana Lima, Tom Wei and Sara Okafor", ["Ana Lima", "Tom Wei", "Sara Okafor"]),
    ("By Dr. Ana Lima, PhD", ["Ana Lima"]),
    ("Par Marc Dubois et Claire Martin", ["Marc Dubois", "Claire Martin"]),
    ("Von Anna Schmidt und Jonas Weber", ["Anna Schmidt", "Jonas Weber"]),
    ("By Jane Doe (CSIS) and John Roe (RAND)", ["Jane Doe", "John Roe"]),
])
def test_byline_forms(line, authors):
    assert extract(brief("A Title", line, "Body.")).fields["authors"] == authors


def test_name_list_under_the_title_but_not_a_title_case_subtitle():
    got = extract(brief("A Title", "Ana Lima, Tom Wei and Sara Okafor", "Body."))
    assert got.fields["authors"] == ["Ana Lima", "Tom Wei", "Sara Okafor"]
    got = extract(brief("A Title", "Trade Policy Options", "Body."))
    assert "authors" not in got.fields


def test_organization_from_copyright_line_and_user_vocabulary():
    got = extract(brief("A Title", "Body.", "© 2021 The Brookings Institution"))
    assert got.fields["organization"] == "Brookings Institution"
    assert got.sources["organization"] == "organizations"
    vocab = ["org: Institute for Local Things (ILT)", "Industrial Policy"]
    got = extract(brief("A Title", "Body.", "Copyright 2022 Institute for Local Things"), vocabulary=vocab)
    assert got.fields["organization"] == "Institute for Local Things"
    assert got.fields["org_abbr"] == "ILT"


def test_gazetteer_folds_the_and_case():
    assert gazetteer.org_named("the brookings institution").name == "Brookings Institution"
    assert gazetteer.org_named("THE HERITAGE FOUNDATION").name == "Heritage Foundation"
    assert gazetteer.org_named("Heritage") is None  # a one-word variant that is a common word is not listed
    assert gazetteer.type_named("CRS In Focus") == "In Focus"
    assert len(list(gazetteer._builtin_orgs().names)) > 300


# --------------------------------------------------------------------------- hints


def test_hints_are_weak_evidence_and_junk_is_refused():
    meta = {"format": "pdf", "title": "Microsoft Word - draft3.docx", "authors": ["Administrator"],
            "date": "2019-04-17", "organization": "RAND"}
    got = extract("", hints=meta)
    # no junk title or author; a PDF's own date is when the file was made, not published: not used
    assert got.fields == {"organization": "RAND Corporation", "org_abbr": "RAND"}
    assert got.sources["organization"] == "pdf info"
    got = extract("", hints={"format": "pdf", "title": "ENERGY STAR Program", "authors": ["Corrie E. Clark, Ana Lima"]})
    assert got.fields == {"title": "ENERGY STAR Program", "authors": ["Corrie E. Clark", "Ana Lima"]}
    got = extract("", hints={"format": "html", "date": "2019-04-17T10:00:00Z"})
    assert got.fields == {"date": dt.date(2019, 4, 17)} and got.sources == {"date": "html meta"}
    got = extract("Date: May 1, 2020\n\nThe Title\n\nBody.\n", hints={"format": "html", "title": "Other",
                                                                      "date": "2019-04-17", "authors": ["Ana Lima"]})
    assert got.fields["date"] == dt.date(2020, 5, 1)  # the text wins
    assert got.fields["title"] == "The Title"
    assert got.fields["authors"] == ["Ana Lima"] and got.sources["authors"] == "html meta"


def test_a_labelled_date_in_a_free_text_field_is_weak_date_evidence():
    got = extract("", hints={"format": "pdf", "keywords": "energy; Publication Date: 2020-03-04; grid"})
    assert got.fields == {"date": dt.date(2020, 3, 4)} and got.sources == {"date": "pdf info"}
    got = extract("", hints={"format": "docx", "subject": "Date: 17 avril 2019"})
    assert got.fields == {"date": dt.date(2019, 4, 17)} and got.sources == {"date": "docx properties"}
    # the file name's date and the text's dates both win over it
    got = extract("", filename="2021-06-01-memo.txt", hints={"format": "pdf", "keywords": "Cover Date: April 20, 2026"})
    assert got.fields["date"] == dt.date(2021, 6, 1)
    for field in ("2019", "April 20, 2026", "Energy, April 20, 2026", "Creation Date: April 20, 2026",
                  "Last Updated: April 20, 2026", "Date: 2019", "Date: 04-2026", "Mandate: April 20, 2026"):
        assert "date" not in extract("", hints={"format": "pdf", "keywords": field, "subject": field}).fields, field


# --------------------------------------------------------------------------- resolver


def test_resolver_prefers_confidence_then_the_earliest():
    c = [Candidate("title", "Loose", "first line", 0.3, 0), Candidate("title", "Keyed", "markdown keys", 0.9, 50),
         Candidate("date", dt.date(2020, 1, 1), "header line", 0.85, 100),
         Candidate("date", dt.date(2020, 2, 2), "memo", 0.85, 10)]
    out = resolve(c, Extracted())
    assert out.fields == {"title": "Keyed", "date": dt.date(2020, 2, 2)}
    assert out.sources == {"title": "markdown keys", "date": "memo"}
    assert out.notes == ["date 2020-01-01 (header line) disagrees with 2020-02-02 (memo); kept 2020-02-02"]


def test_resolver_abbreviation_goes_with_its_organization():
    c = [Candidate("organization", "Brookings Institution", "bio", 0.6, 10),
         Candidate("organization", "RAND Corporation", "banner", 0.7, 0, (("org_abbr", "RAND"),))]
    assert resolve(c, Extracted()).fields == {"organization": "RAND Corporation", "org_abbr": "RAND"}
    c = [Candidate("organization", "Brookings Institution", "byline", 0.8, 10),
         Candidate("organization", "RAND Corporation", "banner", 0.7, 0, (("org_abbr", "RAND"),))]
    assert resolve(c, Extracted()).fields == {"organization": "Brookings Institution"}


def test_disagreeing_dates_in_a_text_keep_the_stronger_and_say_so():
    text = "Date: April 3, 2019\n\nA Title\n\nUpdated May 5, 2020\n\nBody.\n"
    got = extract(text)
    assert got.fields["date"] == dt.date(2019, 4, 3)
    assert got.sources["date"] == "front matter"
    assert any("2020-05-05" in n for n in got.notes)


def test_author_notes_at_the_end_of_a_pdf():
    body = "\n\n".join(["A paragraph of the report's prose about energy programs."] * 5)
    text = (f"ENERGY STAR Program\n\n{body}\n\nCorrie E. Clark, Specialist in Energy Policy\nEbrima M'Bai, U.S. Army Fellow\n"
            "Christopher A. Casey, Analyst in International Trade and Christopher T. Zirpoli, Legislative Attorney\n"
            "\nIF10753\n")
    got = extract(text)
    assert got.fields["authors"] == ["Corrie E. Clark", "Ebrima M'Bai", "Christopher A. Casey", "Christopher T. Zirpoli"]
    assert got.sources["authors"] == "author note"
    assert (got.fields["type"], got.fields["organization"]) == ("CRS In Focus", "Congressional Research Service")
    text = (f"Legal Sidebari\n\nA Title\n\n{body}\n\nAuthor Information\n\nApril J. Anderson Abigail A. Graber\n"
            "Legislative Attorney Legislative Attorney\n\nDisclaimer\n\nThis document was prepared by the "
            "Congressional Research Service (CRS).\n")
    got = extract(text)
    assert got.fields["authors"] == ["April J. Anderson", "Abigail A. Graber"]
    assert got.fields["type"] == "CRS Legal Sidebar"


def test_a_name_and_role_in_the_prose_is_not_an_author_note():
    text = "A Title\n\n" + "Prose.\n\n" * 5 + "The panel heard from Jane Doe, Director of the agency, in May.\n"
    assert "authors" not in extract(text).fields


def test_a_figure_source_url_in_the_head_is_not_the_publisher():
    text = brief("A Title", "Prose first.", "Source: https://www.gao.gov/products/gao-21-123", "Body.")
    got = extract(text)
    assert "organization" not in got.fields and "source_url" not in got.fields


def test_a_colon_line_inside_the_text_is_not_a_speech():
    text = brief("Tariff Options", "An opening paragraph of prose.", "Members of Congress have asked three questions:",
                 "First, ...")
    assert "type" not in extract(text).fields
