"""`infra check`: the policy pack over the offline plan of each stack; the CI gate.

Each stack goes through infra/gate.py once: planned (the program under mocks), its policy config
loaded (policies/config/<environment>.json, or --policy-config), and the very policy objects the
pack serves to the Pulumi CLI evaluated. A stack whose config the model refuses is reported with
its config errors (rule stack-config) and the others are still checked.

Exit 0 when nothing mandatory is left unwaived, 1 otherwise, 2 for bad input: config errors (after
the report), or no report at all for a missing stack file, an unknown stack or a bad policy config.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path

from infra import gate, stackfile
from infra.config import ConfigError
from infra.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, BadInput
from infra.reports.formats import render
from infra.reports.links import RepositoryLinks
from infra.reports.model import Report, StackResult
from infra.reports.stack_config import config_problems
from infra.reports.table import as_table
from infra.stacks import all_stack_files, project_root, stack_file


def run(args: argparse.Namespace) -> int:
    paths = stack_paths(args)
    root = project_root()
    policy_configs = gate.PolicyConfigs(Path(args.policy_config) if args.policy_config else None)
    cache = Path(args.cache) if args.cache else None
    results = tuple(check_stack(path, policy_configs, cache) for path in paths)
    report = Report(stacks=results, policies=gate.policy_infos(), root=root,
                    links=RepositoryLinks.from_environment(root, os.environ))
    text = render(report, args.format)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"--output {args.output}: cannot be written: {exc.strerror or exc}") from None
    else:
        sys.stdout.write(text)
    if args.output or args.format != "table":
        # the report is for a machine; people still see why it failed
        for problem in report.errors:
            print(problem.text, file=sys.stderr)
        if args.output and args.format != "table":
            print(as_table(report).splitlines()[-1], file=sys.stderr)
    if report.errors:
        return EXIT_BAD_INPUT
    return EXIT_OK if report.passed else EXIT_FAILED


def check_stack(path: Path, policy_configs: gate.PolicyConfigs, cache: Path | None = None) -> StackResult:
    """One stack planned (from the plan cache in `cache`, if given) and evaluated, or its config errors."""
    try:
        verdict = gate.check(path, policy_configs, cache=cache)
    except ConfigError as exc:
        stack = _stack_of(path)
        if stack is None:  # no stack file to point a finding at: the argument is wrong
            raise BadInput(str(exc)) from None
        return StackResult(stack=stack, path=path, violations=(), line_of=_line_of(path),
                           errors=config_problems(stack, path, exc))
    return StackResult(
        stack=verdict.plan.stack,
        path=path,
        violations=verdict.violations,
        policy_config=verdict.policy_config,
        line_of=_line_of(path),
        services=tuple(verdict.plan.config.services),
    )


def _stack_of(path: Path) -> str | None:
    """The stack a file configures, or None when it is missing or not named Pulumi.<stack>.yaml."""
    try:
        return stackfile.stack_name(path) if path.is_file() else None
    except stackfile.StackFileError:
        return None


def stack_paths(args: argparse.Namespace) -> list[Path]:
    """Every stack file the arguments name, each once, in the order given; all resolved up front,
    so an unknown stack is refused before anything is planned."""
    if args.stack_file is not None:
        return [stack_file(None, args.stack_file)]
    if args.all:
        paths = all_stack_files()
        if not paths:
            raise BadInput(f"--all: no Pulumi.<stack>.yaml in {project_root()}")
        return paths
    return list(dict.fromkeys(stack_file(name, None) for name in args.stack))


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
