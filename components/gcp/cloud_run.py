"""CloudRunService: a Cloud Run v2 service with its own service account, VPC access through the
connector, probes on the health path, and secrets as Secret Manager references."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
from pulumi_gcp import cloudrunv2, secretmanager, serviceaccount

from policies.contract import RUN_PUBLIC_LABEL, RUN_SERVICE_LABEL


@dataclass(frozen=True)
class SecretRef:
    secret: pulumi.Input[str]  # Secret Manager secret id
    version: str = "latest"


@dataclass(frozen=True)
class CloudRunServiceArgs:
    name: str  # Cloud Run service name, e.g. gp-prod-api
    service: str  # the service's name in the stack config, e.g. api
    region: str
    image: str
    cpu: float
    memory: str
    min_instances: int
    max_instances: int
    concurrency: int
    request_timeout_s: int
    port: int
    health_path: str
    env: Mapping[str, pulumi.Input[str]]
    secrets: Mapping[str, SecretRef]
    connector_id: pulumi.Input[str]
    public: bool
    deletion_protection: bool


class CloudRunService(pulumi.ComponentResource):
    service: cloudrunv2.Service
    account: serviceaccount.Account
    url: pulumi.Output[str]

    def __init__(self, name: str, args: CloudRunServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("golden-path:gcp:CloudRunService", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account_id = f"run-{args.service}"[:30].rstrip("-")
        self.account = serviceaccount.Account(
            f"{name}-sa", account_id=account_id, display_name=f"Cloud Run service {args.name}", opts=child)
        member = self.account.email.apply(lambda email: f"serviceAccount:{email}")
        # Only the secrets this service reads, each granted on the secret itself.
        grants = []
        for index, secret in enumerate(dict.fromkeys(ref.secret for ref in args.secrets.values())):
            grants.append(secretmanager.SecretIamMember(
                f"{name}-secret-access-{index}", secret_id=secret,
                role="roles/secretmanager.secretAccessor", member=member, opts=child))

        envs = [{"name": key, "value": value} for key, value in args.env.items()]
        envs += [{"name": key, "value_source": {"secret_key_ref": {"secret": ref.secret, "version": ref.version}}}
                 for key, ref in args.secrets.items()]
        probe = {"http_get": {"path": args.health_path, "port": args.port}, "timeout_seconds": 3}
        self.service = cloudrunv2.Service(
            f"{name}-service",
            name=args.name,
            location=args.region,
            ingress="INGRESS_TRAFFIC_ALL",
            deletion_protection=args.deletion_protection,
            labels={RUN_SERVICE_LABEL: args.service, RUN_PUBLIC_LABEL: str(args.public).lower()},
            template={
                "service_account": self.account.email,
                "timeout": f"{args.request_timeout_s}s",
                "max_instance_request_concurrency": args.concurrency,
                "execution_environment": "EXECUTION_ENVIRONMENT_GEN2",
                "scaling": {"min_instance_count": args.min_instances, "max_instance_count": args.max_instances},
                "vpc_access": {"connector": args.connector_id, "egress": "PRIVATE_RANGES_ONLY"},
                "containers": [{
                    "image": args.image,
                    "ports": {"container_port": args.port},
                    "resources": {"limits": {"cpu": f"{args.cpu:g}", "memory": args.memory}},
                    "envs": envs,
                    # up to 2 minutes to start; then restarted after 3 failed checks 30 s apart
                    "startup_probe": {**probe, "period_seconds": 5, "failure_threshold": 24},
                    "liveness_probe": {**probe, "period_seconds": 30, "failure_threshold": 3},
                }],
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=grants),
        )
        if args.public:
            cloudrunv2.ServiceIamMember(
                f"{name}-public", name=self.service.name, location=args.region,
                role="roles/run.invoker", member="allUsers", opts=child)
        self.url = self.service.uri
        self.register_outputs({"url": self.url})
