"""`brief edit ID` without options: the brief's metadata as a small ``key: value`` text in the
user's editor (like ``git commit``).

The editor is $VISUAL, else $EDITOR, else ``vi``. The file has a comment header explaining the
format. On save it is validated; when invalid it is re-opened with the error at the top (as a
comment). Nothing changes when the file is saved unchanged or emptied, or when the editor
fails. Only the fields the user actually changed are applied (onto the record as it is then).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from .curate import FIELD_NAMES, _unique_names, clean_tag, org_display, split_org
from .models import Brief, BriefError, UsageError, clean_label, norm_tag

ERROR_PREFIX = "# ERROR: "
READ_ONLY = ("id", "text", "sha256", "words", "added")

HEADER = """\
# Brief {id}: {words} words, added {added}.
# Edit the fields below, save and close the editor. One field per line, as  key: value
# (author and tag lines repeat: one name on each). An empty value, or a removed line,
# empties that field. date: 2019-04-17 or anything like 'April 17, 2019'; the
# organization may end in its abbreviation: 'Brookings Institution (BI)'.
# The id and the text cannot be changed here. Lines starting with # are ignored.
# To change nothing, save the file unchanged or empty it.
"""


class FormError(UsageError):
    """The edited text is not valid; the message names the line."""


@dataclass
class EditOutcome:
    values: dict | None  # the changed fields (for curate.apply_edit); None: nothing to change
    reason: str = ""  # why nothing changed: "unchanged" / "emptied"


def render_form(b: Brief) -> str:
    """The brief's editable metadata as the text shown in the editor."""
    def one(v) -> str:
        return clean_label(v) if v else ""

    added = b.added.isoformat(timespec="seconds") if b.added else "?"
    lines = [HEADER.format(id=b.id, words=f"{b.words:,}", added=added), ""]
    lines.append(f"title: {one(b.title)}")
    lines.append(f"date: {b.date.isoformat() if b.date else ''}")
    for a in b.authors or [""]:
        lines.append(f"author: {one(a)}")
    for t in b.tags or [""]:
        lines.append(f"tag: {one(t)}")
    lines.append(f"type: {one(b.type)}")
    lines.append(f"organization: {one(org_display(b))}")
    lines.append(f"source: {b.source}")
    return "\n".join(ln.rstrip() for ln in lines) + "\n"


def parse_form(text: str, *, strict: bool = True) -> dict:
    """Every editable field's value from the edited text (a field without a line is empty).

    FormError (naming the line) when a line is not ``key: value``, names an unknown or read-only
    field, repeats a one-value field, or holds a bad date or a tag with a comma. ``strict=False``
    lets tags with commas through (for reading back what was shown)."""
    from .query import parse_date_option

    vals: dict = {"title": "", "authors": [], "date": None, "tags": [], "type": "",
                  "organization": ("", ""), "source": ""}
    seen: dict[str, int] = {}
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if ":" not in s:
            raise FormError(f"line {n}: {s[:60]!r} is not 'key: value'")
        key, value = s.split(":", 1)
        key = key.strip().lower()
        value = clean_label(value)
        f = FIELD_NAMES.get(key)
        if f is None:
            if key in READ_ONLY:
                raise FormError(f"line {n}: the {key} cannot be changed")
            raise FormError(f"line {n}: unknown field {key!r} (fields: title, date, author, tag, type, "
                            "organization, source)")
        if f in ("authors", "tags"):
            parts = value.split(";") if key in ("authors", "tags") else [value]
            for p in parts:
                p = clean_label(p)
                if not p:
                    continue
                if f == "tags" and strict:
                    try:
                        p = clean_tag(p)
                    except UsageError as e:
                        raise FormError(f"line {n}: {e.message}") from None
                vals[f].append(p)
            continue
        if f in seen:
            raise FormError(f"line {n}: {key} is given twice (also on line {seen[f]})")
        seen[f] = n
        if f == "date":
            try:
                vals["date"] = parse_date_option(value) if value else None
            except UsageError as e:
                raise FormError(f"line {n}: {e.message}") from None
        elif f == "organization":
            name, abbr = split_org(value)
            vals["organization"] = (name, abbr or "")
        elif f == "source":
            vals["source"] = os.path.abspath(os.path.expanduser(value)) if value else ""
        else:
            vals[f] = value
    vals["authors"] = _unique_names(vals["authors"])
    keys, tags = set(), []
    for t in vals["tags"]:
        if norm_tag(t) not in keys:
            keys.add(norm_tag(t))
            tags.append(t)
    vals["tags"] = tags
    return vals


