"""`infra scale set` and `infra scale auto`: rewrite capacity in a stack file, checked first.

Both build a candidate text (infra.stackfile_edit splices only the asked-for scalars) and put it
through infra.candidate.check_candidate (the config model, the connector rule, the gate's policies)
before anything is written.

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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra import config, metrics, scale_journal, stackfile, stackfile_edit
from infra.candidate import Accepted, Refused, check_candidate
from infra.change import Change
from infra.dotted_keys import config_path, echo_assignment, lookup, shown_key, split_key
from infra.exit_codes import EXIT_FAILED, EXIT_OK, BadInput
from infra.gate import PolicyConfigs
from infra.metrics.samples import iso
from infra.naming import NAMESPACE
from infra.scaling import decide
from infra.scaling.policy_limits import from_policy_config
from infra.stackfile_edit import EditError
from infra.stacks import stack_file
from infra.yaml_scalars import same
from policies import limits
from policies.redaction import shown


def run(args: argparse.Namespace) -> int:
    path = stack_file(args.stack, args.stack_file)
    if args.scale_command == "set":
        return scale_set(path, args.assignments, dry_run=args.dry_run, force=args.force)
    if args.scale_command == "revert":
        return scale_revert(path, args.to, dry_run=args.dry_run, force=args.force)
    now = datetime.now(UTC).replace(microsecond=0)
    return scale_auto(path, args.metrics, now, dry_run=args.dry_run, force=args.force)


# --- scale set ------------------------------------------------------------------------------------


def parse_assignments(texts: list[str]) -> dict[str, Any]:
    """KEY=VALUE arguments -> {key: value}; BadInput for a malformed one or a key given twice."""
    assignments: dict[str, Any] = {}
    for text in texts:
        try:
            key, value = stackfile_edit.parse_assignment(text)
        except EditError as exc:
            raise BadInput(str(exc)) from None
        key = key.removeprefix(f"{NAMESPACE}:")
        if key in assignments and assignments[key] != value:
            raise BadInput(f"{shown_key(key)} is given twice ({shown(assignments[key], key)} and {shown(value, key)}); "
                           "give it once")
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
    asked = " ".join(echo_assignment(text) for text in texts)
    if dry_run:
        return _dry_run(path, text, new_text, force, asked, PolicyConfigs())
    return _write(path, lambda _: assignments, force, asked, PolicyConfigs(), applied=(text, new_text, changes),
                  journal=("scale set", lambda: asked))


# --- scale revert ---------------------------------------------------------------------------------


def scale_revert(path: Path, to: int | None, *, dry_run: bool = False, force: bool = False) -> int:
    """Write back the values the scale journal recorded before the last entry (or every entry after `to`),
    through the same checks and lock as scale set; the revert is journaled too."""
    text = _read(path)
    try:
        values, expected, undone = scale_journal.restoring(scale_journal.read(path), to)
    except EditError as exc:
        raise BadInput(str(exc)) from None
    current = stackfile.read(path, text).config
    moved = [f"{shown_key(key)} is {shown(now, key)}, the journal's last value {shown(expected[key], key)}"
             for key in values if not same(now := lookup(current, config_path(split_key(key))), expected[key])]
    asked = f"revert of journal entr{'y' if len(undone) == 1 else 'ies'} {', '.join(map(str, undone))}"
    if moved:
        print(f"{asked}: refused; {path} was changed since, not by the scaler: {'; '.join(moved)}; "
              "revert by hand", file=sys.stderr)
        return EXIT_FAILED
    try:
        new_text, changes = stackfile_edit.apply(text, path, values)
    except EditError as exc:
        raise BadInput(str(exc)) from None
    if dry_run:
        return _dry_run(path, text, new_text, force, asked, PolicyConfigs())
    return _write(path, lambda _: values, force, asked, PolicyConfigs(), applied=(text, new_text, changes),
                  journal=("scale revert", lambda: asked))


# --- scale auto -----------------------------------------------------------------------------------


def scale_auto(path: Path, source: str, now: datetime, *, dry_run: bool = False, force: bool = False) -> int:
    """Decide changes from utilisation (infra.scaling.decide) and write them through the same gate."""
    cfg = config.load(path)
    try:
        samples = metrics.load(source, cfg, now)
    except metrics.MetricsError as exc:
        raise BadInput(str(exc)) from None
    policy_configs = PolicyConfigs()
    config_path, policy_config = policy_configs.for_environment(cfg.environment)
    try:
        policy = from_policy_config(policy_config)
    except ValueError as exc:
        raise BadInput(f"{config_path}: {exc}") from None

    decisions: list[decide.Decision] = []

    def wanted(text: str) -> dict[str, Any]:
        # Decided from the file as it is under the lock, not as it was when the command started.
        decisions.append(decide.assess(config.load(path, text), samples, now, policy=policy, force=force))
        return decisions[-1].assignments()

    print(f"scale auto {path} from {source}: {len(samples)} samples, now {iso(now)}")
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
    return _write(path, wanted, force, asked, policy_configs, on_decided=lambda: _print_decision(decisions[-1]),
                  journal=("scale auto", lambda: "; ".join(f"{c.key}: {c.reason}" for c in decisions[-1].changes)))


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
           policy_configs: PolicyConfigs, on_decided: Callable[[], None] | None = None,
           applied: tuple[str, str, list[Change]] | None = None,
           journal: tuple[str, Callable[[], str]] | None = None) -> int:
    """The locked edit: assignments decided from the file as it is under the lock, the candidate
    checked, written atomically or not at all; prints the diff it wrote, or why not. applied: the
    candidate already made from the file as it was read (stackfile_edit.edit). journal: (command, why)
    recorded in the scale journal once written, under the same lock."""
    seen = _Attempt()

    def record(changes: list[Change]) -> None:
        if journal is None:
            return
        try:
            seen.entry = scale_journal.append(path, datetime.now(UTC).replace(microsecond=0), journal[0],
                                              journal[1](), changes).number
        except (EditError, OSError) as exc:  # the change stands: it passed every check and is written
            seen.journal_problem = str(exc)

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
        changes = stackfile_edit.edit(path, assignments, validate, applied=applied, written=record)
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
    if seen.entry is not None:
        print(f"journal entry {seen.entry} in {scale_journal.journal_path(path)} "
              f"(undo: infra scale revert --stack-file {path})")
    if seen.journal_problem is not None:
        print(f"not recorded in the scale journal: {seen.journal_problem}", file=sys.stderr)
    return EXIT_OK


@dataclass
class _Attempt:
    """What the locked edit saw: the file, the candidate, and the candidate's verdict."""

    old_text: str = ""
    new_text: str = ""
    verdict: Accepted | None = None
    entry: int | None = None  # the scale journal's entry for the write
    journal_problem: str | None = None


def _print_verdict(verdict: Accepted) -> None:
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
