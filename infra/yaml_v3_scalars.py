"""A YAML scalar's value as the Pulumi CLI reads it: typed by go-yaml v3, then kept by Pulumi's config.

The Pulumi CLI reads stack files with gopkg.in/yaml.v3 (sdk/go/common/encoding/marshal.go). Its rules for a
plain scalar (go-yaml/yaml, branch v3, resolve.go `resolve`), where they differ from YAML 1.1's:
- only true/True/TRUE and false/False/FALSE are booleans (`yes`, `on`, `y` are text), and there are no
  base-60 numbers (`1:20` is text);
- a scalar starting with a digit or a sign is, in this order: a timestamp (`parseTimestamp`), an integer
  as Go's strconv.ParseInt(text without `_`, base 0) reads one (0x, 0o and 0b prefixes; a leading 0 is
  octal, so `010` is 8), an unsigned one up to 2**64 - 1, a float written as YAML writes decimals (`08` is
  8.0, `1e3` is 1000.0, one beyond the float range is text), else text;
- a scalar starting with a dot is .inf/.nan (three spellings each) or what Go's strconv.ParseFloat reads
  (`.5`), else text.
Pulumi's config then stores a timestamp as Go's time.Time.String() (sdk/go/common/resource/config/object.go,
unmarshalObject), and that text is what the program is handed: `2026-11-22` is "2026-11-22 00:00:00 +0000 UTC".
"""

from __future__ import annotations

import calendar
import math
import re
from typing import Any

from policies.redaction import shown

SPECIAL_FLOATS = {
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
}
BOOLEANS = {**dict.fromkeys(("true", "True", "TRUE"), True), **dict.fromkeys(("false", "False", "FALSE"), False)}
NULLS = frozenset(("", "~", "null", "Null", "NULL"))
NUMBER_STARTS = "+-.0123456789"  # the plain scalars that may be numbers or timestamps; the rest are looked up
TAGS = ("int", "float", "bool", "null", "timestamp")  # the explicit tags `tagged` reads (after tag:yaml.org,2002:)

INT64_MIN, INT64_END, UINT64_END = -(2**63), 2**63, 2**64
# ParseInt with base 0, on text without underscores: an optional sign, then a prefixed or a plain number.
_GO_INT = re.compile(r"([-+]?)(?:0[bB](?P<bin>[01]+)|0[oO](?P<oct>[0-7]+)|0[xX](?P<hex>[0-9a-fA-F]+)"
                     r"|(?P<octal>0[0-7]*)|(?P<dec>[1-9][0-9]*))")
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")  # resolve.go yamlStyleFloat
# What strconv.ParseFloat reads from a scalar that starts with a dot: digits, an exponent, and `_` between digits.
_DOT_FLOAT = re.compile(r"\.[0-9]++(?:_[0-9]++)*+(?:[eE][-+]?[0-9]++(?:_[0-9]++)*+)?")
# resolve.go allowedTimestampFormats: 2006-1-2T15:4:5.999999999Z07:00 (T or t), 2006-1-2 15:4:5.999999999 and
# 2006-1-2, as Go's time.Parse reads them: one or two digits but the year's four; a fraction of any length.
_DATE = r"(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})"
_TIME = r"(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{1,2}):(?P<second>[0-9]{1,2})(?:[.,](?P<fraction>[0-9]+))?"
_TIMESTAMPS = (
    re.compile(f"{_DATE}[Tt]{_TIME}(?:(?P<utc>Z)|(?P<sign>[-+])(?P<zone_h>[0-9]{{2}}):(?P<zone_m>[0-9]{{2}}))"),
    re.compile(f"{_DATE} {_TIME}"),
    re.compile(_DATE),
)
NANOSECOND_DIGITS = 9  # Go keeps nanoseconds; further digits are dropped


class TagMismatch(ValueError):
    """A scalar whose explicit tag (!!int, !!bool, ...) does not fit its text; go-yaml refuses it too."""


