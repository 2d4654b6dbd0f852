"""The `infra` command: argument parsing and dispatch. Each command's body is in infra/commands/;
exit codes are in infra/exit_codes.py, stack lookup in infra/stacks.py.

Command modules are imported only when their command runs: `infra forecast` need not load the
GCP provider SDK.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import os
import sys
import traceback
from pathlib import Path

from infra import fast_paths
from infra.config import ConfigError
from infra.exit_codes import EXIT_BAD_INPUT, EXIT_OK, BadInput
from infra.stacks import REPO_ROOT

CACHE_HELP = "keep plans in DIR and reuse one whose inputs are all the same (infra/plan_cache.py); off by default"
DEBUG_VARIABLE = "GOLDEN_PATH_DEBUG"  # set to any value: an unexpected error raises with its traceback


def _add_stack_choice(parser: argparse.ArgumentParser, many: bool = False) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    if many:
        group.add_argument("--stack", action="append", metavar="NAME", help="a stack of this project (repeatable)")
        group.add_argument("--all", action="store_true", help="every Pulumi.<stack>.yaml of this project")
    else:
        group.add_argument("--stack", metavar="NAME", help="a stack of this project, e.g. staging")
    group.add_argument("--stack-file", metavar="PATH", help="any Pulumi.<name>.yaml, inside the repo or not")


def _add_write_choice(parser: argparse.ArgumentParser) -> None:
    """The flags of a command that rewrites a stack file."""
    parser.add_argument("--dry-run", action="store_true", help="print the diff, write nothing")
    parser.add_argument("--force", action="store_true",
                        help="allow changes GCP applies by replacement (lowering connector instances)")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="infra", description="golden-path: plan, check and scale the platform")
    commands = root.add_subparsers(dest="command", required=True)

    plan = commands.add_parser("plan", help="the resources Pulumi would create, without the CLI or a cloud")
    group = plan.add_mutually_exclusive_group()
    group.add_argument("--stack", metavar="NAME", help="a stack of this project (default: every stack)")
    group.add_argument("--stack-file", metavar="PATH", help="any Pulumi.<name>.yaml")
    plan.add_argument("--format", choices=("table", "json"), default="table")
    plan.add_argument("--cache", metavar="DIR", help=CACHE_HELP)

    check = commands.add_parser("check", help="the policy pack over the offline plan")
    _add_stack_choice(check, many=True)
    check.add_argument("--policy-config", metavar="PATH",
                       help="policy config (default: policies/config/<environment>.json)")
    check.add_argument("--format", choices=("table", "json", "sarif", "junit", "markdown"), default="table")
    check.add_argument("--output", metavar="FILE", help="write the report here instead of stdout")
    check.add_argument("--cache", metavar="DIR", help=CACHE_HELP)

    scale = commands.add_parser("scale", help="rewrite capacity in a stack file, checked first")
    scale_commands = scale.add_subparsers(dest="scale_command", required=True)
    scale_set = scale_commands.add_parser("set", help="set dotted keys, e.g. services.api.max_instances=20")
    _add_stack_choice(scale_set)
    scale_set.add_argument("assignments", nargs="+", metavar="KEY=VALUE")
    _add_write_choice(scale_set)
    scale_auto = scale_commands.add_parser("auto", help="propose and apply changes from utilisation")
    _add_stack_choice(scale_auto)
    scale_auto.add_argument("--metrics", required=True, metavar="SOURCE", help="file:PATH or gcp:PROJECT")
    _add_write_choice(scale_auto)
    scale_revert = scale_commands.add_parser("revert", help="write back what the scale journal recorded")
    _add_stack_choice(scale_revert)
    scale_revert.add_argument("--to", type=int, metavar="ENTRY",
                              help="undo every journal entry after ENTRY, 0 for all (default: the last entry)")
    _add_write_choice(scale_revert)

    forecast = commands.add_parser("forecast", help="when each resource runs out of capacity")
    _add_stack_choice(forecast)
    forecast.add_argument("--metrics", required=True, metavar="SOURCE", help="file:PATH or gcp:PROJECT")
    forecast.add_argument("--chart", metavar="FILE.png", help="draw history, trend and capacity")
    return root


def run() -> int:
    """The `infra` command: main() as a process of its own, which ends with the command. The collector's
    thresholds are then left as the command had them: put back, the next allocation would start a
    collection of the whole plan's heap (0.5 s at 300 services) just before the process exits."""
    return main(restore_collector=False)


def main(argv: list[str] | None = None, *, restore_collector: bool = True) -> int:
    # The provider SDKs and the Pulumi runtime leave ~300,000 objects behind; freezing them at exit
    # spares the interpreter's last garbage collections, about 0.5 s of a cold `infra check --all`.
    atexit.register(gc.freeze)
    args = parser().parse_args(argv)
    try:
        if args.command == "plan":
            from infra.commands import plan as command
        elif args.command == "check":
            from infra.commands import check as command
        elif args.command == "scale":
            from infra.commands import scale as command
        else:
            from infra.commands import forecast as command
        with fast_paths.collector(restore=restore_collector):
            return command.run(args)
    except (ConfigError, BadInput) as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `infra plan | head`: the reader left. Point stdout at devnull so the exit flush is quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 (the last resort: one line, never a traceback)
        if os.environ.get(DEBUG_VARIABLE):
            raise
        print(unexpected_error(args, exc), file=sys.stderr)
        # 2, never 1: exit 1 means "violations found", which a crash must never pretend to be.
        return EXIT_BAD_INPUT


def unexpected_error(args: argparse.Namespace, exc: BaseException) -> str:
    """One line for an error no command expected: which command, which file, where in our code. The
    exception's message is left out: it may quote the input, and the input may hold a secret."""
    command = " ".join(part for part in (args.command, getattr(args, "scale_command", None)) if part)
    target = getattr(args, "stack_file", None) or getattr(args, "stack", None)
    where = _innermost_project_frame(exc)
    on = f" on {target}" if isinstance(target, str) else ""
    return (f"infra {command}{on}: unexpected {type(exc).__name__}{where}; this is a bug in golden-path, "
            f"please report it on the project's issue tracker (set {DEBUG_VARIABLE}=1 to see the traceback)")


def _innermost_project_frame(exc: BaseException) -> str:
    found = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename)
        if path.is_absolute() and REPO_ROOT in path.resolve().parents:
            path = path.resolve()
            found = f" at {path.relative_to(REPO_ROOT).as_posix()}:{frame.lineno} ({frame.name})"
    return found


if __name__ == "__main__":
    sys.exit(run())
