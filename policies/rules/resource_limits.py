"""GCP hard limits per resource (vpc-connector-limits, cloud-run-limits, cloud-sql-limits, redis-limits).

Every number and source URL comes from policies/limits.py, the table the config models read too.
Fixes name the resource property and, in parentheses, the golden-path stack key that sets it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from policies import limits as gcp
from policies.contract import RUN_SERVICE_LABEL
from policies.limits import fmt
from policies.rules.messages import problem
from policies.rules.props import dig, elements, known, mapping, optional_number
from policies.rules.resources import Report, Resource, run_containers, where


def service_key(resource: Resource, field: str) -> str:
    """The stack key of a Cloud Run service's setting, e.g. services.api.cpu."""
    labels = dig(resource.props, "labels")
    service = dig(labels, RUN_SERVICE_LABEL) if isinstance(labels, Mapping) else None
    return f"services.{service if isinstance(service, str) else '<service>'}.{field}"


# --- vpc-connector-limits -----------------------------------------------------------------------
def check_connector(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    props, at = resource.props, where(resource)

    name = dig(props, "name")
    if isinstance(name, str) and len(name) > gcp.CONNECTOR_NAME_MAX_LENGTH:
        report(problem(at, f"name is {len(name)} characters; connector names must be under "
                           f"{gcp.CONNECTOR_NAME_MAX_LENGTH + 1} ({gcp.CONNECTOR_DOCS})",
                       f"use a name of at most {gcp.CONNECTOR_NAME_MAX_LENGTH} characters"))

    machine = dig(props, "machineType")
    if isinstance(machine, str) and (bad := gcp.CONNECTOR_MACHINE_TYPES.problem(machine)):
        report(problem(at, f"machineType {bad}", "use e2-standard-4 under production load, e2-micro otherwise "
                                                  "(network.connector.machine_type)"))

    counts = {}
    for key, snake, limit in (("minInstances", "min_instances", gcp.CONNECTOR_MIN_INSTANCES),
                              ("maxInstances", "max_instances", gcp.CONNECTOR_MAX_INSTANCES),
                              ("minThroughput", None, gcp.CONNECTOR_MIN_THROUGHPUT),
                              ("maxThroughput", None, gcp.CONNECTOR_MAX_THROUGHPUT)):
        value = counts[key] = optional_number(dig(props, key), key)
        if value is not None and (bad := limit.problem(value)):
            hint = f" (network.connector.{snake})" if snake else ""
            report(problem(at, f"{key} {bad}", f"set {key} within {limit.allowed()}{hint}"))

    for low, high in (("minInstances", "maxInstances"), ("minThroughput", "maxThroughput")):
        if counts[low] is not None and counts[high] is not None and counts[low] >= counts[high]:
            report(problem(at, f"{low} {fmt(counts[low])} is not below {high} {fmt(counts[high])} "
                               f"({gcp.CONNECTOR_SPEC})", f"make {low} lower than {high}"))
    for throughput, instances in (("minThroughput", "minInstances"), ("maxThroughput", "maxInstances")):
        if counts[throughput] is not None and counts[instances] is not None:
            report(problem(at, f"both {throughput} and {instances} are set; GCP accepts only one "
                               f"({gcp.CONNECTOR_SPEC})", f"drop {throughput} (deprecated) and keep {instances}"))

    network = dig(props, "network")
    subnet = dig(props, "subnet", "name")
    if (network is None) == (subnet is None):
        report(problem(at, "needs exactly one of network or subnet.name, "
                           f"found {'both' if network is not None else 'neither'} ({gcp.CONNECTOR_SUBNET_DOCS})",
                       "give a network with a dedicated /28 ipCidrRange, or an existing /28 subnet"))
    cidr = dig(props, "ipCidrRange")
    if cidr is not None:
        cidr = known(cidr, "ipCidrRange")
        try:
            prefix = ipaddress.ip_network(cidr).prefixlen
        except ValueError:
            prefix = None
        if prefix != gcp.CONNECTOR_PREFIX_LENGTH:
            shown = f"a /{prefix}" if prefix is not None else "not a CIDR range"
            report(problem(at, f"ipCidrRange {cidr} is {shown}; a connector needs a dedicated "
                               f"/{gcp.CONNECTOR_PREFIX_LENGTH} ({gcp.CONNECTOR_SUBNET_DOCS})",
                           "use an unused /28 such as 10.8.0.0/28 (network.connector.ip_cidr_range)"))
        if network is None:
            report(problem(at, f"ipCidrRange is set without network ({gcp.CONNECTOR_SUBNET_DOCS})",
                           "set network, or drop ipCidrRange and use subnet.name"))


# --- cloud-run-limits ---------------------------------------------------------------------------
PROBES = (("startupProbe", gcp.RUN_STARTUP_INITIAL_DELAY_S, gcp.RUN_STARTUP_PERIOD_S),
          ("livenessProbe", gcp.RUN_LIVENESS_INITIAL_DELAY_S, gcp.RUN_LIVENESS_PERIOD_S))


def check_cloud_run(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    props, at = resource.props, where(resource)
    template = mapping(dig(props, "template"), "template")

    timeout = dig(template, "timeout")
    if timeout is not None:
        seconds = gcp.parse_duration_s(known(timeout, "template.timeout"))
        if bad := gcp.RUN_TIMEOUT_S.problem(seconds):
            report(problem(at, f"request timeout {bad}",
                           f"set template.timeout within {gcp.RUN_TIMEOUT_S.allowed()} seconds "
                           f"({service_key(resource, 'request_timeout_s')})"))

    concurrency = optional_number(dig(template, "maxInstanceRequestConcurrency"), "maxInstanceRequestConcurrency")
    if concurrency is not None and (bad := gcp.RUN_CONCURRENCY.problem(concurrency)):
        report(problem(at, f"concurrency {bad}", f"set it within {gcp.RUN_CONCURRENCY.allowed()} "
                                                 f"({service_key(resource, 'concurrency')})"))

    for scope, scaling in (("template.scaling", dig(template, "scaling")), ("scaling", dig(props, "scaling"))):
        low = optional_number(dig(scaling, "minInstanceCount"), f"{scope}.minInstanceCount")
        high = optional_number(dig(scaling, "maxInstanceCount"), f"{scope}.maxInstanceCount")
        if high is not None and (bad := gcp.RUN_MAX_INSTANCES.problem(high)):
            report(problem(at, f"{scope}.maxInstanceCount {bad}",
                           f"lower it, or raise the regional quota first ({service_key(resource, 'max_instances')})"))
        if low is not None and high is not None and low > high:
            report(problem(at, f"{scope}.minInstanceCount {fmt(low)} is above maxInstanceCount {fmt(high)} "
                               f"({gcp.RUN_MAX_INSTANCES_SETTING_DOCS})",
                           f"make min_instances at most max_instances ({service_key(resource, 'min_instances')})"))

    for i, container in enumerate(run_containers(resource)):
        _check_container(resource, at, i, container, concurrency, report)

    egress = dig(template, "vpcAccess", "egress")
    if isinstance(egress, str) and (bad := gcp.RUN_EGRESS.problem(egress)):
        report(problem(at, f"vpcAccess.egress {bad}", "use PRIVATE_RANGES_ONLY"))


def _check_container(resource: Resource, at: str, index: int, container: Mapping[str, Any],
                     concurrency: float | None, report: Report) -> None:
    label = f"container {dig(container, 'name', default=index)}"
    cpu_text = dig(container, "resources", "limits", "cpu")
    memory_text = dig(container, "resources", "limits", "memory")
    try:
        cpu = 1.0 if cpu_text is None else gcp.parse_cpu(known(cpu_text, "cpu"))
        memory = 512 if memory_text is None else gcp.parse_memory_mib(known(memory_text, "memory"))
    except ValueError as exc:
        report(problem(at, f"{label}: {exc}", "write cpu as 1, 2, 4, 6, 8 or 500m and memory as 512Mi or 2Gi"))
        return
    if bad := gcp.cpu_problem(cpu):
        report(problem(at, f"{label}: cpu {bad}", f"use a cpu Cloud Run offers ({service_key(resource, 'cpu')})"))
    if bad := gcp.RUN_MEMORY_MIB.problem(memory):
        report(problem(at, f"{label}: memory {bad}",
                       f"set memory within {gcp.RUN_MEMORY_MIB.allowed()} MiB ({service_key(resource, 'memory')})"))
    if bad := gcp.cpu_memory_problem(cpu, memory):
        report(problem(at, f"{label}: {bad}", f"raise cpu or lower memory ({service_key(resource, 'cpu')})"))
    effective = gcp.RUN_DEFAULT_CONCURRENCY if concurrency is None else concurrency
    if cpu < 1 and effective != 1:
        report(problem(at, f"{label}: cpu {fmt(cpu)} allows concurrency 1 only, not {fmt(effective)} "
                           f"({gcp.RUN_CONCURRENCY_DOCS})",
                       f"set concurrency to 1 or cpu to at least 1 ({service_key(resource, 'concurrency')})"))

    for probe_key, delay_limit, period_limit in PROBES:
        probe = mapping(dig(container, probe_key), probe_key)
        values = {}
        for field, limit in (("initialDelaySeconds", delay_limit), ("periodSeconds", period_limit),
                             ("timeoutSeconds", gcp.RUN_PROBE_TIMEOUT_S),
                             ("failureThreshold", gcp.RUN_PROBE_FAILURE_THRESHOLD)):
            value = values[field] = optional_number(dig(probe, field), f"{probe_key}.{field}")
            if value is not None and (bad := limit.problem(value)):
                report(problem(at, f"{label}: {probe_key}.{field} {bad}", f"set it within {limit.allowed()}"))
        period, timeout = values["periodSeconds"], values["timeoutSeconds"]
        if period is not None and timeout is not None and timeout > period:
            report(problem(at, f"{label}: {probe_key}.timeoutSeconds {fmt(timeout)} is above periodSeconds "
                               f"{fmt(period)} (Cloud Run needs period >= timeout, {gcp.RUN_PROBE_DOCS})",
                           "lower timeoutSeconds or raise periodSeconds"))


# --- cloud-sql-limits ---------------------------------------------------------------------------
def check_cloud_sql(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    at = where(resource)
    settings = mapping(dig(resource.props, "settings"), "settings")

    tier = dig(settings, "tier")
    if tier is not None and (bad := gcp.sql_tier_problem(known(tier, "settings.tier"))):
        report(problem(at, f"tier {bad}", f"use db-custom-<vCPUs>-<MiB> with {gcp.sql_custom_shapes()}, "
                                          "e.g. db-custom-2-7680 (database.tier)"))

    availability = dig(settings, "availabilityType")
    if isinstance(availability, str) and (bad := gcp.SQL_AVAILABILITY.problem(availability)):
        report(problem(at, f"availabilityType {bad}", "use ZONAL or REGIONAL (database.availability)"))

    for flag in elements(dig(settings, "databaseFlags"), "settings.databaseFlags"):
        if dig(flag, "name") == "max_connections":
            value = optional_number(dig(flag, "value"), "the max_connections flag")
            if value is not None and (bad := gcp.SQL_MAX_CONNECTIONS.problem(value)):
                report(problem(at, f"max_connections {bad}",
                               f"set it within {gcp.SQL_MAX_CONNECTIONS.allowed()} (database.max_connections)"))

    days = optional_number(dig(settings, "backupConfiguration", "transactionLogRetentionDays"),
                           "transactionLogRetentionDays")
    if (days is not None and dig(settings, "edition") not in gcp.SQL_LOG_RETENTION_UNCHECKED_EDITIONS
            and (bad := gcp.SQL_LOG_RETENTION_DAYS.problem(days))):
        report(problem(at, f"backupConfiguration.transactionLogRetentionDays {bad}",
                       f"keep {gcp.SQL_LOG_RETENTION_DAYS.allowed()} days (35 needs edition ENTERPRISE_PLUS)"))


# --- redis-limits -------------------------------------------------------------------------------
def check_redis(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    props, at = resource.props, where(resource)

    name = dig(props, "name")
    if isinstance(name, str) and not re.match(gcp.REDIS_NAME_PATTERN, name):
        report(problem(at, f"name {name!r} does not match {gcp.REDIS_NAME_PATTERN} ({gcp.REDIS_SPEC})",
                       f"use a name matching {gcp.REDIS_NAME_PATTERN}"))

    tier = dig(props, "tier")
    if isinstance(tier, str) and (bad := gcp.REDIS_TIERS.problem(tier)):
        report(problem(at, f"tier {bad}", "use BASIC or STANDARD_HA (redis.tier)"))

    memory = optional_number(dig(props, "memorySizeGb"), "memorySizeGb")
    if memory is not None and (bad := gcp.REDIS_MEMORY_GB.problem(memory)):
        report(problem(at, f"memorySizeGb {bad}", f"set it within {gcp.REDIS_MEMORY_GB.allowed()} (redis.memory_gb)"))

    if dig(props, "readReplicasMode") == "READ_REPLICAS_ENABLED":
        replicas = optional_number(dig(props, "replicaCount"), "replicaCount")
        if tier != "STANDARD_HA":
            report(problem(at, f"read replicas need tier STANDARD_HA, not {tier} ({gcp.REDIS_REPLICA_DOCS})",
                           "use STANDARD_HA or drop read replicas (redis.tier, redis.read_replicas)"))
        if memory is not None and memory < gcp.REDIS_READ_REPLICAS_MIN_GB:
            report(problem(at, f"read replicas need memorySizeGb >= {gcp.REDIS_READ_REPLICAS_MIN_GB}, not "
                               f"{fmt(memory)} ({gcp.REDIS_REPLICA_DOCS})",
                           f"raise memory to {gcp.REDIS_READ_REPLICAS_MIN_GB} GB (redis.memory_gb)"))
        if replicas is not None and (bad := gcp.REDIS_READ_REPLICAS.problem(replicas)):
            report(problem(at, f"replicaCount {bad}", f"use {gcp.REDIS_READ_REPLICAS.allowed()} read replicas "
                                                      "(redis.read_replicas)"))
