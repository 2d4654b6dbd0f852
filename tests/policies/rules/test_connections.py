"""connection-budget: sum of max_instances x (pool size + overflow) against max_connections."""

from __future__ import annotations

from policies import limits
from policies.contract import DATABASE_HOST, DATABASE_MAX_OVERFLOW, DATABASE_POOL_SIZE, SQL_INSTANCE
from policies.pack import CONNECTION_BUDGET
from tests.policy_fixtures import (
    LOCAL_CONFIG,
    copy_as,
    docker_env,
    docker_stack,
    gcp_stack,
    patch,
    postgres_container,
    random_password,
    redis_container,
    run_env,
    run_policy,
    run_service,
    service_container,
    sql_instance,
    swap,
    with_config,
)


def with_max_connections(value):
    return swap(gcp_stack(), sql_instance(max_connections=value))


def without_max_connections_flag():
    return patch(sql_instance(), "settings.databaseFlags", [])


def test_prod_fits_241_of_312():
    assert run_policy(CONNECTION_BUDGET, gcp_stack()) == []


def test_boundary_of_the_budget():
    # 0.8 x (312 - 10) = 241.6 -> 241 fits exactly; 0.8 x (311 - 10) = 240.8 -> 240 does not
    assert run_policy(CONNECTION_BUDGET, with_max_connections(312)) == []
    (v,) = run_policy(CONNECTION_BUDGET, with_max_connections(311))
    assert v.resource == "database-instance" and v.resource_type == SQL_INSTANCE
    assert ("20 x (5 + 5) [gp-prod-api] + 5 x (3 + 2) [gp-prod-web] + 4 x (2 + 2) [gp-prod-worker] = 241 "
            "connections") in v.message
    assert "budget 0.8 x (311 max_connections (its max_connections flag) - 10 reserved) = 240" in v.message
    assert "cap every instance's pool at 9 connections" in v.message
    assert "raise max_connections to at least 312" in v.message
    assert limits.SQLALCHEMY_POOL in v.message


def test_the_incident_is_refused_with_the_arithmetic():
    stack = swap(gcp_stack(), run_service("api", max_instances=100, envs=run_env(pool=(50, 50))))
    stack = swap(stack, sql_instance(max_connections=200))
    found = run_policy(CONNECTION_BUDGET, stack)
    budget = next(v for v in found if v.resource == "database-instance")
    assert "100 x (50 + 50) [gp-prod-api]" in budget.message and "= 10041 connections" in budget.message
    assert "budget 0.8 x (200 max_connections" in budget.message and "= 152" in budget.message
    assert "cap every instance's pool at 1 connection (" in budget.message
    assert "raise max_connections to at least 12562" in budget.message


def test_headroom_and_reserve_come_from_the_policy_config():
    config = with_config(CONNECTION_BUDGET, headroom=1, reservedConnections=0)
    assert run_policy(CONNECTION_BUDGET, with_max_connections(241), config) == []
    assert len(run_policy(CONNECTION_BUDGET, with_max_connections(240), config)) == 1


def test_defaults_apply_when_the_config_says_nothing():
    assert run_policy(CONNECTION_BUDGET, with_max_connections(312), {}) == []
    assert len(run_policy(CONNECTION_BUDGET, with_max_connections(311), {})) == 1


def test_cloud_run_instance_may_hold_at_most_100_connections():
    assert run_policy(CONNECTION_BUDGET, [run_service(envs=run_env(pool=(50, 50)), max_instances=1),
                                          sql_instance(max_connections=1000)]) == []
    (v,) = run_policy(CONNECTION_BUDGET, [run_service(envs=run_env(pool=(50, 51)), max_instances=1),
                                          sql_instance(max_connections=1000)])
    assert v.resource == "service-api-service" and "(50 + 51) = 101 connections" in v.message
    assert limits.RUN_TO_SQL_DOCS in v.message


def test_missing_overflow_counts_sqlalchemys_default():
    envs = [e for e in run_env(pool=(5, 0)) if e["name"] != DATABASE_MAX_OVERFLOW]
    (v,) = run_policy(CONNECTION_BUDGET, [run_service(envs=envs, max_instances=10), sql_instance(max_connections=20)])
    assert "10 x (5 + 10)" in v.message


