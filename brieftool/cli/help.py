"""`brief help [TOPIC]` (query syntax, dates, saved searches, config; or a command's help) and `brief man`."""

from __future__ import annotations

from typing import Optional

import typer

from .app import app


def _complete_topic(incomplete: str) -> list[str]:
    from ..helptopics import TOPICS

    return [t for t in TOPICS if t.startswith(incomplete)]


@app.command("help")
def help_cmd(
    ctx: typer.Context,
    topic: Optional[str] = typer.Argument(None, metavar="[TOPIC]", autocompletion=_complete_topic,
                                          help="query, dates, saved or config; or a command's name."),
):
    """Explain a topic (query, dates, saved, config) or a command; without TOPIC, list the topics."""
    from .. import render
    from ..helptopics import TOPICS, topic_text
    from ..models import UsageError

    if topic is None:
        width = max(len(t) for t in TOPICS)
        render.write_out("Topics (brief help TOPIC):\n" + "".join(f"  {t:<{width}}  {title}\n"
                                                                  for t, (title, _) in TOPICS.items())
                         + "Commands: brief help COMMAND, or brief COMMAND --help.\n")
        return
    name = topic.strip().lower()
    if name in TOPICS:
        render.write_out(topic_text(name))
        return
    root = ctx.find_root()
    cmd = root.command.get_command(root, name)
    if cmd is None:
        raise UsageError(f"no help topic or command {topic!r} (topics: {', '.join(TOPICS)})")
    sub = cmd.make_context(name, [], parent=root, resilient_parsing=True)
    render.write_out(sub.get_help() + "\n")


@app.command("man")
def man_cmd():
    """Print the man page (roff), made from the same help text: brief man | man -l -"""
    from .. import render
    from ..manpage import manpage

    render.write_out(manpage())
