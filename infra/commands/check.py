"""`infra check`: the policy pack over the offline plan of each stack; the CI gate.

Each stack goes through infra/gate.py once: planned (the program under mocks), its policy config
loaded (policies/config/<environment>.json, or --policy-config), and the very policy objects the
pack serves to the Pulumi CLI evaluated. Exit 0 when nothing mandatory is left
unwaived, 1 otherwise, 2 for bad input (a missing or malformed stack file, an unknown stack, a bad
policy config).
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from pathlib import Path

from infra import gate, stackfile
from infra.exit_codes import EXIT_FAILED, EXIT_OK, BadInput
from infra.reports.formats import render
from infra.reports.model import Report, StackResult
from infra.reports.table import as_table
from infra.stacks import all_stack_files, project_root, stack_file


def run(args: argparse.Namespace) -> int:
    paths = stack_paths(args)
    root = project_root()
    policy_configs = gate.PolicyConfigs(Path(args.policy_config) if args.policy_config else None)
    results = []
    for path in paths:
        start = time.perf_counter()
        verdict = gate.check(path, policy_configs)
        results.append(StackResult(
            stack=verdict.plan.stack,
            path=path,
            violations=verdict.violations,
            policy_config=verdict.policy_config,
            seconds=time.perf_counter() - start,
            line_of=_line_of(path),
            services=tuple(verdict.plan.config.services),
        ))
    result = Report(stacks=tuple(results), policies=gate.policy_infos(), root=root)
    text = render(result, args.format)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"--output {args.output}: cannot be written: {exc.strerror or exc}") from None
        if args.format != "table":
            # the file is for a machine; people still see the verdict
            print(as_table(result).splitlines()[-1], file=sys.stderr)
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
