"""`infra check`: the policy pack over the offline plan of each stack; the CI gate.

Each stack is planned once (the program under mocks, infra/offline.py), its policy config is
loaded (policies/config/<environment>.json, or --policy-config), and policies.runner evaluates
the very policy objects the pack serves to the Pulumi CLI. Exit 0 when nothing mandatory is left
unwaived, 1 otherwise, 2 for bad input (a missing or malformed stack file, an unknown stack, a bad
policy config).
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from pathlib import Path
from typing import Any

from infra import offline, report, stackfile
from infra.cli import EXIT_FAILED, EXIT_OK, BadInput, all_stack_files, project_root, stack_file
from policies import runner

POLICY_CONFIG_DIR = Path("policies") / "config"


def run(args: argparse.Namespace) -> int:
    paths = stack_paths(args)
    root = project_root()
    explicit = Path(args.policy_config) if args.policy_config else None
    loaded: dict[Path, dict[str, Any]] = {}
    if explicit is not None:  # a bad --policy-config is refused before anything is planned
        loaded[explicit] = load_policy_config(explicit)
    results = []
    for path in paths:
        start = time.perf_counter()
        plan = offline.plan(path)
        config_path = explicit or root / POLICY_CONFIG_DIR / f"{plan.config.environment}.json"
        if config_path not in loaded:
            loaded[config_path] = load_policy_config(config_path)
        violations = evaluate(plan.resources, loaded[config_path], config_path)
        results.append(report.StackResult(
            stack=plan.stack,
            path=path,
            violations=tuple(violations),
            policy_config=config_path,
            seconds=time.perf_counter() - start,
            line_of=_line_of(path),
            services=tuple(plan.config.services),
        ))
    result = report.Report(stacks=tuple(results), policies=policy_infos(), root=root)
    text = report.render(result, args.format)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"--output {args.output}: cannot be written: {exc.strerror or exc}") from None
        if args.format != "table":
            # the file is for a machine; people still see the verdict
            print(report.as_table(result).splitlines()[-1], file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK if result.passed else EXIT_FAILED


def stack_paths(args: argparse.Namespace) -> list[Path]:
    """Every stack file the arguments name, each once, in the order given; all resolved up front,
    so an unknown stack is refused before anything is planned."""
    if args.stack_file:
        return [stack_file(None, args.stack_file)]
    if args.all:
        paths = all_stack_files()
        if not paths:
            raise BadInput(f"--all: no Pulumi.<stack>.yaml in {project_root()}")
        return paths
    return list(dict.fromkeys(stack_file(name, None) for name in args.stack))


def load_policy_config(path: Path) -> dict[str, Any]:
    """The --policy-pack-config file; anything unusable is bad input (exit 2)."""
    if not path.is_file():
        raise BadInput(f"{path}: no such policy config (pass --policy-config PATH, or add "
                       f"{POLICY_CONFIG_DIR}/<environment>.json)")
    try:
        return runner.load_policy_config(path)
    except runner.PolicyConfigError as exc:
        raise BadInput(str(exc)) from None


def evaluate(resources: Any, policy_config: dict[str, Any], config_path: Path) -> list[runner.Violation]:
    try:
        return runner.evaluate(resources, policy_config)
    except runner.PolicyConfigError as exc:  # already checked on load; kept so it can never be a crash
        raise BadInput(f"{config_path}: {exc}") from None


@functools.cache
def policy_infos() -> tuple[report.PolicyInfo, ...]:
    from policies import pack

    infos = []
    for policy in pack.POLICIES:
        level = policy.enforcement_level or pack.DEFAULT_ENFORCEMENT
        infos.append(report.PolicyInfo(
            name=policy.name,
            description=policy.description or policy.name,
            url=getattr(policy, "url", None),
            enforcement=getattr(level, "value", None),
        ))
    return tuple(infos)


def _line_of(path: Path):
    """The stack file's line_of, read only if a format asks for a line (SARIF)."""

    @functools.cache
    def read() -> stackfile.StackFile:
        return stackfile.read(path)

    def line_of(*keys: str | int) -> int | None:
        try:
            return read().line_of(*keys)
        except stackfile.StackFileError:
            return None

    return line_of
