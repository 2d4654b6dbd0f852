"""What `infra check` found, per stack: the input of every report format. Nothing here plans or
evaluates; rendering is pure, so every format is tested on the same report."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

TOOL_NAME = "golden-path"


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
    """A policy of the pack, as the SARIF rules and the JUnit passing cases name it."""

    name: str
    description: str
    url: str | None = None
    enforcement: str | None = None  # the pack's default level, when it has one


@dataclass(frozen=True)
class StackResult:
    stack: str
    path: Path  # the stack file that was checked
    violations: tuple[Violation, ...]
    policy_config: Path | None = None
    seconds: float = 0.0
    # line of a config key path, e.g. line_of("golden-path:services", "api", "max_instances")
    line_of: Callable[..., int | None] | None = field(default=None, compare=False, repr=False)
    services: tuple[str, ...] = ()  # the stack's service names, to place a resource in the file


@dataclass(frozen=True)
class Report:
    stacks: tuple[StackResult, ...]
    policies: tuple[PolicyInfo, ...]
    root: Path  # the repository root: SARIF locations are relative to it

    @property
    def passed(self) -> bool:
        return not any(failing(v) for s in self.stacks for v in s.violations)

    def counts(self) -> dict[str, int]:
        found = {"mandatory": 0, "advisory": 0, "waived": 0}
        for s in self.stacks:
            for v in s.violations:
                kind = "waived" if v.waived else v.enforcement
                found[kind] = found.get(kind, 0) + 1
        return found


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


