"""What `infra check` found, per stack: the input of every report format. Nothing here plans or
evaluates; rendering is pure, so every format is tested on the same report."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Protocol

from infra.reports.links import RepositoryLinks

TOOL_NAME = "golden-path"


@functools.cache
def tool_version() -> str | None:
    """The installed package's version (pyproject.toml's), or None when it runs from a bare checkout."""
    try:
        return metadata.version(TOOL_NAME)
    except metadata.PackageNotFoundError:
        return None


class Violation(Protocol):
    """What policies.runner reports (policies.runner.Violation has these fields)."""

    policy: str
    resource: str
    resource_type: str
    message: str
    enforcement: str  # mandatory | advisory
    waived: bool


@dataclass(frozen=True)
class PolicyInfo:
    """A rule of the report: a policy of the pack (its Pulumi metadata), or stack-config."""

    name: str
    description: str
    url: str | None = None  # relative to the repository root, e.g. policies/README.md#connection-budget
    enforcement: str | None = None  # the pack's default level, when it has one
    severity: str | None = None  # pulumi_policy.Severity's value: low | medium | high | critical
    tags: tuple[str, ...] = ()
    remediation_steps: str | None = None


@dataclass(frozen=True)
class ConfigProblem:
    """One value of a stack file the config model refused (rule stack-config)."""

    stack: str
    path: Path
    line: int | None  # None when the problem has no line (e.g. a key that is missing)
    key: str | None  # the dotted key, e.g. network.connector.max_instances; None for the file as a whole
    message: str  # what is wrong, what is allowed and its source
    text: str  # the problem as infra.config words it: FILE:LINE: key: message


@dataclass(frozen=True)
class StackResult:
    stack: str
    path: Path  # the stack file that was checked
    violations: tuple[Violation, ...]
    policy_config: Path | None = None
    # line of a config key path, e.g. line_of("golden-path:services", "api", "max_instances")
    line_of: Callable[..., int | None] | None = field(default=None, compare=False, repr=False)
    services: tuple[str, ...] = ()  # the stack's service names, to place a resource in the file
    errors: tuple[ConfigProblem, ...] = ()  # config the model refused: nothing was planned or evaluated

    @property
    def passed(self) -> bool:
        return not self.errors and not any(failing(v) for v in self.violations)


@dataclass(frozen=True)
class Report:
    stacks: tuple[StackResult, ...]
    policies: tuple[PolicyInfo, ...]
    root: Path  # the repository root: SARIF locations are relative to it
    links: RepositoryLinks | None = None  # where repository files open; None: in the checkout at root

    @property
    def passed(self) -> bool:
        return all(s.passed for s in self.stacks)

    @property
    def errors(self) -> tuple[ConfigProblem, ...]:
        return tuple(e for s in self.stacks for e in s.errors)

    @property
    def repository(self) -> RepositoryLinks:
        return self.links or RepositoryLinks(self.root)

    def counts(self) -> dict[str, int]:
        found = {"mandatory": 0, "advisory": 0, "waived": 0}
        for s in self.stacks:
            for v in s.violations:
                kind = "waived" if v.waived else v.enforcement
                found[kind] = found.get(kind, 0) + 1
        return found

    def tally(self) -> str:
        """How many stacks were checked and what was found: "3 stacks checked, 2 mandatory, ..."."""
        counts = self.counts()
        stacks, errors = len(self.stacks), len(self.errors)
        return (f"{stacks} stack{'s' if stacks != 1 else ''} checked, {counts['mandatory']} mandatory, "
                f"{counts['advisory']} advisory, {counts['waived']} waived"
                + (f", {errors} config error{'s' if errors != 1 else ''}" if errors else ""))

    def rules(self) -> tuple[PolicyInfo, ...]:
        """Every rule a report format lists: the pack's policies, then any policy a violation names that the
        pack does not list (so every finding has a rule)."""
        known = {p.name for p in self.policies}
        extra = {v.policy: PolicyInfo(v.policy, v.policy)
                 for s in self.stacks for v in s.violations if v.policy not in known}
        return self.policies + tuple(extra.values())


def failing(v: Violation) -> bool:
    """A violation fails the check when it is mandatory and not waived."""
    return v.enforcement == "mandatory" and not v.waived


def sorted_violations(violations: Iterable[Violation]) -> list[Violation]:
    """Failing first, then advisory, then waived; by policy and resource within each."""
    rank = {"mandatory": 0, "advisory": 1}
    return sorted(violations, key=lambda v: (v.waived, rank.get(v.enforcement, 2), v.policy, v.resource))


def display_path(path: Path, root: Path) -> str:
    relative = relative_path(path, root)
    return relative if relative is not None else str(path)


def relative_path(path: Path, root: Path) -> str | None:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


@dataclass(frozen=True)
class Waiver:
    """The waiver that covers a waived violation, as the runner appends it to the message."""

    text: str  # as the message has it: "<reason> (owner <owner>, until <date>)"
    reason: str
    owner: str | None
    expires: str | None  # YYYY-MM-DD


# policies.runner appends " (waived: <Waiver.describe()>)"; describe() is "<reason> (owner <owner>, until <date>)"
_WAIVED = re.compile(r" \(waived: (?P<waiver>.*)\)$", re.S)
_DESCRIBED = re.compile(r"(?P<reason>.*) \(owner (?P<owner>.*), until (?P<expires>\d{4}-\d{2}-\d{2})\)$", re.S)


def waiver_of(v: Violation) -> Waiver | None:
    """The waiver of a waived violation (its reason, owner and expiry), read from its message."""
    if not v.waived:
        return None
    waived = _WAIVED.search(v.message)
    text = waived.group("waiver") if waived else "waived in the policy config"
    described = _DESCRIBED.fullmatch(text)
    if described is None:
        return Waiver(text, reason=text, owner=None, expires=None)
    return Waiver(text, described.group("reason"), described.group("owner"), described.group("expires"))


def finding_text(v: Violation) -> str:
    """The message without the waiver the runner appended: what was found."""
    waived = _WAIVED.search(v.message) if v.waived else None
    return v.message[:waived.start()] if waived else v.message


def split_fix(message: str) -> tuple[str, str | None]:
    """What was found, and the "Fix: ..." part policy messages end with (None when there is none)."""
    found, marker, fix = message.partition(" Fix: ")
    return (found, fix.strip() or None) if marker else (message, None)
