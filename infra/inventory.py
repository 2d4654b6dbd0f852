"""What a plan creates, in the numbers that matter for capacity: resource counts by type and, per
connector, database, cache and service, the values read back from the captured resources.

`infra plan` prints it; tests/inventories/<stack>.json pins it (cloud-foundation-fabric style).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from infra.offline import CapturedResource, Plan
from policies import contract, limits


@dataclass(frozen=True)
class Row:
    kind: str  # connector | database | redis | service | postgres | container
    name: str
    values: dict[str, Any]


def counts(plan: Plan) -> dict[str, int]:
    return dict(sorted(Counter(r.type for r in plan.resources if r.custom).items()))


def _num(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def cloud_run_env(props: dict[str, Any]) -> dict[str, str]:
    """Plain env values of a Cloud Run service's first container (secret references left out)."""
    containers = props.get("template", {}).get("containers") or [{}]
    return {e["name"]: e["value"] for e in containers[0].get("envs") or [] if "value" in e}


def docker_env(props: dict[str, Any]) -> dict[str, str]:
    """A docker container's `envs` ("K=V" strings) as a mapping."""
    return dict(item.split("=", 1) for item in props.get("envs") or [] if "=" in item)


def _docker_label(props: dict[str, Any], label: str) -> str | None:
    return next((item.get("value") for item in props.get("labels") or [] if item.get("label") == label), None)


def _pool(env: dict[str, str]) -> dict[str, Any]:
    """The pool as size+overflow and the timeouts, from the variables the service receives."""
    if contract.DATABASE_POOL_SIZE not in env:
        return {}
    return {"pool": f"{env[contract.DATABASE_POOL_SIZE]}+{env.get(contract.DATABASE_MAX_OVERFLOW, '0')}",
            "pool_timeout": f"{env.get(contract.DATABASE_POOL_TIMEOUT)}s",
            "redis_timeout": f"{env.get(contract.REDIS_TIMEOUT)}s"}


def _row(resource: CapturedResource) -> Row | None:
    p = resource.props
    if resource.type == contract.CONNECTOR:
        return Row("connector", p["name"], {"machine_type": p.get("machineType"),
                                            "min_instances": _num(p.get("minInstances")),
                                            "max_instances": _num(p.get("maxInstances"))})
    if resource.type == contract.SQL_INSTANCE:
        s = p.get("settings", {})
        flags = {f["name"]: f["value"] for f in s.get("databaseFlags") or []}
        backup = s.get("backupConfiguration", {})
        return Row("database", p["name"], {
            "tier": s.get("tier"), "max_connections": flags.get("max_connections"),
            "availability": s.get("availabilityType"), "backups": backup.get("enabled"),
            "point_in_time_recovery": backup.get("pointInTimeRecoveryEnabled"),
            "deletion_protection": p.get("deletionProtection")})
    if resource.type == contract.REDIS_INSTANCE:
        return Row("redis", p["name"], {"tier": p.get("tier"), "memory_gb": _num(p.get("memorySizeGb")),
                                        "auth": p.get("authEnabled"), "tls": p.get("transitEncryptionMode")})
    if resource.type == contract.RUN_SERVICE:
        t = p.get("template", {})
        limits_ = (t.get("containers") or [{}])[0].get("resources", {}).get("limits", {})
        return Row("service", p["name"], {
            "min_instances": _num(t.get("scaling", {}).get("minInstanceCount")),
            "max_instances": _num(t.get("scaling", {}).get("maxInstanceCount")),
            "concurrency": _num(t.get("maxInstanceRequestConcurrency")), "timeout": t.get("timeout"),
            "cpu": limits_.get("cpu"), "memory": limits_.get("memory"), **_pool(cloud_run_env(p))})
    if resource.type == contract.CONTAINER:
        role = _docker_label(p, contract.DOCKER_ROLE_LABEL)
        if role == "postgres":
            command = p.get("command") or []
            max_connections = next((c.split("=", 1)[1] for c in command if c.startswith("max_connections=")), None)
            return Row("postgres", p["name"], {"max_connections": max_connections})
        if role == "redis":
            command = p.get("command") or []
            options = dict(zip(command[1::2], command[2::2], strict=False))
            return Row("redis", p["name"], {"maxclients": options.get("--maxclients"),
                                            "maxmemory": options.get("--maxmemory")})
        ports = ",".join(f"{_num(x.get('external'))}" for x in p.get("ports") or [])
        return Row("container", p["name"], {"service": _docker_label(p, contract.DOCKER_SERVICE_LABEL), "port": ports,
                                            **_pool(docker_env(p))})
    return None


KIND_ORDER = ("connector", "database", "postgres", "redis", "service", "container")


def rows(plan: Plan) -> list[Row]:
    found = [row for r in plan.resources if (row := _row(r)) is not None]
    return sorted(found, key=lambda row: (KIND_ORDER.index(row.kind), row.name))


def snapshot(plan: Plan) -> dict[str, Any]:
    """The inventory pinned by tests: counts by type and the capacity values per row."""
    return {"stack": plan.stack, "counts": counts(plan),
            "rows": [{"kind": row.kind, "name": row.name, **row.values} for row in rows(plan)]}


def describe(value: Any) -> str:
    return limits.fmt(value) if isinstance(value, int | float) and not isinstance(value, bool) else str(value)
