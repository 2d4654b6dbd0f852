"""Editing Pulumi.<stack>.yaml in place: only the scalars asked for change, every other byte stays.

Used by `infra scale set` and `infra scale auto`. The intended sequence, which `edit()` runs:

    with locked(path):                      # two scalers never lose an update
        text = read; new = apply(text, path, {...}); validate(new); write_atomic(path, new)

Why a text splice and not a YAML dump: a dump re-flows what it did not understand (spacing before
comments, flow mappings, CRLF, a BOM). Here ruamel.yaml only *finds* the scalar (its composer
gives character offsets), the new token replaces exactly those characters, and the result is read
back with infra.stackfile (the reader config.load uses) to prove that only the asked-for keys
changed. Values are typed the way that reader types them.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import fcntl
import math
import os
import re
import stat
import tempfile
import time
import types
import typing
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.error import YAMLError as RuamelYAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from infra import stackfile
from infra.config import CONFIG_KEYS, NAMESPACE, StackConfig

SCALAR_TYPES = (bool, int, float, str)
_MISSING = object()
_SEGMENT = re.compile(r'"(?P<quoted>[^"]+)"|(?P<plain>[^."\s]+)')


class EditError(Exception):
    """An edit that cannot be made; the message names file, line (where known), key and why."""


@dataclass(frozen=True)
class Change:
    key: str  # dotted, without the namespace: services.api.max_instances
    old: Any  # None where the key was absent (the model's default applied)
    new: Any
    reason: str = ""


# --- keys and values ------------------------------------------------------------------------------


def split_key(key: str) -> tuple[str, ...]:
    """services.api.max_instances -> ("services", "api", "max_instances").

    A segment that itself contains dots is written in double quotes: scaling.last_scaled."a.b".
    """
    parts: list[str] = []
    pos = 0
    while True:
        match = _SEGMENT.match(key, pos)
        if not match:
            raise EditError(f"{key!r} is not a dotted key such as services.api.max_instances "
                            "(segments are non-empty, without spaces; quote a segment holding dots)")
        parts.append(match.group("quoted") or match.group("plain"))
        pos = match.end()
        if pos == len(key):
            return tuple(parts)
        if key[pos] != ".":
            raise EditError(f"{key!r}: expected '.' after {key[:pos]!r}")
        pos += 1


def join_key(parts: tuple[str, ...] | list[str]) -> str:
    """The inverse of split_key."""
    return ".".join(f'"{p}"' if "." in p else p for p in parts)


def parse_assignment(text: str) -> tuple[str, Any]:
    """CLI "KEY=VALUE" -> (key, value), the value typed as the stack file reader types YAML.

    20 -> int, 0.5 -> float, true -> bool, text -> str; a quoted value stays a string. Timestamps
    stay text: the config stores times as ISO 8601 strings.
    """
    key, sep, raw = text.partition("=")
    key, raw = key.strip(), raw.strip()
    if not sep or not key:
        raise EditError(f"{text!r}: write KEY=VALUE, e.g. services.api.max_instances=20")
    try:
        split_key(key)
    except EditError as exc:
        raise EditError(f"{text!r}: {exc}") from None
    if not raw:
        raise EditError(f"{text!r}: no value after '='; an empty string is written KEY=''")
    if any(ord(c) < 32 and c != "\t" for c in raw):
        raise EditError(f"{text!r}: the value holds a line break or control character; one line only")
    if re.fullmatch(r"[-+]?0[0-9_]+", raw):
        octal = _read_scalar(raw, flow=False)
        raise EditError(f"{text!r}: {raw} has a leading zero, which YAML reads as octal ({octal!r}); "
                        "write it without the zero, or quote it as text")
    value = _read_scalar(raw, flow=False)
    if isinstance(value, datetime | date):
        value = raw
    if not isinstance(value, SCALAR_TYPES):
        shown = "no single YAML value" if value is _MISSING else "null" if value is None else \
            f"a {type(value).__name__}"
        raise EditError(f"{text!r}: {raw!r} is {shown}; a value is a number, true/false or text "
                        "(quote text that holds ': ' or ' #', or starts with one of [ { & * ! | > ' \" %)")
    return key, value


def _read_scalar(token: str, flow: bool) -> Any:
    """The value `token` has when the stack file reader meets it as a mapping value."""
    snippet = f"config: {{k: {token}}}\n" if flow else f"config:\n  k: {token}\n"
    try:
        config = stackfile.read(Path("Pulumi.value.yaml"), snippet).config
    except (stackfile.StackFileError, yaml.YAMLError):  # YAMLError: characters YAML does not allow
        return _MISSING
    return config.get("k", _MISSING) if len(config) == 1 else _MISSING


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (1, 1.0 and True are not the same here)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else _number_token(value)


def _number_token(value: int | float) -> str:
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise ValueError(f"{value} is not a finite number")
    token = repr(value)
    mantissa, e, exponent = token.partition("e")
    if e and "." not in mantissa:
        token = f"{mantissa}.0e{exponent}"  # YAML 1.1 floats need a dot: 1e-05 would read as text
    return token


def _double_quoted(value: str) -> str:
    """A YAML double-quoted scalar; anything not plainly printable is escaped."""
    out = []
    for char in value:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif char.isprintable() and char not in "\u2028\u2029\ufeff":
            out.append(char)
        else:
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


def _token(value: Any, style: str | None, flow: bool) -> str | None:
    """The YAML token for value, or None if none reads back as exactly value."""
    if isinstance(value, bool | int | float):
        candidates = [_as_text(value)]
    else:
        single = "'" + value.replace("'", "''") + "'"
        double = _double_quoted(value)
        printable = value.isprintable()
        candidates = {
            "'": [single] if printable else [double],
            '"': [double],
        }.get(style or "", [value, single, double] if printable else [double])
    for token in candidates:
        if token and _same(_read_scalar(token, flow), value):
            return token
    return None


# --- the schema: which dotted keys name a scalar setting ------------------------------------------


def _unwrap(annotation: Any) -> Any:
    """X | None -> X; other annotations unchanged."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _check_target(sf: stackfile.StackFile, where: str, key: str, parts: tuple[str, ...]) -> None:
    """Refuse a key the config contract has no scalar setting for (typos, whole mappings)."""
    annotation: Any = StackConfig
    for depth, part in enumerate(parts):
        here = join_key(parts[: depth + 1])
        line = sf.line_of(f"{NAMESPACE}:{parts[0]}", *parts[1 : depth + 1])
        at = f"{where}:{line}" if line else where
        if _is_model(annotation):
            fields = CONFIG_KEYS if annotation is StackConfig else tuple(annotation.model_fields)
            if part not in fields:
                near = difflib.get_close_matches(part, fields, n=1, cutoff=0.6)
                hint = f"did you mean {join_key((*parts[:depth], near[0]))}?" if near else \
                    f"{join_key(parts[:depth]) or 'the config'} has {', '.join(fields)}"
                raise EditError(f"{at}: {key}: unknown key {here}; {hint}")
            annotation = _unwrap(annotation.model_fields[part].annotation)
        elif typing.get_origin(annotation) is dict:
            annotation = _unwrap(typing.get_args(annotation)[1])
            present = _lookup(sf.config, _config_path(parts[:depth]))
            if _is_model(annotation) and (not isinstance(present, dict) or part not in present):
                known = ", ".join(present) if isinstance(present, dict) and present else "none"
                raise EditError(f"{at}: {key}: {join_key(parts[:depth])} has no entry {part!r} (it has: "
                                f"{known}); the scaler changes settings, add a new entry by hand")
        else:
            raise EditError(f"{at}: {key}: {join_key(parts[:depth])} is a single value, not a mapping; "
                            f"there is no {here}")
    if _is_model(annotation) or typing.get_origin(annotation) is dict:
        what = f"has keys {', '.join(annotation.model_fields)}" if _is_model(annotation) else "is a map"
        line = sf.line_of(f"{NAMESPACE}:{parts[0]}", *parts[1:])
        at = f"{where}:{line}" if line else where
        raise EditError(f"{at}: {key}: is a mapping ({what}); the editor sets single values, "
                        f"e.g. {key}.<name>=VALUE")


def _config_path(parts: tuple[str, ...]) -> tuple[str, ...]:
    """("services", "api") -> ("golden-path:services", "api"): keys as written under config:."""
    return (f"{NAMESPACE}:{parts[0]}", *parts[1:]) if parts else ()


def _lookup(tree: Any, keys: tuple[str, ...]) -> Any:
    for part in keys:
        if not isinstance(tree, dict) or part not in tree:
            return _MISSING
        tree = tree[part]
    return tree


def _assign(tree: dict[str, Any], keys: tuple[str, ...], value: Any) -> None:
    for part in keys[:-1]:
        if not isinstance(tree.get(part), dict):
            tree[part] = {}
        tree = tree[part]
    tree[keys[-1]] = value


# --- the splice -----------------------------------------------------------------------------------


def _compose(text: str, where: str) -> Node | None:
    try:
        return YAML(typ="rt").compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise EditError(f"{where}{line}: malformed YAML: {exc.problem or exc.context}") from None
    except RuamelYAMLError as exc:  # e.g. a character YAML does not allow
        raise EditError(f"{where}: not YAML: {exc}") from None


def _is_empty(text: str, node: Node) -> bool:
    """A value left out (`key:` with nothing after it); its marks point at the next token."""
    return isinstance(node, ScalarNode) and node.style is None and node.value == "" and \
        text[node.start_mark.index : node.end_mark.index].strip() == ""


def _indent_step(root: Node | None) -> int:
    """The file's indentation: the most common child-minus-parent column of block mappings."""
    steps: Counter[int] = Counter()

    def walk(node: Node) -> None:
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if isinstance(value, MappingNode) and not value.flow_style and value.value:
                    step = value.value[0][0].start_mark.column - key.start_mark.column
                    if step > 0:
                        steps[step] += 1
                walk(value)
        elif isinstance(node, SequenceNode):
            for item in node.value:
                walk(item)

    if root is not None:
        walk(root)
    return steps.most_common(1)[0][0] if steps else 2


def _last_end(text: str, key: Node | None, node: Node) -> int:
    """Offset just after the last character written for node (or for key, if node is left out)."""
    if isinstance(node, MappingNode) and not node.flow_style and node.value:
        return _last_end(text, *node.value[-1])
    if isinstance(node, SequenceNode) and not node.flow_style and node.value:
        return _last_end(text, None, node.value[-1])
    if key is not None and _is_empty(text, node):
        return key.end_mark.index
    end = node.end_mark.index
    while end > 0 and text[end - 1] in " \t\r\n":  # a block scalar's marks take in trailing blank lines
        end -= 1
    return end


def _line_after(text: str, index: int) -> tuple[int, str]:
    """Offset of the start of the next line after index, and the line break the line ends with."""
    newline = text.find("\n", index)
    if newline < 0:
        return len(text), ""
    return newline + 1, "\r\n" if newline > 0 and text[newline - 1] == "\r" else "\n"


def _file_newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _key_token(key: str, flow: bool, where: str) -> str:
    token = _token(key, None, flow)
    if token is None:
        raise EditError(f"{where}: {key!r} cannot be written as a YAML key")
    return token


def _block_lines(keys: tuple[str, ...], value_token: str, column: int, step: int, where: str) -> list[str]:
    lines = []
    for depth, part in enumerate(keys):
        head = " " * (column + depth * step) + _key_token(part, False, where) + ":"
        lines.append(head + (" " + value_token if depth == len(keys) - 1 else ""))
    return lines


def _flow_entry(keys: tuple[str, ...], value_token: str, where: str) -> str:
    """a, b, v -> "a: {b: v}": an entry for a flow mapping, creating the missing levels."""
    entry = value_token
    for depth in range(len(keys) - 1, -1, -1):
        entry = f"{_key_token(keys[depth], True, where)}: {entry}"
        if depth > 0:
            entry = "{" + entry + "}"
    return entry


def _insert_block(text: str, index: int, lines: list[str]) -> str:
    """Insert whole lines at the start of the line after index, in that line's line-break style."""
    at, newline = _line_after(text, index)
    if not newline:  # the last line has no line break: give it one, keep the file ending without
        return text + _file_newline(text) + _file_newline(text).join(lines)
    return text[:at] + newline.join(lines) + newline + text[at:]


def _splice(text: str, where: str, key: str, keys: tuple[str, ...], value: Any) -> str:
    """Text with the scalar at config path keys set to value (added, with parents, if absent)."""
    root = _compose(text, where)
    step = _indent_step(root)
    path = ("config", *keys)

    def token(style: str | None, flow: bool) -> str:
        found = _token(value, style, flow)
        if found is None:
            raise EditError(f"{where}: {key}: {value!r} cannot be written as a YAML value")
        return found

    if root is None:  # an empty file, or only comments
        newline = _file_newline(text)
        lines = _block_lines(path, token(None, False), 0, step, where)
        lead = newline if text and not text.endswith("\n") else ""
        return text + lead + newline.join(lines) + newline

    node, owner, flow = root, None, False
    for depth, part in enumerate(path):
        rest = path[depth:]
        line = node.start_mark.line + 1
        if owner is not None and _is_empty(text, node):  # `last_scaled:` with nothing under it yet
            column = owner.start_mark.column + step
            return _insert_block(text, owner.end_mark.index,
                                 _block_lines(rest, token(None, False), column, step, where))
        if not isinstance(node, MappingNode):
            shown = text[node.start_mark.index : node.end_mark.index].strip() or "null"
            above = join_key(split_key(key)[: depth - 1]) or "config"
            raise EditError(f"{where}:{line}: {key}: {above} is {shown!r} in the file, not a mapping; "
                            "fix it by hand first")
        flow = flow or bool(node.flow_style)
        hit = next(((k, v) for k, v in node.value if isinstance(k, ScalarNode) and k.value == part), None)
        if hit is None:
            if flow:
                entry = _flow_entry(rest, token(None, True), where)
                if node.value:
                    at = node.value[-1][1].end_mark.index
                    return text[:at] + ", " + entry + text[at:]
                return text[: node.start_mark.index] + "{" + entry + "}" + text[node.end_mark.index :]
            column = node.value[0][0].start_mark.column
            return _insert_block(text, _last_end(text, None, node),
                                 _block_lines(rest, token(None, False), column, step, where))
        owner, node = hit

    assert owner is not None
    line = owner.start_mark.line + 1
    source = text[node.start_mark.index : node.end_mark.index]
    if not isinstance(node, ScalarNode):
        kind = "list" if isinstance(node, SequenceNode) else "mapping"
        raise EditError(f"{where}:{line}: {key}: the file has a {kind} here, not a single value; "
                        "fix it by hand first")
    if node.anchor or source[:1] in ("&", "*", "!"):
        raise EditError(f"{where}:{line}: {key}: the value is anchored, an alias or tagged "
                        f"({source.split()[0]}); a change here would change other keys too; edit it by hand")
    if node.style in ("|", ">"):
        raise EditError(f"{where}:{line}: {key}: a block scalar ({node.style}); edit it by hand")
    if _is_empty(text, node):  # `key:` with the value left out: write it after the colon
        colon = text.index(":", owner.end_mark.index) + 1
        return text[:colon] + " " + token(None, flow) + text[colon:]
    return text[: node.start_mark.index] + token(node.style, flow) + text[node.end_mark.index :]


def apply(text: str, path: Path, assignments: dict[str, Any]) -> tuple[str, list[Change]]:
    """The stack file text with the dotted keys set, and the changes made.

    Keys are dotted, e.g. services.api.max_instances (the golden-path: namespace is implied).
    Values are bool, int, float or str; an assignment to a setting that is text in the file is
    written as text (a quoted string stays quoted). Assigning the value a key already has changes
    nothing and is not reported. Raises EditError, naming file, line and key, for a key the config
    contract has no single setting for, or a value that cannot be written.
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
        _check_target(sf, where, key, parts)
        if not isinstance(value, SCALAR_TYPES) or (isinstance(value, float) and not math.isfinite(value)):
            raise EditError(f"{where}: {key}: {value!r} ({type(value).__name__}) cannot be written; "
                            "the editor writes finite numbers, true/false and text")
        keys = _config_path(parts)
        old = _lookup(sf.config, keys)
        if isinstance(old, str) and not isinstance(value, str):
            value = _as_text(value)  # a string stays a string: WORKERS: "4" set to 8 -> "8"
        if old is not _MISSING and _same(old, value):
            continue
        text = _splice(text, where, key, keys, value)
        _assign(expected, keys, value)
        changes.append(Change(key=key, old=None if old is _MISSING else old, new=value))
    if changes:
        # Proof, not hope: the reader config.load uses sees exactly the intended config.
        try:
            got = stackfile.read(path, text).config
        except (stackfile.StackFileError, yaml.YAMLError) as exc:
            got = exc
        if not _same(got, expected):
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
    return "".join(line if line.endswith("\n") else line + no_newline for line in lines)


# --- files: read, write atomically, lock ----------------------------------------------------------


def read_text(path: Path) -> str:
    """The file's text exactly (CRLF kept; Path.read_text would turn it into LF)."""
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise EditError(f"{path}: no such stack file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EditError(f"{path}: cannot be read: {exc}") from None


def write_atomic(path: Path, text: str) -> None:
    """Replace the file's contents all at once: readers see the old file or the new, never a mix.

    A temp file in the same folder is written, flushed and fsynced, given the original's mode,
    then renamed over the target. A symlinked stack file stays a symlink (its target is written).
    """
    target = Path(os.path.realpath(path))
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = 0o644
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(text.encode("utf-8"))
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def lock_path(path: Path) -> Path:
    """The sidecar lock file: .Pulumi.prod.yaml.lock beside the stack file (ignored via *.lock)."""
    target = Path(os.path.realpath(path))
    return target.with_name(f".{target.name}.lock")


def _holder(fd: int) -> tuple[str, str]:
    """(pid, since) as the lock holder wrote them into the lock file."""
    found = re.search(r"pid (\d+) since (\S+)", os.pread(fd, 200, 0).decode("utf-8", "replace"))
    return (found.group(1), found.group(2)) if found else ("unknown", "an unknown time")


@contextlib.contextmanager
def locked(path: Path, timeout_s: float = 30) -> Iterator[None]:
    """Hold an exclusive lock on the stack file; a second holder waits up to timeout_s.

    flock on a sidecar file: released by the kernel if the holder dies. The holder writes its pid
    and start time into the lock file so the waiter can say who holds it. Not re-entrant.
    """
    lock = lock_path(path)
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise EditError(f"{path}: cannot create the lock file {lock}: {exc}") from None
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    pid, since = _holder(fd)
                    raise EditError(f"another scaler holds the lock on {path} since {since} (pid {pid}); "
                                    f"gave up after {timeout_s:g} s; run again when it has finished "
                                    f"(lock file {lock})") from None
                time.sleep(0.02)
        since = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {since}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the last descriptor releases the flock


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
