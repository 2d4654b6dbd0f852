"""The one shape of a violation message: where, what (values, limit, source URL), and the fix."""

from __future__ import annotations


def problem(where: str, what: str, fix: str) -> str:
    """"<kind> <name>: <what is wrong, the limit and its source>. Fix: <what to change>."."""
    return f"{where}: {what}. Fix: {fix}."
