"""health-checks and no-port-conflicts."""

from __future__ import annotations

from dataclasses import replace

from policies import limits
from tests.policy_fixtures import (
    LOCAL_CONFIG,
    docker_stack,
    find,
    gcp_stack,
    patch,
    postgres_container,
    run_service,
    service_container,
    swap,
    violations,
)


def health(resources):
    return violations(resources, "health-checks", LOCAL_CONFIG)


def test_committed_shapes_pass():
    assert health(gcp_stack()) == []
    assert health(docker_stack()) == []


def test_cloud_run_needs_startup_and_liveness_probes():
    (v,) = health([patch(run_service(), "template.containers.0.livenessProbe", None)])
    assert v.resource == "gp-prod-api" and "container 0 has no livenessProbe" in v.message
    assert limits.RUN_HEALTHCHECK_DOCS in v.message
    both = patch(patch(run_service(), "template.containers.0.livenessProbe", None),
                 "template.containers.0.startupProbe", None)
    (v,) = health([both])
    assert "has no startupProbe or livenessProbe" in v.message


def test_docker_service_needs_a_healthcheck():
    for healthcheck in (None, {"tests": ["NONE"]}, {"tests": []}):
        stack = swap(docker_stack(), patch(find(docker_stack(), "gp-local-api"), "healthcheck", healthcheck))
        (v,) = health(stack)
        assert v.resource == "gp-local-api" and "has no healthcheck" in v.message
        assert limits.DOCKER_HEALTHCHECK_DOCS in v.message


def test_only_service_containers_need_a_healthcheck():
    postgres = patch(postgres_container(), "healthcheck", None)
    assert health(swap(docker_stack(), postgres)) == []


def test_docker_service_depends_on_the_containers_it_uses():
    api = find(docker_stack(), "gp-local-api")
    redis_urn = next(u for u in api.dependencies if u.endswith("gp-local-redis"))
    detached = replace(api, dependencies=tuple(u for u in api.dependencies if u != redis_urn))
    (v,) = health(swap(docker_stack(), detached))
    assert "uses redis container gp-local-redis (REDIS_HOST=redis) but does not depend on it" in v.message


def test_a_property_dependency_counts_as_a_dependency():
    api = find(docker_stack(), "gp-local-api")
    moved = replace(api, dependencies=(), property_dependencies={"envs": api.dependencies})
    assert health(swap(docker_stack(), moved)) == []


def test_a_host_naming_no_container_while_one_exists_is_reported():
    api = find(docker_stack(), "gp-local-api")
    envs = [e.replace("DATABASE_HOST=postgres", "DATABASE_HOST=localhost") for e in api.props["envs"]]
    (v,) = health(swap(docker_stack(), patch(api, "envs", envs)))
    assert "DATABASE_HOST 'localhost' names no container of this stack" in v.message
    assert "gp-local-postgres" in v.message


def test_port_conflicts():
    assert violations(docker_stack(), "no-port-conflicts", LOCAL_CONFIG) == []
    clash = service_container("admin", 8080)  # api publishes 8080 too
    (v,) = violations(docker_stack() + [clash], "no-port-conflicts", LOCAL_CONFIG)
    assert v.resource == "gp-local-admin"
    assert "publishes host port 8080/tcp, which service container gp-local-api already publishes" in v.message
    assert limits.DOCKER_PORTS_DOCS in v.message


def test_ports_on_other_protocols_addresses_or_unpublished_do_not_clash():
    udp = patch(service_container("dns", 8080), "ports", [{"internal": 53, "external": 8080, "protocol": "udp"}])
    loopback_a = patch(service_container("a", 9000), "ports", [{"internal": 1, "external": 9000, "ip": "127.0.0.1"}])
    loopback_b = patch(service_container("b", 9000), "ports", [{"internal": 1, "external": 9000, "ip": "127.0.0.2"}])
    random_port = patch(service_container("c", 8080), "ports", [{"internal": 8080}])
    extra = [udp, loopback_a, loopback_b, random_port]
    assert violations(docker_stack() + extra, "no-port-conflicts", LOCAL_CONFIG) == []
    every_address = patch(service_container("d", 9000), "ports", [{"internal": 1, "external": 9000}])
    assert len(violations(docker_stack() + extra + [every_address], "no-port-conflicts", LOCAL_CONFIG)) == 1
