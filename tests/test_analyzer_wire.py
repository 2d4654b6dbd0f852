"""The policy pack over the wire, as the Pulumi CLI runs it, agrees with `infra check`.

policies/__main__.py is started the way the CLI starts a Python pack (`python -u -m pulumi.policy
<engine-address> .` inside policies/); it prints its port, and is driven with the CLI's protobufs
(pulumi.runtime.proto): GetAnalyzerInfo, Configure (the policy config reconciled as the CLI does
it: schema defaults, "all", per-policy levels), Analyze per resource and AnalyzeStack. For every
committed stack and every broken stack, the findings on the wire equal policies.runner's (what
`infra check` reports): policy, resource, enforcement and message; waived ones come back as
not-applicable reasons ("waived: ...") and must match the runner's waived violations.
"""

from __future__ import annotations

import json
import re
import selectors
import subprocess
import sys
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, plugin_pb2

from infra import offline
from policies import runner
from policies.runner import Violation

REPO = Path(__file__).resolve().parent.parent
POLICY_CONFIGS = REPO / "policies" / "config"
BROKEN = REPO / "tests" / "broken_stacks"
EXPECTED = json.loads((BROKEN / "expected.json").read_text())
POLICY_NAMES = [  # a contract: policy configs, waivers and reports name policies by these
    "vpc-connector-limits", "cloud-run-limits", "cloud-sql-limits", "redis-limits", "capacity-caps",
    "connection-budget", "timeout-coherence", "security-baseline", "no-plaintext-secrets", "no-bypass-flags",
    "health-checks", "no-port-conflicts",
]
LEVEL_NAMES = {analyzer_pb2.ADVISORY: "advisory", analyzer_pb2.MANDATORY: "mandatory",
               analyzer_pb2.DISABLED: "disabled", analyzer_pb2.REMEDIATE: "remediate"}
WAIVED_NOTE = re.compile(r"^waived: (?P<policy>\S+) on (?P<resource>.+?): (?P<waiver>.*?); violation: (?P<message>.*)$")
STARTUP_SECONDS = 30

Finding = tuple[str, str, str, bool]  # policy, resource name ("stack" for the stack), enforcement, waived


@pytest.fixture(scope="module")
def analyzer(request, tmp_path_factory) -> analyzer_pb2_grpc.AnalyzerStub:
    """One pack server for the module, started as the CLI starts it, stopped in a finalizer."""
    stderr = (tmp_path_factory.mktemp("analyzer") / "stderr.txt").open("w+")
    process = subprocess.Popen([sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", "."],
                               cwd=REPO / "policies", stdout=subprocess.PIPE, stderr=stderr, text=True)

    def stop() -> None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()
        stderr.close()

    request.addfinalizer(stop)
    port = _read_port(process, stderr)
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    request.addfinalizer(channel.close)
    grpc.channel_ready_future(channel).result(timeout=STARTUP_SECONDS)
    return analyzer_pb2_grpc.AnalyzerStub(channel)


def _read_port(process: subprocess.Popen, stderr) -> int:
    """The first line the pack prints is its port (pulumi_policy's PolicyPack does that)."""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=STARTUP_SECONDS):
            pytest.fail(f"the pack printed no port within {STARTUP_SECONDS} s")
    line = process.stdout.readline().strip()
    if not line.isdigit():
        stderr.seek(0)
        pytest.fail(f"the pack printed {line!r}, not a port; exit {process.poll()}; stderr:\n{stderr.read()}")
    return int(line)


@pytest.fixture(scope="module")
def info(analyzer) -> analyzer_pb2.AnalyzerInfo:
    return analyzer.GetAnalyzerInfo(empty_pb2.Empty())


