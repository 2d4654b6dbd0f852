"""GCP hard limits and pool facts, each written once with the page it was read from.

Read by the config models (infra/config.py) and by the policy rules (policies/rules/), so a
limit cannot drift between what the config accepts and what the policies enforce.
Rows marked UNVERIFIED were found only in secondary copies and are used as advisory facts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from policies.redaction import shown

CONNECTOR_DOCS = "https://cloud.google.com/vpc/docs/configure-serverless-vpc-access"
CONNECTOR_SPEC = "https://github.com/GoogleCloudPlatform/magic-modules/blob/main/mmv1/products/vpcaccess/Connector.yaml"
CONNECTOR_SUBNET_DOCS = "https://cloud.google.com/run/docs/configuring/vpc-connectors"
RUN_TIMEOUT_DOCS = "https://cloud.google.com/run/docs/configuring/request-timeout"
RUN_CONCURRENCY_DOCS = "https://cloud.google.com/run/docs/about-concurrency"
RUN_CPU_DOCS = "https://cloud.google.com/run/docs/configuring/services/cpu"
RUN_MEMORY_DOCS = "https://cloud.google.com/run/docs/configuring/services/memory-limits"
RUN_MAX_INSTANCES_DOCS = "https://cloud.google.com/run/docs/configuring/max-instances-limits"
RUN_PROBE_DOCS = "https://cloud.google.com/run/docs/reference/rpc/google.cloud.run.v2#probe"
RUN_TO_SQL_DOCS = "https://cloud.google.com/sql/docs/postgres/connect-run"
SQL_TIER_DOCS = "https://cloud.google.com/sql/docs/postgres/instance-settings"
SQL_FLAGS_DOCS = "https://cloud.google.com/sql/docs/postgres/flags"
SQL_FAQ = "https://cloud.google.com/sql/docs/postgres/faq"
SQL_BACKUP_DOCS = "https://www.pulumi.com/registry/packages/gcp/api-docs/sql/databaseinstance/"
REDIS_TIER_DOCS = "https://cloud.google.com/memorystore/docs/redis/redis-tiers"
REDIS_QUOTA_DOCS = "https://cloud.google.com/memorystore/docs/redis/quotas"
REDIS_REPLICA_DOCS = "https://cloud.google.com/memorystore/docs/redis/read-replicas"
REDIS_SPEC = "https://github.com/GoogleCloudPlatform/magic-modules/blob/main/mmv1/products/redis/Instance.yaml"
SQLALCHEMY_POOL = "https://github.com/sqlalchemy/sqlalchemy/blob/main/lib/sqlalchemy/pool/impl.py"


def fmt(value: float | int | str) -> str:
    """Numbers as a person writes them: 10, not 10.0 (policy inputs arrive as protobuf doubles)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class Range:
    """An inclusive numeric range that GCP (or the pool library) enforces."""

    what: str
    minimum: float
    maximum: float
    source: str
    step: float | None = None  # values must be multiples of step

    def problem(self, value: float) -> str | None:
        """None when value is allowed; otherwise what is wrong, what is allowed and why."""
        if value < self.minimum:
            return f"{fmt(value)} is below {fmt(self.minimum)} ({self.what} is {self.allowed()}, {self.source})"
        if value > self.maximum:
            return f"{fmt(value)} is above {fmt(self.maximum)} ({self.what} is {self.allowed()}, {self.source})"
        if self.step and not math.isclose(value / self.step, round(value / self.step)):
            return (f"{fmt(value)} is not a multiple of {fmt(self.step)} "
                    f"({self.what} is {self.allowed()}, {self.source})")
        return None

    def allowed(self) -> str:
        steps = f" in steps of {fmt(self.step)}" if self.step else ""
        return f"{fmt(self.minimum)} to {fmt(self.maximum)}{steps}"


@dataclass(frozen=True)
class Choice:
    """A closed set of values that GCP accepts."""

    what: str
    values: tuple[str, ...]
    source: str

    def problem(self, value: str) -> str | None:
        if value in self.values:
            return None
        return (f"{shown(value, choices=self.values)} is not one of {', '.join(self.values)} "
                f"({self.what}, {self.source})")


