"""PostgresDatabase: Cloud SQL for PostgreSQL on a private IP, its database, and an app user
whose generated password is kept in Secret Manager."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_random as random
from pulumi_gcp import secretmanager, sql


@dataclass(frozen=True)
class PostgresDatabaseArgs:
    name: str  # instance name prefix, e.g. gp-prod
    region: str
    network_id: pulumi.Input[str]
    version: str
    tier: str
    max_connections: int
    availability: str  # ZONAL | REGIONAL
    backups: bool
    deletion_protection: bool
    depends_on: list[pulumi.Resource]  # private services access must exist first
    database_name: str = "app"
    user_name: str = "app"
    log_retention_days: int = 7


class PostgresDatabase(pulumi.ComponentResource):
    instance: sql.DatabaseInstance
    password_secret: secretmanager.Secret
    connection_name: pulumi.Output[str]
    host: pulumi.Output[str]
    database_name: str
    user_name: str

    def __init__(self, name: str, args: PostgresDatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("golden-path:gcp:PostgresDatabase", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.instance = sql.DatabaseInstance(
            f"{name}-instance",
            name=f"{args.name}-pg",
            region=args.region,
            database_version=args.version,
            deletion_protection=args.deletion_protection,
            settings={
                "tier": args.tier,
                "availability_type": args.availability,
                "deletion_protection_enabled": args.deletion_protection,
                "ip_configuration": {
                    "ipv4_enabled": False,
                    "private_network": args.network_id,
                    "ssl_mode": "ENCRYPTED_ONLY",
                },
                "backup_configuration": {
                    "enabled": args.backups,
                    "point_in_time_recovery_enabled": args.backups,
                    "transaction_log_retention_days": args.log_retention_days,
                    "start_time": "03:00",
                },
                "database_flags": [{"name": "max_connections", "value": str(args.max_connections)}],
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=args.depends_on),
        )
        sql.Database(f"{name}-db", name=args.database_name, instance=self.instance.name, opts=child)
        password = random.RandomPassword(f"{name}-password", length=32, special=False, opts=child)
        sql.User(f"{name}-user", name=args.user_name, instance=self.instance.name,
                 password=password.result, opts=child)
        self.password_secret = secretmanager.Secret(
            f"{name}-password-secret",
            secret_id=f"{args.name}-db-password",
            replication={"auto": {}},
            opts=child,
        )
        secretmanager.SecretVersion(f"{name}-password-version", secret=self.password_secret.id,
                                    secret_data=password.result, opts=child)
        self.connection_name = self.instance.connection_name
        self.host = self.instance.private_ip_address
        self.database_name = args.database_name
        self.user_name = args.user_name
        self.register_outputs({"connection_name": self.connection_name, "host": self.host})
