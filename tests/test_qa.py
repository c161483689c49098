"""Fresh-eyes checks: what a new user hits walking through the README (one test per defect found)."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import write


def test_summaries_after_a_file_name_that_is_not_utf8(cli, tmp_path):
    """A brief whose file name is not UTF-8 (kept surrogate-escaped) must not break the side data
    that stats/tags/authors/orgs and re-adding a folder read."""
    folder = tmp_path / "in"
    folder.mkdir()
    odd = os.fsencode(folder) + b"/caf\xe9-note.txt"
    with open(odd, "wb") as f:
        f.write(b"Cafe subsidies\n\nBy Jean Dupont\n\nTags: Coffee\n\nA note on cafe subsidies.\n")
    write(folder / "plain.txt", "Tea tariffs\n\nBy Ann Lee\n\nTags: Tea\n\nA note on tea tariffs.\n")
    r = cli("add", folder)
    assert r.exit_code == 0, r
    r = cli("stats", "--json")
    assert r.exit_code == 0, r
    assert r.json["briefs"] == 2
    r = cli("authors", "--json")
    assert r.exit_code == 0, r
    assert sorted(a["name"] for a in r.json) == ["Ann Lee", "Jean Dupont"]
    # the source map (side data) must keep the odd name exactly: re-adding reads nothing again
    r = cli("add", folder, "--json")
    assert r.exit_code == 0, r
    assert sorted(x["status"] for x in r.json) == ["unchanged", "unchanged"]
    assert not [p for p in (Path(os.environ["BRIEF_INDEX"]) / ".side").iterdir() if p.name.endswith(".tmp")]