# --- Serverless VPC Access connector ------------------------------------------------------------
CONNECTOR_MIN_INSTANCES = Range("the connector's min_instances range", 2, 9, CONNECTOR_SPEC)
CONNECTOR_MAX_INSTANCES = Range("the connector's max_instances range", 3, 10, CONNECTOR_SPEC)
CONNECTOR_MACHINE_TYPES = Choice("the connector machine types", ("f1-micro", "e2-micro", "e2-standard-4"),
                                 CONNECTOR_SPEC)
CONNECTOR_MIN_THROUGHPUT = Range("the connector's min_throughput (Mbps)", 200, 900, CONNECTOR_SPEC, step=100)
CONNECTOR_MAX_THROUGHPUT = Range("the connector's max_throughput (Mbps)", 300, 1000, CONNECTOR_SPEC, step=100)
CONNECTOR_NAME_MAX_LENGTH = 20  # "under 21 characters"
CONNECTOR_PREFIX_LENGTH = 28  # a dedicated /28 per connector
CONNECTOR_NEVER_SCALES_DOWN = (
    "a connector never scales down; lowering min or max instances replaces the connector "
    f"({CONNECTOR_DOCS})"
)

# --- Cloud Run v2 service -----------------------------------------------------------------------
RUN_TIMEOUT_S = Range("Cloud Run's request timeout (seconds)", 1, 3600, RUN_TIMEOUT_DOCS)
RUN_DEFAULT_TIMEOUT_S = 300
RUN_CONCURRENCY = Range("Cloud Run's concurrency per instance", 1, 1000, RUN_CONCURRENCY_DOCS)
RUN_CPU = Range("Cloud Run's cpu per instance", 0.08, 8, RUN_CPU_DOCS)
RUN_MEMORY_MIB = Range("Cloud Run's memory per instance (MiB, second generation)", 512, 32768, RUN_MEMORY_DOCS)
RUN_MAX_INSTANCES = Range("Cloud Run's max instances per service at the default regional quota",
                          1, 1000, RUN_MAX_INSTANCES_DOCS)
# memory above this many MiB needs at least this many cpu
RUN_MEMORY_NEEDS_CPU: tuple[tuple[int, int], ...] = ((4096, 2), (8192, 4), (16384, 6), (24576, 8))
# this many cpu (or more) needs at least this many MiB
RUN_CPU_NEEDS_MEMORY: tuple[tuple[int, int], ...] = ((4, 2048), (6, 4096))
RUN_STARTUP_INITIAL_DELAY_S = Range("a startup probe's initialDelaySeconds", 0, 240, RUN_PROBE_DOCS)
RUN_LIVENESS_INITIAL_DELAY_S = Range("a liveness probe's initialDelaySeconds", 0, 3600, RUN_PROBE_DOCS)
RUN_STARTUP_PERIOD_S = Range("a startup probe's periodSeconds", 1, 240, RUN_PROBE_DOCS)
RUN_LIVENESS_PERIOD_S = Range("a liveness probe's periodSeconds", 1, 3600, RUN_PROBE_DOCS)
RUN_PROBE_TIMEOUT_S = Range("a probe's timeoutSeconds", 1, 3600, RUN_PROBE_DOCS)
RUN_PROBE_FAILURE_THRESHOLD = Range("a probe's failureThreshold", 1, 1_000_000, RUN_PROBE_DOCS)
RUN_EGRESS = Choice("Cloud Run VPC egress settings", ("ALL_TRAFFIC", "PRIVATE_RANGES_ONLY"),
                    "https://www.pulumi.com/registry/packages/gcp/api-docs/cloudrunv2/service/")
RUN_CONNECTIONS_PER_INSTANCE_TO_SQL = Range("Cloud Run's connections per instance to Cloud SQL",
                                            0, 100, RUN_TO_SQL_DOCS)


def cpu_problem(cpu: float) -> str | None:
    """Cloud Run cpu: 0.08 to 8, and only whole numbers above 1."""
    problem = RUN_CPU.problem(cpu)
    if problem:
        return problem
    if cpu > 1 and not float(cpu).is_integer():
        return f"{fmt(cpu)} is not a whole number (Cloud Run cpu above 1 must be 2, 4, 6 or 8, {RUN_CPU_DOCS})"
    return None


def cpu_memory_problem(cpu: float, memory_mib: int) -> str | None:
    """The cpu and memory pairings Cloud Run refuses."""
    for above_mib, min_cpu in RUN_MEMORY_NEEDS_CPU:
        if memory_mib > above_mib and cpu < min_cpu:
            return (f"memory {memory_mib}Mi needs at least {min_cpu} cpu, not {fmt(cpu)} "
                    f"(Cloud Run: above {above_mib // 1024} GiB needs {min_cpu} cpu, {RUN_MEMORY_DOCS})")
    for min_cpu, min_mib in reversed(RUN_CPU_NEEDS_MEMORY):
        if cpu >= min_cpu and memory_mib < min_mib:
            return (f"cpu {fmt(cpu)} needs at least {min_mib}Mi memory, not {memory_mib}Mi "
                    f"(Cloud Run: {min_cpu} cpu or more needs {min_mib // 1024} GiB, {RUN_MEMORY_DOCS})")
    return None


def parse_memory_mib(text: str) -> int:
    """Cloud Run memory strings ("512Mi", "2Gi", "1G") as MiB; ValueError otherwise."""
    units = {"Mi": 1, "Gi": 1024, "M": 1000 * 1000 / (1024 * 1024), "G": 1000**3 / (1024 * 1024)}
    for suffix in ("Mi", "Gi", "M", "G"):
        if text.endswith(suffix) and text[: -len(suffix)].isdigit():
            return int(int(text[: -len(suffix)]) * units[suffix])
    raise ValueError(f"{shown(text)} is not a memory size such as 512Mi or 2Gi ({RUN_MEMORY_DOCS})")


def parse_duration_s(text: str) -> float:
    """Durations as the Cloud Run v2 API writes them ("300s", "1.5s"); ValueError otherwise."""
    if isinstance(text, str) and text.endswith("s"):
        return float(text[:-1])
    raise ValueError(f"{shown(text)} is not a duration such as 300s")


# --- Cloud SQL for PostgreSQL -------------------------------------------------------------------
SQL_SHARED_TIERS = ("db-f1-micro", "db-g1-small")
SQL_CUSTOM_MAX_VCPU = 96
SQL_CUSTOM_MIN_MIB = 3840
SQL_CUSTOM_MIB_STEP = 256
SQL_CUSTOM_GB_PER_VCPU = (0.9, 6.5)  # memory per vCPU, counted in units of 1024 MiB
SQL_MAX_CONNECTIONS = Range("Cloud SQL's max_connections flag", 14, 262143, SQL_FLAGS_DOCS)
SQL_AVAILABILITY = Choice("Cloud SQL availability types", ("ZONAL", "REGIONAL"), SQL_TIER_DOCS)
SQL_LOG_RETENTION_DAYS = Range("Cloud SQL transaction log retention (days)", 1, 7, SQL_BACKUP_DOCS)


@dataclass(frozen=True)
class SqlTier:
    vcpus: float  # shared-core tiers count as a fraction of a vCPU
    memory_mib: int


