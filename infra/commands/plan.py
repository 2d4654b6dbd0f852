"""`infra plan`: the resources Pulumi would create for each stack, with no CLI or cloud."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pulumi.runtime.rpc import is_rpc_secret

from infra import inventory, offline, plan_cache
from infra.exit_codes import EXIT_OK
from infra.pulumi_config import SHOWN
from infra.stacks import all_stack_files, stack_file

# Property names whose values are never printed, whatever the mocks made up for them.
HIDDEN_PROPS = ("secretData", "password", "authString", "result")


def run(args: argparse.Namespace) -> int:
    if args.stack is not None or args.stack_file is not None:
        paths = [stack_file(args.stack, args.stack_file)]
    else:
        paths = all_stack_files()
    cache = Path(args.cache) if args.cache else None
    plans = [plan_cache.plan(path, folder=cache) for path in paths]
    if args.format == "json":
        print(json.dumps({"stacks": [_as_json(plan) for plan in plans]}, indent=2, default=str))
    else:
        print("\n\n".join(_as_table(plan) for plan in plans))
    return EXIT_OK


def _as_table(plan: offline.Plan) -> str:
    cfg = plan.config
    where = f"{cfg.project}, {cfg.region}" if cfg.target == "gcp" else "local Docker engine"
    lines = [f"{plan.stack}: {cfg.environment} on {cfg.target} ({where}), "
             f"{sum(1 for r in plan.resources if r.custom)} resources ({plan.path})"]
    rows = inventory.rows(plan)
    width = max((len(row.name) for row in rows), default=0)
    for row in rows:
        values = ", ".join(f"{key} {inventory.describe(value)}" for key, value in row.values.items()
                           if value not in (None, [], ""))
        lines.append(f"  {row.kind:<10} {row.name:<{width}}  {values}")
    lines.append("  resources: " + ", ".join(f"{n} {t}" for t, n in inventory.counts(plan).items()))
    return "\n".join(lines)


def _hide(value: Any) -> Any:
    if is_rpc_secret(value):  # a Pulumi secret input: printed as the Pulumi CLI prints one
        return SHOWN
    if isinstance(value, dict):
        return {k: "(hidden)" if k in HIDDEN_PROPS else _hide(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_hide(v) for v in value]
    return value


def _as_json(plan: offline.Plan) -> dict[str, Any]:
    return {
        **inventory.snapshot(plan),
        "outputs": plan.outputs,
        "resources": [{"urn": r.urn, "type": r.type, "name": r.name, "custom": r.custom, "parent": r.parent,
                       "dependencies": list(r.dependencies), "props": _hide(r.props)} for r in plan.resources],
    }
