"""brief help TOPIC and brief man."""

from __future__ import annotations

import shutil
import subprocess

import pytest


def test_topics_list_and_text(cli):
    r = cli("help")
    assert r.exit_code == 0
    assert [ln.split()[0] for ln in r.stdout.splitlines()[1:5]] == ["query", "dates", "saved", "config"]
    r = cli("help", "dates")
    assert r.stdout.startswith("Dates in queries, options and briefs\n") and "date-order" in r.stdout
    assert "sanctons~" in cli("help", "query").stdout


def test_help_of_a_command_and_unknown_topic(cli):
    r = cli("help", "cite")
    assert r.exit_code == 0 and r.stdout.startswith("Usage: brief cite [OPTIONS] {ID...}")
    r = cli("help", "nope")
    assert r.exit_code == 2 and r.stderr.strip() == "Error: no help topic or command 'nope' (topics: query, dates, saved, config)"


def test_help_works_with_a_broken_config_file(cli, tmp_path):
    f = tmp_path / "config" / "brief" / "config.toml"
    f.parent.mkdir(parents=True)
    f.write_text("lock-timeout = [\n")
    assert cli("help", "query").exit_code == 0
    assert cli("list").exit_code == 2


def test_man_page(cli):
    r = cli("man")
    assert r.exit_code == 0
    man = r.stdout
    assert man.startswith(".TH BRIEF 1")
    for section in (".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS", ".SH COMMANDS", ".SH TOPICS", ".SH EXIT STATUS"):
        assert section in man
    assert '.SS "brief trend"' in man and "\\-\\-per\\-cent" in man
    if shutil.which("man"):
        p = subprocess.run(["man", "-l", "-"], input=man, capture_output=True, text=True, env={"MANWIDTH": "80",
                           "PATH": "/usr/bin:/bin"}, timeout=60)
        if p.returncode == 0:
            assert "brief trend" in p.stdout and "--per-cent" in p.stdout.replace("‐", "-")
