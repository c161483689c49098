"""The man page, generated from the same help text as ``--help`` (and the help topics).

``brief man`` prints it; ``man/brief.1`` is the committed copy (tests/test_manpage.py checks
that it is current; regenerate with ``BRIEF_UPDATE_MAN=1 python -m pytest tests/test_manpage.py``).
"""

from __future__ import annotations

import re


def roff(s: str) -> str:
    """Text as roff: backslashes and dashes escaped, a line never starting with a control dot."""
    s = s.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(("\\&" + ln if ln.startswith((".", "'")) else ln) for ln in s.split("\n"))


def _paragraphs(help_text: str) -> list[str]:
    out = []
    blocks = re.split(r"\n\s*\n", (help_text or "").strip())
    for b in blocks:
        if b.startswith("\b"):
            out.append(".nf\n" + roff(b.lstrip("\b").strip("\n")) + "\n.fi")
        else:
            out.append(roff(" ".join(b.split())))
    return out


def _options(cmd, ctx) -> list[str]:
    out = []
    for p in cmd.get_params(ctx):
        rec = p.get_help_record(ctx)
        if rec is None:
            continue
        opts, help_ = rec
        out.append(f".TP\n\\fB{roff(opts)}\\fR\n{roff(' '.join(help_.split()))}")
    return out


def _usage(cmd, ctx, path: str) -> str:
    pieces = " ".join(cmd.collect_usage_pieces(ctx))
    return f".B {roff(path)}\n{roff(pieces)}"


def _command(cmd, parent_ctx, path: str) -> list[str]:
    ctx = cmd.make_context(path.split()[-1], [], parent=parent_ctx, resilient_parsing=True)
    lines = [f'.SS "{roff(path)}"', _usage(cmd, ctx, path), ".PP"]
    lines += [p + "\n.PP" for p in _paragraphs(cmd.help or "")]
    lines += _options(cmd, ctx)
    if hasattr(cmd, "list_commands"):  # a group (config, saved)
        for name in cmd.list_commands(ctx):
            lines += _command(cmd.get_command(ctx, name), ctx, f"{path} {name}")
    return lines


def manpage() -> str:
    from typer.main import get_command

    from . import __version__
    from .cli import app
    from .helptopics import TOPICS

    group = get_command(app)
    ctx = group.make_context("brief", [], resilient_parsing=True)
    out = [f'.TH BRIEF 1 "" "brief {__version__}" "User Commands"',
           ".SH NAME", "brief \\- archive and search policy briefs kept as plain text",
           ".SH SYNOPSIS", ".B brief", "[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]...",
           ".SH DESCRIPTION"]
    out += [p + "\n.PP" for p in _paragraphs(group.help or "")]
    out.append(roff("brief keeps policy briefs (think-tank papers, reports, memos, testimony, speeches) in a "
                    "local full-text archive with their date, authors, tags, type and organization, and "
                    "finds them again by words, fields and dates. 'brief help TOPIC' explains the query "
                    "syntax (query), dates, saved searches (saved) and the configuration (config)."))
    out.append(".SH OPTIONS")
    out += _options(group, ctx)
    out.append(".SH COMMANDS")
    for name in group.list_commands(ctx):
        out += _command(group.get_command(ctx, name), ctx, f"brief {name}")
    out.append(".SH TOPICS")
    for name, (title, body) in TOPICS.items():
        out += [f'.SS "{roff(name)}: {roff(title)}"', ".nf", roff(body), ".fi"]
    out += [".SH ENVIRONMENT",
            ".TP", "\\fBBRIEF_INDEX\\fR", "The archive folder (below \\-\\-index, above the config file).",
            ".TP", "\\fBBRIEF_LOCK_TIMEOUT\\fR", "Seconds a change waits for another writer.",
            ".TP", "\\fBBRIEF_CONFIG\\fR", "Another configuration file.",
            ".TP", "\\fBBRIEF_DATE_ORDER\\fR, \\fBBRIEF_CITE_STYLE\\fR, \\fBBRIEF_PAGER\\fR",
            "The same as date\\-order, cite\\-style and pager in the configuration file.",
            ".TP", "\\fBNO_COLOR\\fR, \\fBFORCE_COLOR\\fR", "No colour; colour even on a pipe.",
            ".SH FILES",
            ".TP", "\\fI~/.local/share/brief/archive\\fR",
            "The default archive folder ($XDG_DATA_HOME/brief/archive): the index with every brief's text, "
            "brief.json, vocabulary.txt, saved.json.",
            ".TP", "\\fI~/.config/brief/config.toml\\fR", "The configuration file ($XDG_CONFIG_HOME/brief).",
            ".SH EXIT STATUS",
            "0 all went well; 1 some input failed (the others were still processed); 2 a usage error "
            "(unknown option, malformed query, impossible date, unknown or ambiguous id); 130 interrupted.",
            ".SH SEE ALSO", "The README of the brief repository."]
    return "\n".join(out) + "\n"
