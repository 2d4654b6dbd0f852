"""Dotted config keys (services.api.max_instances) and the KEY=VALUE assignments that name them.

A key is written without the namespace; under the stack file's `config:` its first segment carries
it (golden-path:services). A segment that itself holds dots is written in double quotes:
scaling.last_scaled."network.connector".
"""

from __future__ import annotations

import re
from typing import Any

from infra.edit_error import EditError
from infra.naming import NAMESPACE
from infra.yaml_scalars import MISSING, SCALAR_TYPES, read_scalar
from infra.yaml_v3_scalars import timestamp
from policies import redaction

_SEGMENT = re.compile(r'"(?P<quoted>[^"]+)"|(?P<plain>[^."\s]+)')


def split_key(key: str) -> tuple[str, ...]:
    """services.api.max_instances -> ("services", "api", "max_instances")."""
    parts: list[str] = []
    pos = 0
    while True:
        match = _SEGMENT.match(key, pos)
        if not match:
            raise EditError(f"{redaction.shown(key)} is not a dotted key such as services.api.max_instances "
                            "(segments are non-empty, without spaces; quote a segment holding dots)")
        parts.append(match.group("quoted") or match.group("plain"))
        pos = match.end()
        if pos == len(key):
            return tuple(parts)
        if key[pos] != ".":
            raise EditError(f"{redaction.shown(key)}: expected '.' after {redaction.shown(key[:pos])}")
        pos += 1


def join_key(parts: tuple[str, ...] | list[str]) -> str:
    """The inverse of split_key."""
    return ".".join(f'"{p}"' if "." in p else p for p in parts)


def shown_key(key: str) -> str:
    """A dotted key as a message writes it: each segment as the redaction rule shows a name (a pasted
    secret can be a key too)."""
    return ".".join(redaction.shown_name(part) for part in key.split("."))


def config_path(parts: tuple[str, ...]) -> tuple[str, ...]:
    """("services", "api") -> ("golden-path:services", "api"): keys as written under config:."""
    return (f"{NAMESPACE}:{parts[0]}", *parts[1:]) if parts else ()


def lookup(tree: Any, keys: tuple[str, ...]) -> Any:
    """The value at keys in nested mappings, or MISSING."""
    for part in keys:
        if not isinstance(tree, dict) or part not in tree:
            return MISSING
        tree = tree[part]
    return tree


def parse_assignment(text: str) -> tuple[str, Any]:
    """CLI "KEY=VALUE" -> (key, value), the value typed as the stack file reader types YAML.

    20 -> int, 0.5 -> float, true -> bool, text -> str; a quoted value stays a string. Timestamps
    stay text: the config stores times as ISO 8601 strings.
    """
    key, sep, raw = text.partition("=")
    key, raw = key.strip(), raw.strip()
    echo = echo_assignment(text)
    if not sep or not key:
        raise EditError(f"{echo}: write KEY=VALUE, e.g. services.api.max_instances=20")
    try:
        split_key(key)
    except EditError as exc:
        raise EditError(f"{echo}: {exc}") from None
    if not raw:
        raise EditError(f"{echo}: no value after '='; an empty string is written KEY=''")
    if any(ord(c) < 32 and c != "\t" for c in raw):
        raise EditError(f"{echo}: the value holds a line break or control character; one line only")
    if re.fullmatch(r"[-+]?0[0-9_]+", raw):
        octal = read_scalar(raw, flow=False)
        raise EditError(f"{echo}: {redaction.shown(raw, key)} has a leading zero, which YAML reads as octal "
                        f"({octal!r}); "
                        "write it without the zero, or quote it as text")
    value = read_scalar(raw, flow=False)
    if timestamp(raw) is not None:  # the reader gives Pulumi's text for it (infra/yaml_v3_scalars.py)
        value = raw
    if not isinstance(value, SCALAR_TYPES):
        shown = "no single YAML value" if value is MISSING else "null" if value is None else \
            f"a {type(value).__name__}"
        raise EditError(f"{echo}: the value is {shown}; a value is a number, true/false or text "
                        "(quote text that holds ': ' or ' #', or starts with one of [ { & * ! | > ' \" %)")
    return key, value


def echo_assignment(text: str) -> str:
    """KEY=VALUE as a message may quote it: the value only where the redaction rule shows it."""
    key, sep, raw = text.partition("=")
    key, raw = key.strip(), raw.strip()
    if not sep:
        return redaction.shown(text.strip())
    shown = redaction.shown(raw, key)
    if shown_key(key) != key:
        return f"{shown_key(key)}={shown}"
    return repr(f"{key}={raw}") if shown == repr(raw) else f"{key}=({shown})"
