"""RedisCache: Memorystore for Redis on private services access, with AUTH and TLS when asked."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_gcp import redis, secretmanager

from policies import limits


@dataclass(frozen=True)
class RedisCacheArgs:
    name: str  # e.g. gp-prod-redis
    region: str
    network_id: pulumi.Input[str]
    tier: str  # BASIC | STANDARD_HA
    memory_gb: int
    auth: bool
    tls: bool
    read_replicas: int
    depends_on: list[pulumi.Resource]


class RedisCache(pulumi.ComponentResource):
    instance: redis.Instance
    auth_secret: secretmanager.Secret | None
    host: pulumi.Output[str]
    port: int

    def __init__(self, name: str, args: RedisCacheArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("golden-path:gcp:RedisCache", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        replicas = {"replica_count": args.read_replicas, "read_replicas_mode": "READ_REPLICAS_ENABLED"} \
            if args.read_replicas else {}
        self.instance = redis.Instance(
            f"{name}-instance",
            name=args.name,
            region=args.region,
            tier=args.tier,
            memory_size_gb=args.memory_gb,
            redis_version="REDIS_7_2",
            connect_mode="PRIVATE_SERVICE_ACCESS",
            authorized_network=args.network_id,
            auth_enabled=args.auth,
            transit_encryption_mode="SERVER_AUTHENTICATION" if args.tls else "DISABLED",
            **replicas,
            opts=pulumi.ResourceOptions(parent=self, depends_on=args.depends_on),
        )
        self.auth_secret = None
        if args.auth:
            self.auth_secret = secretmanager.Secret(
                f"{name}-auth-secret", secret_id=f"{args.name}-auth", replication={"auto": {}}, opts=child)
            secretmanager.SecretVersion(f"{name}-auth-version", secret=self.auth_secret.id,
                                        secret_data=self.instance.auth_string, opts=child)
        self.host = self.instance.host
        # With in-transit encryption Memorystore serves on 6378, not 6379.
        self.port = limits.REDIS_TLS_PORT if args.tls else limits.REDIS_PORT
        self.register_outputs({"host": self.host, "port": self.port})
