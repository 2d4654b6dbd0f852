"""health-checks and no-port-conflicts.

health-checks: every Cloud Run container has a startup and a liveness probe; every Docker service
container (label golden-path.role=service) has a healthcheck and depends on the postgres and redis
containers its DATABASE_HOST / REDIS_HOST name, so it is started after them.
no-port-conflicts: no two Docker containers publish the same host port.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from policies import contract
from policies import limits as gcp
from policies.contract import CONTAINER, RUN_SERVICE, docker_http_healthcheck
from policies.limits import fmt
from policies.rules.messages import problem
from policies.rules.props import dig, elements, optional_number
from policies.rules.resources import StackReport, display_name, docker_role, env_dict, host_names, run_containers, where

HEALTHCHECK_EXAMPLE = json.dumps(docker_http_healthcheck(8080, "/healthz"))  # what the platform runs
HOSTS = ((contract.DATABASE_HOST, "postgres"), (contract.REDIS_HOST, "redis"))
ANY_ADDRESS = ("", "0.0.0.0", "::")


def check_health(resources: Sequence[Any], config: Mapping[str, Any], report: StackReport) -> None:
    containers = [r for r in resources if r.resource_type == CONTAINER]
    by_name = {name: c for c in containers for name in host_names(c)}
    for resource in resources:
        if resource.resource_type == RUN_SERVICE:
            for i, container in enumerate(run_containers(resource)):
                missing = [p for p in ("startupProbe", "livenessProbe") if dig(container, p) is None]
                if missing:
                    label = f"container {dig(container, 'name', default=i)}"
                    report(resource, problem(where(resource), f"{label} has no {' or '.join(missing)}; Cloud Run "
                                                              "then routes traffic before the app is ready and never "
                                                              f"restarts a hung one ({gcp.RUN_HEALTHCHECK_DOCS})",
                                             "give it an HTTP startup and liveness probe on its health path "
                                             "(services.<name>.health_path)"))
        elif resource.resource_type == CONTAINER and docker_role(resource) == "service":
            _check_service_container(resource, containers, by_name, report)


def _check_service_container(resource: Any, containers: list[Any], by_name: Mapping[str, Any],
                             report: StackReport) -> None:
    at = where(resource)
    tests = elements(dig(resource.props, "healthcheck", "tests"), "healthcheck.tests")
    if not tests or tests[0] == "NONE":
        report(resource, problem(at, f"has no healthcheck, so Docker cannot tell a hung service from a healthy one "
                                     f"({gcp.DOCKER_HEALTHCHECK_DOCS})",
                                 f"add healthcheck.tests, e.g. {HEALTHCHECK_EXAMPLE}"))
    depends_on = {d.urn for d in resource.dependencies}
    depends_on.update(d.urn for deps in resource.property_dependencies.values() for d in deps)
    env = env_dict(resource)
    for var, role in HOSTS:
        host = env[var].value if var in env else None
        if not isinstance(host, str):
            continue
        target = by_name.get(host)
        if target is None:
            candidates = [display_name(c) for c in containers if docker_role(c) == role]
            if candidates:
                report(resource, problem(at, f"{var} {host!r} names no container of this stack, while {role} "
                                             f"container {', '.join(candidates)} exists ({gcp.DOCKER_DNS_DOCS})",
                                         f"set {var} to the {role} container's name"))
        elif target.urn not in depends_on:
            report(resource, problem(at, f"uses {where(target)} ({var}={host}) but does not depend on it, so it may "
                                         f"start first and fail its first connections ({gcp.PULUMI_DEPENDS_ON_DOCS})",
                                     f"pass depends_on=[the {role} container] (or use its name output)"))


def check_port_conflicts(resources: Sequence[Any], config: Mapping[str, Any], report: StackReport) -> None:
    published: dict[tuple[float, str], list[tuple[str, Any]]] = {}
    for resource in resources:
        if resource.resource_type != CONTAINER:
            continue
        for port in elements(dig(resource.props, "ports"), "ports"):
            external = optional_number(dig(port, "external"), "ports.external")
            if external is None:
                continue  # Docker picks a free port
            protocol = str(dig(port, "protocol", default="tcp")).lower()
            address = str(dig(port, "ip", default="0.0.0.0"))
            key = (external, protocol)
            for other_address, other in published.get(key, []):
                if address == other_address or address in ANY_ADDRESS or other_address in ANY_ADDRESS:
                    report(resource, problem(where(resource), f"publishes host port {fmt(external)}/{protocol}, which "
                                                              f"{where(other)} already publishes "
                                                              f"({gcp.DOCKER_PORTS_DOCS})",
                                             "give one of them another external port (services.<name>.port)"))
                    break
            published.setdefault(key, []).append((address, resource))