# --- the CLI's side -------------------------------------------------------------------------------
def reconcile(info: analyzer_pb2.AnalyzerInfo, config: dict[str, Any]) -> dict[str, tuple[str, dict]]:
    """What the Pulumi CLI sends to Configure for a --policy-pack-config file: every policy, its level
    (its own entry, else "all", else the level the pack declares) and properties (schema defaults,
    then the file's values)."""
    reconciled = {}
    for policy in info.policies:
        schema = json_format.MessageToDict(policy.configSchema.properties)
        properties = {k: s["default"] for k, s in schema.items() if isinstance(s, dict) and "default" in s}
        level = LEVEL_NAMES[policy.enforcementLevel]
        if isinstance(config.get("all"), str):
            level = config["all"]
        entry = config.get(policy.name)
        if isinstance(entry, str):
            level = entry
        elif isinstance(entry, dict):
            level = entry.get("enforcementLevel", level)
            properties.update({k: v for k, v in entry.items() if k != "enforcementLevel"})
        reconciled[policy.name] = (level, properties)
    return reconciled


def configure(analyzer, info, config: dict[str, Any]) -> dict[str, str]:
    """Send the reconciled config; return each policy's level."""
    reconciled = reconcile(info, config)
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, (level, properties) in reconciled.items():
        policy_config = request.policyConfig[name]
        policy_config.enforcementLevel = analyzer_pb2.EnforcementLevel.Value(level.upper())
        policy_config.properties.CopyFrom(json_format.ParseDict(properties, struct_pb2.Struct()))
    analyzer.Configure(request)
    return {name: level for name, (level, _) in reconciled.items()}


def _struct(props: dict[str, Any]) -> struct_pb2.Struct:
    return json_format.ParseDict(props, struct_pb2.Struct())


def _options(resource: offline.CapturedResource) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(parent=resource.parent or "")


def over_the_wire(analyzer, info, plan: offline.Plan, config: dict[str, Any]) -> dict[Finding, list[str]]:
    """Findings from Analyze (each resource) and AnalyzeStack (all of them), with their messages."""
    analyzer.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(
        stack=plan.stack, project=offline.PROJECT, organization="organization", dry_run=True))
    levels = configure(analyzer, info, config)
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
        collect(analyzer.Analyze(analyzer_pb2.AnalyzeRequest(
            type=r.type, properties=_struct(dict(r.props)), urn=r.urn, name=r.name, options=_options(r))), r.name)
    collect(analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(
            type=r.type, properties=_struct(dict(r.props)), urn=r.urn, name=r.name, options=_options(r),
            parent=r.parent or "", dependencies=list(r.dependencies),
            propertyDependencies={k: analyzer_pb2.AnalyzerPropertyDependencies(urns=list(v))
                                  for k, v in r.property_dependencies.items()})
        for r in plan.resources])), None)
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
def test_broken_stacks_agree_and_are_not_clean(analyzer, info, plans, file_name):
    plan = plans[BROKEN / file_name]
    found = compare(analyzer, info, plan, _policy_config(plan.config.environment))
    wanted = {(e["policy"], e["resource"], e["enforcement"], False) for e in EXPECTED[file_name]["violations"]}
    assert set(found) == wanted


def test_waived_violations_agree_through_not_applicable(analyzer, info, plans):
    config = _policy_config("prod")
    config["connection-budget"] = {**config["connection-budget"], "waivers": [{
        "resource": "database-instance", "reason": "pgbouncer rollout", "owner": "team-platform",
        "expires": "2099-12-31"}]}
    config["security-baseline"] = {**config["security-baseline"], "enforcementLevel": "advisory"}
    found = compare(analyzer, info, plans[BROKEN / "Pulumi.budget.yaml"], config)
    assert set(found) == {("connection-budget", "database-instance", "mandatory", True)}
    assert "= 2041 connections" in found[("connection-budget", "database-instance", "mandatory", True)][0]


def test_advisory_and_disabled_levels_agree(analyzer, info, plans):
    config = _policy_config("prod")
    config["security-baseline"] = {**config["security-baseline"], "enforcementLevel": "advisory"}
    config["timeout-coherence"] = "disabled"
    found = compare(analyzer, info, plans[BROKEN / "Pulumi.zonal.yaml"], config)
    assert set(found) == {("security-baseline", "database-instance", "advisory", False)}
    assert compare(analyzer, info, plans[BROKEN / "Pulumi.poolwait.yaml"], config) == {}
