"""The golden-path policy pack: every policy, its name, what it checks and its config schema.

Policy names are a contract (policy configs, `infra check` output and waivers use them). The checks
live in policies/rules/; policies/guard.py makes each one fail closed and honour waivers.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Policy

from policies.guard import resource_policy, stack_policy
from policies.rules import capacity, connections, health, resource_limits, security, timeouts
from policies.rules.resources import CONNECTOR, CONTAINER, REDIS_INSTANCE, RUN_SERVICE, SQL_INSTANCE

PACK_NAME = "golden-path"
DEFAULT_ENFORCEMENT = EnforcementLevel.MANDATORY  # what a policy not named in the config gets

# Policy names are a contract: policy configs, waivers and reports use them.
VPC_CONNECTOR_LIMITS = "vpc-connector-limits"
CLOUD_RUN_LIMITS = "cloud-run-limits"
CLOUD_SQL_LIMITS = "cloud-sql-limits"
REDIS_LIMITS = "redis-limits"
CAPACITY_CAPS = "capacity-caps"
CONNECTION_BUDGET = "connection-budget"
TIMEOUT_COHERENCE = "timeout-coherence"
SECURITY_BASELINE = "security-baseline"
NO_PLAINTEXT_SECRETS = "no-plaintext-secrets"
NO_BYPASS_FLAGS = "no-bypass-flags"
HEALTH_CHECKS = "health-checks"
NO_PORT_CONFLICTS = "no-port-conflicts"

POLICIES: list[Policy] = [
    resource_policy(VPC_CONNECTOR_LIMITS,
                    "Serverless VPC Access connectors stay within GCP's limits: instance ranges and order, "
                    "machine type, throughput ranges and steps, name length, a dedicated /28.",
                    (CONNECTOR,), resource_limits.check_connector),
    resource_policy(CLOUD_RUN_LIMITS,
                    "Cloud Run services stay within GCP's limits: timeout, concurrency, cpu and memory, "
                    "max instances, probe ranges.",
                    (RUN_SERVICE,), resource_limits.check_cloud_run),
    resource_policy(CLOUD_SQL_LIMITS,
                    "Cloud SQL instances use a tier, custom machine shape and availability type GCP accepts.",
                    (SQL_INSTANCE,), resource_limits.check_cloud_sql),
    resource_policy(REDIS_LIMITS,
                    "Memorystore instances stay within GCP's limits: tier, memory, read replicas, name.",
                    (REDIS_INSTANCE,), resource_limits.check_redis),
    stack_policy(CAPACITY_CAPS,
                 "Instances, connector size, database vCPUs and Redis memory stay under this environment's caps.",
                 capacity.check_capacity, capacity.CONFIG_PROPERTIES),
    stack_policy(CONNECTION_BUDGET,
                 "The database connections services can open fit the database's max_connections.",
                 connections.check_connection_budget, connections.CONFIG_PROPERTIES),
    resource_policy(TIMEOUT_COHERENCE,
                    "Pool, Redis and websocket waits end before the request does; probes time out within "
                    "their period.",
                    (RUN_SERVICE, CONTAINER), timeouts.check_timeouts),
    stack_policy(SECURITY_BASELINE,
                 "Private, encrypted databases; prod backups, HA and deletion protection; Redis AUTH and TLS "
                 "in prod; public Cloud Run services only when labelled public.",
                 security.check_security_baseline, security.CONFIG_PROPERTIES),
    stack_policy(NO_PLAINTEXT_SECRETS,
                 "Secrets reach services from Secret Manager (Cloud Run) or a generated password (Docker), "
                 "never as literal environment values.",
                 security.check_plaintext_secrets),
    resource_policy(NO_BYPASS_FLAGS,
                    "Bypass and emergency flags are off in prod and expire everywhere else.",
                    (RUN_SERVICE, CONTAINER), security.check_bypass_flags, security.CONFIG_PROPERTIES),
    stack_policy(HEALTH_CHECKS,
                 "Services have startup and liveness probes (Cloud Run) or a healthcheck and start after "
                 "their database and cache (Docker).",
                 health.check_health),
    stack_policy(NO_PORT_CONFLICTS,
                 "No two Docker containers publish the same host port.",
                 health.check_port_conflicts),
]

POLICY_NAMES = tuple(policy.name for policy in POLICIES)
