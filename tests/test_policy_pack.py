"""The pack as the Pulumi CLI sees it: its files, its policies, and policies/__main__.py served over
the Analyzer gRPC protocol (started the way the CLI starts it: `python -u -m pulumi.policy ADDR .`
from inside policies/), called with the protobufs in pulumi.runtime.proto."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import grpc
import jsonschema
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from policies.pack import PACK_NAME, POLICIES, POLICY_NAMES
from policies.policy_config import schema_problems
from tests.policy_fixtures import CONFIG_DIR, docker_stack, find, patch, run_service

POLICIES_DIR = Path(__file__).resolve().parent.parent / "policies"
EXPECTED_NAMES = ("vpc-connector-limits", "cloud-run-limits", "cloud-sql-limits", "redis-limits", "capacity-caps",
                  "connection-budget", "timeout-coherence", "security-baseline", "no-plaintext-secrets",
                  "no-bypass-flags", "health-checks", "no-port-conflicts")


def test_policy_names_are_the_contract():
    assert PACK_NAME == "golden-path"
    assert POLICY_NAMES == EXPECTED_NAMES


def test_connection_budget_is_a_stack_policy():
    kinds = {p.name: type(p).__name__ for p in POLICIES}
    assert kinds["connection-budget"] == "StackValidationPolicy"
    assert kinds["vpc-connector-limits"] == "ResourceValidationPolicy"


def test_pack_files():
    yaml_text = (POLICIES_DIR / "PulumiPolicy.yaml").read_text()
    for line in ("name: python", "toolchain: pip", "virtualenv: venv", "version: "):
        assert line in yaml_text
    requirements = (POLICIES_DIR / "requirements.txt").read_text().split()
    assert "-e" in requirements and ".." in requirements
    assert any(r.startswith("pulumi-policy==") for r in requirements)
    assert any(r.startswith("pulumi==") for r in requirements)


@pytest.mark.parametrize("policy", POLICIES, ids=POLICY_NAMES)
def test_config_schemas_are_json_schema_and_take_waivers(policy):
    schema = {"type": "object", "properties": policy.config_schema.properties}
    jsonschema.Draft7Validator.check_schema(schema)
    assert "waivers" in policy.config_schema.properties


@pytest.mark.parametrize("env", ["local", "staging", "prod"])
def test_committed_configs_pass_full_json_schema_validation_as_the_cli_does(env):
    config = json.loads((CONFIG_DIR / f"{env}.json").read_text())
    for policy in POLICIES:
        entry = config.get(policy.name, {})
        properties = {k: v for k, v in entry.items() if k != "enforcementLevel"} if isinstance(entry, dict) else {}
        jsonschema.validate(properties, {"type": "object", "properties": policy.config_schema.properties})


@pytest.mark.parametrize("value", [
    {"maxTotalInstances": 5.0}, {"maxTotalInstances": 5.5}, {"maxTotalInstances": "5"}, {"maxTotalInstances": 0},
    {"maxTotalInstances": True}, {"waivers": [{"resource": "a", "reason": "b", "owner": "c", "expires": "2026-01-01"}]},
    {"waivers": [{"resource": "a", "reason": "b", "owner": "c", "expires": "2026-1-1"}]},
    {"waivers": [{"resource": "a", "reason": "b", "owner": "c", "expires": "2026-01-01", "extra": 1}]},
    {"waivers": "none"}, {"waivers": [{"resource": "", "reason": "b", "owner": "c", "expires": "2026-01-01"}]},
])
def test_our_schema_check_agrees_with_jsonschema(value):
    """The runner checks configs with a small subset validator; it must judge as the CLI's would."""
    capacity = next(p for p in POLICIES if p.name == "capacity-caps")
    schema = {"type": "object", "properties": capacity.config_schema.properties}
    ours = schema_problems(schema, value, "capacity-caps")
    theirs = list(jsonschema.Draft7Validator(schema).iter_errors(value))
    assert bool(ours) == bool(theirs), (ours, theirs)