def sql_tier_problem(tier: str) -> str | None:
    """None for a tier Cloud SQL accepts; otherwise why not."""
    if tier in SQL_SHARED_TIERS:
        return None
    parts = tier.split("-")
    if len(parts) != 4 or parts[:2] != ["db", "custom"] or not (parts[2].isdigit() and parts[3].isdigit()):
        return (f"{shown(tier)} is not db-f1-micro, db-g1-small or db-custom-<vCPUs>-<MiB> "
                f"(Cloud SQL machine tiers, {SQL_TIER_DOCS})")
    vcpus, mib = int(parts[2]), int(parts[3])
    if vcpus < 1 or vcpus > SQL_CUSTOM_MAX_VCPU or (vcpus != 1 and vcpus % 2):
        return (f"{vcpus} vCPUs is not 1 or an even number up to {SQL_CUSTOM_MAX_VCPU} "
                f"(Cloud SQL custom machine shapes, {SQL_TIER_DOCS})")
    if mib % SQL_CUSTOM_MIB_STEP:
        return (f"{mib} MiB is not a multiple of {SQL_CUSTOM_MIB_STEP} "
                f"(Cloud SQL custom machine shapes, {SQL_TIER_DOCS})")
    if mib < SQL_CUSTOM_MIN_MIB:
        return f"{mib} MiB is below {SQL_CUSTOM_MIN_MIB} MiB (Cloud SQL custom machine shapes, {SQL_TIER_DOCS})"
    low, high = (int(math.ceil(vcpus * gb * 1024)) for gb in SQL_CUSTOM_GB_PER_VCPU)
    if not low <= mib <= high:
        return (f"{mib} MiB for {vcpus} vCPUs is outside {low}-{high} MiB "
                f"(Cloud SQL allows {sql_custom_shapes()}, {SQL_TIER_DOCS})")
    return None


def sql_custom_shapes() -> str:
    """The custom machine shapes Cloud SQL accepts, in words, for messages."""
    low, high = SQL_CUSTOM_GB_PER_VCPU
    return (f"1 or an even number of vCPUs up to {SQL_CUSTOM_MAX_VCPU} and {fmt(low)} to {fmt(high)} GB per vCPU "
            f"in multiples of {SQL_CUSTOM_MIB_STEP} MiB, at least {SQL_CUSTOM_MIN_MIB} MiB")


def sql_tier_shape(tier: str) -> SqlTier:
    """The shape of a tier sql_tier_problem accepts."""
    if tier == "db-f1-micro":
        return SqlTier(0.2, 614)
    if tier == "db-g1-small":
        return SqlTier(0.5, 1740)
    _, _, vcpus, mib = tier.split("-")
    return SqlTier(int(vcpus), int(mib))


# --- Memorystore for Redis ----------------------------------------------------------------------
REDIS_TIERS = Choice("Memorystore tiers", ("BASIC", "STANDARD_HA"), REDIS_SPEC)
REDIS_MEMORY_GB = Range("Memorystore memory (GB)", 1, 300, REDIS_TIER_DOCS)
REDIS_MAX_CLIENTS = 65000
REDIS_CLIENTS_SOURCE = REDIS_QUOTA_DOCS
REDIS_READ_REPLICAS = Range("Memorystore read replicas", 1, 5, REDIS_REPLICA_DOCS)
REDIS_READ_REPLICAS_MIN_GB = 5
REDIS_NAME_PATTERN = r"^[a-z][a-z0-9-]{0,39}[a-z0-9]$"
REDIS_TLS_PORT = 6378
REDIS_PORT = 6379

# --- SQLAlchemy QueuePool -----------------------------------------------------------------------
POOL_DEFAULT_SIZE = 5
POOL_DEFAULT_MAX_OVERFLOW = 10
POOL_DEFAULT_TIMEOUT_S = 30


