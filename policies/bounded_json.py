"""JSON text as input a person or a program wrote, read with bounds: nesting is measured before anything
is parsed (Python's json recurses once per level), and numbers no float holds are kept as markers.

json.loads accepts NaN, Infinity and -Infinity, reads 1e400 as infinity and turns an integer of any
length into an int (one over 4300 digits is a ValueError). Here each of them is an UnusableNumber where
it stood, so the caller names its place (`unusable_numbers`) and says what is allowed there.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from policies.redaction import MAX_SHOWN, shown_name

# Digits of the largest float (1.8e308): an integer written with more is beyond any float.
FLOAT_MAX_DIGITS = len(str(int(sys.float_info.max)))
# A string (its escapes included; an unterminated one runs to the end of the text), or a bracket outside
# strings. Possessive and never retried inside a string, so linear on any text.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"?|[\[\]{}]', re.DOTALL)


class TooDeep(ValueError):
    """Nesting past the caller's limit; `offset` is the bracket that goes past it."""

    def __init__(self, offset: int, limit: int) -> None:
        super().__init__(f"nested deeper than {limit} levels")
        self.offset = offset
        self.limit = limit


NOT_FINITE = "is not a finite number"
BEYOND_FLOAT = "is beyond the range of a float (about 1.8e308)"


@dataclass(frozen=True)
class UnusableNumber:
    """A number as written that no float holds: NaN, an infinity, or past the float range."""

    token: str
    reason: str = NOT_FINITE  # NaN, Infinity, -Infinity: what json's parse_constant is handed

    def __str__(self) -> str:
        if len(self.token) <= MAX_SHOWN:
            return self.token
        digits = self.token.lstrip("-")
        return f"a {len(digits)}-digit number" if digits.isdigit() else f"a {len(self.token)}-character number"


def loads(text: str, max_depth: int) -> Any:
    """The JSON value of `text`; TooDeep before parsing when it nests deeper than `max_depth`, and
    json.JSONDecodeError when it is not JSON. Numbers no float holds come back as UnusableNumber."""
    offset = _past_depth(text, max_depth)
    if offset is not None:
        raise TooDeep(offset, max_depth)
    return json.loads(text, parse_constant=UnusableNumber, parse_float=_float, parse_int=_int)


def unusable_numbers(value: Any, path: str = "") -> Iterator[tuple[str, UnusableNumber]]:
    """(where, number) for every UnusableNumber in a value `loads` returned; where is a path like a.b[0]."""
    if isinstance(value, UnusableNumber):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from unusable_numbers(item, member(path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from unusable_numbers(item, f"{path}[{i}]")


def member(path: str, key: str) -> str:
    """The path of `key` inside `path`, the key written as the redaction rule allows."""
    return f"{path}.{shown_name(key)}" if path else shown_name(key)


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset, as json.JSONDecodeError counts them."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _past_depth(text: str, limit: int) -> int | None:
    """The offset of the first bracket nested deeper than `limit`, or None."""
    if text.count("[") + text.count("{") <= limit:
        return None  # too few brackets to nest that deep: the common case costs two counts
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > limit:
                return match.start()
        elif token in ("]", "}"):
            depth -= 1
    return None


def _float(token: str) -> float | UnusableNumber:
    value = float(token)
    return value if math.isfinite(value) else UnusableNumber(token, BEYOND_FLOAT)


def _int(token: str) -> int | UnusableNumber:
    if len(token.lstrip("-")) > FLOAT_MAX_DIGITS:
        # decided before int(): past 4300 digits int() raises, and below that its time is quadratic
        return UnusableNumber(token, BEYOND_FLOAT)
    value = int(token)
    return value if abs(value) <= sys.float_info.max else UnusableNumber(token, BEYOND_FLOAT)
