"""The stack config: pydantic models of the contract in DESIGN.md, the one place config is parsed.

A stack file is read with `load(path)`; under the Pulumi engine the same model is filled from
`pulumi.Config` with `from_pulumi()`. Bad input raises ConfigError (infra/config_errors.py) whose
lines read `FILE:LINE: dotted.key: what is wrong (what is allowed, why)`.
GCP limits come from policies/limits.py, the table the policies read too; each field's description
and limit is what README.md's config reference shows (infra/config_reference.py).
"""

from __future__ import annotations

import ipaddress
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from infra import config_errors, pulumi_config, stackfile
from infra.config_errors import ConfigError
from infra.naming import NAMESPACE
from infra.pulumi_config import SecretValue
from policies import contract, limits
from policies.redaction import generic_secret_shape, known_secret_shape, shown

PROVIDER_NAMESPACES = ("gcp", "docker", "random")  # provider settings that live beside ours
# The Pulumi CLI's own keys, read by the CLI and never by the program (pulumi/pulumi:
# sdk/go/common/workspace/project.go tags, pkg/resource/deploy/default_providers.go,
# pkg/cmd/pulumi/autonaming/config.go, pkg/cmd/pulumi/project/newcmd/config.go).
PULUMI_KEYS = ("tags", "disable-default-providers", "autonaming", "template")
PROVIDER_KEYS = {"project": "gcp:project", "region": "gcp:region"}  # model fields read from a provider's keys
SECRET_REF = re.compile(r"^[A-Za-z0-9_-]{1,255}(:(latest|[0-9]+))?$")
SERVICE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,28}[a-z0-9]$")
SERVICE_NAME_RULE = "lowercase letters, digits and -, 2-30 characters, starting with a letter"
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
POSTGRES_VERSION = re.compile(r"^POSTGRES_(?P<major>[0-9]+)$")
POSTGRES_MIN_MAJOR = 12  # the oldest PostgreSQL major this project accepts
# How `pulumi config set --path` stores a fraction ("0.75"): Pulumi turns only true/false and whole numbers
# into YAML scalars (sdk/go/common/resource/config/object.go, coerce; pkg/cmd/pulumi/config/config.go).
DECIMAL = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$")


@dataclass(frozen=True)
class Allowed:
    """A setting's limit from policies/limits.py: checked when config loads, and shown with its source in
    README.md's config reference, so the two cannot differ."""

    limit: limits.Range | limits.Choice

    def __call__(self, value: Any) -> Any:
        problem = self.limit.problem(value)
        if problem:
            raise ValueError(problem)
        return value


def within(limit: limits.Range | limits.Choice) -> AfterValidator:
    return AfterValidator(Allowed(limit))


def _text(value: Any) -> str | SecretValue:
    if isinstance(value, str | SecretValue):
        return value
    raise PydanticCustomError("string_type", "Input should be a valid string")


