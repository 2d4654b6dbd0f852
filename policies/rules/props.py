"""Reading resource properties the way CrossGuard hands them over.

Keys are the provider's camelCase names; numbers arrive as protobuf doubles (10.0); mappings and
lists are wrapped in pulumi_policy's proxies (Mapping / Sequence, not dict / list), and a value that
is computed at deploy time raises UnknownValueError when read. These helpers turn such a value into
UNKNOWN so one unknown field (say, a network id) does not stop every other check of a resource.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from policies.limits import fmt


class _Unknown:
    """A value the engine computes at deploy time (during preview it is not known yet)."""

    def __repr__(self) -> str:
        return "(known only after deploy)"


UNKNOWN = _Unknown()


def dig(value: Any, *path: str | int, default: Any = None) -> Any:
    """value[path[0]][path[1]]...; `default` when a step is missing or null, UNKNOWN when not known yet.

    TypeError (naming the path) when a step is not an object / list, so a malformed resource fails closed.
    """
    for depth, key in enumerate(path):
        if value is None:
            return default
        if value is UNKNOWN:
            return UNKNOWN
        expected = Mapping if isinstance(key, str) else Sequence
        if not isinstance(value, expected) or isinstance(value, str):
            where = ".".join(str(k) for k in path[:depth]) or "the resource"
            raise TypeError(f"{where} is {describe(value)}, expected {describe_type(expected)}")
        try:
            value = value[key]
        except (KeyError, IndexError):
            return default
        except UnknownValueError:
            return UNKNOWN
    return default if value is None else value


def elements(value: Any, what: str) -> list[Any]:
    """The items of a list property (UNKNOWN for items not known yet); [] when absent."""
    if value is None:
        return []
    known(value, what)
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(f"{what} is {describe(value)}, expected a list")
    return [dig(value, i) for i in range(len(value))]


def mapping(value: Any, what: str) -> Mapping[str, Any]:
    """An object property; {} when absent."""
    if value is None:
        return {}
    known(value, what)
    if not isinstance(value, Mapping):
        raise TypeError(f"{what} is {describe(value)}, expected an object")
    return value


def describe(value: Any) -> str:
    """A value's JSON kind for messages (the proxies pulumi_policy wraps props in are not worth naming)."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {fmt(value)}"
    if isinstance(value, str):
        return "a string"
    return describe_type(type(value))


def describe_type(kind: type) -> str:
    if issubclass(kind, Mapping):
        return "an object"
    if issubclass(kind, Sequence):
        return "a list"
    return kind.__name__


def known(value: Any, what: str) -> Any:
    """value itself; raises UnknownValueError (the engine's "can't be known during preview") if UNKNOWN."""
    if value is UNKNOWN:
        raise UnknownValueError(UNKNOWN_STRING_VALUE, [what])
    return value


def number(value: Any, what: str) -> float:
    """A number from a property or an environment string ("10", 10, 10.0)."""
    known(value, what)
    if isinstance(value, bool):
        raise ValueError(f"{what} is {value!r}, not a number")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{what} is {value!r}, not a number")


def optional_number(value: Any, what: str) -> float | None:
    """number(value), or None when the property is not set."""
    return None if value is None else number(value, what)
