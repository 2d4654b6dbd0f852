"""ServerlessConnector: the Serverless VPC Access connector Cloud Run reaches private IPs through."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_gcp import vpcaccess


@dataclass(frozen=True)
class ServerlessConnectorArgs:
    name: str  # at most 20 characters (GCP)
    region: str
    network: pulumi.Input[str]  # the VPC's name
    ip_cidr_range: str  # a dedicated /28
    machine_type: str
    min_instances: int
    max_instances: int


class ServerlessConnector(pulumi.ComponentResource):
    connector: vpcaccess.Connector
    id: pulumi.Output[str]

    def __init__(self, name: str, args: ServerlessConnectorArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("golden-path:gcp:ServerlessConnector", name, None, opts)
        self.connector = vpcaccess.Connector(
            f"{name}-connector",
            name=args.name,
            region=args.region,
            network=args.network,
            ip_cidr_range=args.ip_cidr_range,
            machine_type=args.machine_type,
            min_instances=args.min_instances,
            max_instances=args.max_instances,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.id = self.connector.id
        self.register_outputs({"id": self.id})
