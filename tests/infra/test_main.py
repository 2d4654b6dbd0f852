"""infra/__main__.py, the Pulumi entry, run the way the Pulumi CLI runs it: runpy on infra/ (so infra/ is
sys.path[0]), config from PULUMI_CONFIG, in a fresh interpreter, under the SDK's mocks.

Running the program must load the program and nothing of the tooling around it: every `pulumi up`
would otherwise pay for (and could break on) the CLI, the scaler, the metrics readers and the reports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from infra import pulumi_config, stackfile
from infra.stacks import REPO_ROOT

HARNESS = """\
import json, runpy, sys, pulumi
from pulumi.runtime import mocks
class M(pulumi.runtime.Mocks):
    def new_resource(self, args): return args.name + '-id', dict(args.inputs)
    def call(self, args): return {}
monitor = mocks.MockMonitor(M())
mocks.set_mocks(M(), project='golden-path', stack=sys.argv[2], preview=True, monitor=monitor)
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await
_sync_await(run_pulumi_func(lambda: runpy.run_path(sys.argv[1], run_name='__main__')))
import platform
print(json.dumps({'types': sorted({r.urn.split('::')[2] for r in monitor.resources.values()}),
                  'stdlib_platform': hasattr(platform, 'python_version'),
                  'modules': sorted(sys.modules)}))
"""
# The tooling around the program (a name covers its submodules): the CLI and its commands, the scaler,
# the metrics readers, the reports, the stack-file writer and the modules it is made of.
TOOLING = (
    "infra.cli", "infra.commands", "infra.gate", "infra.stacks", "infra.candidate", "infra.offline", "infra.inventory",
    "infra.change", "infra.scaling", "infra.metrics", "infra.reports", "infra.report",
    "infra.stackfile_edit", "infra.dotted_keys", "infra.edit_error", "infra.file_text", "infra.settable_keys",
    "infra.stackfile_lock", "infra.yaml_scalars", "infra.yaml_splice",
)
TARGETS = {"staging": "gcp", "local": "docker"}  # a committed stack of each target


@pytest.fixture(scope="module")
def programs(tmp_path_factory) -> dict[str, dict[str, Any]]:
    """What a run of the program registered and imported, per stack in TARGETS."""
    harness = tmp_path_factory.mktemp("harness") / "harness.py"
    harness.write_text(HARNESS)
    found = {}
    for stack in TARGETS:
        env = {**os.environ, "PULUMI_CONFIG": json.dumps(
            pulumi_config.to_pulumi_config(stackfile.read(REPO_ROOT / f"Pulumi.{stack}.yaml").config))}
        done = subprocess.run([sys.executable, str(harness), str(REPO_ROOT / "infra"), stack], cwd=REPO_ROOT,
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        found[stack] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def test_program_runs_the_way_the_pulumi_cli_runs_it(programs) -> None:
    staging = programs["staging"]
    assert staging["stdlib_platform"] is True  # infra/platform.py does not stand in for the standard library
    assert "golden-path:gcp:CloudRunService$gcp:cloudrunv2/service:Service" in staging["types"]
    assert "golden-path:docker:ServiceContainer$docker:index/container:Container" in programs["local"]["types"]


@pytest.mark.parametrize("stack", TARGETS)
def test_program_imports_none_of_the_tooling(programs, stack) -> None:
    modules = programs[stack]["modules"]
    assert "infra.platform" in modules and "infra.config" in modules  # the program did run
    tooling = [m for m in modules if any(m == t or m.startswith(f"{t}.") for t in TOOLING)]
    assert tooling == []
