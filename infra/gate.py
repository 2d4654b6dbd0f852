"""The gate every command goes through: plan a stack offline, load its environment's policy config,
evaluate the policy pack. `infra check` reports what it finds; `infra scale` refuses what it finds.

The policy config is policies/config/<environment>.json unless a command names one; a missing or
malformed one is bad input (exit 2).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra import offline, plan_cache
from infra.exit_codes import BadInput
from infra.reports.model import PolicyInfo, failing
from infra.stacks import project_root
from policies import runner

POLICY_CONFIG_DIR = Path("policies") / "config"


def policy_config_path(environment: str) -> Path:
    """The committed policy config of an environment."""
    return project_root() / POLICY_CONFIG_DIR / f"{environment}.json"


def load_policy_config(path: Path) -> dict[str, Any]:
    """The --policy-pack-config file; anything unusable is bad input (exit 2)."""
    if not path.is_file():
        raise BadInput(f"{path}: no such policy config (pass --policy-config PATH, or add "
                       f"{POLICY_CONFIG_DIR}/<environment>.json)")
    try:
        return runner.load_policy_config(path)
    except runner.PolicyConfigError as exc:
        raise BadInput(str(exc)) from None


class PolicyConfigs:
    """Each policy config, loaded once per command (a missing or bad one is bad input)."""

    def __init__(self, explicit: Path | None = None) -> None:
        self.explicit = explicit  # --policy-config: used for every stack
        self._loaded: dict[Path, dict[str, Any]] = {}
        if explicit is not None:  # a bad --policy-config is refused before anything is planned
            self._loaded[explicit] = load_policy_config(explicit)

    def for_environment(self, environment: str) -> tuple[Path, dict[str, Any]]:
        path = self.explicit or policy_config_path(environment)
        if path not in self._loaded:
            self._loaded[path] = load_policy_config(path)
        return path, self._loaded[path]


def evaluate(resources: Iterable[offline.CapturedResource], policy_config: dict[str, Any],
             config_path: Path) -> list[runner.Violation]:
    try:
        return runner.evaluate(resources, policy_config)
    except runner.PolicyConfigError as exc:  # already checked on load; kept so it can never be a crash
        raise BadInput(f"{config_path}: {exc}") from None


@dataclass(frozen=True)
class Verdict:
    """One stack planned and evaluated."""

    plan: offline.Plan
    policy_config: Path
    violations: tuple[runner.Violation, ...]

    @property
    def failing(self) -> tuple[runner.Violation, ...]:
        return tuple(v for v in self.violations if failing(v))


def check(path: Path, policy_configs: PolicyConfigs, text: str | None = None, cache: Path | None = None) -> Verdict:
    """Plan a stack file (or text meant for it; from the plan cache in `cache`, if given) and evaluate the
    pack under its policy config."""
    plan = plan_cache.plan(path, text, cache)
    config_path, policy_config = policy_configs.for_environment(plan.config.environment)
    return Verdict(plan, config_path, tuple(evaluate(plan.resources, policy_config, config_path)))


@functools.cache
def policy_infos() -> tuple[PolicyInfo, ...]:
    from policies import pack

    infos = []
    for policy in pack.POLICIES:
        level = policy.enforcement_level or pack.DEFAULT_ENFORCEMENT
        infos.append(PolicyInfo(
            name=policy.name,
            description=policy.description or policy.name,
            url=policy.url,
            enforcement=getattr(level, "value", None),
            severity=getattr(policy.severity, "value", None),
            tags=tuple(policy.tags or ()),
            remediation_steps=policy.remediation_steps,
        ))
    return tuple(infos)
