"""What the platform's resources hold, read once for every rule: types, names, environment
variables of Cloud Run services and Docker containers, instance counts, pools, max_connections.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from policies import contract, limits
from policies.contract import CONNECTOR, CONTAINER, DOCKER_ROLE_LABEL, REDIS_INSTANCE, RUN_SERVICE, SQL_INSTANCE
from policies.rules.props import dig, elements, known, mapping, number


class Resource(Protocol):
    """What both ResourceValidationArgs and PolicyResource carry."""

    resource_type: str
    name: str
    urn: str
    props: Mapping[str, Any]


Report = Callable[[str], None]  # a resource check's report(message)
StackReport = Callable[[Resource | None, str], None]  # a stack check's report(resource or None, message)


def display_name(resource: Resource) -> str:
    """The cloud-side name (props.name) when known, else the Pulumi resource name."""
    name = dig(resource.props, "name")
    return name if isinstance(name, str) and name else resource.name


def kind(resource: Resource) -> str:
    """How messages name a resource's type."""
    if resource.resource_type == CONTAINER:
        role = docker_labels(resource).get(DOCKER_ROLE_LABEL)
        return f"{role} container" if role else "container"
    return {
        CONNECTOR: "VPC connector",
        RUN_SERVICE: "Cloud Run service",
        SQL_INSTANCE: "Cloud SQL instance",
        REDIS_INSTANCE: "Memorystore instance",
    }.get(resource.resource_type, resource.resource_type)


def where(resource: Resource) -> str:
    return f"{kind(resource)} {display_name(resource)}"


def host_names(resource: Resource) -> set[str]:
    """The names a DATABASE_HOST / REDIS_HOST may use for it: its names and its Docker network aliases."""
    names = {resource.name, display_name(resource)}
    if resource.resource_type == CONTAINER:
        for network in elements(dig(resource.props, "networksAdvanced"), "networksAdvanced"):
            names.update(a for a in elements(dig(network, "aliases"), "networksAdvanced.aliases") if isinstance(a, str))
    return names


def docker_labels(resource: Resource) -> dict[str, str]:
    labels: dict[str, str] = {}
    for entry in elements(dig(resource.props, "labels"), "labels"):
        label, value = dig(entry, "label"), dig(entry, "value")
        if isinstance(label, str) and isinstance(value, str):
            labels[label] = value
    return labels


def docker_role(resource: Resource) -> str | None:
    return docker_labels(resource).get(DOCKER_ROLE_LABEL) if resource.resource_type == CONTAINER else None


# --- environment variables ----------------------------------------------------------------------
@dataclass(frozen=True)
class EnvVar:
    name: str
    value: Any  # a string, UNKNOWN (computed at deploy), or None when it comes from Secret Manager
    secret_ref: bool = False  # Cloud Run valueSource.secretKeyRef


def run_containers(resource: Resource) -> list[Mapping[str, Any]]:
    containers = elements(dig(resource.props, "template", "containers"), "template.containers")
    return [mapping(c, f"template.containers[{i}]") for i, c in enumerate(containers)]


def env_vars(resource: Resource) -> list[EnvVar]:
    """Every variable of a Cloud Run service (all containers) or a Docker container, in order.

    Entries whose name is not known before deploy (a Docker "K=V" built from an output) are left out.
    """
    found: list[EnvVar] = []
    if resource.resource_type == RUN_SERVICE:
        for i, container in enumerate(run_containers(resource)):
            for entry in elements(dig(container, "envs"), f"template.containers[{i}].envs"):
                name = dig(entry, "name")
                if not isinstance(name, str):
                    continue
                if dig(entry, "valueSource", "secretKeyRef") is not None:
                    found.append(EnvVar(name, None, secret_ref=True))
                else:
                    found.append(EnvVar(name, dig(entry, "value", default="")))
    elif resource.resource_type == CONTAINER:
        for entry in elements(dig(resource.props, "envs"), "envs"):
            if isinstance(entry, str):
                name, _, value = entry.partition("=")
                found.append(EnvVar(name, value))
    return found


def env_dict(resource: Resource) -> dict[str, EnvVar]:
    return {var.name: var for var in env_vars(resource)}


