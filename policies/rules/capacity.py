"""capacity-caps: per-environment ceilings from the policy config (cost and blast radius).

GCP lets a service scale to 1000 instances; an environment should not. The caps live in
policies/config/<env>.json; a cap that is not set is not checked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from policies import limits as gcp
from policies.contract import CONNECTOR, REDIS_INSTANCE, SQL_INSTANCE
from policies.limits import fmt
from policies.rules.messages import problem
from policies.rules.props import dig, optional_number
from policies.rules.resources import Resource, StackReport, display_name, is_workload, max_instances, where

# The config properties, named once: the scaler (infra/scaling/) reads the caps by these names.
MAX_INSTANCES_PER_SERVICE = "maxInstancesPerService"
MAX_TOTAL_INSTANCES = "maxTotalInstances"
MAX_CONNECTOR_INSTANCES = "maxConnectorInstances"
MAX_DATABASE_VCPUS = "maxDatabaseVcpus"
MAX_REDIS_MEMORY_GB = "maxRedisMemoryGb"

CONFIG_PROPERTIES: dict[str, dict[str, Any]] = {
    MAX_INSTANCES_PER_SERVICE: {"type": "integer", "minimum": 1,
                                "description": "Most instances one Cloud Run service (or container) may scale to."},
    MAX_TOTAL_INSTANCES: {"type": "integer", "minimum": 1,
                          "description": "Most instances all services together may scale to."},
    MAX_CONNECTOR_INSTANCES: {"type": "integer", "minimum": 1,
                              "description": "Most instances a VPC connector may scale to."},
    MAX_DATABASE_VCPUS: {"type": "number", "minimum": 0,
                         "description": "Most vCPUs of a Cloud SQL instance's tier."},
    MAX_REDIS_MEMORY_GB: {"type": "number", "minimum": 0,
                          "description": "Most memory (GB) of a Memorystore instance."},
}


def _cap(key: str, value: float) -> str:
    return f"above this environment's cap of {fmt(value)} (policy config capacity-caps.{key})"


RAISE_CAP = "or raise the cap in policies/config/<environment>.json in a reviewed change"


def check_capacity(resources: Sequence[Resource], config: Mapping[str, Any], report: StackReport) -> None:
    caps = {key: optional_number(config.get(key), f"capacity-caps.{key}") for key in CONFIG_PROPERTIES}
    per_service, total_cap = caps[MAX_INSTANCES_PER_SERVICE], caps[MAX_TOTAL_INSTANCES]

    total, terms = 0.0, []
    for resource in resources:
        if is_workload(resource):
            count = max_instances(resource)
            total += count.value
            terms.append(f"{fmt(count.value)} [{display_name(resource)}]")
            if per_service is not None and count.value > per_service:
                report(resource, problem(where(resource), f"{count.how} {fmt(count.value)} is "
                                                          f"{_cap(MAX_INSTANCES_PER_SERVICE, per_service)}",
                                         f"lower max_instances to at most {fmt(per_service)}, {RAISE_CAP}"))
        elif resource.resource_type == CONNECTOR and caps[MAX_CONNECTOR_INSTANCES] is not None:
            cap = caps[MAX_CONNECTOR_INSTANCES]
            value = optional_number(dig(resource.props, "maxInstances"), "maxInstances")
            shown = (f"maxInstances {fmt(value)}" if value is not None else
                     f"maxInstances (not set: default {gcp.CONNECTOR_DEFAULT_MAX_INSTANCES}, {gcp.CONNECTOR_SPEC})")
            value = gcp.CONNECTOR_DEFAULT_MAX_INSTANCES if value is None else value
            if value > cap:
                report(resource, problem(where(resource), f"{shown} is {_cap(MAX_CONNECTOR_INSTANCES, cap)}",
                                         f"set network.connector.max_instances to at most {fmt(cap)}, {RAISE_CAP}; "
                                         f"{gcp.CONNECTOR_NEVER_SCALES_DOWN}"))
        elif resource.resource_type == SQL_INSTANCE and caps[MAX_DATABASE_VCPUS] is not None:
            _check_database(resource, caps[MAX_DATABASE_VCPUS], report)
        elif resource.resource_type == REDIS_INSTANCE and caps[MAX_REDIS_MEMORY_GB] is not None:
            cap = caps[MAX_REDIS_MEMORY_GB]
            memory = optional_number(dig(resource.props, "memorySizeGb"), "memorySizeGb")
            if memory is not None and memory > cap:
                report(resource, problem(where(resource), f"memorySizeGb {fmt(memory)} is "
                                                          f"{_cap(MAX_REDIS_MEMORY_GB, cap)}",
                                         f"set redis.memory_gb to at most {fmt(cap)}, {RAISE_CAP}"))

    if total_cap is not None and total > total_cap:
        report(None, problem("stack", f"services may scale to {' + '.join(terms)} = {fmt(total)} instances, "
                                      f"{_cap(MAX_TOTAL_INSTANCES, total_cap)}",
                             f"lower the services' max_instances by {fmt(total - total_cap)} in total, {RAISE_CAP}"))


def _check_database(resource: Resource, cap: float, report: StackReport) -> None:
    tier = dig(resource.props, "settings", "tier")
    if not isinstance(tier, str):
        return
    if bad := gcp.sql_tier_problem(tier):
        report(resource, problem(where(resource), f"cannot size tier: {bad}", "use a valid tier (database.tier)"))
        return
    vcpus = gcp.sql_tier_shape(tier).vcpus
    if vcpus > cap:
        report(resource, problem(where(resource), f"tier {tier} has {fmt(vcpus)} vCPUs, "
                                                  f"{_cap(MAX_DATABASE_VCPUS, cap)}",
                                 f"use a tier with at most {fmt(cap)} vCPUs (database.tier), {RAISE_CAP}"))