def without_comments(text: str) -> str:
    return "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("#"))


def editor_command() -> list[str]:
    """$VISUAL, else $EDITOR, else vi (split like a shell would: EDITOR='code --wait' works)."""
    for var in ("VISUAL", "EDITOR"):
        v = os.environ.get(var, "").strip()
        if v:
            try:
                cmd = shlex.split(v)
            except ValueError:
                raise BriefError(f"cannot read ${var} {v!r} as a command") from None
            if cmd:
                return cmd
    return ["vi"]


def run_editor(cmd: list[str], path: str) -> None:
    try:
        rc = subprocess.call(cmd + [path])
    except FileNotFoundError:
        raise BriefError(f"cannot start the editor {cmd[0]!r}: not found (set VISUAL or EDITOR)") from None
    except OSError as e:
        raise BriefError(f"cannot start the editor {cmd[0]!r}: {e.strerror or e}") from None
    if rc != 0:
        raise BriefError(f"the editor {cmd[0]!r} exited with status {rc}; nothing changed")


def _with_error(text: str, message: str) -> str:
    body = "\n".join(ln for ln in text.splitlines() if not ln.startswith(ERROR_PREFIX))
    return f"{ERROR_PREFIX}{message}\n{ERROR_PREFIX}fix it and save again, or empty the file to change nothing.\n" \
        + body.rstrip("\n") + "\n"


def _undecodable(text: str) -> set[str]:
    return {ch for ch in text if "\udc80" <= ch <= "\udcff"}


def edit_in_editor(b: Brief, *, editor: Callable[[str], None] | None = None) -> EditOutcome:
    """Let the user edit the brief's metadata in their editor until it is valid.

    ``editor(path)`` edits the file in place (default: the $VISUAL/$EDITOR command). Returns
    the fields the user changed (compared with what was shown), or None with the reason.
    A file saved again unchanged while it shows an error gives up (BriefError)."""
    if editor is None:
        cmd = editor_command()

        def editor(path: str) -> None:
            run_editor(cmd, path)

    original = render_form(b)
    baseline = parse_form(original, strict=False)
    fd, path = tempfile.mkstemp(prefix=f"brief-edit-{b.id}-", suffix=".txt")
    os.close(fd)
    try:
        shown = original
        while True:
            # A source path that is not UTF-8 is kept surrogate-escaped: written back as its bytes.
            with open(path, "w", encoding="utf-8", errors="surrogateescape", newline="\n") as f:
                f.write(shown)
            editor(path)
            try:
                with open(path, encoding="utf-8", errors="surrogateescape") as f:
                    text = f.read()
                if _undecodable(text) - _undecodable(shown):  # bytes the editor added, not ours
                    raise UnicodeDecodeError("utf-8", b"", 0, 1, "invalid")
            except UnicodeDecodeError:
                raise BriefError("the edited file is not valid UTF-8 text; nothing changed") from None
            except OSError as e:
                raise BriefError(f"cannot read back the edited file {path}: {e.strerror or e}") from None
            if not without_comments(text).strip():
                return EditOutcome(None, "emptied")
            if text == shown and shown == original:
                return EditOutcome(None, "unchanged")
            try:
                vals = parse_form(text)
            except FormError as e:
                if text == shown:  # saved again without a fix: give up rather than loop
                    raise BriefError(f"still invalid, nothing changed: {e.message}") from None
                shown = _with_error(text, e.message)
                continue
            changed = {k: v for k, v in vals.items() if v != baseline[k]}
            return EditOutcome(changed, "") if changed else EditOutcome(None, "unchanged")
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass

