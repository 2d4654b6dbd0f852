"""RedisContainer: Redis with maxclients and maxmemory from config, and a ping healthcheck."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from components.docker.labels import labels
from policies import limits


@dataclass(frozen=True)
class RedisContainerArgs:
    name: str  # container name, e.g. gp-local-redis
    network: pulumi.Input[str]
    memory_gb: int
    max_clients: int = limits.REDIS_MAX_CLIENTS  # what Memorystore allows, so local behaves alike
    host_port: int = 6379


class RedisContainer(pulumi.ComponentResource):
    container: docker.Container
    host: str
    port: int

    def __init__(self, name: str, args: RedisContainerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("golden-path:docker:RedisContainer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        image = docker.RemoteImage(f"{name}-image", name="redis:7.2", keep_locally=True, opts=child)
        self.container = docker.Container(
            f"{name}-container",
            name=args.name,
            image=image.image_id,
            command=["redis-server", "--maxclients", str(args.max_clients),
                     "--maxmemory", f"{args.memory_gb}gb", "--maxmemory-policy", "allkeys-lru"],
            ports=[{"internal": limits.REDIS_PORT, "external": args.host_port}],
            networks_advanced=[{"name": args.network, "aliases": ["redis"]}],
            healthcheck={"tests": ["CMD", "redis-cli", "ping"], "interval": "5s", "timeout": "3s", "retries": 10},
            labels=labels("redis"),
            restart="unless-stopped",
            opts=child,
        )
        self.host = "redis"
        self.port = limits.REDIS_PORT
        self.register_outputs({"host": self.host, "port": self.port})
