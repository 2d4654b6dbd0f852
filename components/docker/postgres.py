"""PostgresContainer: PostgreSQL with max_connections from config, a data volume and pg_isready."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_docker as docker
import pulumi_random as random

from components.docker.labels import labels


@dataclass(frozen=True)
class PostgresContainerArgs:
    name: str  # container name, e.g. gp-local-postgres
    network: pulumi.Input[str]
    version: str  # Cloud SQL's spelling, e.g. POSTGRES_16
    max_connections: int
    host_port: int = 5432
    database_name: str = "app"
    user_name: str = "app"


class PostgresContainer(pulumi.ComponentResource):
    container: docker.Container
    password: pulumi.Output[str]
    host: str
    database_name: str
    user_name: str

    def __init__(self, name: str, args: PostgresContainerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("golden-path:docker:PostgresContainer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        major = args.version.removeprefix("POSTGRES_")
        image = docker.RemoteImage(f"{name}-image", name=f"postgres:{major}", keep_locally=True, opts=child)
        volume = docker.Volume(f"{name}-data", name=f"{args.name}-data", opts=child)
        password = random.RandomPassword(f"{name}-password", length=24, special=False, opts=child)
        self.container = docker.Container(
            f"{name}-container",
            name=args.name,
            image=image.image_id,
            command=["postgres", "-c", f"max_connections={args.max_connections}"],
            envs=[
                f"POSTGRES_DB={args.database_name}",
                f"POSTGRES_USER={args.user_name}",
                password.result.apply(lambda value: f"POSTGRES_PASSWORD={value}"),
            ],
            volumes=[{"volume_name": volume.name, "container_path": "/var/lib/postgresql/data"}],
            ports=[{"internal": 5432, "external": args.host_port}],
            networks_advanced=[{"name": args.network, "aliases": ["postgres"]}],
            healthcheck={
                "tests": ["CMD-SHELL", f"pg_isready -U {args.user_name} -d {args.database_name}"],
                "interval": "5s", "timeout": "3s", "retries": 10, "start_period": "10s",
            },
            labels=labels("postgres"),
            restart="unless-stopped",
            opts=child,
        )
        self.password = password.result
        self.host = "postgres"  # the container's alias on the network
        self.database_name = args.database_name
        self.user_name = args.user_name
        self.register_outputs({"host": self.host})
