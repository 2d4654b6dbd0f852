"""Resource dicts in the shapes the golden-path program emits, for policy tests.

`gcp_stack()` mirrors Pulumi.prod.yaml and `docker_stack()` Pulumi.local.yaml; both pass every policy
under the committed configs, so a test changes one value (`patch`) and looks for one violation.
Numbers are floats, as the engine sends them (protobuf doubles).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from infra.offline import CapturedResource as Res
from policies.runner import Violation, evaluate

CONFIG_DIR = Path(__file__).resolve().parent.parent / "policies" / "config"


def wire(value: Any) -> Any:
    """Numbers as the engine sends them: 10 -> 10.0 (booleans stay booleans)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, dict):
        return {k: wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [wire(v) for v in value]
    return value


def res(type_: str, name: str, props: dict[str, Any], **links: Any) -> Res:
    return Res(f"urn:pulumi:test::golden-path::{type_}::{name}", type_, name, wire(props), **links)


def patch(resource: Res, path: str, value: Any) -> Res:
    """A copy with props at dotted path set (list indices as numbers); value None deletes the key."""
    props = copy.deepcopy(resource.props)
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node = props
    for part in parents:
        if isinstance(part, str) and part not in node:
            node[part] = {}
        node = node[part]
    if value is None:
        node.pop(last, None)
    else:
        node[last] = wire(value)
    return replace(resource, props=props)


def swap(resources: Iterable[Res], new: Res) -> list[Res]:
    """The stack with the resource of the same urn replaced by new."""
    return [new if r.urn == new.urn else r for r in resources]


def find(resources: Iterable[Res], name: str) -> Res:
    return next(r for r in resources if r.name == name)


# --- Google Cloud -------------------------------------------------------------------------------
CONNECTOR = "gcp:vpcaccess/connector:Connector"
RUN_SERVICE = "gcp:cloudrunv2/service:Service"
RUN_IAM_MEMBER = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
SQL_INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance"
REDIS_INSTANCE = "gcp:redis/instance:Instance"


def connector(env: str = "prod", **props: Any) -> Res:
    return res(CONNECTOR, f"gp-{env}-conn", {
        "name": f"gp-{env}-conn", "region": "europe-west1", "network": "gp-net", "ipCidrRange": "10.8.0.0/28",
        "machineType": "e2-standard-4", "minInstances": 2, "maxInstances": 5, **props})


def probe(path: str = "/healthz", **fields: Any) -> dict[str, Any]:
    return {"httpGet": {"path": path, "port": 8080}, "initialDelaySeconds": 0, "periodSeconds": 10,
            "timeoutSeconds": 5, "failureThreshold": 3, **fields}


def run_env(pool: tuple[int, int] = (5, 5), pool_timeout: int = 10, redis_timeout: int = 2,
            extra: Mapping[str, str] | None = None, secrets: Mapping[str, str] | None = None,
            auth: bool = True) -> list[dict[str, Any]]:
    plain = {"DATABASE_HOST": "10.20.0.3", "DATABASE_NAME": "app", "DATABASE_USER": "app",
             "DATABASE_POOL_SIZE": str(pool[0]), "DATABASE_MAX_OVERFLOW": str(pool[1]),
             "DATABASE_POOL_TIMEOUT": str(pool_timeout), "DATABASE_POOL_RECYCLE": "1800",
             "REDIS_HOST": "10.30.0.4", "REDIS_PORT": "6378", "REDIS_TIMEOUT": str(redis_timeout),
             **(extra or {})}
    refs = {"DATABASE_PASSWORD": "gp-db-password", **({"REDIS_AUTH": "gp-redis-auth"} if auth else {}),
            **(secrets or {})}
    return ([{"name": k, "value": v} for k, v in plain.items()]
            + [{"name": k, "valueSource": {"secretKeyRef": {"secret": v, "version": "latest"}}}
               for k, v in refs.items()])


def run_service(service: str = "api", env: str = "prod", *, max_instances: int = 20, min_instances: int = 2,
                cpu: str = "2", memory: str = "1Gi", concurrency: int = 80, timeout: str = "60s",
                public: bool = True, envs: list[dict[str, Any]] | None = None) -> Res:
    name = f"gp-{env}-{service}"
    return res(RUN_SERVICE, name, {
        "name": name, "location": "europe-west1", "ingress": "INGRESS_TRAFFIC_ALL", "deletionProtection": True,
        "labels": {"golden-path-service": service, "golden-path-public": "true" if public else "false"},
        "template": {
            "serviceAccount": f"{name}@golden-path-{env}.iam.gserviceaccount.com", "timeout": timeout,
            "maxInstanceRequestConcurrency": concurrency, "executionEnvironment": "EXECUTION_ENVIRONMENT_GEN2",
            "scaling": {"minInstanceCount": min_instances, "maxInstanceCount": max_instances},
            "vpcAccess": {"connector": f"gp-{env}-conn", "egress": "PRIVATE_RANGES_ONLY"},
            "containers": [{
                "image": f"europe-west1-docker.pkg.dev/golden-path-{env}/apps/{service}:1.0.0",
                "ports": {"containerPort": 8080},
                "resources": {"limits": {"cpu": cpu, "memory": memory}},
                "envs": run_env() if envs is None else envs,
                "startupProbe": probe(), "livenessProbe": probe(),
            }],
        },
    })


def iam_member(service: str = "api", env: str = "prod", member: str = "allUsers") -> Res:
    return res(RUN_IAM_MEMBER, f"gp-{env}-{service}-invoker", {
        "name": f"gp-{env}-{service}", "location": "europe-west1", "role": "roles/run.invoker", "member": member})


def sql_instance(env: str = "prod", max_connections: int | None = 400, **settings: Any) -> Res:
    flags = [] if max_connections is None else [{"name": "max_connections", "value": str(max_connections)}]
    return res(SQL_INSTANCE, f"gp-{env}-db", {
        "name": f"gp-{env}-db", "region": "europe-west1", "databaseVersion": "POSTGRES_16",
        "deletionProtection": True,
        "settings": {
            "tier": "db-custom-4-15360", "availabilityType": "REGIONAL", "deletionProtectionEnabled": True,
            "ipConfiguration": {"ipv4Enabled": False, "privateNetwork": "gp-net", "sslMode": "ENCRYPTED_ONLY"},
            "backupConfiguration": {"enabled": True, "pointInTimeRecoveryEnabled": True,
                                    "transactionLogRetentionDays": 7, "startTime": "03:00"},
            "databaseFlags": flags, **settings,
        },
    })


def redis_instance(env: str = "prod", **props: Any) -> Res:
    return res(REDIS_INSTANCE, f"gp-{env}-redis", {
        "name": f"gp-{env}-redis", "tier": "STANDARD_HA", "memorySizeGb": 5, "region": "europe-west1",
        "redisVersion": "REDIS_7_2", "authEnabled": True, "transitEncryptionMode": "SERVER_AUTHENTICATION",
        "connectMode": "PRIVATE_SERVICE_ACCESS", "authorizedNetwork": "gp-net", **props})


def gcp_stack() -> list[Res]:
    """Pulumi.prod.yaml's platform: 20 x (5+5) + 5 x (3+2) + 4 x (2+2) = 241 connections of 400."""
    return [
        connector(),
        sql_instance(),
        redis_instance(),
        run_service("api", max_instances=20, cpu="2", memory="1Gi",
                    envs=run_env(extra={"LOG_LEVEL": "info"}, secrets={"STRIPE_API_KEY": "api-stripe-key"})),
        iam_member("api"),
        run_service("web", max_instances=5, min_instances=1, cpu="1", memory="512Mi", concurrency=250,
                    timeout="3600s", envs=run_env(pool=(3, 2), extra={"WEBSOCKET_HEARTBEAT_TIMEOUT": "30",
                                                                      "WEBSOCKET_CONNECTION_TIMEOUT": "3600"})),
        iam_member("web"),
        run_service("worker", max_instances=4, min_instances=1, cpu="1", memory="1Gi", concurrency=10,
                    timeout="900s", public=False, envs=run_env(pool=(2, 2))),
    ]


# --- Docker -------------------------------------------------------------------------------------
CONTAINER = "docker:index/container:Container"
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
PASSWORD_URN = f"urn:pulumi:test::golden-path::{RANDOM_PASSWORD}::gp-local-db-password"


def labels(role: str, service: str | None = None) -> list[dict[str, str]]:
    found = [{"label": "golden-path.role", "value": role}]
    return found + ([{"label": "golden-path.service", "value": service}] if service else [])


def random_password() -> Res:
    return res(RANDOM_PASSWORD, "gp-local-db-password", {"length": 32, "special": False})


def postgres_container(max_connections: int | None = 100, external_port: int = 5432) -> Res:
    command = ["postgres"] + (["-c", f"max_connections={max_connections}"] if max_connections else [])
    return res(CONTAINER, "gp-local-postgres", {
        "name": "gp-local-postgres", "image": "postgres:16", "command": command,
        "envs": ["POSTGRES_DB=app", "POSTGRES_USER=app", "POSTGRES_PASSWORD=Zr8Qk2Lm9Xv4Tn7Wb3Jy6Hc1Pd5Fs0Ga"],
        "ports": [{"internal": 5432, "external": external_port}], "labels": labels("postgres"),
        "healthcheck": {"tests": ["CMD-SHELL", "pg_isready -U app"], "interval": "5s", "timeout": "3s",
                        "retries": 10},
        "networksAdvanced": [{"name": "gp-local", "aliases": ["postgres"]}],
    }, property_dependencies={"envs": (PASSWORD_URN,)}, dependencies=(PASSWORD_URN,))


def redis_container(external_port: int = 6379) -> Res:
    return res(CONTAINER, "gp-local-redis", {
        "name": "gp-local-redis", "image": "redis:7", "command": ["redis-server", "--maxclients", "1000"],
        "ports": [{"internal": 6379, "external": external_port}], "labels": labels("redis"),
        "healthcheck": {"tests": ["CMD", "redis-cli", "ping"], "interval": "5s", "timeout": "3s", "retries": 10},
        "networksAdvanced": [{"name": "gp-local", "aliases": ["redis"]}],
    })


def docker_env(pool: tuple[int, int] = (5, 5), extra: Mapping[str, str] | None = None) -> list[str]:
    values = {"DATABASE_HOST": "postgres", "DATABASE_NAME": "app", "DATABASE_USER": "app",
              "DATABASE_PASSWORD": "Zr8Qk2Lm9Xv4Tn7Wb3Jy6Hc1Pd5Fs0Ga", "DATABASE_POOL_SIZE": str(pool[0]),
              "DATABASE_MAX_OVERFLOW": str(pool[1]), "DATABASE_POOL_TIMEOUT": "10", "DATABASE_POOL_RECYCLE": "1800",
              "REDIS_HOST": "redis", "REDIS_PORT": "6379", "REDIS_TIMEOUT": "2", **(extra or {})}
    return [f"{k}={v}" for k, v in values.items()]


def service_container(service: str = "api", port: int = 8080, envs: list[str] | None = None,
                      generated_password: bool = True) -> Res:
    prefix = f"urn:pulumi:test::golden-path::{CONTAINER}::gp-local-"
    deps = (f"{prefix}postgres", f"{prefix}redis")
    return res(CONTAINER, f"gp-local-{service}", {
        "name": f"gp-local-{service}", "image": f"golden-path/{service}:dev",
        "envs": docker_env() if envs is None else envs,
        "ports": [{"internal": port, "external": port}], "labels": labels("service", service),
        "healthcheck": {"tests": ["CMD", "curl", "-f", f"http://localhost:{port}/healthz"], "interval": "10s",
                        "timeout": "5s", "retries": 3, "startPeriod": "10s"},
        "networksAdvanced": [{"name": "gp-local", "aliases": [service]}],
    }, dependencies=deps + ((PASSWORD_URN,) if generated_password else ()),
        property_dependencies={"envs": (PASSWORD_URN,) if generated_password else ()})


def docker_stack() -> list[Res]:
    """Pulumi.local.yaml's platform: postgres (max_connections 100), redis, api, web and worker."""
    return [
        random_password(),
        postgres_container(),
        redis_container(),
        service_container("api", 8080, docker_env(extra={"LOG_LEVEL": "debug"})),
        service_container("web", 8081, docker_env(pool=(3, 2), extra={"WEBSOCKET_HEARTBEAT_TIMEOUT": "30",
                                                                      "WEBSOCKET_CONNECTION_TIMEOUT": "3600"})),
        service_container("worker", 8082),
    ]


# --- running policies ---------------------------------------------------------------------------
PROD_CONFIG: dict[str, Any] = {
    "capacity-caps": {"maxInstancesPerService": 50, "maxTotalInstances": 100, "maxConnectorInstances": 10,
                      "maxDatabaseVcpus": 16, "maxRedisMemoryGb": 16},
    "security-baseline": {"environment": "prod"},
    "no-bypass-flags": {"environment": "prod"},
}
LOCAL_CONFIG: dict[str, Any] = {
    "capacity-caps": {"maxInstancesPerService": 1, "maxTotalInstances": 10},
    "security-baseline": {"environment": "local"},
    "no-bypass-flags": {"environment": "local"},
}


def violations(resources: Iterable[Res], policy: str | None = None,
               config: Mapping[str, Any] | None = None) -> list[Violation]:
    """The violations of one policy (or all) under config (default PROD_CONFIG)."""
    found = evaluate(list(resources), PROD_CONFIG if config is None else config)
    return [v for v in found if policy is None or v.policy == policy]


def with_config(policy: str, **properties: Any) -> dict[str, Any]:
    """PROD_CONFIG with one policy's properties replaced."""
    return {**PROD_CONFIG, policy: properties}
