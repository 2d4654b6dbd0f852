"""YAML scalar tokens, typed the way the stack file reader types them.

What a token reads as, and the token that reads back as exactly a given value. A token is proved
by reading it with infra.stackfile (the reader config.load uses: YAML 1.2 booleans, as Pulumi reads
stack files), never by typing rules restated here.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from infra import stackfile

SCALAR_TYPES = (bool, int, float, str)
MISSING = object()  # no value: an absent key, or a token that is not one YAML value


def read_scalar(token: str, flow: bool) -> Any:
    """The value `token` has when the stack file reader meets it as a mapping value (MISSING if none)."""
    snippet = f"config: {{k: {token}}}\n" if flow else f"config:\n  k: {token}\n"
    try:
        config = stackfile.parse(Path("Pulumi.value.yaml"), snippet).config
    except (stackfile.StackFileError, yaml.YAMLError):  # YAMLError: characters YAML does not allow
        return MISSING
    return config.get("k", MISSING) if len(config) == 1 else MISSING


def same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (1, 1.0 and True are not the same here); NaN is
    the same as NaN: a file that has one reads back with it (the config model then names it)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def scalar_text(value: bool | int | float | str) -> str:
    """The plain text of a scalar: true, 20, 0.75, or the string itself."""
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


def scalar_token(value: bool | int | float | str, style: str | None, flow: bool) -> str | None:
    """The YAML token for value, or None if none reads back as exactly value.

    style is the quoting the token replaces ("'", '"' or None for plain): text keeps its quotes
    where it can; a number or boolean is always written plain.
    """
    if isinstance(value, bool | int | float):
        candidates = [scalar_text(value)]
    else:
        single = "'" + value.replace("'", "''") + "'"
        double = _double_quoted(value)
        printable = value.isprintable()
        candidates = {
            "'": [single] if printable else [double],
            '"': [double],
        }.get(style or "", [value, single, double] if printable else [double])
    for token in candidates:
        if token and same(read_scalar(token, flow), value):
            return token
    return None