# --- the pack over the Analyzer protocol --------------------------------------------------------
@pytest.fixture(scope="module")
def analyzer():
    env = {**os.environ, "PYTHONPATH": str(POLICIES_DIR.parent)}
    process = subprocess.Popen([sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", "."], cwd=POLICIES_DIR,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        port = process.stdout.readline().decode().strip()
        if not port.isdigit():
            process.kill()
            pytest.fail(f"the pack did not print its port: {port!r} {process.stderr.read().decode()[-2000:]}")
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.kill()
        process.wait(timeout=10)


def struct(value: dict) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(value)
    return message


def configure(stub, config: dict) -> None:
    policy_config = {}
    for name, entry in config.items():
        level = analyzer_pb2.MANDATORY if entry.get("enforcementLevel", "mandatory") == "mandatory" \
            else analyzer_pb2.ADVISORY
        properties = {k: v for k, v in entry.items() if k != "enforcementLevel"}
        policy_config[name] = analyzer_pb2.PolicyConfig(enforcementLevel=level, properties=struct(properties))
    stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=policy_config))


def analyze(stub, resource):
    return stub.Analyze(analyzer_pb2.AnalyzeRequest(type=resource.type, properties=struct(resource.props),
                                                    urn=resource.urn, name=resource.name))


def test_analyzer_info_lists_every_policy_with_its_schema(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == PACK_NAME and info.supportsConfig
    assert tuple(p.name for p in info.policies) == EXPECTED_NAMES
    assert all(p.enforcementLevel == analyzer_pb2.MANDATORY for p in info.policies)
    budget = next(p for p in info.policies if p.name == "connection-budget")
    assert budget.configSchema.properties["headroom"]["default"] == 0.8
    assert "waivers" in budget.configSchema.properties


def test_analyze_reports_a_violation_and_passes_a_good_resource(analyzer):
    configure(analyzer, {})
    assert list(analyze(analyzer, run_service()).diagnostics) == []
    response = analyze(analyzer, run_service(cpu="9", memory="4Gi"))
    (diagnostic,) = response.diagnostics
    assert diagnostic.policyName == "cloud-run-limits" and diagnostic.enforcementLevel == analyzer_pb2.MANDATORY
    assert "cpu 9 is above 8" in diagnostic.message


def test_analyze_fails_closed_instead_of_crashing(analyzer):
    configure(analyzer, {})
    response = analyze(analyzer, patch(run_service(), "template.containers", "oops"))
    assert any("failing closed" in d.message and d.policyName == "cloud-run-limits" for d in response.diagnostics)


def test_a_waived_violation_is_not_a_diagnostic_but_a_not_applicable_note(analyzer):
    expires = (date.today() + timedelta(days=30)).isoformat()
    waiver = {"resource": "gp-prod-*", "reason": "migration", "owner": "team-api", "expires": expires}
    configure(analyzer, {"cloud-run-limits": {"waivers": [waiver]}})
    response = analyze(analyzer, run_service(cpu="9", memory="4Gi"))
    assert list(response.diagnostics) == []
    (note,) = [n for n in response.not_applicable if n.policy_name == "cloud-run-limits"]
    assert note.reason.startswith("waived: cloud-run-limits on gp-prod-api: migration (owner team-api")


def test_analyze_stack_links_resources_and_reports_by_urn(analyzer):
    configure(analyzer, {"security-baseline": {"environment": "local"}, "no-bypass-flags": {"environment": "local"}})
    stack = docker_stack()
    api = find(stack, "gp-local-api")
    detached = type(api)(api.urn, api.type, api.name, api.props)  # no dependencies on postgres / redis
    resources = []
    for r in [detached if r.urn == api.urn else r for r in stack]:
        resources.append(analyzer_pb2.AnalyzerResource(
            type=r.type, properties=struct(r.props), urn=r.urn, name=r.name, dependencies=list(r.dependencies),
            propertyDependencies={k: analyzer_pb2.AnalyzerPropertyDependencies(urns=list(v))
                                  for k, v in r.property_dependencies.items()}))
    response = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=resources))
    found = {(d.policyName, d.urn) for d in response.diagnostics}
    assert ("health-checks", api.urn) in found
    assert ("no-plaintext-secrets", api.urn) in found  # its envs no longer depend on the generated password
    assert {name for name, _ in found} == {"health-checks", "no-plaintext-secrets"}
