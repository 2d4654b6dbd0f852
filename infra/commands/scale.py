"""`infra scale set` and `infra scale auto`: rewrite capacity in a stack file, checked first.

Both build a candidate text (infra.stackfile_edit splices only the asked-for scalars) and put it
through one gate, `check_candidate`, before anything is written:

1. the config model (infra.config.load on the candidate): a value GCP or the model rejects;
2. lowering network.connector.min_instances or max_instances needs --force: GCP replaces the
   connector (limits.CONNECTOR_NEVER_SCALES_DOWN);
3. the offline plan of the candidate and the policy pack with the environment's policy config
   (policies/config/<environment>.json): any unwaived mandatory violation refuses, including one
   the file had before (a scaler never writes a config the policies reject).

The write itself is stackfile_edit.edit: lock, read, decide, validate, atomic write; a refused
change leaves the file byte-for-byte as it was. `scale auto` decides under the lock, from the file
as it is then (infra.scaling.decide), so two scalers never lose an update.

Exit codes: 0 written, nothing to change, or a dry run that would pass; 1 refused (by the config
model, the connector rule or a policy), also for a dry run that would be refused, and when the
lock cannot be taken or the file changed underneath; 2 bad input (no '=', unknown key, unknown
stack, bad metrics or policy config), raised as BadInput / ConfigError for infra.cli to print.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra import config, metrics, offline, report, stackfile, stackfile_edit
from infra.cli import EXIT_FAILED, EXIT_OK, BadInput, project_root, stack_file
from infra.commands import check
from infra.scaling import couple, decide
from infra.stackfile_edit import Change, EditError
from policies import limits

CONNECTOR_KEYS = ("network.connector.min_instances", "network.connector.max_instances")


class Refused(Exception):
    """A candidate the checks refuse; `lines` name file:line, key or policy, the values and the fix."""

    def __init__(self, reason: str, lines: list[str]) -> None:
        super().__init__("\n".join([reason, *lines]))
        self.reason = reason
        self.lines = lines


@dataclass
class Verdict:
    """What a candidate that passed was checked against, and the warnings it still has."""

    policy_config: Path
    resources: int
    advisories: list[str] = field(default_factory=list)
    replaces: list[str] = field(default_factory=list)  # connector values lowered with --force

    def summary(self) -> str:
        warned = f"; {len(self.advisories)} advisory" if self.advisories else ""
        return (f"check: passed (config model; policy pack over {self.resources} resources with "
                f"{self.policy_config}: no mandatory violations{warned})")


def run(args: argparse.Namespace) -> int:
    path = stack_file(args.stack, args.stack_file)
    if args.scale_command == "set":
        return scale_set(path, args.assignments, dry_run=args.dry_run, force=args.force)
    now = datetime.now(UTC).replace(microsecond=0)
    return scale_auto(path, args.metrics, now, dry_run=args.dry_run, force=args.force)


# --- the gate -------------------------------------------------------------------------------------


class PolicyConfigs:
    """Each environment's policy config, loaded once (a missing or bad one is bad input)."""

    def __init__(self) -> None:
        self._loaded: dict[str, tuple[Path, dict[str, Any]]] = {}

    def get(self, environment: str) -> tuple[Path, dict[str, Any]]:
        if environment not in self._loaded:
            path = project_root() / check.POLICY_CONFIG_DIR / f"{environment}.json"
            self._loaded[environment] = (path, check.load_policy_config(path))
        return self._loaded[environment]


def check_candidate(path: Path, old_text: str, new_text: str, force: bool,
                    policy_configs: PolicyConfigs) -> Verdict:
    """Refused, or the verdict of a candidate that passes every check (see the module docstring)."""
    try:
        new_cfg = config.load(path, new_text)
    except config.ConfigError as exc:
        raise Refused("the config model rejects it:", exc.problems) from None
    lowered = _connector_lowered(path, old_text, new_cfg, new_text)
    if lowered and not force:
        raise Refused("a connector change GCP makes by replacement:",
                      [f"{line}; {limits.CONNECTOR_NEVER_SCALES_DOWN}. Fix: keep the value, or run again "
                       "with --force to replace the connector" for line in lowered])
    config_path, policy_config = policy_configs.get(new_cfg.environment)
    plan = offline.plan(path, new_text)
    violations = check.evaluate(plan.resources, policy_config, config_path)
    failing = [v for v in violations if report.failing(v)]
    if failing:
        before = _failing_before(path, old_text, policy_config, config_path)
        line_of = stackfile.read(path, new_text).line_of
        result = report.StackResult(stack=plan.stack, path=path, violations=tuple(failing),
                                    line_of=line_of, services=tuple(new_cfg.services))
        lines = []
        for v in failing:
            line = report.stack_file_line(result, v)
            already = " (the file fails this already, before the change)" if (v.policy, v.resource) in before else ""
            lines.append(f"{path}:{line}: {v.policy} on {v.resource} ({v.resource_type}){already}: {v.message}")
        if any(v.policy == couple.BUDGET_POLICY for v in failing):
            lines.extend(_tier_hint(new_cfg, policy_config))
        raise Refused(f"{len(failing)} mandatory policy violation{'s' if len(failing) > 1 else ''} "
                      f"(policy config {config_path}):", lines)
    advisories = [f"{v.policy} on {v.resource}: {v.message}" for v in violations
                  if v.enforcement == "advisory" and not v.waived]
    return Verdict(config_path, sum(1 for r in plan.resources if r.custom), advisories, lowered)


