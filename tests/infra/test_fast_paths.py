"""The guard of the offline commands' fast paths (infra/fast_paths.py): every captured plan is identical with
and without them — resources, properties, parents, dependencies, property dependencies and outputs — for
every committed stack, every broken stack and generated stacks of 10 and 300 services.

Each side runs in its own interpreter (the SDK loader works at import), side by side; each reports which
paths it ran, so the comparison cannot pass by comparing the plain path with itself.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, STACKS

PLAN_ALL = """
import dataclasses, json, sys
from pathlib import Path
import pulumi.runtime.resource
from infra import lazy_sdk, offline, sdk_shortcuts
from infra.config import ConfigError

plans = {}
for path in sys.argv[1:]:
    try:
        plan = offline.plan(Path(path))
    except ConfigError as exc:
        plans[path] = {"config error": str(exc)}
        continue
    plans[path] = {"resources": [dataclasses.asdict(r) for r in plan.resources], "outputs": plan.outputs}
compute = sys.modules.get("pulumi_gcp.compute")
ran = {
    "lazy SDK": type(getattr(compute, "__loader__", None)).__name__ == "_PackageLoader",
    "no stack traces": pulumi.runtime.resource._get_stack_trace is sdk_shortcuts._no_stack_trace,
    "no unused URNs": pulumi.runtime.resource.create_urn is sdk_shortcuts._create_urn_unless_unused,
}
print(json.dumps({"ran": ran, "plans": plans}, default=str))
"""


def generated_stacks(folder: Path) -> list[Path]:
    """The benchmarks' generated stacks (bench/stacks.py) of 10 and 300 services."""
    spec = importlib.util.spec_from_file_location("bench_stacks", REPO / "bench" / "stacks.py")
    stacks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stacks)
    return [stacks.generate(services, folder) for services in (10, 300)]


def start(paths: list[Path], fast: bool) -> subprocess.Popen:
    env = {**os.environ, "GOLDEN_PATH_FAST_PATHS": "1" if fast else "0"}
    return subprocess.Popen([sys.executable, "-c", PLAN_ALL, *map(str, paths)], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE)


def result(run: subprocess.Popen) -> dict:
    out, _ = run.communicate(timeout=600)
    assert run.returncode == 0
    return json.loads(out)


@pytest.fixture(scope="module")
def both_ways(broken_stacks, tmp_path_factory) -> tuple[dict, dict]:
    paths = [REPO / f"Pulumi.{stack}.yaml" for stack in STACKS]
    paths += [*broken_stacks.values(), *generated_stacks(tmp_path_factory.mktemp("generated"))]
    runs = start(paths, fast=True), start(paths, fast=False)
    return result(runs[0]), result(runs[1])


def test_each_side_ran_the_paths_it_names(both_ways):
    fast, plain = both_ways
    assert all(fast["ran"].values()), fast["ran"]
    assert not any(plain["ran"].values()), plain["ran"]


def test_every_plan_is_identical_with_and_without_the_fast_paths(both_ways):
    fast, plain = both_ways
    assert fast["plans"].keys() == plain["plans"].keys()
    planned = 0
    for path, plan in plain["plans"].items():
        assert fast["plans"][path] == plan, path
        planned += "resources" in plan
    assert planned >= len(STACKS) + 2  # the committed and the generated stacks did plan
    largest = max(len(plan.get("resources", ())) for plan in plain["plans"].values())
    assert largest > 2000  # 300 services
