"""timeout-coherence: every wait inside a request ends before the request does.

On Cloud Run: DATABASE_POOL_TIMEOUT and REDIS_TIMEOUT below the request timeout (template.timeout,
default 300 s), WEBSOCKET_HEARTBEAT_TIMEOUT below WEBSOCKET_CONNECTION_TIMEOUT, which is at most the
request timeout, and each probe's timeoutSeconds below its periodSeconds. Docker has no request
timeout, so containers get the websocket pair only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies import contract
from policies import limits as gcp
from policies.contract import RUN_SERVICE
from policies.limits import fmt
from policies.rules.messages import problem
from policies.rules.props import dig, mapping, optional_number
from policies.rules.resource_limits import PROBES, service_key
from policies.rules.resources import Report, Resource, env_dict, env_number, request_timeout_s, run_containers, where

WAITS = ((contract.DATABASE_POOL_TIMEOUT, "database.pool.timeout_s", gcp.SQLALCHEMY_POOL),
         (contract.REDIS_TIMEOUT, "redis.timeout_s", gcp.RUN_TIMEOUT_DOCS))


def check_timeouts(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    at = where(resource)
    env = env_dict(resource)
    request = request_timeout_s(resource) if resource.resource_type == RUN_SERVICE else None
    request_key = service_key(resource, "request_timeout_s")

    if request is not None:
        for var, key, source in WAITS:
            wait = env_number(env, var)
            if wait is not None and wait >= request:
                report(problem(at, f"{var} {fmt(wait)}s is not below the request timeout {fmt(request)}s: Cloud Run "
                                   f"ends the request before the wait gives up ({gcp.RUN_TIMEOUT_DOCS}; {source})",
                               f"lower {key} below {fmt(request)} or raise {request_key}"))

    heartbeat_var, connection_var = contract.WEBSOCKET_HEARTBEAT_TIMEOUT, contract.WEBSOCKET_CONNECTION_TIMEOUT
    heartbeat = env_number(env, heartbeat_var)
    connection = env_number(env, connection_var)
    if heartbeat is not None and connection is not None and heartbeat >= connection:
        report(problem(at, f"{heartbeat_var} {fmt(heartbeat)}s is not below "
                           f"{connection_var} {fmt(connection)}s: the connection closes before a "
                           f"missed heartbeat is noticed ({gcp.RUN_WEBSOCKETS_DOCS})",
                       "lower services.<name>.websocket.heartbeat_s below connection_timeout_s"))
    if request is not None:
        if connection is not None and connection > request:
            report(problem(at, f"{connection_var} {fmt(connection)}s is above the request timeout "
                               f"{fmt(request)}s: Cloud Run closes a websocket when its request times out "
                               f"({gcp.RUN_WEBSOCKETS_DOCS})",
                           f"lower websocket.connection_timeout_s to at most {fmt(request)} or raise {request_key}"))
        elif connection is None and heartbeat is not None and heartbeat >= request:
            report(problem(at, f"{heartbeat_var} {fmt(heartbeat)}s is not below the request timeout "
                               f"{fmt(request)}s ({gcp.RUN_WEBSOCKETS_DOCS})",
                           f"lower websocket.heartbeat_s below {fmt(request)}"))
        _check_probes(resource, at, report)


def _check_probes(resource: Resource, at: str, report: Report) -> None:
    for i, container in enumerate(run_containers(resource)):
        label = f"container {dig(container, 'name', default=i)}"
        for probe_key, _, _ in PROBES:
            probe = mapping(dig(container, probe_key), probe_key)
            period = optional_number(dig(probe, "periodSeconds"), f"{probe_key}.periodSeconds")
            timeout = optional_number(dig(probe, "timeoutSeconds"), f"{probe_key}.timeoutSeconds")
            if period is not None and timeout is not None and timeout >= period:
                report(problem(at, f"{label}: {probe_key}.timeoutSeconds {fmt(timeout)} is not below periodSeconds "
                                   f"{fmt(period)}: a slow probe runs into the next one ({gcp.RUN_PROBE_DOCS})",
                               "make timeoutSeconds smaller than periodSeconds"))
