"""The README's command reference is generated from `--help` and must match it.

Regenerate after changing a command:  BRIEF_UPDATE_README=1 python -m pytest tests/test_readme.py
"""

from __future__ import annotations

import os
import re

from typer.testing import CliRunner

from conftest import ROOT

START = "<!-- cli-reference:start (generated from --help by tests/test_readme.py) -->"
END = "<!-- cli-reference:end -->"


def _commands():
    from typer.main import get_command

    from brieftool.cli import app

    group = get_command(app)
    return group, sorted(group.commands)


def render_reference() -> str:
    from brieftool.cli import app

    runner = CliRunner()
    group, names = _commands()
    parts = []
    env = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    out = runner.invoke(app, ["--help"], env=env, prog_name="brief").stdout
    parts.append("### brief\n\n```text\n" + out.rstrip() + "\n```\n")
    for name in names:
        out = runner.invoke(app, [name, "--help"], env=env, prog_name="brief").stdout
        parts.append(f"### brief {name}\n\n```text\n" + out.rstrip() + "\n```\n")
    return "\n".join(parts)


def test_readme_reference_matches_help():
    readme = (ROOT / "README.md").read_text("utf-8")
    assert START in readme and END in readme, "README lacks the command reference markers"
    current = readme[readme.index(START) + len(START):readme.index(END)].strip("\n")
    expected = render_reference().strip("\n")
    if os.environ.get("BRIEF_UPDATE_README") and current != expected:
        new = readme[:readme.index(START) + len(START)] + "\n" + expected + "\n" + readme[readme.index(END):]
        (ROOT / "README.md").write_text(new, "utf-8")
        current = expected
    assert current == expected, "README command reference is stale: BRIEF_UPDATE_README=1 python -m pytest tests/test_readme.py"


def test_every_command_has_an_example_in_readme():
    readme = (ROOT / "README.md").read_text("utf-8")
    body = readme[:readme.index(START)] if START in readme else readme
    _, names = _commands()
    missing = [n for n in names if not re.search(rf"brief (--index \S+ )?{re.escape(n)}\b", body)]
    assert not missing, f"commands without an example in the README: {missing}"


def test_man_page_matches_help():
    """man/brief.1 is generated from the same help text (brief man); the same command as the
    README's reference regenerates it: BRIEF_UPDATE_README=1 python -m pytest tests/test_readme.py"""
    from brieftool.manpage import manpage

    path = ROOT / "man" / "brief.1"
    expected = manpage()
    current = path.read_text("utf-8") if path.exists() else ""
    if (os.environ.get("BRIEF_UPDATE_README") or os.environ.get("BRIEF_UPDATE_MAN")) and current != expected:
        path.parent.mkdir(exist_ok=True)
        path.write_text(expected, "utf-8")
        current = expected
    assert current == expected, "man/brief.1 is stale: BRIEF_UPDATE_README=1 python -m pytest tests/test_readme.py"
    assert '.SS "brief cite"' in current and '.SS "brief saved add"' in current and ".SH TOPICS" in current
