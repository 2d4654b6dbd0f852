"""PrivateNetwork: the VPC, and private services access so Cloud SQL and Memorystore get private IPs."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_gcp import compute, servicenetworking


@dataclass(frozen=True)
class PrivateNetworkArgs:
    name: str  # resource name prefix, e.g. gp-prod
    psa_prefix_length: int = 16  # the range Google's services allocate their private IPs from


class PrivateNetwork(pulumi.ComponentResource):
    network: compute.Network
    peering: servicenetworking.Connection

    def __init__(self, name: str, args: PrivateNetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("golden-path:gcp:PrivateNetwork", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.network = compute.Network(
            f"{name}-vpc", name=f"{args.name}-vpc", auto_create_subnetworks=False, opts=child)
        psa_range = compute.GlobalAddress(
            f"{name}-psa-range",
            name=f"{args.name}-psa",
            purpose="VPC_PEERING",
            address_type="INTERNAL",
            prefix_length=args.psa_prefix_length,
            network=self.network.id,
            opts=child,
        )
        self.peering = servicenetworking.Connection(
            f"{name}-psa",
            network=self.network.id,
            service="servicenetworking.googleapis.com",
            reserved_peering_ranges=[psa_range.name],
            opts=child,
        )
        self.register_outputs({"network_id": self.network.id, "network_name": self.network.name})