# --- Facts the policy pack reads beyond the config models (policies/rules/) ---------------------
RUN_MAX_INSTANCES_SETTING_DOCS = "https://cloud.google.com/run/docs/configuring/max-instances"
RUN_HEALTHCHECK_DOCS = "https://cloud.google.com/run/docs/configuring/healthchecks"
RUN_PUBLIC_ACCESS_DOCS = "https://cloud.google.com/run/docs/authenticating/public"
RUN_SECRETS_DOCS = "https://cloud.google.com/run/docs/configuring/services/secrets"
RUN_WEBSOCKETS_DOCS = "https://cloud.google.com/run/docs/triggering/websockets"
SQL_PRIVATE_IP_DOCS = "https://cloud.google.com/sql/docs/postgres/configure-private-ip"
SQL_SSL_DOCS = "https://cloud.google.com/sql/docs/postgres/configure-ssl-instance"
SQL_HA_DOCS = "https://cloud.google.com/sql/docs/postgres/high-availability"
REDIS_AUTH_DOCS = "https://cloud.google.com/memorystore/docs/redis/about-redis-auth"
REDIS_TLS_DOCS = "https://cloud.google.com/memorystore/docs/redis/about-in-transit-encryption"
POSTGRES_CONNECTION_DOCS = "https://www.postgresql.org/docs/current/runtime-config-connection.html"
DOCKER_HEALTHCHECK_DOCS = "https://docs.docker.com/reference/dockerfile/#healthcheck"
DOCKER_PORTS_DOCS = "https://docs.docker.com/engine/network/#published-ports"
DOCKER_DNS_DOCS = "https://docs.docker.com/engine/network/#dns-services"
PULUMI_DEPENDS_ON_DOCS = "https://www.pulumi.com/docs/iac/concepts/options/dependson/"

RUN_DEFAULT_MAX_INSTANCES = 100  # per revision when maxInstanceCount is not set (RUN_MAX_INSTANCES_SETTING_DOCS)
RUN_DEFAULT_CONCURRENCY = 80  # RUN_CONCURRENCY_DOCS
CONNECTOR_DEFAULT_MAX_INSTANCES = 10  # CONNECTOR_SPEC
POSTGRES_DEFAULT_MAX_CONNECTIONS = 100  # "typically 100", POSTGRES_CONNECTION_DOCS
SQL_SSL_MODES_ENCRYPTED = ("ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED")  # SQL_SSL_DOCS
SQL_LOG_RETENTION_UNCHECKED_EDITIONS = ("ENTERPRISE_PLUS",)  # up to 35 days there (SQL_BACKUP_DOCS)


def parse_cpu(value: float | int | str) -> float:
    """Cloud Run cpu limits ("1", "2", "500m", 1.0) as a number of cpus; ValueError otherwise."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return float(text[:-1]) / 1000 if text.endswith("m") else float(text)
        except ValueError:
            pass
    raise ValueError(f"{shown(value)} is not a cpu limit such as 1, 2 or 500m ({RUN_CPU_DOCS})")


# --- Cloud SQL connections by memory ------------------------------------------------------------
# Cloud SQL for PostgreSQL's default max_connections by instance memory. Rows: (memory from, MiB;
# connections). Only the first row, db-f1-micro's 25, is verified (SQL_FAQ); the others are
# UNVERIFIED (secondary copies of the quotas page): the scaler reads them as "what this much memory
# is sized for" and never raises max_connections above it (a person can, with `infra scale set`, up
# to SQL_MAX_CONNECTIONS); no mandatory policy uses them.
SQL_QUOTAS_DOCS = "https://cloud.google.com/sql/docs/postgres/quotas#maximum_concurrent_connections"
SQL_CONNECTIONS_BY_MEMORY_MIB: tuple[tuple[int, int], ...] = (
    (0, 25), (1740, 50), (3840, 100), (6144, 200), (7680, 400), (15360, 500), (30720, 600), (61440, 800),
    (122880, 1000))
SQL_CONNECTIONS_VERIFIED_ROWS = 1


def _connections_row(tier: str) -> int:
    memory = sql_tier_shape(tier).memory_mib
    return max(i for i, (since, _) in enumerate(SQL_CONNECTIONS_BY_MEMORY_MIB) if memory >= since)


def sql_tier_connections(tier: str) -> int:
    """The max_connections default for a tier's memory (SQL_CONNECTIONS_BY_MEMORY_MIB, mostly UNVERIFIED)."""
    return SQL_CONNECTIONS_BY_MEMORY_MIB[_connections_row(tier)][1]


def sql_verified_default_connections(tier: str) -> int | None:
    """A tier's max_connections default when a verified source gives it (a policy may decide on it)."""
    row = _connections_row(tier)
    return SQL_CONNECTIONS_BY_MEMORY_MIB[row][1] if row < SQL_CONNECTIONS_VERIFIED_ROWS else None
