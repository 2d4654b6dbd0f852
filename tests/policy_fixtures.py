"""The resources the golden-path program registers, for policy tests: planned, never hand-written.

`gcp_stack()` is what infra.offline plans for Pulumi.prod.yaml and `docker_stack()` for
Pulumi.local.yaml, in the shape CrossGuard hands to a policy (numbers as floats: the engine's protobuf
doubles). Both pass every policy under their committed policy configs, so a test changes one value
(the helpers' keyword arguments, `patch`) and looks for one violation with `run_policy`.

Each stack is planned once per process; every call returns fresh copies, so no test can leak an edit
into another.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from infra import offline
from infra.gate import POLICY_CONFIG_DIR
from infra.offline import CapturedResource as Res
from infra.stacks import REPO_ROOT
from policies.contract import (
    CONNECTOR,
    CONTAINER,
    DATABASE_MAX_OVERFLOW,
    DATABASE_POOL_SIZE,
    DATABASE_POOL_TIMEOUT,
    DOCKER_ROLE_LABEL,
    DOCKER_SERVICE_LABEL,
    RANDOM_PASSWORD,
    REDIS_INSTANCE,
    REDIS_TIMEOUT,
    RUN_IAM_MEMBER,
    RUN_PUBLIC_LABEL,
    RUN_SERVICE,
    RUN_SERVICE_LABEL,
    SQL_INSTANCE,
)
from policies.runner import Violation, evaluate, load_policy_config

CONFIG_DIR = REPO_ROOT / POLICY_CONFIG_DIR
PROD_CONFIG = load_policy_config(CONFIG_DIR / "prod.json")
STAGING_CONFIG = load_policy_config(CONFIG_DIR / "staging.json")
LOCAL_CONFIG = load_policy_config(CONFIG_DIR / "local.json")
GCP, DOCKER = "prod", "local"  # the committed stacks gcp_stack() and docker_stack() plan


# --- running one policy ---------------------------------------------------------------------------
def run_policy(policy: str, resources: Iterable[Res], config: Mapping[str, Any] | None = None) -> list[Violation]:
    """The violations one policy reports over the resources, under a policy config (default: prod's),
    run the way `infra check` runs the pack."""
    found = evaluate(list(resources), PROD_CONFIG if config is None else config)
    return [v for v in found if v.policy == policy]


def messages(violations: Iterable[Violation]) -> list[str]:
    """What a person reads of each violation."""
    return [v.message for v in violations]


def with_config(policy: str, **properties: Any) -> dict[str, Any]:
    """PROD_CONFIG with one policy's entry replaced by these properties."""
    return {**PROD_CONFIG, policy: properties}


# --- changing one value ---------------------------------------------------------------------------
def wire(value: Any) -> Any:
    """Numbers as the engine sends them: 10 -> 10.0 (booleans stay booleans)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, dict):
        return {k: wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [wire(v) for v in value]
    return value


def patch(resource: Res, path: str, value: Any) -> Res:
    """A copy with props at dotted path set (list indices as numbers); value None deletes the key."""
    props = copy.deepcopy(resource.props)
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node = props
    for part in parents:
        if isinstance(part, str) and part not in node:
            node[part] = {}
        node = node[part]
    if value is None:
        node.pop(last, None)
    else:
        node[last] = wire(value)
    return replace(resource, props=props)


def patch_all(resource: Res, values: Mapping[str, Any]) -> Res:
    """patch() for each dotted path -> value."""
    for path, value in values.items():
        resource = patch(resource, path, value)
    return resource


def swap(resources: Iterable[Res], new: Res) -> list[Res]:
    """The stack with the resource of the same urn replaced by new."""
    return [new if r.urn == new.urn else r for r in resources]


def find(resources: Iterable[Res], name: str) -> Res:
    """The resource with this Pulumi name."""
    return _one(resources, lambda r: r.name == name, name)


def copy_as(resource: Res, name: str) -> Res:
    """A second resource like this one, under another Pulumi name and cloud-side name (props.name)."""
    urn = f"{resource.urn.rsplit('::', 1)[0]}::{name}"
    return patch(replace(resource, urn=urn, name=name), "name", name)


def res(type_: str, name: str, props: dict[str, Any], **links: Any) -> Res:
    """A resource of a type the program never registers (written by hand, so keep it small)."""
    return Res(f"urn:pulumi:test::{offline.PROJECT}::{type_}::{name}", type_, name, wire(props), **links)


# --- the planned stacks ---------------------------------------------------------------------------
@functools.cache
def _plan(stack: str) -> tuple[Res, ...]:
    return offline.plan(REPO_ROOT / f"Pulumi.{stack}.yaml").resources


def planned(stack: str) -> list[Res]:
    """Fresh copies of every resource the program registers for a committed stack."""
    return copy.deepcopy(list(_plan(stack)))


def gcp_stack() -> list[Res]:
    """Pulumi.prod.yaml's platform: 20 x (5+5) + 5 x (3+2) + 4 x (2+2) = 241 connections of 400."""
    return planned(GCP)


def docker_stack() -> list[Res]:
    """Pulumi.local.yaml's platform: postgres (max_connections 100), redis, api, web and worker."""
    return planned(DOCKER)


def _one(resources: Iterable[Res], test: Callable[[Res], bool], what: str) -> Res:
    found = [r for r in resources if test(r)]
    if len(found) != 1:
        raise LookupError(f"{len(found)} planned resources are {what}, expected one")
    return found[0]


def _planned_one(stack: str, test: Callable[[Res], bool], what: str) -> Res:
    """A fresh copy of the one resource of a committed stack that passes test."""
    return copy.deepcopy(_one(_plan(stack), test, what))


def _of_type(stack: str, type_: str) -> Res:
    return _planned_one(stack, lambda r: r.type == type_, type_)


# --- Google Cloud (Pulumi.prod.yaml) --------------------------------------------------------------
def connector(**props: Any) -> Res:
    """prod's VPC connector, with these top-level props set."""
    return patch_all(_of_type(GCP, CONNECTOR), props)


def sql_instance(max_connections: int | None = None) -> Res:
    """prod's Cloud SQL instance (max_connections 400), or with its max_connections flag set to another value."""
    database = _of_type(GCP, SQL_INSTANCE)
    if max_connections is None:
        return database
    return patch(database, "settings.databaseFlags", [{"name": "max_connections", "value": str(max_connections)}])


def redis_instance(**props: Any) -> Res:
    """prod's Memorystore instance, with these top-level props set."""
    return patch_all(_of_type(GCP, REDIS_INSTANCE), props)


def run_service(service: str = "api", *, max_instances: int | None = None, min_instances: int | None = None,
                cpu: str | None = None, memory: str | None = None, concurrency: int | None = None,
                timeout: str | None = None, envs: list[dict[str, Any]] | None = None,
                public: bool | None = None) -> Res:
    """prod's Cloud Run service of a configured service, with the values given set."""
    found = _planned_one(GCP, lambda r: r.type == RUN_SERVICE and r.props["labels"][RUN_SERVICE_LABEL] == service,
                         f"Cloud Run service {service}")
    values = {
        "template.scaling.maxInstanceCount": max_instances,
        "template.scaling.minInstanceCount": min_instances,
        "template.containers.0.resources.limits.cpu": cpu,
        "template.containers.0.resources.limits.memory": memory,
        "template.maxInstanceRequestConcurrency": concurrency,
        "template.timeout": timeout,
        "template.containers.0.envs": envs,
        f"labels.{RUN_PUBLIC_LABEL}": None if public is None else str(public).lower(),
    }
    return patch_all(found, {path: value for path, value in values.items() if value is not None})


def run_env(service: str = "api", *, pool: tuple[int, int] | None = None, pool_timeout: int | None = None,
            redis_timeout: int | None = None, extra: Mapping[str, str] | None = None,
            secrets: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """prod's envs of a service, with plain values set or added (pool, timeouts, extra) and Secret
    Manager references added (secrets: name -> secret id)."""
    envs = copy.deepcopy(run_service(service).props["template"]["containers"][0]["envs"])
    for name, value in {**_settings(pool, pool_timeout, redis_timeout), **(extra or {})}.items():
        envs = _set_env(envs, {"name": name, "value": value})
    for name, secret in (secrets or {}).items():
        envs = _set_env(envs, {"name": name, "valueSource": {"secretKeyRef": {"secret": secret, "version": "latest"}}})
    return envs


def _set_env(envs: list[dict[str, Any]], entry: dict[str, Any]) -> list[dict[str, Any]]:
    """envs with the entry of the same name replaced in place, or the entry added last."""
    if any(e["name"] == entry["name"] for e in envs):
        return [entry if e["name"] == entry["name"] else e for e in envs]
    return [*envs, entry]


def iam_member(service: str = "api", member: str | None = None) -> Res:
    """prod's invoker grant of a public service (allUsers), or with another member."""
    cloud_name = run_service(service).props["name"]
    grant = _planned_one(GCP, lambda r: r.type == RUN_IAM_MEMBER and r.props["name"] == cloud_name,
                         f"invoker grants of {cloud_name}")
    return grant if member is None else patch(grant, "member", member)


# --- Docker (Pulumi.local.yaml) -------------------------------------------------------------------
def random_password() -> Res:
    """The local stack's generated database password."""
    return _of_type(DOCKER, RANDOM_PASSWORD)


def _container(label: str, value: str) -> Res:
    wanted = {"label": label, "value": value}
    return _planned_one(DOCKER, lambda r: r.type == CONTAINER and wanted in r.props["labels"],
                        f"containers labelled {label}={value}")


def postgres_container(max_connections: int | None = None) -> Res:
    """The local postgres container (max_connections 100), or started with another max_connections."""
    postgres = _container(DOCKER_ROLE_LABEL, "postgres")
    if max_connections is None:
        return postgres
    return patch(postgres, "command", ["postgres", "-c", f"max_connections={max_connections}"])


def redis_container() -> Res:
    return _container(DOCKER_ROLE_LABEL, "redis")


def service_container(service: str = "api", port: int | None = None, envs: list[str] | None = None) -> Res:
    """The local container of a configured service, publishing another port or with other envs."""
    container = _container(DOCKER_SERVICE_LABEL, service)
    if port is not None:
        container = patch(container, "ports", [{"internal": port, "external": port}])
    return container if envs is None else patch(container, "envs", envs)


def docker_env(service: str = "api", *, pool: tuple[int, int] | None = None,
               extra: Mapping[str, str] | None = None) -> list[str]:
    """The local envs ("NAME=value") of a service, with values set or added (pool, extra)."""
    values = dict(entry.split("=", 1) for entry in service_container(service).props["envs"])
    values.update({**_settings(pool, None, None), **(extra or {})})
    return [f"{name}={value}" for name, value in values.items()]


def _settings(pool: tuple[int, int] | None, pool_timeout: int | None, redis_timeout: int | None) -> dict[str, str]:
    """The contract's environment variables for the values given."""
    values: dict[str, str] = {}
    if pool is not None:
        values[DATABASE_POOL_SIZE], values[DATABASE_MAX_OVERFLOW] = str(pool[0]), str(pool[1])
    if pool_timeout is not None:
        values[DATABASE_POOL_TIMEOUT] = str(pool_timeout)
    if redis_timeout is not None:
        values[REDIS_TIMEOUT] = str(redis_timeout)
    return values
