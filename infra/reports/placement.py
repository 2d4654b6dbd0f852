"""Where in the stack file a finding belongs: the line of the key to change."""

from __future__ import annotations

import re
from collections.abc import Callable

from infra.naming import NAMESPACE, config_section
from infra.reports.model import StackResult, Violation
from policies.contract import SETTING_VARIABLES

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SERVICES = f"{NAMESPACE}:services"
_DATABASE = f"{NAMESPACE}:database"


def _section(resource: str, services: tuple[str, ...]) -> tuple[str, ...]:
    """The config key path (as written under config:) of the section a resource comes from."""
    section = config_section(resource, services)
    return (f"{NAMESPACE}:{section[0]}", *section[1:]) if section else ()


def stack_file_line(result: StackResult, v: Violation) -> int:
    """The line of the stack file key most related to a violation; 1 when none is found.

    The resource gives the section (a service, the database, ...); the first word of the message
    that is a key there (max_connections, port), one of its env or secret variables
    (EMERGENCY_BYPASS) or a variable DESIGN.md derives from a key (DATABASE_POOL_TIMEOUT ->
    pool.timeout_s, falling back to database.pool when the service does not override it) gives
    the line. Stack-wide findings fall back to the first section key the message names.
    """
    if result.line_of is None:
        return 1
    section = _section(v.resource, result.services)
    candidates: list[tuple[str, ...]] = []
    for word in dict.fromkeys(_WORD.findall(v.message)):
        if word in SETTING_VARIABLES:
            candidates.append(section + SETTING_VARIABLES[word])
            if section[:1] == (_SERVICES,) and SETTING_VARIABLES[word][0] == "pool":
                candidates.append((_DATABASE, *SETTING_VARIABLES[word]))
        elif section:
            candidates.extend([section + (word,), section + ("env", word), section + ("secrets", word)])
        else:
            candidates.append((f"{NAMESPACE}:{word}",))
    for path in candidates:
        line = _exact_line(result.line_of, path)
        if line is not None:
            return line
    if section:
        line = _exact_line(result.line_of, section)
        if line is not None:
            return line
    return 1


def _exact_line(line_of: Callable[..., int | None], path: tuple[str, ...]) -> int | None:
    """line_of gives the deepest present parent for a missing key; only take exact hits."""
    line = line_of(*path)
    if line is None or line == line_of(*path[:-1]):
        return None
    return line


