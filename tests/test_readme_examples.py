"""Every `brief search` example in the README runs as typed against a fixture archive: none is a
usage error (exit status 2), and each prints a first line that says how many briefs matched."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from conftest import ROOT

FIX = ROOT / "tests" / "fixtures" / "relevance" / "docs"


def readme_search_examples() -> list[str]:
    text = (ROOT / "README.md").read_text("utf-8")
    found = []
    for line in text.splitlines():
        for m in re.finditer(r"(?:^|`|\$ |\s{2,})(brief (?:--index \S+ )?search\b[^`]*)", line.strip()):
            cmd = m.group(1)
            cmd = re.split(r"\s+#\s|\s{3,}", cmd)[0]  # a comment after the command
            cmd = cmd.split(" | ")[0].strip()  # a pipe after it
            if cmd != "brief search" and cmd not in found:  # not the command named in prose
                found.append(cmd)
    return found


EXAMPLES = readme_search_examples()


def test_the_readme_has_search_examples():
    assert len(EXAMPLES) >= 8
    assert "brief search -- -draft sanctions" in EXAMPLES


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    from brieftool.engine.whoosh import WhooshArchive
    from brieftool.ingest import add_paths

    path = tmp_path_factory.mktemp("readme") / "archive"
    a = WhooshArchive.open(path, create=True)
    add_paths(a, [str(p) for p in sorted(FIX.glob("*.txt"))])
    return path


@pytest.mark.parametrize("example", EXAMPLES)
def test_readme_search_example_runs_as_typed(example, archive, cli, monkeypatch, tmp_path):
    monkeypatch.setenv("BRIEF_INDEX", str(archive))
    monkeypatch.chdir(tmp_path)
    args = shlex.split(example)[1:]
    for i, a in enumerate(args[:-1]):  # a query file the example names: give it one
        if a == "--query-file" and args[i + 1] != "-":
            Path(args[i + 1]).write_text("sanctions relief\n", "utf-8")
    args = [a for a in args if not (a.startswith("--index") or a == "~/other-archive")]
    for name in sorted(set(re.findall(r"@([\w-]+)", example))):  # a saved search the example uses
        assert cli("saved", "add", name, "sanctions", "--replace").exit_code == 0
    r = cli(*args, input="sanctions\n")
    assert r.exit_code != 2, (example, r.stderr)
    if r.exit_code == 1 and ("needs the optional extra" in r.stderr  # --mode semantic without its extra,
                             or "run 'brief embed' first" in r.stderr):  # or on an archive without vectors
        return
    assert r.exit_code == 0, (example, r.stderr)
    first = r.stdout.splitlines()[0] if r.stdout else ""
    assert re.match(r"\d+ briefs? match|Nothing to look for|\[|\{|id,|[0-9a-z]{7}$", first) or r.stdout == "", \
        (example, r.stdout[:300])
