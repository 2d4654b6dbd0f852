"""LocalNetwork: the bridge network the local platform's containers talk on."""

from __future__ import annotations

import pulumi
import pulumi_docker as docker


class LocalNetwork(pulumi.ComponentResource):
    network: docker.Network
    name: pulumi.Output[str]

    def __init__(self, name: str, network_name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("golden-path:docker:LocalNetwork", name, None, opts)
        self.network = docker.Network(f"{name}-network", name=network_name, driver="bridge",
                                      opts=pulumi.ResourceOptions(parent=self))
        self.name = self.network.name
        self.register_outputs({"name": self.name})
