"""health-checks and no-port-conflicts."""

from __future__ import annotations

from dataclasses import replace

from policies import limits
from policies.contract import DATABASE_HOST
from policies.pack import HEALTH_CHECKS, NO_PORT_CONFLICTS
from tests.policy_fixtures import (
    LOCAL_CONFIG,
    copy_as,
    docker_env,
    docker_stack,
    gcp_stack,
    patch,
    postgres_container,
    redis_container,
    run_policy,
    run_service,
    service_container,
    swap,
)


def another_container(name, ports):
    """A further service container, publishing these ports."""
    return patch(copy_as(service_container(), name), "ports", ports)


def test_committed_shapes_pass():
    assert run_policy(HEALTH_CHECKS, gcp_stack()) == []
    assert run_policy(HEALTH_CHECKS, docker_stack(), LOCAL_CONFIG) == []


def test_cloud_run_needs_startup_and_liveness_probes():
    (v,) = run_policy(HEALTH_CHECKS, [patch(run_service(), "template.containers.0.livenessProbe", None)])
    assert v.resource == "service-api-service" and "container 0 has no livenessProbe" in v.message
    assert limits.RUN_HEALTHCHECK_DOCS in v.message
    both = patch(patch(run_service(), "template.containers.0.livenessProbe", None),
                 "template.containers.0.startupProbe", None)
    (v,) = run_policy(HEALTH_CHECKS, [both])
    assert "has no startupProbe or livenessProbe" in v.message


def test_docker_service_needs_a_healthcheck():
    for healthcheck in (None, {"tests": ["NONE"]}, {"tests": []}):
        stack = swap(docker_stack(), patch(service_container(), "healthcheck", healthcheck))
        (v,) = run_policy(HEALTH_CHECKS, stack, LOCAL_CONFIG)
        assert v.resource == "service-api-container" and "has no healthcheck" in v.message
        assert limits.DOCKER_HEALTHCHECK_DOCS in v.message


def test_only_service_containers_need_a_healthcheck():
    postgres = patch(postgres_container(), "healthcheck", None)
    assert run_policy(HEALTH_CHECKS, swap(docker_stack(), postgres), LOCAL_CONFIG) == []


def test_docker_service_depends_on_the_containers_it_uses():
    api, redis_urn = service_container(), redis_container().urn
    assert redis_urn in api.dependencies
    detached = replace(api, dependencies=tuple(u for u in api.dependencies if u != redis_urn))
    (v,) = run_policy(HEALTH_CHECKS, swap(docker_stack(), detached), LOCAL_CONFIG)
    assert "uses redis container gp-local-redis (REDIS_HOST=redis) but does not depend on it" in v.message


def test_a_property_dependency_counts_as_a_dependency():
    api = service_container()
    moved = replace(api, dependencies=(), property_dependencies={"envs": api.dependencies})
    assert run_policy(HEALTH_CHECKS, swap(docker_stack(), moved), LOCAL_CONFIG) == []


def test_a_host_naming_no_container_while_one_exists_is_reported():
    api = service_container(envs=docker_env(extra={DATABASE_HOST: "localhost"}))
    (v,) = run_policy(HEALTH_CHECKS, swap(docker_stack(), api), LOCAL_CONFIG)
    assert "DATABASE_HOST 'localhost' names no container of this stack" in v.message
    assert "gp-local-postgres" in v.message


def test_port_conflicts():
    assert run_policy(NO_PORT_CONFLICTS, docker_stack(), LOCAL_CONFIG) == []
    clash = copy_as(service_container(), "admin")  # publishes api's port
    (v,) = run_policy(NO_PORT_CONFLICTS, docker_stack() + [clash], LOCAL_CONFIG)
    assert v.resource == "admin"
    assert "publishes host port 8080/tcp, which service container gp-local-api already publishes" in v.message
    assert limits.DOCKER_PORTS_DOCS in v.message


def test_ports_on_other_protocols_addresses_or_unpublished_do_not_clash():
    extra = [
        another_container("dns", [{"internal": 53, "external": 8080, "protocol": "udp"}]),
        another_container("a", [{"internal": 1, "external": 9000, "ip": "127.0.0.1"}]),
        another_container("b", [{"internal": 1, "external": 9000, "ip": "127.0.0.2"}]),
        another_container("c", [{"internal": 8080}]),
    ]
    assert run_policy(NO_PORT_CONFLICTS, docker_stack() + extra, LOCAL_CONFIG) == []
    every_address = another_container("d", [{"internal": 1, "external": 9000}])
    assert len(run_policy(NO_PORT_CONFLICTS, docker_stack() + extra + [every_address], LOCAL_CONFIG)) == 1
