"""`brief sync DIR`: add new, update changed, keep moved files' briefs, and --prune the gone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import write


def text(title: str, body: str = "") -> str:
    return f"{title}\n\n{body or 'Body of ' + title.lower() + '.'}\n"


def statuses(rows) -> dict:
    return {os.path.basename(r["path"]): r["status"] for r in rows}


def records(cli) -> dict:
    r = cli("list", "--json")
    assert r.exit_code == 0, r
    return {Path(b["source"]).name: b for b in r.json}


@pytest.fixture
def folder(tmp_path, cli) -> Path:
    d = tmp_path / "briefs"
    write(d / "keep.txt", text("Keep memo"))
    write(d / "change.txt", text("Change memo"))
    write(d / "gone.txt", text("Gone memo"))
    write(d / "sub" / "deep.txt", text("Deep memo"))
    r = cli("sync", d, "--json")
    assert r.exit_code == 0, r
    assert set(statuses(r.json).values()) == {"added"} and len(r.json) == 4
    return d


def test_sync_adds_updates_and_keeps_gone_without_prune(cli, folder):
    before = records(cli)
    write(folder / "change.txt", text("Change memo", "A new version of the body."))
    write(folder / "new.txt", text("New memo"))
    (folder / "gone.txt").unlink()
    r = cli("sync", folder, "--json")
    assert r.exit_code == 0, r
    assert statuses(r.json) == {"keep.txt": "unchanged", "change.txt": "updated", "new.txt": "added",
                                "deep.txt": "unchanged"}
    after = records(cli)
    assert after["change.txt"]["id"] == before["change.txt"]["id"]
    assert "gone.txt" in after  # no --prune: nothing removed
    assert "gone memo" not in r.stderr.lower()


def test_sync_prune_yes_removes_only_gone_files_under_the_folder(cli, folder, tmp_path):
    elsewhere = write(tmp_path / "elsewhere" / "other.txt", text("Other memo"))
    cli("add", elsewhere)
    elsewhere.unlink()  # gone too, but not under the folder synced
    gone_id = records(cli)["gone.txt"]["id"]
    (folder / "gone.txt").unlink()
    r = cli("sync", folder, "--prune", "--yes", "--json")
    assert r.exit_code == 0, r
    removed = [x for x in r.json if x["status"] == "removed"]
    assert removed == [{"path": str(folder / "gone.txt"), "status": "removed", "id": gone_id, "error": None}]
    left = records(cli)
    assert set(left) == {"keep.txt", "change.txt", "deep.txt", "other.txt"}
    assert "1 removed" in r.stderr


def test_sync_prune_asks_first(cli, folder):
    (folder / "gone.txt").unlink()
    r = cli("sync", folder, "--prune", input="n\n")
    assert r.exit_code == 1
    assert "1 brief whose file is gone" in r.stderr and "gone.txt" in r.stderr and "Gone memo" in r.stderr
    assert "Nothing removed" in r.stderr and "gone.txt" in records(cli)
    r = cli("sync", folder, "--prune", input="y\n")
    assert r.exit_code == 0
    assert any(ln.startswith("removed") and "gone.txt" in ln for ln in r.stdout.splitlines())
    assert "gone.txt" not in records(cli)


def test_sync_dry_run_changes_nothing(cli, folder):
    before = records(cli)
    (folder / "gone.txt").unlink()
    write(folder / "new.txt", text("New memo"))
    write(folder / "change.txt", text("Change memo", "Changed."))
    r = cli("sync", folder, "--prune", "--dry-run", "--json")
    assert r.exit_code == 0, r
    got = {os.path.basename(x["path"]): (x["status"], x["id"]) for x in r.json}
    assert got["new.txt"] == ("would-add", None)
    assert got["change.txt"] == ("would-update", before["change.txt"]["id"])
    assert got["gone.txt"] == ("would-remove", before["gone.txt"]["id"])
    assert got["keep.txt"] == ("unchanged", before["keep.txt"]["id"])
    assert records(cli) == before
    r = cli("sync", folder, "--prune", "--dry-run")
    assert any(ln.startswith("would remove") and "gone.txt" in ln for ln in r.stdout.splitlines())
    assert "1 would be added" in r.stderr


def test_renamed_and_moved_files_keep_id_and_tags(cli, folder):
    before = records(cli)
    bid = before["keep.txt"]["id"]
    assert cli("tag", "+Hand Tag", bid).exit_code == 0
    os.rename(folder / "keep.txt", folder / "kept-renamed.txt")
    (folder / "moved").mkdir()
    os.rename(folder / "sub" / "deep.txt", folder / "moved" / "deep-moved.txt")
    r = cli("sync", folder, "--prune", "--yes", "--json")
    assert r.exit_code == 0, r
    st = statuses(r.json)
    assert st["kept-renamed.txt"] == "updated" and st["deep-moved.txt"] == "updated"
    assert "removed" not in st.values()
    after = records(cli)
    assert "keep.txt" not in after and "deep.txt" not in after
    assert after["kept-renamed.txt"]["id"] == bid and after["kept-renamed.txt"]["tags"] == ["Hand Tag"]
    assert after["kept-renamed.txt"]["source"] == str(folder / "kept-renamed.txt")
    assert after["deep-moved.txt"]["id"] == before["deep.txt"]["id"]
    assert len(after) == 4
    r = cli("sync", folder, "--json")
    assert set(statuses(r.json).values()) == {"unchanged"}


def test_copy_is_not_a_move(cli, folder):
    (folder / "copy.txt").write_text((folder / "keep.txt").read_text("utf-8"), "utf-8")
    r = cli("sync", folder, "--json")
    assert statuses(r.json)["copy.txt"] == "unchanged"  # same text as keep.txt, which still exists
    assert records(cli)["keep.txt"]["id"] == [x for x in r.json if x["path"].endswith("copy.txt")][0]["id"]


def test_sync_needs_folders(cli, tmp_path):
    f = write(tmp_path / "a.txt", text("A"))
    for arg, words in ((f, "not a folder"), (tmp_path / "missing", "no such folder"), ("-", "standard input")):
        r = cli("sync", arg)
        assert r.exit_code == 2 and r.stderr.startswith("Error: ") and words in r.stderr, r


def test_sync_with_metadata_and_include(cli, tmp_path):
    d = tmp_path / "m"
    write(d / "a.txt", text("A memo"))
    write(d / "b.md", text("B memo"))
    write(d / "meta.csv", "path,author,tags\na.txt,Jane Roe,Trade;Iran\n")
    r = cli("sync", d, "--include", "*.txt", "--metadata", d / "meta.csv", "--json")
    assert statuses(r.json) == {"a.txt": "added"}
    rec = records(cli)["a.txt"]
    assert rec["authors"] == ["Jane Roe"] and rec["tags"] == ["Trade", "Iran"]