# Text, or a Pulumi secret (`pulumi config set --secret --path ...`): settings the platform hands to a
# resource as they are, so a secret stays one. Dumps keep the SecretValue, which prints as [secret].
Text = Annotated[str | SecretValue, PlainValidator(_text), PlainSerializer(lambda value: value)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _fractions_written_as_text(cls, data: Any) -> Any:
        # `pulumi config set --path golden-path:scaling.scale_up_at 0.75` stores "0.75" (see DECIMAL). The
        # program under the engine is handed the same text, so both read it as the number it means; whole
        # numbers and booleans are never stored as text that way, and stay strict.
        if not isinstance(data, dict):
            return data
        fractions = {name for name, info in cls.model_fields.items() if info.annotation is float}
        return {k: float(v) if k in fractions and isinstance(v, str) and DECIMAL.match(v) else v
                for k, v in data.items()}


class Connector(_Model):
    machine_type: Annotated[str, within(limits.CONNECTOR_MACHINE_TYPES)] = Field(
        "e2-micro", description="machine type of the connector's instances")
    # The defaults are the smallest connector GCP allows.
    min_instances: Annotated[int, within(limits.CONNECTOR_MIN_INSTANCES)] = Field(
        int(limits.CONNECTOR_MIN_INSTANCES.minimum),
        description=f"instances the connector keeps running, below `max_instances`; "
                    f"{limits.CONNECTOR_NEVER_SCALES_DOWN}")
    max_instances: Annotated[int, within(limits.CONNECTOR_MAX_INSTANCES)] = Field(
        int(limits.CONNECTOR_MAX_INSTANCES.minimum),
        description="instances the connector may grow to under load; lowering it replaces the connector too")
    ip_cidr_range: str = Field(
        "10.8.0.0/28", description="the connector's own subnet, used by nothing else",
        json_schema_extra={"allowed": f"a dedicated /{limits.CONNECTOR_PREFIX_LENGTH} range",
                           "source": limits.CONNECTOR_SUBNET_DOCS})

    @field_validator("ip_cidr_range")
    @classmethod
    def _cidr(cls, v: str) -> str:
        try:
            net = ipaddress.ip_network(v)
        except ValueError:
            try:  # an address inside the range rather than the range's own first address
                inside = ipaddress.ip_network(v, strict=False)
            except ValueError:
                raise ValueError(f"{shown(v)} is not a CIDR range such as 10.8.0.0/28") from None
            raise ValueError(f"{v} is an address, not a range's first one; the range is {inside}") from None
        if net.version != 4:
            raise ValueError(f"{v} is an IPv6 range; a connector's range is an IPv4 /{limits.CONNECTOR_PREFIX_LENGTH} "
                             f"such as 10.8.0.0/28 ({limits.CONNECTOR_SUBNET_DOCS})")
        if net.prefixlen != limits.CONNECTOR_PREFIX_LENGTH:
            raise ValueError(f"{v} is a /{net.prefixlen}; a connector needs a dedicated "
                             f"/{limits.CONNECTOR_PREFIX_LENGTH} ({limits.CONNECTOR_SUBNET_DOCS})")
        return v

    @model_validator(mode="after")
    def _order(self) -> Connector:
        if self.min_instances >= self.max_instances:
            raise ValueError(f"min_instances {self.min_instances} must be below max_instances "
                             f"{self.max_instances} ({limits.CONNECTOR_SPEC})")
        return self


class Network(_Model):
    connector: Connector = Field(
        Connector(), description="the Serverless VPC Access connector Cloud Run reaches the database and Redis "
                                 "through (GCP only)")


class Pool(_Model):
    """SQLAlchemy QueuePool settings a service receives as DATABASE_POOL_* variables."""

    size: int = Field(limits.POOL_DEFAULT_SIZE, ge=1, description=f"connections each instance keeps open "
                      f"(SQLAlchemy QueuePool `pool_size`), received as `{contract.DATABASE_POOL_SIZE}`")
    max_overflow: int = Field(limits.POOL_DEFAULT_MAX_OVERFLOW, ge=0, description=f"connections it may open "
                              f"beyond `size` under load, received as `{contract.DATABASE_MAX_OVERFLOW}`")
    timeout_s: int = Field(limits.POOL_DEFAULT_TIMEOUT_S, ge=1, description=f"seconds a request waits for a "
                           f"free connection, received as `{contract.DATABASE_POOL_TIMEOUT}`; keep it below "
                           "every service's `request_timeout_s`")
    recycle_s: int = Field(1800, ge=-1, description=f"seconds before a connection is replaced (-1: never, "
                           f"SQLAlchemy's default), received as `{contract.DATABASE_POOL_RECYCLE}`")


class PoolOverride(_Model):
    size: int | None = Field(None, ge=1, description="this service's `database.pool.size`")
    max_overflow: int | None = Field(None, ge=0, description="this service's `database.pool.max_overflow`")
    timeout_s: int | None = Field(None, ge=1, description="this service's `database.pool.timeout_s`")
    recycle_s: int | None = Field(None, ge=-1, description="this service's `database.pool.recycle_s`")


class Database(_Model):
    version: str = Field("POSTGRES_16", description="Cloud SQL for PostgreSQL version (the Postgres container's "
                         "major on Docker)", json_schema_extra={
                             "allowed": f"`POSTGRES_<major>`, {POSTGRES_MIN_MAJOR} or later",
                             "source": limits.SQL_TIER_DOCS})
    tier: str = Field("db-custom-2-7680", description="Cloud SQL machine tier", json_schema_extra={
        "allowed": f"{', '.join(f'`{tier}`' for tier in limits.SQL_SHARED_TIERS)} or `db-custom-<vCPUs>-<MiB>` "
                   f"with {limits.sql_custom_shapes()}",
        "source": limits.SQL_TIER_DOCS})
    max_connections: Annotated[int, within(limits.SQL_MAX_CONNECTIONS)] = Field(
        limits.POSTGRES_DEFAULT_MAX_CONNECTIONS, description="the `max_connections` database flag; every "
        "service's `max_instances` x (pool `size` + `max_overflow`) must fit in it (policy connection-budget)")
    availability: Literal[limits.SQL_AVAILABILITY.values] = Field(  # type: ignore[valid-type]
        "ZONAL", description="REGIONAL keeps a standby in a second zone (prod requires it)")
    backups: bool = Field(True, description="daily backups and point-in-time recovery (prod requires them)")
    pool: Pool = Field(Pool(), description="the SQLAlchemy QueuePool settings every service receives "
                                           "(`services.<name>.pool` overrides them)")

    @field_validator("version")
    @classmethod
    def _version(cls, v: str) -> str:
        found = POSTGRES_VERSION.match(v)
        if not found or int(found["major"]) < POSTGRES_MIN_MAJOR:
            raise ValueError(f"{shown(v)} is not a Cloud SQL PostgreSQL version such as POSTGRES_16")
        return v

    @field_validator("tier")
    @classmethod
    def _tier(cls, v: str) -> str:
        problem = limits.sql_tier_problem(v)
        if problem:
            raise ValueError(problem)
        return v


class Redis(_Model):
    tier: Literal[limits.REDIS_TIERS.values] = Field(  # type: ignore[valid-type]
        "BASIC", description="STANDARD_HA adds a replica that takes over on failure")
    memory_gb: Annotated[int, within(limits.REDIS_MEMORY_GB)] = Field(
        int(limits.REDIS_MEMORY_GB.minimum), description="Memorystore capacity (on Docker: maxmemory)")
    timeout_s: float = Field(5, gt=0, description=f"client timeout in seconds, received as `{contract.REDIS_TIMEOUT}`")
    auth: bool | None = Field(None, description=f"Redis AUTH, the password received as `{contract.REDIS_AUTH}`; "
                                                "unset: on in prod, off elsewhere")
    tls: bool | None = Field(None, description=f"in-transit encryption (clients then use port "
                                               f"{limits.REDIS_TLS_PORT}); unset: on in prod, off elsewhere")
    read_replicas: int = Field(0, ge=0, description=f"read replicas, which need `tier` STANDARD_HA and "
                               f"`memory_gb` of at least {limits.REDIS_READ_REPLICAS_MIN_GB}", json_schema_extra={
                                   "allowed": f"0, or {limits.REDIS_READ_REPLICAS.allowed()}",
                                   "source": limits.REDIS_REPLICA_DOCS})

    @model_validator(mode="after")
    def _replicas(self) -> Redis:
        if self.read_replicas:
            Allowed(limits.REDIS_READ_REPLICAS)(self.read_replicas)
            if self.tier != "STANDARD_HA" or self.memory_gb < limits.REDIS_READ_REPLICAS_MIN_GB:
                raise ValueError(f"read_replicas need tier STANDARD_HA and memory_gb >= "
                                 f"{limits.REDIS_READ_REPLICAS_MIN_GB} ({limits.REDIS_REPLICA_DOCS})")
        return self


class Websocket(_Model):
    heartbeat_s: int = Field(ge=1, description=f"seconds between pings that keep a socket open, received as "
                                               f"`{contract.WEBSOCKET_HEARTBEAT_TIMEOUT}`")
    connection_timeout_s: int = Field(ge=1, description=f"seconds a socket may stay open, at most "
                                      f"`request_timeout_s`, received as `{contract.WEBSOCKET_CONNECTION_TIMEOUT}`")


class Service(_Model):
    image: str = Field(description="container image reference (no spaces)")
    cpu: Annotated[float, within(limits.RUN_CPU)] = Field(
        1, description="vCPUs per instance: whole numbers above 1; below 1, `concurrency` must be 1")
    memory: str = Field(f"{int(limits.RUN_MEMORY_MIB.minimum)}Mi", description="memory per instance, written like "
                        "`512Mi` or `2Gi`; more memory needs more `cpu`", json_schema_extra={
                            "allowed": f"{limits.RUN_MEMORY_MIB.allowed()} MiB", "source": limits.RUN_MEMORY_DOCS})
    min_instances: int = Field(0, ge=0, description="instances Cloud Run keeps warm, at most `max_instances`")
    max_instances: Annotated[int, within(limits.RUN_MAX_INSTANCES)] = Field(
        10, description="instances Cloud Run may scale to (each opens its own pool)")
    concurrency: Annotated[int, within(limits.RUN_CONCURRENCY)] = Field(
        limits.RUN_DEFAULT_CONCURRENCY, description="requests one instance serves at once (1 when `cpu` is below "
                                                    "1)")
    request_timeout_s: Annotated[int, within(limits.RUN_TIMEOUT_S)] = Field(
        limits.RUN_DEFAULT_TIMEOUT_S, description="seconds Cloud Run lets a request run")
    port: int = Field(8080, ge=1, le=65535, description="port the container listens on")
    health_path: str = Field("/healthz", description="HTTP path of the startup and liveness probes (Docker's "
                             "healthcheck on the local stack)", json_schema_extra={"allowed": "a path: `/...`"})
    env: dict[str, Text] = Field({}, description="plain environment variables; a Pulumi secret here fails policy "
                                 "no-plaintext-secrets on Cloud Run (use `secrets`), and reaches a Docker container "
                                 "as it is")
    secrets: dict[str, str] = Field({}, description="environment variables from Secret Manager, by secret id",
                                    json_schema_extra={"allowed": "a map of NAME: `id` or `id:version`"})
    pool: PoolOverride | None = Field(None, description="this service's own numbers for `database.pool`; unset "
                                                        "keys keep the database's")
    websocket: Websocket | None = Field(None, description="websocket timeouts, for a service that holds sockets "
                                                          "open")
    public: bool = Field(False, description=f"may be invoked by allUsers (labelled `{contract.RUN_PUBLIC_LABEL}`)")

    @field_validator("env", mode="before")
    @classmethod
    def _env_scalars(cls, v: Any) -> Any:
        # YAML writes WORKERS: 4 as a number; the container sees a string either way.
        return {k: _env_text(x) for k, x in v.items()} if isinstance(v, dict) else v

    @field_validator("env", "secrets")
    @classmethod
    def _env_names(cls, v: dict[str, Any]) -> dict[str, Any]:
        for name in v:
            if not ENV_NAME.match(name):
                raise ValueError(f"{shown(name)} is not an environment variable name (letters, digits, _)")
        return v

    @field_validator("secrets")
    @classmethod
    def _secret_refs(cls, v: dict[str, str]) -> dict[str, str]:
        for name, ref in v.items():
            if not SECRET_REF.match(ref):
                raise ValueError(f"{config_errors.key_text(name)}: not a Secret Manager secret id (optionally "
                                 ":version), such as api-stripe-key or api-stripe-key:3; put the value in Secret "
                                 "Manager, never in the stack file")
            # A Stripe key is made of an id's characters too: the secret itself, pasted where its id belongs.
            pasted = known_secret_shape(ref) or generic_secret_shape(ref)
            if pasted:
                raise ValueError(f"{config_errors.key_text(name)}: {pasted} where a Secret Manager secret id "
                                 "belongs; put the value in Secret Manager (and rotate it), never in the stack file")
        return v

    @field_validator("image")
    @classmethod
    def _image(cls, v: str) -> str:
        if not v or any(c.isspace() for c in v):
            raise ValueError(f"{shown(v)} is not a container image reference")
        return v

    @field_validator("cpu")
    @classmethod
    def _cpu(cls, v: float) -> float:
        problem = limits.cpu_problem(v)
        if problem:
            raise ValueError(problem)
        return v

    @field_validator("memory")
    @classmethod
    def _memory(cls, v: str) -> str:
        Allowed(limits.RUN_MEMORY_MIB)(limits.parse_memory_mib(v))
        return v

    @field_validator("health_path")
    @classmethod
    def _health_path(cls, v: str) -> str:
        if not v.startswith("/"):
            raise ValueError(f"{shown(v)} is not a path; it starts with /")
        return v

    @model_validator(mode="after")
    def _combinations(self) -> Service:
        if self.min_instances > self.max_instances:
            raise ValueError(f"min_instances {self.min_instances} is above max_instances {self.max_instances}")
        if self.cpu < 1 and self.concurrency != 1:
            raise ValueError(f"concurrency {self.concurrency} needs cpu >= 1; with cpu {limits.fmt(self.cpu)} "
                             f"Cloud Run allows concurrency 1 ({limits.RUN_CONCURRENCY_DOCS})")
        problem = limits.cpu_memory_problem(self.cpu, limits.parse_memory_mib(self.memory))
        if problem:
            raise ValueError(problem)
        if self.websocket and self.websocket.connection_timeout_s > self.request_timeout_s:
            raise ValueError(f"websocket.connection_timeout_s {self.websocket.connection_timeout_s} is above "
                             f"request_timeout_s {self.request_timeout_s}: Cloud Run closes the socket first")
        return self

    def effective_pool(self, database_pool: Pool) -> Pool:
        """The database pool with this service's overrides applied."""
        if self.pool is None:
            return database_pool
        overrides = {k: v for k, v in self.pool.model_dump().items() if v is not None}
        return database_pool.model_copy(update=overrides)


def _env_text(value: Any) -> Any:
    """An env value written as a number or a boolean, as the container gets it: the text the program under the
    engine has (true, 4, and 1 for 1.0). NaN and infinities stay numbers, to be refused: the Pulumi CLI cannot
    hand them over at all."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float) and math.isfinite(value):
        return str(pulumi_config.as_handed(value))
    return value


# The metrics readers look back this far (Cloud Monitoring queries, infra/metrics/gcp_source.py): a longer
# cooldown could never end within what the scaler sees, and unbounded ones overflow date arithmetic.
METRICS_WINDOW_S = 7 * 24 * 3600
# A raise multiplies by `step`; beyond x100 every raise goes straight to its cap.
MAX_SCALING_STEP = 100


class Scaling(_Model):
    scale_up_at: float = Field(0.7, gt=0, le=1, description="utilisation at which `infra scale auto` raises a "
                                                             "resource")
    scale_down_at: float = Field(0.3, ge=0, lt=1, description="utilisation below which it lowers one, below "
                                                               "`scale_up_at`")
    cooldown_s: int = Field(300, ge=0, le=METRICS_WINDOW_S,
                            description="seconds after a change before the same resource changes again")
    step: float = Field(2, gt=1, le=MAX_SCALING_STEP,
                        description="factor a raise multiplies by (and a lowering divides by)")
    last_scaled: dict[str, str] = Field({}, description="written by `infra scale auto`: resource -> ISO 8601 "
                                                        "time of its last change")

    @model_validator(mode="after")
    def _order(self) -> Scaling:
        if self.scale_down_at >= self.scale_up_at:
            raise ValueError(f"scale_down_at {self.scale_down_at} must be below scale_up_at {self.scale_up_at}")
        return self


class Monitoring(_Model):
    enabled: bool = Field(True, description="capacity alerts on Cloud Monitoring (GCP only)")
    notification_email: Text | None = Field(None, description="address the alerts are sent to")
    alert_at: float = Field(0.8, gt=0, le=1, description="utilisation of connections and instances that raises "
                                                         "an alert")


class StackConfig(_Model):
    stack: str = Field(description="the stack's name, from the file name Pulumi.<stack>.yaml")
    environment: Literal["local", "staging", "prod"] = Field(
        description="prod turns on the prod-only rules (Redis AUTH and TLS, deletion protection, REGIONAL, "
                    "backups)")
    target: Literal["gcp", "docker"] = Field(description="docker for local, gcp for staging and prod")
    project: str | None = Field(None, description="Google Cloud project; required for target gcp")
    region: str | None = Field(None, description="Google Cloud region; required for target gcp")
    network: Network = Field(Network(), description="the private network's connector")
    database: Database = Field(Database(), description="Cloud SQL for PostgreSQL (a Postgres container on Docker)")
    redis: Redis = Field(Redis(), description="Memorystore for Redis (a Redis container on Docker)")
    services: dict[str, Service] = Field({}, description="the services, by name: Cloud Run services (containers "
                                                         "on Docker)", json_schema_extra={"allowed": SERVICE_NAME_RULE})
    scaling: Scaling = Field(Scaling(), description="the scaler's thresholds")
    monitoring: Monitoring = Field(Monitoring(), description="capacity alerts")

    @field_validator("services")
    @classmethod
    def _service_names(cls, v: dict[str, Service]) -> dict[str, Service]:
        for name in v:
            if not isinstance(name, str):  # `null:`, `123:` or `true:` as a key: YAML made it no name
                raise ValueError(f"a service is named {shown(name)}, not a name; write a name such as api "
                                 f"({SERVICE_NAME_RULE})")
            if not SERVICE_NAME.match(name):
                raise ValueError(f"{shown(name)} is not a service name ({SERVICE_NAME_RULE})")
        return v

    @model_validator(mode="after")
    def _target(self) -> StackConfig:
        if self.target == "gcp" and not (self.project and self.region):
            raise ValueError("target gcp needs gcp:project and gcp:region in the stack file")
        if (self.environment == "local") != (self.target == "docker"):
            raise ValueError(f"environment {self.environment} with target {self.target}: "
                             "local runs on docker, staging and prod on gcp")
        return self

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @property
    def redis_auth(self) -> bool:
        return self.is_prod if self.redis.auth is None else self.redis.auth

    @property
    def redis_tls(self) -> bool:
        return self.is_prod if self.redis.tls is None else self.redis.tls

    def pool_for(self, service: str) -> Pool:
        return self.services[service].effective_pool(self.database.pool)


# Keys of StackConfig that come from the golden-path namespace (the rest from provider namespaces).
CONFIG_KEYS = tuple(k for k in StackConfig.model_fields if k != "stack" and k not in PROVIDER_KEYS)


def stack_key(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """A model location as the key path of the stack file: ("services", "api") -> ("golden-path:services", "api")."""
    if not loc:
        return loc
    head, *rest = loc
    return (PROVIDER_KEYS.get(head, f"{NAMESPACE}:{head}"), *rest)


def _raw_from_config_map(config: dict[Any, Any], stack: str) -> tuple[dict[str, Any], list[tuple[Any, str]]]:
    """Split a namespaced config map into model input, plus (key, problem) found on the way."""
    raw: dict[str, Any] = {"stack": stack}
    problems: list[tuple[Any, str]] = []
    provider_fields = {key: field for field, key in PROVIDER_KEYS.items()}
    for key, value in config.items():
        namespace, _, name = str(key).partition(":")
        if not isinstance(key, str):  # the Pulumi CLI refuses it too: its config keys are text
            problems.append((key, f"is not a name; a config key is text such as {NAMESPACE}:environment "
                                  "(YAML reads null, numbers and true/false as values, not names)"))
        elif not name:
            problems.append((key, f"config keys are namespaced; write it as {NAMESPACE}:{config_errors.key_text(key)}"))
        elif namespace == NAMESPACE:
            if name in CONFIG_KEYS:
                raw[name] = value
            else:
                problems.append((key, config_errors.unknown_key(name, CONFIG_KEYS, prefix=f"{NAMESPACE}:")))
        elif key in provider_fields:
            raw[provider_fields[key]] = value
        elif namespace == "pulumi":
            if name not in PULUMI_KEYS:
                problems.append((key, config_errors.unknown_key(name, PULUMI_KEYS, prefix="pulumi:")
                                 + " (the keys the Pulumi CLI reads in its own namespace)"))
        elif namespace not in PROVIDER_NAMESPACES:
            problems.append((key, f"unknown namespace {shown(namespace)}; this project reads "
                                  f"{NAMESPACE}:, pulumi: and the providers' {', '.join(PROVIDER_NAMESPACES)}"))
    return raw, problems


def _validate(config: dict[str, Any], stack: str, where: str, sf: stackfile.StackFile | None) -> StackConfig:
    """Build the model; every problem, key or value, becomes one FILE:LINE: key: message line (the stack file,
    where there is one, gives the lines and the keys as written)."""
    raw, key_problems = _raw_from_config_map(config, stack)
    problems = [config_errors.problem_line(where, sf.line_of(key) if sf else None,
                                           config_errors.key_text(key, sf.written(key) if sf else None), message)
                for key, message in key_problems]
    try:
        cfg = StackConfig.model_validate(raw)
    except ValidationError as exc:
        problems.extend(config_errors.validation_problems(exc, StackConfig, where, stack_key,
                                                          sf.line_of if sf else None, sf.written if sf else None))
        cfg = None
    if problems:
        raise ConfigError(problems)
    assert cfg is not None
    return cfg


def read_stack_file(path: Path, text: str | None = None) -> stackfile.StackFile:
    """The parsed file; a missing file, a bad name or malformed YAML is a ConfigError."""
    try:
        stackfile.stack_name(path)
        return stackfile.read(path, text)
    except stackfile.StackFileError as exc:
        raise ConfigError([str(exc)]) from None


def from_stack_file(sf: stackfile.StackFile) -> StackConfig:
    """The model of a parsed stack file; its secure values are secrets never decrypted."""
    return _validate(pulumi_config.undecrypted(sf.config), sf.stack, str(sf.path), sf)


def load(path: Path, text: str | None = None) -> StackConfig:
    """The config of a Pulumi.<stack>.yaml file (or of text meant for it)."""
    return from_stack_file(read_stack_file(path, text))


def from_pulumi() -> StackConfig:
    """The same model, under the Pulumi engine, from the stack's config as the CLI hands it to the program.

    The stack file in the project root (where the CLI keeps it; infra.offline sets the root to the stack
    file's folder) gives the lines of errors and where the secure values sit.
    """
    import pulumi
    from pulumi.runtime import config as runtime_config

    stack = pulumi.get_stack()
    path = Path(pulumi.get_root_directory() or ".") / f"Pulumi.{stack}.yaml"
    sf = stackfile.read(path) if path.is_file() else None
    keys = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    given = {key: runtime_config.get_config(key) for key in keys}
    secret = {key for key in keys if runtime_config.is_config_secret(key)}
    config = pulumi_config.from_pulumi_config(given, secret, sf.config if sf else {})
    return _validate(config, stack, _shown(path), sf)


def _shown(path: Path) -> str:
    """A path as messages show it: relative to the working directory when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
