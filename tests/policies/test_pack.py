"""The pack as the Pulumi CLI sees it: its policies, and policies/__main__.py served over the Analyzer gRPC
protocol (tests/pack_server.py starts it the way the CLI does), called with the protobufs in pulumi.runtime.proto."""

from __future__ import annotations

import json
from datetime import date, timedelta

import jsonschema
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2

from policies.pack import PACK_NAME, POLICIES, POLICY_NAMES
from policies.policy_config import schema_problems
from tests.pack_server import analyze_request, analyze_stack_request, configure
from tests.policy_fixtures import CONFIG_DIR, docker_stack, find, patch, run_service

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


# --- the pack over the Analyzer protocol (the `analyzer` fixture: tests/conftest.py) -------------
def analyze(stub, resource):
    return stub.Analyze(analyze_request(resource))


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
    assert note.reason.startswith("waived: cloud-run-limits on service-api-service: migration (owner team-api")


def test_analyze_stack_links_resources_and_reports_by_urn(analyzer):
    configure(analyzer, {"security-baseline": {"environment": "local"}, "no-bypass-flags": {"environment": "local"}})
    stack = docker_stack()
    api = find(stack, "service-api-container")
    detached = type(api)(api.urn, api.type, api.name, api.props)  # no dependencies on postgres / redis
    response = analyzer.AnalyzeStack(analyze_stack_request([detached if r.urn == api.urn else r for r in stack]))
    found = {(d.policyName, d.urn) for d in response.diagnostics}
    assert ("health-checks", api.urn) in found
    assert ("no-plaintext-secrets", api.urn) in found  # its envs no longer depend on the generated password
    assert {name for name, _ in found} == {"health-checks", "no-plaintext-secrets"}
