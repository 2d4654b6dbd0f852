"""The golden-path policy pack: every policy, its name, what it checks and its config schema.

Policy names are a contract (policy configs, `infra check` output and waivers use them). The checks
live in policies/rules/; policies/guard.py makes each one fail closed and honour waivers.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Policy, Severity

from policies.contract import CONNECTOR, CONTAINER, REDIS_INSTANCE, RUN_SERVICE, SQL_INSTANCE
from policies.guard import About, resource_policy, stack_policy
from policies.rules import capacity, connections, health, resource_limits, security, timeouts

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

# Each policy is documented in a section of policies/README.md headed with its name (GitHub's anchor of
# the heading `### connection-budget` is #connection-budget). A policy's `url` is relative to the
# repository root: the pack is published without the repository, so it cannot know the repository's
# address; `infra check` resolves it (infra/reports/links.py).
DOCS = "policies/README.md"
SECURITY = "security"  # the tag of policies whose findings are security findings (SARIF security-severity)


def _docs(policy: str) -> str:
    return f"{DOCS}#{policy}"


POLICIES: list[Policy] = [
    resource_policy(VPC_CONNECTOR_LIMITS,
                    "Serverless VPC Access connectors stay within GCP's limits: instance ranges and order, "
                    "machine type, throughput ranges and steps, name length, a dedicated /28.",
                    (CONNECTOR,), resource_limits.check_connector,
                    about=About(Severity.HIGH,
                                "Set network.connector.min_instances and max_instances to values GCP accepts "
                                "(min below max) and machine_type to one it offers; GCP rejects anything else "
                                "at deploy time. Lowering either instance count replaces the connector.",
                                _docs(VPC_CONNECTOR_LIMITS), ("gcp", "gcp-limits", "networking"))),
    resource_policy(CLOUD_RUN_LIMITS,
                    "Cloud Run services stay within GCP's limits: timeout, concurrency, cpu and memory, "
                    "max instances, probe ranges.",
                    (RUN_SERVICE,), resource_limits.check_cloud_run,
                    about=About(Severity.HIGH,
                                "Bring the service's request_timeout_s, concurrency, cpu, memory and "
                                "max_instances under services.<name> within the limits the message cites; "
                                "with cpu below 1, concurrency must be 1.",
                                _docs(CLOUD_RUN_LIMITS), ("gcp", "gcp-limits", "cloud-run"))),
    resource_policy(CLOUD_SQL_LIMITS,
                    "Cloud SQL instances use a tier, custom machine shape and availability type GCP accepts.",
                    (SQL_INSTANCE,), resource_limits.check_cloud_sql,
                    about=About(Severity.HIGH,
                                "Set database.tier to a tier GCP offers (db-custom-<vCPU>-<MiB> with a valid "
                                "shape), database.availability to ZONAL or REGIONAL and database.max_connections "
                                "within the flag's range.",
                                _docs(CLOUD_SQL_LIMITS), ("gcp", "gcp-limits", "cloud-sql"))),
    resource_policy(REDIS_LIMITS,
                    "Memorystore instances stay within GCP's limits: tier, memory, read replicas, name.",
                    (REDIS_INSTANCE,), resource_limits.check_redis,
                    about=About(Severity.HIGH,
                                "Set redis.tier, redis.memory_gb and redis.read_replicas within the limits the "
                                "message cites; read replicas need the STANDARD_HA tier.",
                                _docs(REDIS_LIMITS), ("gcp", "gcp-limits", "redis"))),
    stack_policy(CAPACITY_CAPS,
                 "Instances, connector size, database vCPUs and Redis memory stay under this environment's caps.",
                 capacity.check_capacity, capacity.CONFIG_PROPERTIES,
                 about=About(Severity.MEDIUM,
                             f"Lower the value in the stack file to the environment's cap, {capacity.RAISE_CAP}.",
                             _docs(CAPACITY_CAPS), ("capacity", "cost"))),
    stack_policy(CONNECTION_BUDGET,
                 "The database connections services can open fit the database's max_connections.",
                 connections.check_connection_budget, connections.CONFIG_PROPERTIES,
                 about=About(Severity.CRITICAL,
                             "Make every service's max_instances x (pool size + max_overflow) fit the budget: "
                             "raise database.max_connections (and the tier that allows it), lower the services' "
                             "max_instances, or give services a smaller pool override.",
                             _docs(CONNECTION_BUDGET), ("capacity", "reliability", "cloud-sql"))),
    resource_policy(TIMEOUT_COHERENCE,
                    "Pool, Redis and websocket waits end before the request does; probes time out within "
                    "their period.",
                    (RUN_SERVICE, CONTAINER), timeouts.check_timeouts,
                    about=About(Severity.HIGH,
                                "Lower database.pool.timeout_s (or the service's pool override), redis.timeout_s "
                                "and the websocket timeouts below the service's request_timeout_s, or raise "
                                "request_timeout_s; keep heartbeat_s below connection_timeout_s.",
                                _docs(TIMEOUT_COHERENCE), ("reliability", "timeouts"))),
    stack_policy(SECURITY_BASELINE,
                 "Private, encrypted databases; prod backups, HA and deletion protection; Redis AUTH and TLS "
                 "in prod; public Cloud Run services only when labelled public.",
                 security.check_security_baseline, security.CONFIG_PROPERTIES,
                 about=About(Severity.HIGH,
                             "In prod set database.backups true, database.availability REGIONAL and keep redis.auth "
                             "and redis.tls on; mark a service public only with services.<name>.public: true.",
                             _docs(SECURITY_BASELINE), (SECURITY, "gcp"))),
    stack_policy(NO_PLAINTEXT_SECRETS,
                 "Secrets reach services from Secret Manager (Cloud Run) or a generated password (Docker), "
                 "never as literal environment values.",
                 security.check_plaintext_secrets,
                 about=About(Severity.CRITICAL,
                             "Move the value out of services.<name>.env into Secret Manager and list it under "
                             "services.<name>.secrets by secret id; rotate a secret that was committed.",
                             _docs(NO_PLAINTEXT_SECRETS), (SECURITY, "secrets"))),
    resource_policy(NO_BYPASS_FLAGS,
                    "Bypass and emergency flags are off in prod and expire everywhere else.",
                    (RUN_SERVICE, CONTAINER), security.check_bypass_flags, security.CONFIG_PROPERTIES,
                    about=About(Severity.HIGH,
                                "Remove the flag from services.<name>.env (prod), or give it a <FLAG>_EXPIRY "
                                "date in the future (other environments).",
                                _docs(NO_BYPASS_FLAGS), (SECURITY, "change-management"))),
    stack_policy(HEALTH_CHECKS,
                 "Services have startup and liveness probes (Cloud Run) or a healthcheck and start after "
                 "their database and cache (Docker).",
                 health.check_health,
                 about=About(Severity.MEDIUM,
                             "Give the service a health_path its container answers on; on Docker, let it depend "
                             "on the postgres and redis containers it names.",
                             _docs(HEALTH_CHECKS), ("reliability",))),
    stack_policy(NO_PORT_CONFLICTS,
                 "No two Docker containers publish the same host port.",
                 health.check_port_conflicts,
                 about=About(Severity.MEDIUM,
                             "Give each service of the local stack its own port.",
                             _docs(NO_PORT_CONFLICTS), ("docker", "local"))),
]

POLICY_NAMES = tuple(policy.name for policy in POLICIES)
