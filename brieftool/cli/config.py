"""`brief config path|show|set|unset`: the configuration file (see config.py for the keys)."""

from __future__ import annotations

import typer

from .app import app

config_app = typer.Typer(
    name="config", no_args_is_help=True, rich_markup_mode=None,
    help="Show or change the configuration file ($XDG_CONFIG_HOME/brief/config.toml).")
app.add_typer(config_app)


@config_app.command("path")
def config_path_cmd():
    """Print where the configuration file is (or would be)."""
    from .. import config, render

    render.write_out(f"{config.config_path()}\n")


@config_app.command("show")
def config_show(as_json: bool = typer.Option(False, "--json", help='JSON: {"KEY": {"value": ..., "source": ...}}.')):
    """Each setting in force and where it comes from (environment, config file or default).

    Precedence: command-line option > environment variable > config file > default.
    """
    from .. import config, render

    cfg = config.load()
    rows = {k: {"value": cfg.get(k), "source": cfg.source(k)} for k in config.KEYS}
    if as_json:
        render.write_out(render.dumps({"path": str(cfg.path), "settings": rows}) + "\n")
        return
    render.info(f"config file {cfg.path}{'' if cfg.path.exists() else ' (none yet)'}")
    width = max(len(k) for k in rows)
    for k, r in rows.items():
        v = "" if r["value"] is None else (f"{r['value']:g}" if isinstance(r["value"], float) else str(r["value"]))
        render.write_out(f"{k:<{width}}  {render.one_line(v) or '-':<30}  {r['source']}\n")


@config_app.command("set")
def config_set(
    key: str = typer.Argument(..., metavar="KEY", help="index, lock-timeout, pager, date-order, cite-style or color."),
    value: str = typer.Argument(..., metavar="VALUE"),
    as_json: bool = typer.Option(False, "--json", help='JSON: {"key", "old", "new", "path"}.'),
):
    """Set KEY to VALUE in the configuration file (other lines and comments are kept)."""
    from .. import config, render

    path, old, new = config.set_value(key, value)
    if as_json:
        render.write_out(render.dumps({"key": key, "old": old, "new": new, "path": str(path)}) + "\n")
    else:
        render.write_out(f"{key} = {render.one_line(config.toml_value(new))}"
                         f"{'' if old is None else f'  (was {render.one_line(config.toml_value(old))})'}\n")


@config_app.command("unset")
def config_unset(key: str = typer.Argument(..., metavar="KEY"),
                 as_json: bool = typer.Option(False, "--json", help='JSON: {"key", "old", "path"}.')):
    """Remove KEY from the configuration file (its default applies again)."""
    from .. import config, render

    path, old = config.unset_value(key)
    if as_json:
        render.write_out(render.dumps({"key": key, "old": old, "path": str(path)}) + "\n")
    elif old is None:
        render.info(f"{key} was not set in {path}; nothing changed.")
    else:
        render.write_out(f"unset {key}  (was {render.one_line(config.toml_value(old))})\n")
