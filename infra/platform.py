"""Wires the components for a stack's target: gcp (Cloud Run, Cloud SQL, Memorystore) or docker.

Imported as `infra.platform` (never `platform`: Pulumi runs the program with infra/ first on
sys.path, where a bare `import platform` would mean the standard library module).
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.service_env import PoolSettings, WebsocketSettings, settings_env
from infra import naming
from infra.config import StackConfig
from infra.pulumi_config import as_input
from policies import contract


def build(cfg: StackConfig) -> dict[str, Any]:
    """Create the platform; return the stack outputs."""
    return _build_gcp(cfg) if cfg.target == "gcp" else _build_docker(cfg)


def _service_env(cfg: StackConfig, name: str, database: Any, redis: Any) -> dict[str, pulumi.Input[str]]:
    """What a service receives on either target: its own env, where the data stores are, and the
    pool and timeout settings of DESIGN.md. database/redis: the target's database and cache component."""
    service = cfg.services[name]
    pool = cfg.pool_for(name)
    websocket = service.websocket
    return {
        **{var: as_input(value) for var, value in service.env.items()},  # a secret stays a secret
        contract.DATABASE_HOST: database.host,
        contract.DATABASE_NAME: database.database_name,
        contract.DATABASE_USER: database.user_name,
        contract.REDIS_HOST: redis.host,
        contract.REDIS_PORT: str(redis.port),
        **settings_env(
            PoolSettings(pool.size, pool.max_overflow, pool.timeout_s, pool.recycle_s),
            cfg.redis.timeout_s,
            WebsocketSettings(websocket.heartbeat_s, websocket.connection_timeout_s) if websocket else None,
        ),
    }


# Each target imports only its own provider SDK: the local stack never loads pulumi_gcp.
def _build_gcp(cfg: StackConfig) -> dict[str, Any]:
    from components.gcp.cloud_run import CloudRunService, CloudRunServiceArgs, SecretRef
    from components.gcp.connector import ServerlessConnector, ServerlessConnectorArgs
    from components.gcp.database import PostgresDatabase, PostgresDatabaseArgs
    from components.gcp.monitoring import Monitoring, MonitoringArgs
    from components.gcp.network import PrivateNetwork, PrivateNetworkArgs
    from components.gcp.redis import RedisCache, RedisCacheArgs

    assert cfg.region is not None  # the config model requires it for target gcp
    prefix = naming.name_prefix(cfg.stack)
    network = PrivateNetwork(naming.NETWORK, PrivateNetworkArgs(name=prefix))
    connector_settings = cfg.network.connector
    connector = ServerlessConnector(naming.CONNECTOR, ServerlessConnectorArgs(
        name=naming.connector_name(cfg.stack),
        region=cfg.region,
        network=network.network.name,
        ip_cidr_range=connector_settings.ip_cidr_range,
        machine_type=connector_settings.machine_type,
        min_instances=connector_settings.min_instances,
        max_instances=connector_settings.max_instances,
    ))
    db = cfg.database
    database = PostgresDatabase(naming.DATABASE, PostgresDatabaseArgs(
        name=prefix, region=cfg.region, network_id=network.network.id, version=db.version, tier=db.tier,
        max_connections=db.max_connections, availability=db.availability, backups=db.backups,
        deletion_protection=cfg.is_prod, depends_on=[network.peering],
    ))
    cache = RedisCache(naming.REDIS, RedisCacheArgs(
        name=naming.redis_name(cfg.stack), region=cfg.region, network_id=network.network.id, tier=cfg.redis.tier,
        memory_gb=cfg.redis.memory_gb, auth=cfg.redis_auth, tls=cfg.redis_tls,
        read_replicas=cfg.redis.read_replicas, depends_on=[network.peering],
    ))

    urls: dict[str, pulumi.Output[str]] = {}
    for name, service in cfg.services.items():
        env = _service_env(cfg, name, database, cache)
        secrets = {key: SecretRef(*ref.split(":", 1)) for key, ref in service.secrets.items()}
        secrets[contract.DATABASE_PASSWORD] = SecretRef(database.password_secret.secret_id)
        if cache.auth_secret is not None:
            secrets[contract.REDIS_AUTH] = SecretRef(cache.auth_secret.secret_id)
        run = CloudRunService(naming.service_component(name), CloudRunServiceArgs(
            name=naming.service_name(cfg.stack, name), service=name, region=cfg.region, image=service.image,
            cpu=service.cpu, memory=service.memory, min_instances=service.min_instances,
            max_instances=service.max_instances, concurrency=service.concurrency,
            request_timeout_s=service.request_timeout_s, port=service.port, health_path=service.health_path,
            env=env, secrets=secrets, connector_id=connector.id, public=service.public,
            deletion_protection=cfg.is_prod,
        ))
        urls[name] = run.url

    if cfg.monitoring.enabled:
        Monitoring(naming.MONITORING, MonitoringArgs(
            name=prefix, notification_email=as_input(cfg.monitoring.notification_email),
            alert_at=cfg.monitoring.alert_at,
            max_connections=db.max_connections,
            service_max_instances={naming.service_name(cfg.stack, n): s.max_instances
                                   for n, s in cfg.services.items()},
        ))
    return {
        "service_urls": urls,
        "database_connection_name": database.connection_name,
        "database_host": database.host,
        "redis_host": cache.host,
        "redis_port": cache.port,
    }


def _build_docker(cfg: StackConfig) -> dict[str, Any]:
    from components.docker.network import LocalNetwork
    from components.docker.postgres import PostgresContainer, PostgresContainerArgs
    from components.docker.redis import RedisContainer, RedisContainerArgs
    from components.docker.service import ServiceContainer, ServiceContainerArgs

    prefix = naming.name_prefix(cfg.stack)
    network = LocalNetwork(naming.NETWORK, f"{prefix}-net")
    postgres = PostgresContainer(naming.POSTGRES, PostgresContainerArgs(
        name=f"{prefix}-postgres", network=network.name, version=cfg.database.version,
        max_connections=cfg.database.max_connections,
    ))
    redis = RedisContainer(naming.REDIS, RedisContainerArgs(
        name=naming.redis_name(cfg.stack), network=network.name, memory_gb=cfg.redis.memory_gb))

    urls: dict[str, str] = {}
    for name, service in cfg.services.items():
        # no Secret Manager on a laptop: the generated password goes in as a variable
        env = {**_service_env(cfg, name, postgres, redis), contract.DATABASE_PASSWORD: postgres.password}
        container = ServiceContainer(naming.service_component(name), ServiceContainerArgs(
            name=naming.service_name(cfg.stack, name), service=name, image=service.image, network=network.name,
            port=service.port, health_path=service.health_path, env=env,
            depends_on=[postgres.container, redis.container],
        ))
        urls[name] = container.url
    return {
        "service_urls": urls,
        "database_connection_name": f"localhost:{5432}",
        "database_host": "localhost",
        "redis_host": "localhost",
        "redis_port": redis.port,
    }
