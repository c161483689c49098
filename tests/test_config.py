"""The config file: path, show, set/unset, precedence (option > environment > config > default), errors."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import SEED


def cfg_file(tmp_path) -> Path:
    return tmp_path / "config" / "brief" / "config.toml"


def test_path_follows_xdg_config_home(cli, tmp_path):
    r = cli("config", "path")
    assert r.exit_code == 0 and Path(r.stdout.strip()) == cfg_file(tmp_path)


def test_set_keeps_comments_and_other_keys(cli, tmp_path):
    f = cfg_file(tmp_path)
    f.parent.mkdir(parents=True)
    f.write_text("# my settings\npager = \"less -R\"\ncite-style = \"apa\"  # for the report\n")
    r = cli("config", "set", "cite-style", "mla", "--json")
    assert r.exit_code == 0, r
    assert r.json == {"key": "cite-style", "old": "apa", "new": "mla", "path": str(f)}
    assert f.read_text() == "# my settings\npager = \"less -R\"\ncite-style = \"mla\"\n"
    assert cli("config", "set", "lock-timeout", "5").exit_code == 0
    assert f.read_text().endswith('cite-style = "mla"\nlock-timeout = 5\n')
    r = cli("config", "unset", "pager")
    assert r.exit_code == 0 and "pager" not in f.read_text()
    assert list(f.parent.iterdir()) == [f]  # no temporary file left behind


def test_show_names_the_source_of_each_value(cli, tmp_path, monkeypatch):
    cli("config", "set", "date-order", "dmy")
    monkeypatch.setenv("BRIEF_LOCK_TIMEOUT", "7")
    r = cli("config", "show", "--json")
    s = r.json["settings"]
    assert s["date-order"] == {"value": "dmy", "source": "config file"}
    assert s["lock-timeout"] == {"value": 7.0, "source": "environment ($BRIEF_LOCK_TIMEOUT)"}
    assert s["cite-style"] == {"value": "apa", "source": "default"}
    text = cli("config", "show").stdout
    assert any(line.split() == ["date-order", "dmy", "config", "file"] for line in text.splitlines())


def test_index_precedence_option_env_config_default(cli, tmp_path, monkeypatch):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    monkeypatch.delenv("BRIEF_INDEX")
    cli("config", "set", "index", str(a))
    assert cli("add", SEED).exit_code == 0
    assert (a / "brief.json").exists()                       # config file over the default
    monkeypatch.setenv("BRIEF_INDEX", str(b))
    assert cli("add", SEED).exit_code == 0
    assert (b / "brief.json").exists()                       # environment over the config file
    assert cli("--index", c, "add", SEED).exit_code == 0
    assert (c / "brief.json").exists()                       # option over both
    monkeypatch.delenv("BRIEF_INDEX")
    cli("config", "unset", "index")
    r = cli("add", SEED)                                      # default: $XDG_DATA_HOME/brief/archive
    assert r.exit_code == 0 and (tmp_path / "xdg" / "brief" / "archive" / "brief.json").exists()


def test_lock_timeout_precedence(cli, tmp_path, monkeypatch):
    import importlib

    app_module = importlib.import_module("brieftool.cli.app")

    seen = []
    orig = app_module.Settings.__init__

    def spy(self, *a, **kw):
        orig(self, *a, **kw)
        seen.append(self.lock_timeout)

    monkeypatch.setattr(app_module.Settings, "__init__", spy)
    cli("list")
    cli("config", "set", "lock-timeout", "4.5")
    cli("list")
    monkeypatch.setenv("BRIEF_LOCK_TIMEOUT", "3")
    cli("list")
    cli("--lock-timeout", "2", "list")
    assert seen == [30.0, 30.0, 4.5, 3.0, 2.0]  # (the second: `config set` itself)


def test_date_order_reads_ambiguous_numeric_dates(cli, tmp_path, monkeypatch):
    from conftest import write

    f = write(tmp_path / "n.txt", "A note\n\nSome text about grain.\n")
    cli("add", f, "--date", "03/04/2019")
    assert json.loads(cli("list", "--json").stdout)[0]["date"] == "2019-03-04"   # default mdy
    cli("config", "set", "date-order", "dmy")
    bid = json.loads(cli("list", "--json").stdout)[0]["id"]
    cli("edit", bid, "--date", "03/04/2019")
    assert json.loads(cli("list", "--json").stdout)[0]["date"] == "2019-04-03"
    monkeypatch.setenv("BRIEF_DATE_ORDER", "mdy")                                     # environment wins
    cli("edit", bid, "--date", "05/06/2019")
    assert json.loads(cli("list", "--json").stdout)[0]["date"] == "2019-05-06"


def test_bad_config_file_is_one_line_naming_the_key(cli, tmp_path):
    f = cfg_file(tmp_path)
    f.parent.mkdir(parents=True)
    f.write_text('lock-timeout = "soon"\n')
    r = cli("list")
    assert r.exit_code == 2
    assert r.stderr.strip() == f"Error: config file {f}: lock-timeout must be a number of seconds, not 'soon'"
    f.write_text("cite-style = [\n")
    r = cli("list")
    assert r.exit_code == 2 and len(r.stderr.strip().splitlines()) == 1
    assert r.stderr.startswith(f"Error: config file {f}: not valid TOML")
    assert cli("config", "path").exit_code == 0            # the config commands still answer
    f.write_text('colour = "never"\n')                      # an unknown key: a warning, not an error
    r = cli("list")
    assert r.exit_code == 1 and "unknown key 'colour' ignored" in r.stderr  # (exit 1: no archive yet)


def test_set_refuses_bad_values_and_keys(cli, tmp_path):
    r = cli("config", "set", "color", "blue")
    assert r.exit_code == 2 and r.stderr.strip() == "Error: color must be one of auto, always, never, not 'blue'"
    r = cli("config", "set", "colour", "never")
    assert r.exit_code == 2 and "unknown config key 'colour'" in r.stderr
    assert not cfg_file(tmp_path).exists()


def test_color_never_from_config(brief_exe, tmp_path):
    f = cfg_file(tmp_path)
    f.parent.mkdir(parents=True)
    f.write_text('color = "always"\n')
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "NO_COLOR": "", "TERM": "xterm"}
    r = brief_exe("list", "--index", str(tmp_path / "none"), env=env)
    assert "\x1b[" in r.stderr                                # forced colour on a pipe
    f.write_text('color = "never"\n')
    r = brief_exe("list", env=env)
    assert "\x1b[" not in r.stderr