def _connector_lowered(path: Path, old_text: str, new: config.StackConfig, new_text: str) -> list[str]:
    """`FILE:LINE: network.connector.max_instances: 5 -> 3` for each connector value lowered.

    The old values are read raw (defaults where absent), not through the config model: `scale set`
    must be able to repair a file the model rejects."""
    written = stackfile.read(path, old_text).config.get(f"{config.NAMESPACE}:network")
    connector = written.get("connector") if isinstance(written, dict) else None
    found = []
    for key in CONNECTOR_KEYS:
        field_name = key.rsplit(".", 1)[1]
        before = connector.get(field_name) if isinstance(connector, dict) else None
        if not isinstance(before, int):
            before = config.Connector.model_fields[field_name].default
        after = getattr(new.network.connector, field_name)
        if after < before:  # read for lines only here: composing a large file takes a while
            line = stackfile.read(path, new_text).line_of(f"{config.NAMESPACE}:network", "connector", field_name)
            found.append(f"{path}:{line}: {key}: {before} -> {after} lowers the connector")
    return found


def _tier_hint(cfg: config.StackConfig, policy_config: dict[str, Any]) -> list[str]:
    """When the connections the pools need are beyond what the tier is sized for, say so."""
    budget = couple.from_policy_config(policy_config).budget
    if budget is None or cfg.target != "gcp":
        return []
    needed = budget.max_connections_for(couple.demand(cfg, {}))
    size = couple.ceiling(cfg)
    if needed <= size:
        return []
    return [f"note: max_connections {needed} is beyond tier {cfg.database.tier}'s documented size of {size} "
            f"({limits.SQL_QUOTAS_DOCS}); a larger database.tier, or smaller pools, is the lasting fix"]


def _failing_before(path: Path, old_text: str, policy_config: dict[str, Any],
                    config_path: Path) -> set[tuple[str, str]]:
    """(policy, resource) of the mandatory violations the file has now: said apart in messages."""
    try:
        plan = offline.plan(path, old_text)
    except config.ConfigError:
        return set()
    return {(v.policy, v.resource) for v in check.evaluate(plan.resources, policy_config, config_path)
            if report.failing(v)}


# --- scale set ------------------------------------------------------------------------------------


def parse_assignments(texts: list[str]) -> dict[str, Any]:
    """KEY=VALUE arguments -> {key: value}; BadInput for a malformed one or a key given twice."""
    assignments: dict[str, Any] = {}
    for text in texts:
        try:
            key, value = stackfile_edit.parse_assignment(text)
        except EditError as exc:
            raise BadInput(str(exc)) from None
        key = key.removeprefix(f"{config.NAMESPACE}:")
        if key in assignments and assignments[key] != value:
            raise BadInput(f"{key} is given twice ({assignments[key]!r} and {value!r}); give it once")
        assignments[key] = value
    return assignments


def scale_set(path: Path, texts: list[str], *, dry_run: bool = False, force: bool = False) -> int:
    """Set dotted keys; print the diff and the verdict. See the module docstring for exit codes."""
    assignments = parse_assignments(texts)
    text = _read(path)
    try:  # unknown keys and unwritable values are bad input, found before any lock is taken
        new_text, changes = stackfile_edit.apply(text, path, assignments)
    except EditError as exc:
        raise BadInput(str(exc)) from None
    if not changes:
        print(f"{path}: nothing to change; {', '.join(assignments)} already "
              f"{'has' if len(assignments) == 1 else 'have'} the value given")
        return EXIT_OK
    asked = " ".join(texts)
    if dry_run:
        return _dry_run(path, text, new_text, force, asked, PolicyConfigs())
    return _write(path, lambda _: assignments, force, asked, PolicyConfigs())


# --- scale auto -----------------------------------------------------------------------------------


