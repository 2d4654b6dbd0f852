"""Fail-closed wrappers, waivers and preview unknowns, through the runner and the raw policy objects."""

from __future__ import annotations

from datetime import date

import pytest
from pulumi_policy import PolicyCustomTimeouts, PolicyResourceOptions, ResourceValidationArgs
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies import clock
from policies.contract import CONTAINER, DATABASE_HOST
from policies.pack import POLICIES, POLICY_NAMES
from policies.runner import evaluate
from tests.policy_fixtures import (
    LOCAL_CONFIG,
    PROD_CONFIG,
    connector,
    docker_stack,
    find,
    gcp_stack,
    patch,
    random_password,
    redis_instance,
    run_env,
    run_policy,
    run_service,
    service_container,
    sql_instance,
    swap,
    with_config,
)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: date(2026, 11, 22))


# --- fail closed --------------------------------------------------------------------------------
def malformed_stack():
    """One broken value per resource kind; every policy meets at least one it must read."""
    service = patch(run_service(envs=run_env(pool=(5, 5), extra={"DATABASE_POOL_SIZE": "five"})),
                    "template.timeout", "sixty")
    service = patch(service, "template.scaling.maxInstanceCount", "lots")
    return [
        connector(minInstances="ten"),
        patch(sql_instance(), "settings", "db-custom-2-7680"),
        redis_instance(memorySizeGb="big"),
        service,
        patch(run_service("web"), "template.containers", "oops"),
        patch(service_container(), "envs", {"K": "V"}),
        patch(service_container("web", 8081), "ports", "8081:8081"),
        patch(service_container("worker", 8082), "healthcheck", {"tests": 5}),
    ]


@pytest.mark.parametrize("policy", POLICY_NAMES)
def test_every_policy_fails_closed_on_malformed_input(policy):
    found = run_policy(policy, malformed_stack())
    closed = [v for v in found if "failing closed" in v.message]
    assert closed, found
    assert all(v.enforcement == "mandatory" and not v.waived for v in closed)
    assert all(f"policy {policy} raised" in v.message for v in closed)


def test_a_crash_on_one_resource_does_not_hide_other_resources():
    found = run_policy("cloud-run-limits", [patch(run_service("web"), "template.containers", "oops"),
                                            run_service(cpu="9", memory="4Gi")])
    assert {v.resource for v in found} == {"service-web-service", "service-api-service"}


def test_a_stack_policy_blames_the_resource_it_cannot_read_and_checks_the_rest():
    stack = docker_stack()
    broken = patch(find(stack, "service-web-container"), "envs", {"K": "V"})
    unhealthy = patch(find(stack, "service-api-container"), "healthcheck", None)
    found = run_policy("health-checks", swap(swap(stack, broken), unhealthy), LOCAL_CONFIG)
    assert {(v.resource, "failing closed" in v.message) for v in found} == {
        ("service-web-container", True), ("service-api-container", False)}


def test_a_crash_only_the_combination_causes_is_blamed_on_the_stack():
    database = patch(sql_instance(), "settings", "db-custom-2-7680")  # read only when a service uses it
    (v,) = run_policy("connection-budget", [database, run_service()])
    assert v.resource == "stack" and "failing closed" in v.message


# --- waivers ------------------------------------------------------------------------------------
def waiver(resource="gp-prod-api", expires="2026-12-31", **extra):
    return {"resource": resource, "reason": "load test until the new tier lands", "owner": "team-api",
            "expires": expires, **extra}


def test_active_waiver_marks_the_violation_waived():
    config = with_config("cloud-run-limits", waivers=[waiver("gp-prod-a*")])
    (v,) = run_policy("cloud-run-limits", [run_service(cpu="9", memory="4Gi")], config)
    assert v.waived and v.enforcement == "mandatory" and v.resource == "service-api-service"
    assert "cpu 9 is above 8" in v.message
    assert "(waived: load test until the new tier lands (owner team-api, until 2026-12-31))" in v.message


def test_waiver_holds_through_its_expiry_date_and_then_reports_since_when():
    on_the_day = with_config("cloud-run-limits", waivers=[waiver(expires="2026-11-22")])
    assert run_policy("cloud-run-limits", [run_service(cpu="9", memory="4Gi")], on_the_day)[0].waived
    expired = with_config("cloud-run-limits", waivers=[waiver(expires="2026-11-21")])
    (v,) = run_policy("cloud-run-limits", [run_service(cpu="9", memory="4Gi")], expired)
    assert not v.waived
    assert "waiver 'gp-prod-api' by team-api expired on 2026-11-21" in v.message


