"""The check a rewritten stack file passes before it is written (`scale set`, `scale auto`, and any
command that rewrites a stack file):

1. the config model (infra.config.load on the candidate): a value GCP or the model rejects;
2. lowering network.connector.min_instances or max_instances needs force: GCP replaces the
   connector (limits.CONNECTOR_NEVER_SCALES_DOWN);
3. the gate (infra.gate): the offline plan of the candidate and the policy pack with the
   environment's policy config; any unwaived mandatory violation refuses, including one the file
   had before (a scaler never writes a config the policies reject).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra import config, gate, stackfile
from infra.naming import NAMESPACE
from infra.reports.model import StackResult
from infra.reports.placement import stack_file_line
from infra.scaling.connection_budget import Sizes
from infra.scaling.policy_limits import from_policy_config
from infra.scaling.scalable import max_connections_ceiling
from policies import limits
from policies.pack import CONNECTION_BUDGET

CONNECTOR_SECTION = ("network", "connector")
CONNECTOR_INSTANCES = ("min_instances", "max_instances")  # lowering either replaces the connector


class Refused(Exception):
    """A candidate the checks refuse; `lines` name file:line, key or policy, the values and the fix."""

    def __init__(self, reason: str, lines: list[str]) -> None:
        super().__init__("\n".join([reason, *lines]))
        self.reason = reason
        self.lines = lines


@dataclass
class Accepted:
    """What a candidate that passed was checked against, and the warnings it still has."""

    policy_config: Path
    resources: int
    advisories: list[str] = field(default_factory=list)
    replaces: list[str] = field(default_factory=list)  # connector values lowered with force

    def summary(self) -> str:
        warned = f"; {len(self.advisories)} advisory" if self.advisories else ""
        return (f"check: passed (config model; policy pack over {self.resources} resources with "
                f"{self.policy_config}: no mandatory violations{warned})")


def check_candidate(path: Path, old_text: str, new_text: str, force: bool,
                    policy_configs: gate.PolicyConfigs) -> Accepted:
    """Refused, or what a candidate that passes every check was checked against (see the module docstring)."""
    try:
        new_cfg = config.load(path, new_text)
    except config.ConfigError as exc:
        before = _problems_before(path, old_text)
        raise Refused("the config model rejects it:", [
            f"{problem} (the file has this already, before the change)" if problem in before else problem
            for problem in exc.problems]) from None
    lowered = _connector_lowered(path, old_text, new_cfg, new_text)
    if lowered and not force:
        raise Refused("a connector change GCP makes by replacement:",
                      [f"{line}; {limits.CONNECTOR_NEVER_SCALES_DOWN}. Fix: keep the value, or run again "
                       "with --force to replace the connector" for line in lowered])
    verdict = gate.check(path, policy_configs, new_text)
    failing = verdict.failing
    if failing:
        before = _failing_before(path, old_text, policy_configs)
        result = StackResult(stack=verdict.plan.stack, path=path, violations=failing,
                             line_of=stackfile.read(path, new_text).line_of, services=tuple(new_cfg.services))
        lines = []
        for v in failing:
            already = " (the file fails this already, before the change)" if (v.policy, v.resource) in before else ""
            lines.append(f"{path}:{stack_file_line(result, v)}: {v.policy} on {v.resource} ({v.resource_type})"
                         f"{already}: {v.message}")
        if any(v.policy == CONNECTION_BUDGET for v in failing):
            lines.extend(_tier_hint(new_cfg, policy_configs.for_environment(new_cfg.environment)[1]))
        raise Refused(f"{len(failing)} mandatory policy violation{'s' if len(failing) > 1 else ''} "
                      f"(policy config {verdict.policy_config}):", lines)
    advisories = [f"{v.policy} on {v.resource}: {v.message}" for v in verdict.violations
                  if v.enforcement == "advisory" and not v.waived]
    return Accepted(verdict.policy_config, sum(1 for r in verdict.plan.resources if r.custom), advisories, lowered)


def _problems_before(path: Path, old_text: str) -> set[str]:
    """The config model's problems with the file as it is: a change that leaves one in place is refused
    for it (the scaler never writes an invalid file), and the refusal says the problem is not new."""
    try:
        config.load(path, old_text)
    except config.ConfigError as exc:
        return set(exc.problems)
    return set()


def _connector_lowered(path: Path, old_text: str, new: config.StackConfig, new_text: str) -> list[str]:
    """`FILE:LINE: network.connector.max_instances: 5 -> 3` for each connector value lowered.

    The old values are read raw (defaults where absent), not through the config model: `scale set`
    must be able to repair a file the model rejects."""
    section = f"{NAMESPACE}:{CONNECTOR_SECTION[0]}"
    written = stackfile.read(path, old_text).config.get(section)
    connector = written.get(CONNECTOR_SECTION[1]) if isinstance(written, dict) else None
    found = []
    for field_name in CONNECTOR_INSTANCES:
        before = connector.get(field_name) if isinstance(connector, dict) else None
        if not isinstance(before, int):
            before = config.Connector.model_fields[field_name].default
        after = getattr(new.network.connector, field_name)
        if after < before:  # read for lines only here: composing a large file takes a while
            line = stackfile.read(path, new_text).line_of(section, CONNECTOR_SECTION[1], field_name)
            found.append(f"{path}:{line}: {'.'.join((*CONNECTOR_SECTION, field_name))}: {before} -> {after} "
                         "lowers the connector")
    return found


def _tier_hint(cfg: config.StackConfig, policy_config: dict[str, Any]) -> list[str]:
    """When the connections the pools need are beyond what the tier is sized for, say so."""
    budget = from_policy_config(policy_config).budget
    if budget is None or cfg.target != "gcp":
        return []
    needed = budget.max_connections_for(Sizes(cfg).demand())
    size, _ = max_connections_ceiling(cfg)
    if needed <= size:
        return []
    return [f"note: max_connections {needed} is beyond tier {cfg.database.tier}'s documented size of {size} "
            f"({limits.SQL_QUOTAS_DOCS}); a larger database.tier, or smaller pools, is the lasting fix"]


def _failing_before(path: Path, old_text: str, policy_configs: gate.PolicyConfigs) -> set[tuple[str, str]]:
    """(policy, resource) of the mandatory violations the file has now: said apart in messages."""
    try:
        verdict = gate.check(path, policy_configs, old_text)
    except config.ConfigError:
        return set()
    return {(v.policy, v.resource) for v in verdict.failing}