def scale_auto(path: Path, source: str, now: datetime, *, dry_run: bool = False, force: bool = False) -> int:
    """Decide changes from utilisation (infra.scaling.decide) and write them through the same gate."""
    cfg = config.load(path)
    try:
        samples = metrics.load(source, cfg, now)
    except metrics.MetricsError as exc:
        raise BadInput(str(exc)) from None
    policy_configs = PolicyConfigs()
    config_path, policy_config = policy_configs.get(cfg.environment)
    try:
        policy = couple.from_policy_config(policy_config)
    except ValueError as exc:
        raise BadInput(f"{config_path}: {exc}") from None

    decisions: list[decide.Decision] = []

    def wanted(text: str) -> dict[str, Any]:
        # Decided from the file as it is under the lock, not as it was when the command started.
        decisions.append(decide.assess(config.load(path, text), samples, now, policy=policy, force=force))
        return decisions[-1].assignments()

    print(f"scale auto {path} from {source}: {len(samples)} samples, now {now:%Y-%m-%dT%H:%M:%SZ}")
    asked = "the changes above"
    if dry_run:
        text = _read(path)
        assignments = wanted(text)
        _print_decision(decisions[-1])
        if not assignments:
            print("nothing to change")
            return EXIT_OK
        try:
            new_text, _ = stackfile_edit.apply(text, path, assignments)
        except EditError as exc:  # e.g. a last_scaled entry written in a form the editor will not touch
            print(f"not written: {exc}", file=sys.stderr)
            return EXIT_FAILED
        return _dry_run(path, text, new_text, force, asked, policy_configs)
    return _write(path, wanted, force, asked, policy_configs, on_decided=lambda: _print_decision(decisions[-1]))


def _print_decision(decision: decide.Decision) -> None:
    for change in decision.changes:
        print(f"  {change.key}: {_shown(change.old)} -> {change.new}")
        print(f"      {change.reason}")
    if decision.notes:
        print("not changed:")
        for note in decision.notes:
            print(f"  {note}")


# --- shared: check, then write (or only show) -----------------------------------------------------


def _dry_run(path: Path, text: str, new_text: str, force: bool, asked: str,
             policy_configs: PolicyConfigs) -> int:
    """The diff and the verdict the candidate would get; nothing is locked or written."""
    sys.stdout.write(stackfile_edit.unified_diff(text, new_text, path))
    try:
        verdict = check_candidate(path, text, new_text, force, policy_configs)
    except Refused as exc:
        _print_refusal(path, asked, exc, dry_run=True)
        return EXIT_FAILED
    _print_verdict(verdict)
    print("dry run: nothing written")
    return EXIT_OK


def _write(path: Path, wanted: Callable[[str], dict[str, Any]], force: bool, asked: str,
           policy_configs: PolicyConfigs, on_decided: Callable[[], None] | None = None) -> int:
    """The locked edit: assignments decided from the file as it is under the lock, the candidate
    checked, written atomically or not at all; prints the diff it wrote, or why not."""
    seen = _Attempt()

    def assignments(current: str) -> dict[str, Any]:
        seen.old_text = current
        found = wanted(current)
        if on_decided is not None:
            on_decided()
        return found

    def validate(candidate: str) -> None:
        seen.new_text = candidate
        seen.verdict = check_candidate(path, seen.old_text, candidate, force, policy_configs)

    try:
        changes = stackfile_edit.edit(path, assignments, validate)
    except Refused as exc:
        _print_refusal(path, asked, exc, dry_run=False)
        return EXIT_FAILED
    except EditError as exc:  # the lock, or a concurrent hand edit: nothing was written
        print(f"not written: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if not changes:
        print("nothing to change")
        return EXIT_OK
    assert seen.verdict is not None
    sys.stdout.write(stackfile_edit.unified_diff(seen.old_text, seen.new_text, path))
    _print_verdict(seen.verdict)
    print(f"wrote {path}: {len(changes)} key{'s' if len(changes) > 1 else ''} changed")
    return EXIT_OK


@dataclass
class _Attempt:
    """What the locked edit saw: the file, the candidate, and the candidate's verdict."""

    old_text: str = ""
    new_text: str = ""
    verdict: Verdict | None = None


def _print_verdict(verdict: Verdict) -> None:
    print(verdict.summary())
    for line in verdict.replaces:
        print(f"  --force: {line}; {limits.CONNECTOR_NEVER_SCALES_DOWN}")
    for advisory in verdict.advisories:
        print(f"  advisory: {advisory}")


def _print_refusal(path: Path, asked: str, refused: Refused, dry_run: bool) -> None:
    state = "would be refused (dry run)" if dry_run else f"refused; {path} is unchanged"
    print(f"{asked}: {state}: {refused.reason}", file=sys.stderr)
    for line in refused.lines:
        print(f"  {line}", file=sys.stderr)


def _read(path: Path) -> str:
    try:
        return stackfile_edit.read_text(path)
    except EditError as exc:
        raise BadInput(str(exc)) from None


def _shown(value: Any) -> str:
    return "(unset)" if value is None else str(value)


__all__ = ["Change", "Refused", "Verdict", "check_candidate", "parse_assignments", "run", "scale_auto",
           "scale_set"]
