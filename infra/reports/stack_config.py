"""The rule `stack-config`: values of a stack file the config model refuses, reported as findings.

infra.config raises ConfigError with one line per problem, `FILE:LINE: dotted.key: message` (LINE and
key left out where there is none). This is the one place those lines are read back into fields.
"""

from __future__ import annotations

import re
from pathlib import Path

from infra.config import ConfigError
from infra.reports.model import ConfigProblem, PolicyInfo
from policies.pack import DOCS

STACK_CONFIG = "stack-config"

RULE = PolicyInfo(
    name=STACK_CONFIG,
    description="Stack files hold only keys and values the config model accepts: known keys, values of the "
                "right type, within GCP's limits.",
    url=f"{DOCS}#{STACK_CONFIG}",
    enforcement="mandatory",
    severity="high",
    tags=("config",),
    remediation_steps="Change the value at the line reported to one the message allows (the limit and its "
                      "source are in the message); rename a misspelt key to the one it suggests. README.md "
                      "lists every key and what it allows.",
)

# what follows FILE in a problem line: an optional :LINE, then an optional dotted key
# (golden-path:bogus, services.api.env.SENTRY_DSN), then the message
_AFTER_FILE = re.compile(r"(?::(?P<line>\d+))?: (?:(?P<key>[A-Za-z_][\w.:-]*): )?(?P<message>.*)", re.S)


def config_problems(stack: str, path: Path, error: ConfigError) -> tuple[ConfigProblem, ...]:
    """Each problem of a ConfigError raised for the stack file at path, as fields."""
    return tuple(_problem(stack, path, text) for text in error.problems)


def _problem(stack: str, path: Path, text: str) -> ConfigProblem:
    where = str(path)
    found = _AFTER_FILE.fullmatch(text[len(where):]) if text.startswith(where) else None
    if found is None:  # not in the usual form: keep the whole line as the message
        return ConfigProblem(stack, path, None, None, text, text)
    line = found.group("line")
    return ConfigProblem(stack, path, int(line) if line else None, found.group("key"), found.group("message"), text)
