"""The policy pack over the wire, as the Pulumi CLI runs it, agrees with `infra check`.

policies/__main__.py is started the way the CLI starts a Python pack (the `analyzer` fixture,
tests/pack_server.py); it prints its port, and is driven with the CLI's protobufs
(pulumi.runtime.proto): GetAnalyzerInfo, Configure (the policy config reconciled as the CLI does
it: schema defaults, "all", per-policy levels), Analyze per resource and AnalyzeStack. For every
committed stack and every broken stack, the findings on the wire equal policies.runner's (what
`infra check` reports): policy, resource, enforcement and message; waived ones come back as
not-applicable reasons ("waived: ...") and must match the runner's waived violations.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2, plugin_pb2

from infra import offline
from policies import runner
from policies.runner import Violation
from tests.broken_stacks import EXPECTED
from tests.pack_server import LEVEL_NAMES, analyze_request, analyze_stack_request, configure, configure_stack

REPO = Path(__file__).resolve().parent.parent
POLICY_CONFIGS = REPO / "policies" / "config"
POLICY_NAMES = [  # a contract: policy configs, waivers and reports name policies by these
    "vpc-connector-limits", "cloud-run-limits", "cloud-sql-limits", "redis-limits", "capacity-caps",
    "connection-budget", "timeout-coherence", "security-baseline", "no-plaintext-secrets", "no-bypass-flags",
    "health-checks", "no-port-conflicts",
]
WAIVED_NOTE = re.compile(r"^waived: (?P<policy>\S+) on (?P<resource>.+?): (?P<waiver>.*?); violation: (?P<message>.*)$")

Finding = tuple[str, str, str, bool]  # policy, resource name ("stack" for the stack), enforcement, waived


@pytest.fixture(scope="module")
def info(analyzer) -> analyzer_pb2.AnalyzerInfo:
    return analyzer.GetAnalyzerInfo(empty_pb2.Empty())


def over_the_wire(analyzer, info, plan: offline.Plan, config: dict[str, Any]) -> dict[Finding, list[str]]:
    """Findings from Analyze (each resource) and AnalyzeStack (all of them), with their messages."""
    configure_stack(analyzer, plan.stack)
    levels = configure(analyzer, config)
    descriptions = {p.name: p.description for p in info.policies}
    names = {r.urn: r.name for r in plan.resources}
    found: dict[Finding, list[str]] = {}

    def collect(response: analyzer_pb2.AnalyzeResponse, resource_name: str | None) -> None:
        for d in response.diagnostics:
            prefix = descriptions[d.policyName] + "\n"
            assert d.message.startswith(prefix), d.message  # pulumi_policy prepends the description
            name = resource_name or names.get(d.urn, "stack")
            key = (d.policyName, name, LEVEL_NAMES[d.enforcementLevel], False)
            found.setdefault(key, []).append(d.message[len(prefix):])
        for not_applicable in response.not_applicable:
            for line in not_applicable.reason.splitlines():
                note = WAIVED_NOTE.match(line)
                assert note, f"a not-applicable reason that is not a waiver: {line!r}"
                assert note["policy"] == not_applicable.policy_name
                key = (note["policy"], note["resource"], levels[note["policy"]], True)
                found.setdefault(key, []).append(note["message"])

    for r in plan.resources:
        collect(analyzer.Analyze(analyze_request(r)), r.name)
    collect(analyzer.AnalyzeStack(analyze_stack_request(plan.resources)), None)
    return found


# --- infra check's side ---------------------------------------------------------------------------
def in_process(plan: offline.Plan, config: dict[str, Any]) -> dict[Finding, list[str]]:
    found: dict[Finding, list[str]] = {}
    for v in runner.evaluate(plan.resources, config):
        found.setdefault((v.policy, v.resource, v.enforcement, v.waived), []).append(_core(v))
    return found


def _core(v: Violation) -> str:
    """The message as the policy reported it (the runner appends the waiver to waived ones)."""
    return v.message.rsplit(" (waived: ", 1)[0] if v.waived else v.message


def compare(analyzer, info, plan: offline.Plan, config: dict[str, Any]) -> dict[Finding, list[str]]:
    wire = over_the_wire(analyzer, info, plan, config)
    local = in_process(plan, config)
    assert set(wire) == set(local), (sorted(set(wire) - set(local)), sorted(set(local) - set(wire)))
    for key in wire:
        assert sorted(wire[key]) == sorted(local[key]), key
    return wire


def _policy_config(environment: str) -> dict[str, Any]:
    return runner.load_policy_config(POLICY_CONFIGS / f"{environment}.json")


class _Plans(dict):
    def __missing__(self, path: Path) -> offline.Plan:
        self[path] = plan = offline.plan(path)
        return plan


@pytest.fixture(scope="module")
def plans() -> dict[Path, offline.Plan]:
    """Each stack planned once for the module."""
    return _Plans()


# --- tests ----------------------------------------------------------------------------------------
def test_the_pack_announces_its_policies(info):
    assert info.name == "golden-path"
    assert [p.name for p in info.policies] == POLICY_NAMES
    assert all(p.description for p in info.policies)
    assert info.supportsConfig


def test_the_pack_answers_plugin_info(analyzer):
    assert isinstance(analyzer.GetPluginInfo(empty_pb2.Empty()), plugin_pb2.PluginInfo)


@pytest.mark.parametrize("stack", ["local", "staging", "prod"])
def test_committed_stacks_agree(analyzer, info, plans, stack):
    plan = plans[REPO / f"Pulumi.{stack}.yaml"]
    found = compare(analyzer, info, plan, _policy_config(plan.config.environment))
    assert not [key for key in found if key[2] == "mandatory" and not key[3]], found


@pytest.mark.parametrize("file_name", sorted(EXPECTED))
def test_broken_stacks_agree_and_are_not_clean(analyzer, info, plans, broken_stacks, file_name):
    plan = plans[broken_stacks[file_name]]
    found = compare(analyzer, info, plan, _policy_config(plan.config.environment))
    wanted = {(e["policy"], e["resource"], e["enforcement"], False) for e in EXPECTED[file_name]["violations"]}
    assert set(found) == wanted


def test_waived_violations_agree_through_not_applicable(analyzer, info, plans, broken_stacks):
    config = _policy_config("prod")
    config["connection-budget"] = {**config["connection-budget"], "waivers": [{
        "resource": "database-instance", "reason": "pgbouncer rollout", "owner": "team-platform",
        "expires": "2099-12-31"}]}
    config["security-baseline"] = {**config["security-baseline"], "enforcementLevel": "advisory"}
    found = compare(analyzer, info, plans[broken_stacks["Pulumi.budget.yaml"]], config)
    assert set(found) == {("connection-budget", "database-instance", "mandatory", True)}
    assert "= 2041 connections" in found[("connection-budget", "database-instance", "mandatory", True)][0]


def test_advisory_and_disabled_levels_agree(analyzer, info, plans, broken_stacks):
    config = _policy_config("prod")
    config["security-baseline"] = {**config["security-baseline"], "enforcementLevel": "advisory"}
    config["timeout-coherence"] = "disabled"
    found = compare(analyzer, info, plans[broken_stacks["Pulumi.zonal.yaml"]], config)
    assert set(found) == {("security-baseline", "database-instance", "advisory", False)}
    assert compare(analyzer, info, plans[broken_stacks["Pulumi.poolwait.yaml"]], config) == {}
