"""ServiceContainer: one service with the same environment variables it gets on Cloud Run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from components.docker.labels import labels
from policies.contract import docker_http_healthcheck


@dataclass(frozen=True)
class ServiceContainerArgs:
    name: str  # container name, e.g. gp-local-api
    service: str  # the service's name in the stack config
    image: str
    network: pulumi.Input[str]
    port: int  # the port the app listens on, published on the same host port
    health_path: str
    env: Mapping[str, pulumi.Input[str]]
    depends_on: list[pulumi.Resource]  # the database and Redis containers it uses


class ServiceContainer(pulumi.ComponentResource):
    container: docker.Container
    url: str

    def __init__(self, name: str, args: ServiceContainerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("golden-path:docker:ServiceContainer", name, None, opts)
        envs = [pulumi.Output.from_input(value).apply(lambda v, k=key: f"{k}={v}") for key, value in args.env.items()]
        envs.append(f"PORT={args.port}")
        self.container = docker.Container(
            f"{name}-container",
            name=args.name,
            image=args.image,
            envs=envs,
            ports=[{"internal": args.port, "external": args.port}],
            networks_advanced=[{"name": args.network, "aliases": [args.service]}],
            healthcheck={
                "tests": docker_http_healthcheck(args.port, args.health_path),
                "interval": "10s", "timeout": "5s", "retries": 5, "start_period": "20s",
            },
            labels=labels("service", args.service),
            restart="unless-stopped",
            opts=pulumi.ResourceOptions(parent=self, depends_on=args.depends_on),
        )
        self.url = f"http://localhost:{args.port}"
        self.register_outputs({"url": self.url})
