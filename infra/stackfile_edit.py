"""Editing Pulumi.<stack>.yaml in place: only the scalars asked for change, every other byte stays.

The writer's entry, used by `infra scale set` and `infra scale auto`. `edit()` runs the sequence:

    with locked(path):                      # two scalers never lose an update
        text = read_text(path); new = apply(text, path, {...}); validate(new); write_atomic(path, new)

Its parts, one concern each:
    infra.dotted_keys     dotted keys and KEY=VALUE assignments (parse_assignment)
    infra.yaml_scalars    YAML tokens typed as the stack file reader types them
    infra.settable_keys   which keys name a single setting of the config model, and its type
    infra.yaml_splice     the text splices that set scalars
    infra.file_text       read_text, write_atomic
    infra.stackfile_lock  locked: the lock on a stack file
    infra.edit_error      EditError
`apply` reads the result back with infra.stackfile (the reader config.load uses) to prove that only
the asked-for keys changed. The reader parses a text once (infra.stackfile.read), so the candidate
read back here is the one the checks that follow plan.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from infra import stackfile
from infra.change import Change
from infra.dotted_keys import config_path, lookup, parse_assignment, shown_key, split_key
from infra.edit_error import EditError
from infra.file_text import read_text, write_atomic
from infra.naming import NAMESPACE
from infra.settable_keys import NON_TEXT_TYPES, setting_type
from infra.stackfile_lock import locked
from infra.yaml_scalars import MISSING, SCALAR_TYPES, same, scalar_text
from infra.yaml_splice import set_scalars
from policies import redaction

# The entry callers use; what is not defined here comes from the parts above.
__all__ = ["EditError", "apply", "edit", "locked", "parse_assignment", "read_text", "unified_diff", "write_atomic"]


def _assigned(tree: dict[str, Any], keys: tuple[str, ...], value: Any) -> dict[str, Any]:
    """tree with value at keys (mappings created on the way): each mapping on the way copied, the rest shared
    with tree, which stays as it was (a deep copy of a large config took longer than the edit)."""
    head, *rest = keys
    below = tree.get(head)
    return {**tree, head: _assigned(below if isinstance(below, dict) else {}, tuple(rest), value) if rest else value}


def apply(text: str, path: Path, assignments: dict[str, Any]) -> tuple[str, list[Change]]:
    """The stack file text with the dotted keys set, and the changes made.

    Keys are dotted, e.g. services.api.max_instances (the golden-path: namespace is implied).
    Values are bool, int, float or str. A value is written as the config model types its setting:
    a number given for a text setting is written as text (WORKERS: "4" set to 8 -> "8"), and a
    number setting the file holds as text (`pulumi config set --path` writes scale_up_at: "0.75")
    gets a number. Assigning the value a key already has changes nothing and is not reported.
    Raises EditError, naming file, line and key, for a key the config contract has no single
    setting for, or a value that cannot be written.
    """
    where = str(path)
    try:
        sf = stackfile.read(path, text)
    except stackfile.StackFileError as exc:
        raise EditError(str(exc)) from None
    except yaml.YAMLError as exc:  # e.g. a control character, which the reader does not turn into a line
        raise EditError(f"{where}: not YAML: {exc}") from None
    expected = sf.config
    to_set: list[tuple[str, Any]] = []
    changes: list[Change] = []
    for key, value in assignments.items():
        key = key.removeprefix(f"{NAMESPACE}:")
        parts = split_key(key)
        if ":" in parts[0]:
            raise EditError(f"{where}: {shown_key(key)}: the scaler sets {NAMESPACE}: keys only; edit "
                            f"{parts[0].partition(':')[0]}: settings by hand")
        wanted_type = setting_type(sf, where, key, parts)
        if not isinstance(value, SCALAR_TYPES) or (isinstance(value, float) and not math.isfinite(value)):
            raise EditError(f"{where}: {shown_key(key)}: {redaction.shown(value, key)} cannot be written; "
                            "the editor writes finite numbers, true/false and text")
        keys = config_path(parts)
        old = lookup(sf.config, keys)
        if isinstance(old, str) and not isinstance(value, str) and wanted_type not in NON_TEXT_TYPES:
            value = scalar_text(value)
        if old is not MISSING and same(old, value):
            continue
        to_set.append((key, value))
        expected = _assigned(expected, keys, value)
        changes.append(Change(key=key, old=None if old is MISSING else old, new=value))
    if changes:
        text = set_scalars(text, where, to_set, sf.root())
        # Proof, not hope: the reader config.load uses sees exactly the intended config.
        try:
            got = stackfile.read(path, text).config
        except (stackfile.StackFileError, yaml.YAMLError) as exc:
            got = exc
        if not same(got, expected):
            raise EditError(f"{where}: setting {', '.join(c.key for c in changes)} did not read back as "
                            f"intended ({got if isinstance(got, Exception) else 'other values moved'}); "
                            "the file was not changed, edit it by hand")
    return text, changes


CONTEXT = 3  # lines of context around a change: difflib.unified_diff's default, git's too
_HUNK = re.compile(r"@@ -(?P<old>\d+)(?P<old_length>,\d+)? \+(?P<new>\d+)(?P<new_length>,\d+)? @@\n")


def unified_diff(old_text: str, new_text: str, path: Path) -> str:
    """A git-style diff (a/ and b/ file names); empty when nothing changed.

    difflib is handed only the lines from the first that differs to the last, with their context, and
    its hunks are numbered back into the file: its matcher can compare every line with every other, and
    the files are large where the changes are a few lines. The diff is difflib's of the whole texts, but
    where changes sit among repeated lines, which the window may pair otherwise (a diff all the same).
    """
    name = path.as_posix().lstrip("/")
    old_lines, new_lines = old_text.splitlines(keepends=True), new_text.splitlines(keepends=True)
    head, tail = _shared_ends(old_lines, new_lines)
    lines = difflib.unified_diff(old_lines[head : len(old_lines) - tail], new_lines[head : len(new_lines) - tail],
                                 fromfile=f"a/{name}", tofile=f"b/{name}")
    no_newline = "\n\\ No newline at end of file\n"
    return "".join(_renumbered(line, head) if line.startswith("@@") else
                   _redacted(line) if line.endswith("\n") else _redacted(line) + no_newline for line in lines)


def _shared_ends(a: list[str], b: list[str]) -> tuple[int, int]:
    """How many lines a and b share at the start and at the end, less the CONTEXT lines a diff shows."""
    shortest = min(len(a), len(b))
    head = next((i for i in range(shortest) if a[i] != b[i]), shortest)
    tail = next((i for i in range(shortest - head) if a[-1 - i] != b[-1 - i]), shortest - head)
    return max(head - CONTEXT, 0), max(tail - CONTEXT, 0)


def _renumbered(hunk: str, skipped: int) -> str:
    """A hunk header of lines after `skipped` lines left out, numbered as lines of the whole file."""
    found = _HUNK.fullmatch(hunk)
    assert found is not None, hunk
    return (f"@@ -{int(found['old']) + skipped}{found['old_length'] or ''} "
            f"+{int(found['new']) + skipped}{found['new_length'] or ''} @@\n")


# A diff line of a block mapping entry: its key, its value and what follows (a comment, the line end).
_DIFF_LINE = re.compile(r"^(?P<head>[-+ ]\s*(?:- )?(?P<key>[^:#'\"\s][^:#]*?):\s+)(?P<value>[^#\r\n]*?)"
                        r"(?P<tail>\s*(?:#.*)?\r?\n?)$")


def _redacted(line: str) -> str:
    """A diff line with a value the redaction rule would not show (under a secret-looking key, or
    secret-shaped) replaced by its description, and so a key shaped like a secret; every other line
    as it is."""
    if line.startswith(("---", "+++", "@@")):
        return line
    match = _DIFF_LINE.match(line)
    if match is None:
        return line
    key, value = match["key"].strip(), match["value"]
    if redaction.shown_name(key) != key:
        head = match["head"].replace(key, redaction.shown_name(key), 1)
        return f"{head}({redaction.shown(value, key)}){match['tail']}" if value else f"{head}{match['tail']}"
    if value and (redaction.secret_key(key) or value.startswith(("{secure:", "secure:"))
                  or redaction.known_secret_shape(value) or redaction.generic_secret_shape(value)):
        return f"{match['head']}({redaction.shown(value, key)}){match['tail']}"
    return line


def edit(path: Path, assignments: dict[str, Any] | Callable[[str], dict[str, Any]],
         validate: Callable[[str], None], timeout_s: float = 30,
         applied: tuple[str, str, list[Change]] | None = None,
         written: Callable[[list[Change]], None] | None = None) -> list[Change]:
    """Lock, read, apply, validate, write: the one way the scaler changes a stack file.

    assignments is a dict, or a function of the file's current text that returns one: decisions
    that depend on the current values (an increment, `scale auto`) are then made under the lock,
    so a concurrent scaler's update is never lost. validate(new_text) raises to refuse the change
    (its exception propagates); the file then stays byte-for-byte as it was. Nothing to change:
    nothing is validated or written, [] is returned. applied is (text, new_text, changes) that apply
    gave for the same assignments before the lock was taken: kept if the file is still that text
    (splicing a large file and reading it back takes seconds). written(changes) is called once the file
    is written, still under the lock (the scale journal records the change there).
    """
    with locked(path, timeout_s):
        text = read_text(path)
        wanted = assignments(text) if callable(assignments) else assignments
        if applied is not None and applied[0] == text:
            _, new_text, changes = applied
        else:
            new_text, changes = apply(text, path, wanted)
        if not changes:
            return []
        validate(new_text)
        if read_text(path) != text:  # a hand edit that did not take the lock
            raise EditError(f"{path}: changed by someone else while the change was being checked; "
                            "nothing was written, run again")
        write_atomic(path, new_text)
        if written is not None:
            written(changes)
    return changes
