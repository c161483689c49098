"""The engine layer: only brieftool/engine/whoosh*.py import Whoosh; the factory picks the engine."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "brieftool"


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module)
    return out


def test_only_engine_modules_import_an_engine_library():
    offenders = []
    for p in sorted(PKG.rglob("*.py")):
        rel = p.relative_to(PKG).as_posix()
        for m in _imports(p):
            top = m.split(".")[0]
            if top == "whoosh" and not (rel.startswith("engine/whoosh")):
                offenders.append(f"{rel}: {m}")
            if top == "opensearchpy" and not rel.startswith("engine/opensearch"):
                offenders.append(f"{rel}: {m}")
    assert offenders == []
    # and the check itself sees the imports it is about
    assert "whoosh.index" in _imports(PKG / "engine" / "whoosh.py") or "whoosh" in _imports(PKG / "engine" / "whoosh.py")


def test_open_archive_picks_whoosh_for_a_folder(tmp_path):
    from brieftool.engine import engine_class, open_archive
    from brieftool.engine.whoosh import WhooshArchive
    from brieftool.models import BriefError

    a = open_archive(tmp_path / "a", create=True)
    assert isinstance(a, WhooshArchive) and a.count() == 0 and a.path == tmp_path / "a"
    assert engine_class(str(tmp_path)) is WhooshArchive
    with pytest.raises(BriefError, match="no archive at"):
        open_archive(tmp_path / "missing")


def test_query_tree_is_engine_neutral():
    from brieftool import querytree as T
    from brieftool.query import filters, parse

    p = parse('tag:iran "maximum pressure" sanct* -draft date:2019')
    nodes = list(T.walk(p.query))
    kinds = {type(n).__name__ for n in nodes}
    assert {"And", "Term", "Text", "Prefix", "Not", "DateRange"} <= kinds
    assert T.Term("tag", "iran") in nodes and T.Text(("title", "body"), "maximum pressure") in nodes
    assert T.Prefix(("title", "body"), "sanct") in nodes
    import datetime as dt

    assert T.DateRange("date", dt.date(2019, 1, 1), dt.date(2019, 12, 31)) in nodes
    assert parse("the of").query == T.Nothing()
    assert filters(tags=["Iran"]) == T.Term("tag", "iran")