def plain_number(text: str) -> Any:
    """The value of a plain scalar that starts with one of NUMBER_STARTS: int, float or text."""
    stamp = timestamp(text)
    return stamp if stamp is not None else _untimed_number(text)


def _untimed_number(text: str) -> Any:
    if text in SPECIAL_FLOATS:
        return SPECIAL_FLOATS[text]
    if text.startswith("."):
        return float(text.replace("_", "")) if _DOT_FLOAT.fullmatch(text) else text
    return _number(text.replace("_", ""), text)


def _number(plain: str, text: str) -> Any:
    found = _GO_INT.fullmatch(plain)
    if found:
        digits, base = next((found[name], base) for name, base in
                            (("bin", 2), ("oct", 8), ("hex", 16), ("octal", 8), ("dec", 10)) if found[name])
        # A decimal of more than 20 digits is past 2**64; Python refuses to read very long ones at all.
        if base != 10 or len(digits) <= 20:
            value = int(digits, base) * (-1 if found[1] == "-" else 1)
            if INT64_MIN <= value < INT64_END or (not found[1] and value < UINT64_END):
                return value
    if _YAML_STYLE_FLOAT.fullmatch(plain):
        value = float(plain)
        if not math.isinf(value):  # ParseFloat's range error: the scalar stays text
            return value
    return text


def timestamp(text: str) -> str | None:
    """The text Pulumi hands the program for a go-yaml v3 timestamp (Go's time.Time.String()), or None."""
    for pattern in _TIMESTAMPS:
        found = pattern.fullmatch(text)
        if found:
            return _go_time_text(found)
    return None


def _go_time_text(found: re.Match[str]) -> str | None:
    parts = found.groupdict()
    year, month, day = int(parts["year"]), int(parts["month"]), int(parts["day"])
    hour, minute, second = (int(parts.get(name) or 0) for name in ("hour", "minute", "second"))
    if not (1 <= month <= 12 and 1 <= day <= _days_in(year, month) and hour < 24 and minute < 60 and second < 60):
        return None  # time.Parse's range errors: the scalar is not a timestamp
    fraction = (parts.get("fraction") or "")[:NANOSECOND_DIGITS].ljust(NANOSECOND_DIGITS, "0").rstrip("0")
    zone = "+0000 UTC"
    if parts.get("sign"):
        zone_h, zone_m = int(parts["zone_h"]), int(parts["zone_m"])
        if zone_h > 24 or zone_m > 60:  # Go allows 24 hours and 60 minutes, not beyond
            return None
        # Go names a zone when the machine's local zone has that offset; the CLI in CI runs in UTC, where
        # any other offset is a fixed zone without a name, printed as its offset twice.
        hours, minutes = divmod(zone_h * 60 + zone_m, 60)
        offset = f"{parts['sign']}{hours:02d}{minutes:02d}"
        zone = zone if hours == minutes == 0 else f"{offset} {offset}"
    return (f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d}"
            f"{'.' + fraction if fraction else ''} {zone}")


def _days_in(year: int, month: int) -> int:
    if month == 2:
        return 29 if calendar.isleap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def tagged(tag: str, text: str) -> Any:
    """The value of a scalar with an explicit !!int, !!float, !!bool, !!null or !!timestamp tag. As resolve.go
    does: the text is typed as if plain (timestamps only under !!timestamp) and must give that type; an
    integer may stand for a float."""
    if tag == "timestamp":
        value = timestamp(text)
        fits = value is not None
    else:
        value = _untimed(text)
        fits = {"int": type(value) is int, "float": type(value) in (int, float), "bool": type(value) is bool,
                "null": value is None and text in NULLS}[tag]
    if not fits:
        raise TagMismatch(f"{shown(text)} is not what its tag !!{tag} says")
    return float(value) if tag == "float" else value


def _untimed(text: str) -> Any:
    """A scalar typed as if plain, but for timestamps, which go-yaml tries only untagged or under !!timestamp."""
    if text in BOOLEANS:
        return BOOLEANS[text]
    if text in NULLS:
        return None
    return _untimed_number(text) if text.startswith(tuple(NUMBER_STARTS)) else text
