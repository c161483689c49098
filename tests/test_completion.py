"""Shell completion: commands, and --tag/--author/--org/@NAME values from the archive, without Whoosh
for command names."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import write


def complete(archive_dir, words: str, shell: str = "bash") -> list[str]:
    env = dict(os.environ, BRIEF_INDEX=str(archive_dir), _BRIEF_COMPLETE=f"complete_{shell}")
    if shell == "bash":
        env.update(COMP_WORDS=words, COMP_CWORD=str(len(words.split(" ")) - 1))
    else:
        env.update(_TYPER_COMPLETE_ARGS=words, _TYPER_COMPLETE_FISH_ACTION="get-args")
    p = subprocess.run([sys.executable, "-m", "brieftool"], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout.splitlines()


@pytest.fixture
def archive(cli, tmp_path):
    recs = [{"id": "c000001", "title": "One", "tags": ["North Korea", "Sanctions"], "authors": ["Mathew Ha"],
             "organization": "Foundation for the Defense of Democracies", "text": "one"},
            {"id": "c000002", "title": "Two", "tags": ["Iran"], "authors": ["Jane Roe"], "text": "two"}]
    assert cli("import", write(tmp_path / "r.jsonl", "".join(json.dumps(r) + "\n" for r in recs))).exit_code == 0
    assert cli("saved", "add", "nk", "tag:\"north korea\"").exit_code == 0


def test_bash_completes_the_commands(archive, archive_dir):
    got = complete(archive_dir, "brief ")
    for cmd in ("add", "search", "list", "show", "tag", "cite", "trend", "saved", "config", "export", "stats"):
        assert cmd in got
    assert complete(archive_dir, "brief tr") == ["trend"]


def test_bash_completes_tags_authors_orgs_and_saved_names(archive, archive_dir):
    assert sorted(complete(archive_dir, "brief list --tag ")) == ["Iran", "North Korea", "Sanctions"]
    assert complete(archive_dir, "brief search x --tag No") == ["North Korea"]
    assert complete(archive_dir, "brief tag +x --tag Ir") == ["Iran"]
    assert complete(archive_dir, "brief list --author J") == ["Jane Roe"]
    assert complete(archive_dir, "brief trend x --org Found") == ["Foundation for the Defense of Democracies"]
    assert complete(archive_dir, "brief search @") == ["@nk"]
    assert complete(archive_dir, "brief saved remove ") == ["nk"]


def test_zsh_and_fish(archive, archive_dir):
    assert any("North Korea" in line for line in complete(archive_dir, "brief list --tag No", "zsh"))
    assert any(line.startswith("trend") for line in complete(archive_dir, "brief tr", "fish"))


def test_command_completion_does_not_import_whoosh(archive_dir):
    code = ("import os, sys\n"
            "from brieftool.cli import app\n"
            "try:\n    app()\nexcept SystemExit:\n    pass\n"
            "print('WHOOSH' if any(m.split('.')[0] == 'whoosh' for m in sys.modules) else 'NO-WHOOSH', file=sys.stderr)\n")
    env = dict(os.environ, BRIEF_INDEX=str(archive_dir), _BRIEF_COMPLETE="complete_bash", COMP_WORDS="brief ",
               COMP_CWORD="1")
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert "search" in p.stdout.splitlines()
    assert p.stderr.strip().endswith("NO-WHOOSH")


def test_show_completion_prints_the_script(cli):
    r = cli("--show-completion", "bash")
    assert r.exit_code == 0 and "_brief_completion" in r.stdout and "complete -o default -F _brief_completion brief" in r.stdout
