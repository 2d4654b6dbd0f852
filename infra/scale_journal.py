"""The scaler's journal: every change `infra scale set|auto|revert` writes, recorded beside the stack file,
and what `infra scale revert` restores from it.

`Pulumi.<stack>.scale-journal.jsonl` holds one JSON object a line: the entry's number, when (UTC), the
command, why (the assignments as messages show them, or the scaler's reasons), and each key's value before and after
(null: the key was absent). Commit it with the stack file: it is each change's way back. A value the
redaction rule would not show (a secret-looking key, a secret-shaped value) is not recorded: such a key
cannot be reverted from the journal. The stack file's lock covers the journal, so entries are in the
order the writes were made.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from infra.change import Change
from infra.dotted_keys import shown_key
from infra.edit_error import EditError
from infra.file_text import write_atomic
from policies import redaction
from policies.regular_file import UnreadableFile, read_regular_file

MAX_JOURNAL_BYTES = 16 * 1024 * 1024  # some hundred thousand entries; a larger file is not a journal
HIDDEN = {"hidden": True}  # what stands for a value the journal does not record
COOLDOWN_STAMPS = "scaling.last_scaled."  # keys scale auto adds; a revert leaves them


@dataclass(frozen=True)
class Entry:
    number: int
    at: str  # ISO 8601, UTC
    command: str  # scale set, scale auto, scale revert
    why: str
    changes: tuple[Change, ...]  # old None: the key was absent; old or new HIDDEN: not recorded


def journal_path(stack_file: Path) -> Path:
    """Pulumi.prod.yaml -> Pulumi.prod.scale-journal.jsonl, beside it."""
    return stack_file.with_name(f"{stack_file.stem}.scale-journal.jsonl")


def read(stack_file: Path) -> list[Entry]:
    """The journal's entries, oldest first ([] when there is none); EditError names the file and line."""
    path = journal_path(stack_file)
    if not path.exists():
        return []
    try:
        text = read_regular_file(path, MAX_JOURNAL_BYTES, "scale journal").decode("utf-8")
    except UnreadableFile as exc:
        raise EditError(str(exc)) from None
    except UnicodeDecodeError as exc:
        raise EditError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    entries = []
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
            entries.append(Entry(number=int(record["entry"]), at=str(record["at"]), command=str(record["command"]),
                                 why=str(record["why"]), changes=tuple(
                                     Change(key=str(c["key"]), old=c["old"], new=c["new"]) for c in record["changes"])))
        except (ValueError, KeyError, TypeError, RecursionError):
            raise EditError(f"{path}:{line}: not a journal entry (a JSON object with entry, at, command, why "
                            "and changes, each a key with its old and new value); fix or remove the line") from None
    return entries


def append(stack_file: Path, at: datetime, command: str, why: str, changes: list[Change]) -> Entry:
    """Record a change just written (the caller holds the stack file's lock); the whole journal is rewritten
    atomically, so a reader never sees half a line."""
    entries = read(stack_file)
    entry = Entry(number=entries[-1].number + 1 if entries else 1, at=at.isoformat(), command=command, why=why,
                  changes=tuple(Change(c.key, _recorded(c.key, c.old), _recorded(c.key, c.new)) for c in changes))
    line = json.dumps({"entry": entry.number, "at": entry.at, "command": entry.command, "why": entry.why,
                       "changes": [{"key": c.key, "old": c.old, "new": c.new} for c in entry.changes]})
    path = journal_path(stack_file)
    before = path.read_text(encoding="utf-8") if path.exists() else ""
    write_atomic(path, before + ("" if not before or before.endswith("\n") else "\n") + line + "\n")
    return entry


def _recorded(key: str, value: Any) -> Any:
    """value as the journal keeps it: itself where the redaction rule shows it as it is, else HIDDEN."""
    if value is None:
        return None
    plain = redaction.shown(value)
    if redaction.shown(value, key) == plain and (not isinstance(value, str) or plain == repr(value)):
        return value
    return HIDDEN


def restoring(entries: list[Entry], to: int | None) -> tuple[dict[str, Any], dict[str, Any], list[int]]:
    """What reverting to entry `to` (None: undoing the last entry; 0: every entry) sets: (key -> the value
    to write back, key -> the value the file must have now, the entries undone). EditError where it cannot
    be done from the journal: no such entry, nothing after it, a key the entries added or whose value is
    not recorded."""
    if not entries:
        raise EditError("the scale journal has no entries: nothing was written by the scaler to revert")
    numbers = [e.number for e in entries]
    if to is None:
        undone = entries[-1:]
    elif to != 0 and to not in numbers:  # 0: before the first entry
        raise EditError(f"no journal entry {to}; entries are {numbers[0]} to {numbers[-1]} (0: before them all)")
    else:
        undone = [e for e in entries if e.number > to]
        if not undone:
            raise EditError(f"entry {to} is the last: nothing after it to revert")
    restore: dict[str, Any] = {}
    expected: dict[str, Any] = {}
    for entry in undone:
        for change in entry.changes:
            restore.setdefault(change.key, (change.old, entry.number))
            expected[change.key] = change.new
    values = {}
    for key, (old, number) in restore.items():
        if old is None and key.startswith(COOLDOWN_STAMPS):
            continue  # the scaler acted then: its cooldown stamp stays, and holds the next scale auto off
        if old is None:
            raise EditError(f"{shown_key(key)}: entry {number} added it (it was absent); the scaler sets values and "
                            "does not remove keys: remove it by hand")
        if old == HIDDEN or expected[key] == HIDDEN:
            raise EditError(f"{shown_key(key)}: the journal does not record its value (the redaction rule hides it); "
                            "revert it by hand")
        values[key] = old
    return values, expected, [e.number for e in undone]
