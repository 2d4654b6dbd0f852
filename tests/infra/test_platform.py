"""Each component's resources and wiring, read from the offline plan of the committed stacks."""

from __future__ import annotations

import pytest

from infra import inventory, offline
from tests.conftest import REPO

PLATFORM_ENV = {"DATABASE_HOST", "DATABASE_NAME", "DATABASE_USER", "DATABASE_POOL_SIZE", "DATABASE_MAX_OVERFLOW",
                "DATABASE_POOL_TIMEOUT", "DATABASE_POOL_RECYCLE", "REDIS_HOST", "REDIS_PORT", "REDIS_TIMEOUT"}


@pytest.fixture(scope="module")
def prod() -> offline.Plan:
    return offline.plan(REPO / "Pulumi.prod.yaml")


@pytest.fixture(scope="module")
def staging() -> offline.Plan:
    return offline.plan(REPO / "Pulumi.staging.yaml")


@pytest.fixture(scope="module")
def local() -> offline.Plan:
    return offline.plan(REPO / "Pulumi.local.yaml")


def one(plan: offline.Plan, type_: str, name: str | None = None) -> offline.CapturedResource:
    found = [r for r in plan.of_type(type_) if name is None or r.props.get("name") == name]
    assert len(found) == 1, [r.name for r in found]
    return found[0]


def by_urn(plan: offline.Plan) -> dict[str, offline.CapturedResource]:
    return {r.urn: r for r in plan.resources}


def test_every_custom_resource_is_parented_to_a_component(prod, local) -> None:
    for plan in (prod, local):
        resources = by_urn(plan)
        for r in plan.resources:
            if r.custom:
                assert r.parent in resources and not resources[r.parent].custom, r.urn
                assert resources[r.parent].type.startswith("golden-path:")


def test_cloud_run_service_wiring(prod) -> None:
    api = one(prod, "gcp:cloudrunv2/service:Service", "gp-prod-api")
    connector = one(prod, "gcp:vpcaccess/connector:Connector")
    database = one(prod, "gcp:sql/databaseInstance:DatabaseInstance")
    template = api.props["template"]
    assert template["vpcAccess"] == {
        "connector": f"projects/golden-path-prod/locations/europe-west1/connectors/{connector.props['name']}",
        "egress": "PRIVATE_RANGES_ONLY"}
    assert connector.urn in api.property_dependencies["template"]
    assert database.urn in api.property_dependencies["template"]
    assert template["scaling"] == {"minInstanceCount": 2, "maxInstanceCount": 20}
    assert (template["timeout"], template["maxInstanceRequestConcurrency"]) == ("60s", 80)
    container = template["containers"][0]
    assert container["resources"]["limits"] == {"cpu": "2", "memory": "1Gi"}
    for probe in ("startupProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": 8080}
    env = inventory.cloud_run_env(api.props)
    assert PLATFORM_ENV <= set(env)
    assert (env["DATABASE_HOST"], env["DATABASE_POOL_SIZE"], env["DATABASE_MAX_OVERFLOW"]) == ("10.20.0.3", "5", "5")
    assert env["REDIS_PORT"] == "6378"


def test_per_service_pool_override_reaches_the_container(prod) -> None:
    web = inventory.cloud_run_env(one(prod, "gcp:cloudrunv2/service:Service", "gp-prod-web").props)
    assert (web["DATABASE_POOL_SIZE"], web["DATABASE_MAX_OVERFLOW"], web["DATABASE_POOL_TIMEOUT"]) == ("3", "2", "10")
    assert (web["WEBSOCKET_HEARTBEAT_TIMEOUT"], web["WEBSOCKET_CONNECTION_TIMEOUT"]) == ("30", "3600")


def test_secrets_are_secret_manager_references_never_values(prod) -> None:
    api = one(prod, "gcp:cloudrunv2/service:Service", "gp-prod-api")
    envs = {e["name"]: e for e in api.props["template"]["containers"][0]["envs"]}
    for name, secret in (("STRIPE_API_KEY", "api-stripe-key"), ("DATABASE_PASSWORD", "gp-prod-db-password"),
                         ("REDIS_AUTH", "gp-prod-redis-auth")):
        assert "value" not in envs[name]
        assert envs[name]["valueSource"]["secretKeyRef"] == {"secret": secret, "version": "latest"}


