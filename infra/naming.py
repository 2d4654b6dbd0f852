"""How the platform names what it creates, in one place: the program (infra/platform.py) names
resources with it, the Cloud Monitoring reader finds a stack's series with it, and reports place a
resource back in the stack file with it.

Two kinds of name:
- cloud names (what GCP or Docker shows): `gp-<stack>` cleaned to what GCP allows, then a suffix;
- Pulumi logical names of the components (`database`, `service-api`), which prefix their children's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

NAMESPACE = "golden-path"  # the stack config namespace, and the Pulumi project name
CONNECTOR_NAME_ROOM = 15  # the connector's name is <prefix, cut to this>-conn: GCP allows 20 characters

# Pulumi logical names of the components
NETWORK = "network"
CONNECTOR = "connector"
DATABASE = "database"
REDIS = "redis"
POSTGRES = "postgres"  # the local stack's database container
MONITORING = "monitoring"
SERVICE_PREFIX = "service-"


def name_prefix(stack: str) -> str:
    """gp-<stack>, reduced to what GCP resource names allow: gp-eu-prod for stack `eu.Prod`."""
    return "gp-" + re.sub(r"[^a-z0-9-]+", "-", stack.lower()).strip("-")


def connector_name(stack: str) -> str:
    return f"{name_prefix(stack)[:CONNECTOR_NAME_ROOM].rstrip('-')}-conn"


def service_name(stack: str, service: str) -> str:
    """The Cloud Run service (or container) of a configured service: gp-prod-api."""
    return f"{name_prefix(stack)}-{service}"


def redis_name(stack: str) -> str:
    return f"{name_prefix(stack)}-redis"


def service_component(service: str) -> str:
    """The Pulumi logical name of a service's component: service-api."""
    return f"{SERVICE_PREFIX}{service}"


def service_of(cloud_name: str, stack: str, services: Sequence[str]) -> str | None:
    """The configured service a Cloud Run service name belongs to, or None (another stack's, retired)."""
    head = f"{name_prefix(stack)}-"
    if not cloud_name.startswith(head):
        return None
    service = cloud_name[len(head):]
    return service if service in services else None


def config_section(resource_name: str, services: Sequence[str]) -> tuple[str, ...]:
    """The stack config section a Pulumi resource comes from, by its logical name:
    service-api-service -> ("services", "api"), database-instance -> ("database",); () if none."""
    for service in sorted(services, key=len, reverse=True):
        component = service_component(service)
        if resource_name == component or resource_name.startswith(f"{component}-"):
            return ("services", service)
    head = resource_name.split("-", 1)[0]
    return {
        DATABASE: ("database",),
        POSTGRES: ("database",),
        REDIS: ("redis",),
        CONNECTOR: ("network", "connector"),
        NETWORK: ("network",),
        MONITORING: ("monitoring",),
    }.get(head, ())
