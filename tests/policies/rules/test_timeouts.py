"""timeout-coherence: waits end before the request; heartbeats before the connection; probes in period."""

from __future__ import annotations

import pytest

from policies import limits
from policies.contract import (
    DATABASE_POOL_TIMEOUT,
    REDIS_TIMEOUT,
    WEBSOCKET_CONNECTION_TIMEOUT,
    WEBSOCKET_HEARTBEAT_TIMEOUT,
)
from policies.pack import TIMEOUT_COHERENCE
from tests.policy_fixtures import docker_env, messages, patch, run_env, run_policy, run_service, service_container


@pytest.mark.parametrize("kwargs, var", [
    ({"pool_timeout": 59}, DATABASE_POOL_TIMEOUT), ({"redis_timeout": 59}, REDIS_TIMEOUT)])
def test_waits_must_end_before_the_request(kwargs, var):
    assert run_policy(TIMEOUT_COHERENCE, [run_service(timeout="60s", envs=run_env(**kwargs))]) == []
    over = {k: 60 for k in kwargs}
    (message,) = messages(run_policy(TIMEOUT_COHERENCE, [run_service(timeout="60s", envs=run_env(**over))]))
    assert f"{var} 60s is not below the request timeout 60s" in message
    assert limits.RUN_TIMEOUT_DOCS in message and "Fix:" in message and "services.api.request_timeout_s" in message


def test_the_incident_pool_timeout_against_the_default_request_timeout():
    service = patch(run_service(envs=run_env(pool_timeout=600)), "template.timeout", None)
    (message,) = messages(run_policy(TIMEOUT_COHERENCE, [service]))
    assert "DATABASE_POOL_TIMEOUT 600s is not below the request timeout 300s" in message


def test_websocket_heartbeat_below_connection_timeout_within_request_timeout():
    def web(heartbeat, connection, timeout="3600s"):
        extra = {WEBSOCKET_HEARTBEAT_TIMEOUT: str(heartbeat), WEBSOCKET_CONNECTION_TIMEOUT: str(connection)}
        return [run_service("web", timeout=timeout, envs=run_env("web", extra=extra))]

    assert run_policy(TIMEOUT_COHERENCE, web(30, 3600)) == []
    assert run_policy(TIMEOUT_COHERENCE, web(3599, 3600)) == []
    (message,) = messages(run_policy(TIMEOUT_COHERENCE, web(3600, 3600)))
    assert "WEBSOCKET_HEARTBEAT_TIMEOUT 3600s is not below WEBSOCKET_CONNECTION_TIMEOUT 3600s" in message
    (message,) = messages(run_policy(TIMEOUT_COHERENCE, web(30, 3601)))
    assert "WEBSOCKET_CONNECTION_TIMEOUT 3601s is above the request timeout 3600s" in message
    assert limits.RUN_WEBSOCKETS_DOCS in message


def test_probe_timeout_must_be_below_period():
    service = run_service()
    period = int(service.props["template"]["containers"][0]["livenessProbe"]["periodSeconds"])
    below = patch(service, "template.containers.0.livenessProbe.timeoutSeconds", period - 1)
    assert run_policy(TIMEOUT_COHERENCE, [below]) == []
    equal = patch(service, "template.containers.0.livenessProbe.timeoutSeconds", period)
    (message,) = messages(run_policy(TIMEOUT_COHERENCE, [equal]))
    assert f"livenessProbe.timeoutSeconds {period} is not below periodSeconds {period}" in message


def test_docker_checks_only_the_websocket_pair():
    relaxed = docker_env(extra={DATABASE_POOL_TIMEOUT: "100000"})
    assert run_policy(TIMEOUT_COHERENCE, [service_container(envs=relaxed)]) == []
    pair = docker_env(extra={WEBSOCKET_HEARTBEAT_TIMEOUT: "60", WEBSOCKET_CONNECTION_TIMEOUT: "30"})
    (message,) = messages(run_policy(TIMEOUT_COHERENCE, [service_container(envs=pair)]))
    assert message.startswith("service container gp-local-api: WEBSOCKET_HEARTBEAT_TIMEOUT 60s")


def test_a_timeout_that_is_not_a_number_fails_closed():
    (message,) = messages(run_policy(TIMEOUT_COHERENCE, [run_service(envs=run_env(extra={REDIS_TIMEOUT: "2s"}))]))
    assert "failing closed" in message and "REDIS_TIMEOUT" in message
