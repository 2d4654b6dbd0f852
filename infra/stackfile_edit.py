"""Editing Pulumi.<stack>.yaml in place: only the scalars asked for change, every other byte stays.

The writer's entry, used by `infra scale set` and `infra scale auto`. `edit()` runs the sequence:

    with locked(path):                      # two scalers never lose an update
        text = read_text(path); new = apply(text, path, {...}); validate(new); write_atomic(path, new)

Its parts, one concern each:
    infra.dotted_keys     dotted keys and KEY=VALUE assignments (parse_assignment)
    infra.yaml_scalars    YAML tokens typed as the stack file reader types them
    infra.settable_keys   which keys name a single setting of the config model, and its type
    infra.yaml_splice     the text splice that sets one scalar
    infra.file_text       read_text, write_atomic
    infra.stackfile_lock  locked: the lock on a stack file
    infra.edit_error      EditError
`apply` reads the result back with infra.stackfile (the reader config.load uses) to prove that only
the asked-for keys changed.
"""

from __future__ import annotations

import copy
import difflib
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from infra import stackfile
from infra.change import Change
from infra.dotted_keys import config_path, lookup, parse_assignment, split_key
from infra.edit_error import EditError
from infra.file_text import read_text, write_atomic
from infra.naming import NAMESPACE
from infra.settable_keys import NON_TEXT_TYPES, setting_type
from infra.stackfile_lock import locked
from infra.yaml_scalars import MISSING, SCALAR_TYPES, same, scalar_text
from infra.yaml_splice import set_scalar
from policies import redaction

# The entry callers use; what is not defined here comes from the parts above.
__all__ = ["EditError", "apply", "edit", "locked", "parse_assignment", "read_text", "unified_diff", "write_atomic"]


def _assign(tree: dict[str, Any], keys: tuple[str, ...], value: Any) -> None:
    for part in keys[:-1]:
        if not isinstance(tree.get(part), dict):
            tree[part] = {}
        tree = tree[part]
    tree[keys[-1]] = value


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
    expected = copy.deepcopy(sf.config)
    changes: list[Change] = []
    for key, value in assignments.items():
        key = key.removeprefix(f"{NAMESPACE}:")
        parts = split_key(key)
        if ":" in parts[0]:
            raise EditError(f"{where}: {key}: the scaler sets {NAMESPACE}: keys only; edit "
                            f"{parts[0].partition(':')[0]}: settings by hand")
        wanted_type = setting_type(sf, where, key, parts)
        if not isinstance(value, SCALAR_TYPES) or (isinstance(value, float) and not math.isfinite(value)):
            raise EditError(f"{where}: {key}: {redaction.shown(value, key)} cannot be written; "
                            "the editor writes finite numbers, true/false and text")
        keys = config_path(parts)
        old = lookup(sf.config, keys)
        if isinstance(old, str) and not isinstance(value, str) and wanted_type not in NON_TEXT_TYPES:
            value = scalar_text(value)
        if old is not MISSING and same(old, value):
            continue
        text = set_scalar(text, where, key, value)
        _assign(expected, keys, value)
        changes.append(Change(key=key, old=None if old is MISSING else old, new=value))
    if changes:
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


def unified_diff(old_text: str, new_text: str, path: Path) -> str:
    """A git-style diff (a/ and b/ file names); empty when nothing changed."""
    name = path.as_posix().lstrip("/")
    lines = difflib.unified_diff(old_text.splitlines(keepends=True), new_text.splitlines(keepends=True),
                                 fromfile=f"a/{name}", tofile=f"b/{name}")
    no_newline = "\n\\ No newline at end of file\n"
    return "".join(_redacted(line) if line.endswith("\n") else _redacted(line) + no_newline for line in lines)


# A diff line of a block mapping entry: its key, its value and what follows (a comment, the line end).
_DIFF_LINE = re.compile(r"^(?P<head>[-+ ]\s*(?:- )?(?P<key>[^:#'\"\s][^:#]*?):\s+)(?P<value>[^#\r\n]*?)"
                        r"(?P<tail>\s*(?:#.*)?\r?\n?)$")


def _redacted(line: str) -> str:
    """A diff line with a value the redaction rule would not show (under a secret-looking key, or
    secret-shaped) replaced by its description; every other line as it is."""
    if line.startswith(("---", "+++", "@@")):
        return line
    match = _DIFF_LINE.match(line)
    if match is None:
        return line
    key, value = match["key"].strip(), match["value"]
    if value and (redaction.secret_key(key) or value.startswith(("{secure:", "secure:"))
                  or redaction.known_secret_shape(value) or redaction.generic_secret_shape(value)):
        return f"{match['head']}({redaction.shown(value, key)}){match['tail']}"
    return line


def edit(path: Path, assignments: dict[str, Any] | Callable[[str], dict[str, Any]],
         validate: Callable[[str], None], timeout_s: float = 30) -> list[Change]:
    """Lock, read, apply, validate, write: the one way the scaler changes a stack file.

    assignments is a dict, or a function of the file's current text that returns one: decisions
    that depend on the current values (an increment, `scale auto`) are then made under the lock,
    so a concurrent scaler's update is never lost. validate(new_text) raises to refuse the change
    (its exception propagates); the file then stays byte-for-byte as it was. Nothing to change:
    nothing is validated or written, [] is returned.
    """
    with locked(path, timeout_s):
        text = read_text(path)
        wanted = assignments(text) if callable(assignments) else assignments
        new_text, changes = apply(text, path, wanted)
        if not changes:
            return []
        validate(new_text)
        if read_text(path) != text:  # a hand edit that did not take the lock
            raise EditError(f"{path}: changed by someone else while the change was being checked; "
                            "nothing was written, run again")
        write_atomic(path, new_text)
    return changes