def test_each_service_has_its_own_account_with_access_to_only_its_secrets(prod) -> None:
    resources = by_urn(prod)
    accounts = prod.of_type("gcp:serviceaccount/account:Account")
    assert sorted(a.props["accountId"] for a in accounts) == ["run-api", "run-web", "run-worker"]
    grants: dict[str, set[str]] = {}
    for grant in prod.of_type("gcp:secretmanager/secretIamMember:SecretIamMember"):
        assert grant.props["role"] == "roles/secretmanager.secretAccessor"
        service = resources[grant.parent].name
        grants.setdefault(service, set()).add(grant.props["secretId"])
    assert grants == {
        "service-api": {"api-stripe-key", "gp-prod-db-password", "gp-prod-redis-auth"},
        "service-web": {"gp-prod-db-password", "gp-prod-redis-auth"},
        "service-worker": {"gp-prod-db-password", "gp-prod-redis-auth"},
    }
    public = {r.props["name"]: r.props["member"] for r in prod.of_type(
        "gcp:cloudrunv2/serviceIamMember:ServiceIamMember")}
    assert public == {"gp-prod-api": "allUsers", "gp-prod-web": "allUsers"}  # worker is not declared public


def test_database_private_ssl_flags_backups_and_protection(prod, staging) -> None:
    instance = one(prod, "gcp:sql/databaseInstance:DatabaseInstance")
    settings = instance.props["settings"]
    assert settings["ipConfiguration"]["ipv4Enabled"] is False
    assert settings["ipConfiguration"]["sslMode"] == "ENCRYPTED_ONLY"
    assert settings["databaseFlags"] == [{"name": "max_connections", "value": "400"}]
    assert settings["backupConfiguration"]["pointInTimeRecoveryEnabled"] is True
    assert (instance.props["deletionProtection"], settings["deletionProtectionEnabled"]) == (True, True)
    assert settings["availabilityType"] == "REGIONAL"
    staging_instance = one(staging, "gcp:sql/databaseInstance:DatabaseInstance")
    assert staging_instance.props["deletionProtection"] is False
    peering = one(prod, "gcp:servicenetworking/connection:Connection")
    assert peering.urn in instance.dependencies


def test_database_password_is_generated_and_kept_in_secret_manager(prod) -> None:
    password = one(prod, "random:index/randomPassword:RandomPassword")
    version = next(v for v in prod.of_type("gcp:secretmanager/secretVersion:SecretVersion")
                   if password.urn in v.dependencies)
    secret = by_urn(prod)[next(d for d in version.dependencies if d != password.urn)]
    assert secret.props["secretId"] == "gp-prod-db-password"
    user = one(prod, "gcp:sql/user:User")
    assert password.urn in user.property_dependencies["password"]


def test_redis_auth_and_tls_on_in_prod_off_in_staging(prod, staging) -> None:
    prod_redis = one(prod, "gcp:redis/instance:Instance").props
    assert (prod_redis["authEnabled"], prod_redis["transitEncryptionMode"]) == (True, "SERVER_AUTHENTICATION")
    assert prod_redis["connectMode"] == "PRIVATE_SERVICE_ACCESS"
    staging_redis = one(staging, "gcp:redis/instance:Instance").props
    assert (staging_redis["authEnabled"], staging_redis["transitEncryptionMode"]) == (False, "DISABLED")


def test_docker_database_and_redis(local) -> None:
    containers = {r.props["name"]: r for r in local.of_type("docker:index/container:Container")}
    postgres = containers["gp-local-postgres"].props
    assert postgres["command"] == ["postgres", "-c", "max_connections=100"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["tests"])
    assert postgres["volumes"][0]["containerPath"] == "/var/lib/postgresql/data"
    redis = containers["gp-local-redis"].props
    assert redis["command"][:3] == ["redis-server", "--maxclients", "65000"]
    assert redis["healthcheck"]["tests"] == ["CMD", "redis-cli", "ping"]


def test_service_containers_match_cloud_run_env_and_depend_on_data_stores(local, prod) -> None:
    containers = {r.props["name"]: r for r in local.of_type("docker:index/container:Container")}
    api = containers["gp-local-api"]
    env = inventory.docker_env(api.props)
    gcp_env = inventory.cloud_run_env(one(prod, "gcp:cloudrunv2/service:Service", "gp-prod-api").props)
    assert PLATFORM_ENV <= set(env) and PLATFORM_ENV <= set(gcp_env)
    assert env["DATABASE_HOST"] == "postgres" and env["REDIS_HOST"] == "redis"
    assert {containers["gp-local-postgres"].urn, containers["gp-local-redis"].urn} <= set(api.dependencies)
    assert api.props["ports"] == [{"internal": 8080, "external": 8080}]
    assert "/healthz" in " ".join(api.props["healthcheck"]["tests"])
    password = one(local, "random:index/randomPassword:RandomPassword")
    assert password.urn in api.property_dependencies["envs"]