def env_number(env: Mapping[str, EnvVar], name: str) -> float | None:
    """A numeric variable's value; None when the variable is not set."""
    var = env.get(name)
    if var is None:
        return None
    if var.secret_ref:
        raise ValueError(f"{name} comes from Secret Manager; a policy cannot read the number")
    return number(var.value, name)


# --- workloads: Cloud Run services and Docker containers ----------------------------------------
def is_workload(resource: Resource) -> bool:
    return resource.resource_type == RUN_SERVICE or (
        resource.resource_type == CONTAINER and docker_role(resource) not in ("postgres", "redis"))


@dataclass(frozen=True)
class Count:
    value: float
    how: str  # where the number comes from, for messages


def max_instances(resource: Resource) -> Count:
    """How many instances a workload may run at once."""
    if resource.resource_type == CONTAINER:
        return Count(1, "one container")
    for path in (("template", "scaling", "maxInstanceCount"), ("scaling", "maxInstanceCount")):
        value = dig(resource.props, *path)
        if value is not None:
            return Count(number(value, ".".join(path)), "max instances")
    return Count(limits.RUN_DEFAULT_MAX_INSTANCES,
                 f"max instances (not set: Cloud Run's default, {limits.RUN_MAX_INSTANCES_SETTING_DOCS})")


def request_timeout_s(resource: Resource) -> float:
    timeout = dig(resource.props, "template", "timeout")
    if timeout is None:
        return float(limits.RUN_DEFAULT_TIMEOUT_S)
    return limits.parse_duration_s(known(timeout, "template.timeout"))


@dataclass(frozen=True)
class Pool:
    size: float
    max_overflow: float

    @property
    def connections(self) -> float:
        """What one process can hold at once: pool_size + max_overflow (SQLAlchemy QueuePool)."""
        return self.size + self.max_overflow

    def describe(self) -> str:
        return f"({limits.fmt(self.size)} + {limits.fmt(self.max_overflow)})"


def pool(resource: Resource) -> Pool | None:
    """The workload's database pool; None when it sets no DATABASE_POOL_SIZE (it uses no database)."""
    env = env_dict(resource)
    size = env_number(env, contract.DATABASE_POOL_SIZE)
    if size is None:
        return None
    overflow = env_number(env, contract.DATABASE_MAX_OVERFLOW)
    return Pool(size, limits.POOL_DEFAULT_MAX_OVERFLOW if overflow is None else overflow)


# --- databases ----------------------------------------------------------------------------------
def is_database(resource: Resource) -> bool:
    return resource.resource_type == SQL_INSTANCE or docker_role(resource) == "postgres"


def max_connections(resource: Resource) -> Count | None:
    """A database's max_connections; None for a Cloud SQL tier whose default is not documented."""
    if resource.resource_type == SQL_INSTANCE:
        flags = elements(dig(resource.props, "settings", "databaseFlags"), "settings.databaseFlags")
        for flag in flags:
            if dig(flag, "name") == "max_connections":
                return Count(number(dig(flag, "value"), "the max_connections flag"), "its max_connections flag")
        tier = dig(resource.props, "settings", "tier")
        valid = isinstance(tier, str) and limits.sql_tier_problem(tier) is None
        default = limits.sql_verified_default_connections(tier) if valid else None
        if default is None:
            return None
        return Count(default, f"tier {tier}'s default, {limits.SQL_FAQ}")
    command = [c for c in elements(dig(resource.props, "command"), "command") if isinstance(c, str)]
    value = postgres_setting(command, "max_connections")
    if value is None:
        return Count(limits.POSTGRES_DEFAULT_MAX_CONNECTIONS,
                     f"not set in its command: PostgreSQL's default, {limits.POSTGRES_CONNECTION_DOCS}")
    return Count(number(value, "max_connections in the postgres command"), "-c max_connections in its command")


def postgres_setting(command: list[str], name: str) -> str | None:
    """A server setting from a postgres command line: `-c name=v`, `-cname=v` or `--name=v`."""
    value = None
    for i, arg in enumerate(command):
        if arg == "-c" and i + 1 < len(command):
            arg = command[i + 1]
        elif arg.startswith("-c"):
            arg = arg[2:]
        elif arg.startswith("--"):
            arg = arg[2:]
        else:
            continue
        key, sep, setting = arg.partition("=")
        if sep and key.replace("-", "_") == name:
            value = setting  # the last one wins, as in postgres
    return value