def test_tier_default_max_connections():
    micro = patch(without_max_connections_flag(), "settings.tier", "db-f1-micro")
    assert run_policy(CONNECTION_BUDGET, [run_service(max_instances=1), micro]) == []  # 10 of 0.8 x (25 - 10) = 12
    (v,) = run_policy(CONNECTION_BUDGET, [run_service(max_instances=2), micro])
    assert "25 max_connections (tier db-f1-micro's default" in v.message and limits.SQL_FAQ in v.message


def test_tier_without_documented_default_fails_closed():
    (v,) = run_policy(CONNECTION_BUDGET, [run_service(max_instances=1), without_max_connections_flag()])
    assert "max_connections is not set and tier db-custom-4-15360 has no documented default" in v.message


def test_docker_postgres_command_sets_max_connections():
    assert run_policy(CONNECTION_BUDGET, docker_stack(), LOCAL_CONFIG) == []  # 10 + 5 + 10 = 25 of 0.8 x 90
    stack = swap(docker_stack(), postgres_container(max_connections=42))  # 0.8 x 32 = 25.6 -> 25
    assert run_policy(CONNECTION_BUDGET, stack, LOCAL_CONFIG) == []
    stack = swap(docker_stack(), postgres_container(max_connections=41))
    (v,) = run_policy(CONNECTION_BUDGET, stack, LOCAL_CONFIG)
    assert "1 x (5 + 5) [gp-local-api]" in v.message and "41 max_connections (-c max_connections" in v.message


def test_docker_postgres_without_the_flag_uses_postgres_default():
    stack = swap(docker_stack(), patch(postgres_container(), "command", ["postgres"]))
    many = [copy_as(service_container(envs=docker_env(pool=(5, 5))), f"s{i}") for i in range(8)]
    (v,) = run_policy(CONNECTION_BUDGET, stack + many, LOCAL_CONFIG)
    assert "100 max_connections (not set in its command: PostgreSQL's default" in v.message


def test_docker_postgres_long_option_form():
    postgres = patch(postgres_container(), "command", ["postgres", "--max-connections=20"])
    (v,) = run_policy(CONNECTION_BUDGET, swap(docker_stack(), postgres), LOCAL_CONFIG)
    assert "20 max_connections" in v.message


def test_services_count_against_the_database_their_host_names():
    second = patch(copy_as(postgres_container(max_connections=20), "postgres-b"), "networksAdvanced.0.aliases",
                   ["postgres-b"])
    stack = docker_stack() + [second]
    assert run_policy(CONNECTION_BUDGET, stack, LOCAL_CONFIG) == []  # everyone uses "postgres"
    moved = service_container(envs=docker_env(extra={DATABASE_HOST: "postgres-b", DATABASE_POOL_SIZE: "20"}))
    (v,) = run_policy(CONNECTION_BUDGET, swap(stack, moved), LOCAL_CONFIG)
    assert v.resource == "postgres-b" and "1 x (20 + 5) [gp-local-api]" in v.message


def test_unattributed_service_counts_against_every_database():
    other = copy_as(sql_instance(max_connections=100), "other-db")
    found = run_policy(CONNECTION_BUDGET, gcp_stack() + [other])
    assert [v.resource for v in found] == ["other-db"]  # 241 > 0.8 x 90 = 72; prod's 400 still fits


def test_services_without_a_pool_do_not_count():
    envs = [e for e in run_env() if not e["name"].startswith("DATABASE_")]
    assert run_policy(CONNECTION_BUDGET, [run_service(envs=envs, max_instances=1000),
                                          sql_instance(max_connections=20)]) == []


def test_no_database_in_the_stack_checks_only_the_per_instance_cap():
    assert run_policy(CONNECTION_BUDGET, [run_service()]) == []
    assert run_policy(CONNECTION_BUDGET, [random_password(), redis_container(), service_container()],
                      LOCAL_CONFIG) == []