def test_waiver_matches_the_pulumi_name_too_and_only_its_own_policy():
    config = with_config("cloud-run-limits", waivers=[waiver("service-api-*")])  # its cloud name is gp-prod-api
    (v,) = run_policy("cloud-run-limits", [run_service(cpu="9", memory="4Gi")], config)
    assert v.waived and v.resource == "service-api-service"
    other_policy = with_config("timeout-coherence", waivers=[waiver()])
    assert not run_policy("cloud-run-limits", [run_service(cpu="9", memory="4Gi")], other_policy)[0].waived


def test_stack_wide_findings_are_waived_by_the_name_stack():
    config = with_config("capacity-caps", maxTotalInstances=10, waivers=[waiver("stack")])
    (v,) = run_policy("capacity-caps", gcp_stack(), config)
    assert v.waived and v.resource == "stack"


def test_stack_policy_waivers_name_the_offending_resource():
    config = with_config("connection-budget", waivers=[waiver("gp-prod-pg")])
    (v,) = run_policy("connection-budget", swap(gcp_stack(), sql_instance(max_connections=100)), config)
    assert v.waived and v.resource == "database-instance" and v.resource_type.startswith("gcp:sql/")


def resource_args(resource, config):
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
    return ResourceValidationArgs(resource.type, resource.props, resource.urn, resource.name, opts, None, config)


def policy(name):
    return next(p for p in POLICIES if p.name == name)


def test_waived_violations_never_reach_report_violation():
    """Under the engine a reported violation fails `pulumi preview`: waived ones go to not_applicable."""
    reported = []
    args = resource_args(run_service(cpu="9", memory="4Gi"), {"waivers": [waiver()]})
    with pytest.raises(_NotApplicableError) as raised:
        policy("cloud-run-limits").validate(args, lambda message, urn=None: reported.append(message))
    assert reported == []
    assert raised.value.reason.startswith("waived: cloud-run-limits on service-api-service: load test")


def test_unwaived_and_waived_together():
    reported = []
    args = resource_args(run_service(cpu="9", memory="4Gi"), {"waivers": [waiver("someone-else")]})
    policy("cloud-run-limits").validate(args, lambda message, urn=None: reported.append(message))
    assert len(reported) == 1 and "cpu 9" in reported[0]


def test_a_malformed_waiver_fails_closed_under_the_engine():
    """The CLI checks the schema first; if a bad waiver still arrives, the policy reports it."""
    reported = []
    args = resource_args(run_service(), {"waivers": [waiver(expires="31/12/2026")]})
    policy("cloud-run-limits").validate(args, lambda message, urn=None: reported.append(message))
    assert len(reported) == 1
    assert "waivers[0].expires '31/12/2026' is not a date; write a real day as YYYY-MM-DD" in reported[0]
    assert "failing closed" in reported[0]


# --- values not known until deploy (preview) ----------------------------------------------------
def test_an_unknown_value_a_check_needs_gives_the_analyzers_advisory_note():
    found = run_policy("cloud-run-limits", [patch(run_service(), "template.timeout", UNKNOWN_STRING_VALUE)])
    (v,) = found
    assert v.enforcement == "advisory" and "can't run policy cloud-run-limits before deploy" in v.message


def test_unknown_values_a_check_does_not_need_change_nothing():
    service = patch(run_service(), "template.vpcAccess.connector", UNKNOWN_STRING_VALUE)
    host = [e["name"] for e in service.props["template"]["containers"][0]["envs"]].index(DATABASE_HOST)
    service = patch(service, f"template.containers.0.envs.{host}.value", UNKNOWN_STRING_VALUE)
    assert evaluate([service, sql_instance()], PROD_CONFIG) == []


def test_unknown_docker_env_entries_are_skipped():
    envs = [*service_container().props["envs"], UNKNOWN_STRING_VALUE]
    container = patch(service_container(), "envs", envs)
    assert container.type == CONTAINER
    assert [v for v in evaluate([random_password(), container], PROD_CONFIG) if v.policy != "health-checks"] == []
