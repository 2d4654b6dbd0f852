"""Reports built by hand for the format tests of tests/infra/reports/: every kind of finding, each once.

prod has a mandatory, an advisory and a waived violation; staging is clean; canary is a stack file outside
the repository with a stack-wide finding; `incident` is the incident's connector (max_instances: 100), which
the config model refuses, beside a clean stack.
"""

from __future__ import annotations

from pathlib import Path

from infra import config, stackfile
from infra.gate import policy_infos
from infra.reports.model import Report, StackResult
from infra.reports.stack_config import config_problems
from policies.runner import Violation
from tests.conftest import REPO

SERVICES = ("api", "web", "worker")
PROD = REPO / "Pulumi.prod.yaml"
STAGING = REPO / "Pulumi.staging.yaml"
CONNECTOR_MAX = ("golden-path:network", "connector", "max_instances")

BUDGET = Violation("connection-budget", "database-instance", "gcp:sql/databaseInstance:DatabaseInstance",
                   "Cloud SQL instance gp-prod-pg: 2041 connections above the budget 152 (200 max_connections). "
                   "Fix: raise max_connections.", "mandatory")
TIMEOUT = Violation("timeout-coherence", "service-web-service", "gcp:cloudrunv2/service:Service",
                    "Cloud Run service gp-prod-web: WEBSOCKET_HEARTBEAT_TIMEOUT 30s <&> \"quoted\"\x01. "
                    "Fix: lower it.", "advisory")
WAIVED = Violation("no-bypass-flags", "service-api-service", "gcp:cloudrunv2/service:Service",
                   "Cloud Run service gp-prod-api: bypass flag EMERGENCY_BYPASS=true is on in prod. Fix: remove it. "
                   "(waived: load test INC-7 (owner team-api, until 2099-01-01))", "mandatory", waived=True)
CAPS = Violation("capacity-caps", "stack", "pulumi:pulumi:Stack",
                 "stack: services may scale to 120 instances, above the cap of 100. Fix: lower max_instances.",
                 "mandatory")


def stack_result(stack: str, path: Path, *violations: Violation) -> StackResult:
    return StackResult(stack=stack, path=path, violations=violations,
                       line_of=stackfile.read(path).line_of, services=SERVICES)


def report_of(*stacks: StackResult, **options) -> Report:
    return Report(stacks=stacks, policies=policy_infos(), root=REPO, **options)


def mixed_report(outside: Path) -> Report:
    return report_of(stack_result("prod", PROD, WAIVED, TIMEOUT, BUDGET), stack_result("staging", STAGING),
                     stack_result("canary", outside, CAPS))


def incident_file(folder: Path) -> Path:
    """Pulumi.prod.yaml with the incident's connector (max_instances: 100; GCP allows 3 to 10), written as
    Pulumi.incident.yaml into folder. The value is on the line CONNECTOR_MAX has in Pulumi.prod.yaml."""
    lines = PROD.read_text().splitlines(keepends=True)
    index = stackfile.read(PROD).line_of(*CONNECTOR_MAX) - 1
    key, _, _ = lines[index].partition(":")
    lines[index] = f"{key}: 100\n"
    path = folder / "Pulumi.incident.yaml"
    path.write_text("".join(lines))
    return path


def config_errors(path: Path) -> StackResult:
    """The stack file's config errors, as infra check reports them (the real ConfigError, read back)."""
    try:
        config.load(path)
    except config.ConfigError as exc:
        stack = stackfile.stack_name(path)
        return StackResult(stack=stack, path=path, violations=(), line_of=stackfile.read(path).line_of,
                           errors=config_problems(stack, path, exc))
    raise AssertionError(f"{path} has no config errors")
