"""The stack config: pydantic models of the contract in DESIGN.md, the one place config is parsed.

A stack file is read with `load(path)`; under the Pulumi engine the same model is filled from
`pulumi.Config` with `from_pulumi()`. Bad input raises ConfigError whose lines read
`FILE:LINE: dotted.key: what is wrong (what is allowed, why)`.
GCP limits come from policies/limits.py, the table the policies read too.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from infra import stackfile
from policies import limits

NAMESPACE = "golden-path"
PROVIDER_NAMESPACES = ("gcp", "docker", "random")  # provider settings that live beside ours
SECRET_REF = re.compile(r"^[A-Za-z0-9_-]{1,255}(:(latest|[0-9]+))?$")
SERVICE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,28}[a-z0-9]$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ConfigError(Exception):
    """Bad stack config; `problems` holds one line per problem, each naming file, line and key."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _limit(check: limits.Range | limits.Choice, value: Any) -> Any:
    problem = check.problem(value)
    if problem:
        raise ValueError(problem)
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Connector(_Model):
    machine_type: str = "e2-micro"
    min_instances: int = 2
    max_instances: int = 3
    ip_cidr_range: str = "10.8.0.0/28"

    @field_validator("machine_type")
    @classmethod
    def _machine_type(cls, v: str) -> str:
        return _limit(limits.CONNECTOR_MACHINE_TYPES, v)

    @field_validator("min_instances")
    @classmethod
    def _min(cls, v: int) -> int:
        return _limit(limits.CONNECTOR_MIN_INSTANCES, v)

    @field_validator("max_instances")
    @classmethod
    def _max(cls, v: int) -> int:
        return _limit(limits.CONNECTOR_MAX_INSTANCES, v)

    @field_validator("ip_cidr_range")
    @classmethod
    def _cidr(cls, v: str) -> str:
        try:
            net = ipaddress.ip_network(v)
        except ValueError:
            raise ValueError(f"{v!r} is not a CIDR range such as 10.8.0.0/28") from None
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
    connector: Connector = Connector()


class Pool(_Model):
    """SQLAlchemy QueuePool settings a service receives as DATABASE_POOL_* variables."""

    size: int = Field(limits.POOL_DEFAULT_SIZE, ge=1)
    max_overflow: int = Field(limits.POOL_DEFAULT_MAX_OVERFLOW, ge=0)
    timeout_s: int = Field(limits.POOL_DEFAULT_TIMEOUT_S, ge=1)
    recycle_s: int = Field(1800, ge=-1)  # -1: never recycle (SQLAlchemy's default)

    @property
    def connections(self) -> int:
        """Connections one process can hold at once: pool_size + max_overflow."""
        return self.size + self.max_overflow


class PoolOverride(_Model):
    size: int | None = Field(None, ge=1)
    max_overflow: int | None = Field(None, ge=0)
    timeout_s: int | None = Field(None, ge=1)
    recycle_s: int | None = Field(None, ge=-1)


class Database(_Model):
    version: str = "POSTGRES_16"
    tier: str = "db-custom-2-7680"
    max_connections: int = 100
    availability: Literal["ZONAL", "REGIONAL"] = "ZONAL"
    backups: bool = True
    pool: Pool = Pool()

    @field_validator("version")
    @classmethod
    def _version(cls, v: str) -> str:
        if not re.fullmatch(r"POSTGRES_(1[2-9]|[2-9][0-9])", v):
            raise ValueError(f"{v!r} is not a Cloud SQL PostgreSQL version such as POSTGRES_16")
        return v

    @field_validator("tier")
    @classmethod
    def _tier(cls, v: str) -> str:
        problem = limits.sql_tier_problem(v)
        if problem:
            raise ValueError(problem)
        return v

    @field_validator("max_connections")
    @classmethod
    def _max_connections(cls, v: int) -> int:
        return _limit(limits.SQL_MAX_CONNECTIONS, v)


class Redis(_Model):
    tier: Literal["BASIC", "STANDARD_HA"] = "BASIC"
    memory_gb: int = 1
    timeout_s: float = Field(5, gt=0)
    auth: bool | None = None  # None: on in prod, off elsewhere
    tls: bool | None = None  # None: on in prod, off elsewhere
    read_replicas: int = Field(0, ge=0)

    @field_validator("memory_gb")
    @classmethod
    def _memory(cls, v: int) -> int:
        return _limit(limits.REDIS_MEMORY_GB, v)

    @model_validator(mode="after")
    def _replicas(self) -> Redis:
        if self.read_replicas:
            _limit(limits.REDIS_READ_REPLICAS, self.read_replicas)
            if self.tier != "STANDARD_HA" or self.memory_gb < limits.REDIS_READ_REPLICAS_MIN_GB:
                raise ValueError(f"read_replicas need tier STANDARD_HA and memory_gb >= "
                                 f"{limits.REDIS_READ_REPLICAS_MIN_GB} ({limits.REDIS_REPLICA_DOCS})")
        return self


class Websocket(_Model):
    heartbeat_s: int = Field(ge=1)
    connection_timeout_s: int = Field(ge=1)


class Service(_Model):
    image: str
    cpu: float = 1
    memory: str = "512Mi"
    min_instances: int = Field(0, ge=0)
    max_instances: int = 10
    concurrency: int = 80
    request_timeout_s: int = limits.RUN_DEFAULT_TIMEOUT_S
    port: int = Field(8080, ge=1, le=65535)
    health_path: str = "/healthz"
    env: dict[str, str] = {}
    secrets: dict[str, str] = {}  # variable name -> Secret Manager secret id, optionally :version
    pool: PoolOverride | None = None
    websocket: Websocket | None = None
    public: bool = False  # may be invoked by allUsers

    @field_validator("env", mode="before")
    @classmethod
    def _env_scalars(cls, v: Any) -> Any:
        # YAML writes WORKERS: 4 as a number; the container sees a string either way.
        if isinstance(v, dict):
            return {k: (str(x).lower() if isinstance(x, bool) else str(x))
                    if isinstance(x, int | float) else x for k, x in v.items()}
        return v

    @field_validator("env", "secrets")
    @classmethod
    def _env_names(cls, v: dict[str, str]) -> dict[str, str]:
        for name in v:
            if not ENV_NAME.match(name):
                raise ValueError(f"{name!r} is not an environment variable name (letters, digits, _)")
        return v

    @field_validator("secrets")
    @classmethod
    def _secret_refs(cls, v: dict[str, str]) -> dict[str, str]:
        for name, ref in v.items():
            if not SECRET_REF.match(ref):
                raise ValueError(f"{name}: not a Secret Manager secret id (optionally :version), such as "
                                 "api-stripe-key or api-stripe-key:3; put the value in Secret Manager, "
                                 "never in the stack file")
        return v

    @field_validator("image")
    @classmethod
    def _image(cls, v: str) -> str:
        if not v or any(c.isspace() for c in v):
            raise ValueError(f"{v!r} is not a container image reference")
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
        _limit(limits.RUN_MEMORY_MIB, limits.parse_memory_mib(v))
        return v

    @field_validator("max_instances")
    @classmethod
    def _max_instances(cls, v: int) -> int:
        return _limit(limits.RUN_MAX_INSTANCES, v)

    @field_validator("concurrency")
    @classmethod
    def _concurrency(cls, v: int) -> int:
        return _limit(limits.RUN_CONCURRENCY, v)

    @field_validator("request_timeout_s")
    @classmethod
    def _timeout(cls, v: int) -> int:
        return _limit(limits.RUN_TIMEOUT_S, v)

    @field_validator("health_path")
    @classmethod
    def _health_path(cls, v: str) -> str:
        if not v.startswith("/"):
            raise ValueError(f"{v!r} is not a path; write it as /{v}")
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


class Scaling(_Model):
    scale_up_at: float = Field(0.7, gt=0, le=1)
    scale_down_at: float = Field(0.3, ge=0, lt=1)
    cooldown_s: int = Field(300, ge=0)
    step: float = Field(2, gt=1)
    # resource -> ISO 8601 time of its last scaling change, written by `infra scale auto`
    last_scaled: dict[str, str] = {}

    @model_validator(mode="after")
    def _order(self) -> Scaling:
        if self.scale_down_at >= self.scale_up_at:
            raise ValueError(f"scale_down_at {self.scale_down_at} must be below scale_up_at {self.scale_up_at}")
        return self


class Monitoring(_Model):
    enabled: bool = True
    notification_email: str | None = None
    alert_at: float = Field(0.8, gt=0, le=1)  # utilisation that raises an alert


class StackConfig(_Model):
    stack: str
    environment: Literal["local", "staging", "prod"]
    target: Literal["gcp", "docker"]
    project: str | None = None  # gcp:project
    region: str | None = None  # gcp:region
    network: Network = Network()
    database: Database = Database()
    redis: Redis = Redis()
    services: dict[str, Service] = {}
    scaling: Scaling = Scaling()
    monitoring: Monitoring = Monitoring()

    @field_validator("services")
    @classmethod
    def _service_names(cls, v: dict[str, Service]) -> dict[str, Service]:
        for name in v:
            if not SERVICE_NAME.match(name):
                raise ValueError(f"{name!r} is not a service name (lowercase letters, digits and -, "
                                 "2-30 characters, starting with a letter)")
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
CONFIG_KEYS = tuple(k for k in StackConfig.model_fields if k not in ("stack", "project", "region"))


def _raw_from_config_map(config: dict[str, Any], stack: str) -> tuple[dict[str, Any], list[tuple[tuple, str]]]:
    """Split a namespaced config map into model input, plus key problems found on the way."""
    raw: dict[str, Any] = {"stack": stack}
    problems: list[tuple[tuple, str]] = []
    for key, value in config.items():
        namespace, _, name = str(key).partition(":")
        if not name:
            problems.append(((key,), f"config keys are namespaced; write it as {NAMESPACE}:{key}"))
        elif namespace == NAMESPACE:
            if name in CONFIG_KEYS:
                raw[name] = value
            else:
                problems.append(((key,), _unknown(name, CONFIG_KEYS, prefix=f"{NAMESPACE}:")))
        elif namespace == "gcp" and name in ("project", "region"):
            raw[name] = value
        elif namespace not in PROVIDER_NAMESPACES:
            problems.append(((key,), f"unknown namespace {namespace!r}; this project reads "
                             f"{NAMESPACE}: and the providers' {', '.join(PROVIDER_NAMESPACES)}"))
    return raw, problems


def _unknown(name: str, valid: tuple[str, ...] | list[str], prefix: str = "") -> str:
    near = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    hint = f"did you mean {prefix}{near[0]}?" if near else f"valid keys: {', '.join(sorted(valid))}"
    return f"unknown key; {hint}"


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The model a validation error location points into (for suggesting valid keys)."""
    model: Any = StackConfig
    for part in loc[:-1]:
        if model is None:
            return None
        field = model.model_fields.get(part) if isinstance(part, str) and hasattr(model, "model_fields") else None
        if field is None:
            if model is dict and isinstance(part, str):
                continue
            return None
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        if annotation is not None and getattr(annotation, "__origin__", None) is dict:
            model = args[1]
            continue
        candidates = [a for a in (annotation, *args) if isinstance(a, type) and issubclass(a, BaseModel)]
        model = candidates[0] if candidates else None
        # dict[str, Service]: the next part is a map key, then fields of Service
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _describe(error: dict[str, Any]) -> str:
    kind, value = error["type"], error.get("input")
    shown = repr(value) if isinstance(value, str) else json.dumps(value, default=str)
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        model = _model_at(error["loc"])
        return _unknown(str(error["loc"][-1]), list(model.model_fields) if model else [])
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{shown} is not a whole number"
    if kind in ("float_type", "float_parsing"):
        return f"{shown} is not a number"
    if kind in ("bool_type", "bool_parsing"):
        return f"{shown} is not true or false"
    if kind == "string_type":
        return f"{shown} is not a string; quote it"
    if kind == "literal_error":
        return f"{shown} is not one of {error['ctx']['expected']}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"{shown} is not a mapping of keys"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        words = {"greater_than_equal": "at least", "greater_than": "above",
                 "less_than_equal": "at most", "less_than": "below"}[kind]
        bound = next(iter(error["ctx"].values()))
        return f"{shown} is out of range; it must be {words} {limits.fmt(bound)}"
    return error["msg"]


def _format(where: str, line_of, loc: tuple, message: str) -> str:
    line = line_of(*loc) if line_of else None
    dotted = ".".join(str(p) for p in loc if p != "__root__")
    location = f"{where}:{line}" if line else where
    return f"{location}: {dotted}: {message}" if dotted else f"{location}: {message}"


def _validate(raw: dict[str, Any], key_problems: list[tuple[tuple, str]], where: str, line_of) -> StackConfig:
    """Build the model; every problem, key or value, becomes one FILE:LINE: key: message line."""
    problems = [_format(where, line_of, loc, message) for loc, message in key_problems]

    def config_line(*loc: Any) -> int | None:
        if not line_of or not loc:
            return None
        head = loc[0]
        key = f"gcp:{head}" if head in ("project", "region") else f"{NAMESPACE}:{head}"
        return line_of(key, *loc[1:])

    try:
        cfg = StackConfig.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(p for p in error["loc"] if p != "stack")
            problems.append(_format(where, config_line if line_of else None, loc, _describe(error)))
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
    raw, key_problems = _raw_from_config_map(sf.config, sf.stack)
    return _validate(raw, key_problems, str(sf.path), sf.line_of)


def load(path: Path, text: str | None = None) -> StackConfig:
    """The config of a Pulumi.<stack>.yaml file (or of text meant for it)."""
    return from_stack_file(read_stack_file(path, text))


def from_pulumi() -> StackConfig:
    """The same model, under the Pulumi engine, from the stack's config as the CLI passes it."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    stack = pulumi.get_stack()
    keys = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    values: dict[str, Any] = {}
    for key in keys:
        value = runtime_config.get_config(key)
        if isinstance(value, str) and value[:1] in ("{", "["):
            value = json.loads(value)  # structured config arrives JSON-encoded
        elif isinstance(value, str) and key.startswith(f"{NAMESPACE}:"):
            value = _scalar(value)
        values[key] = value
    raw, key_problems = _raw_from_config_map(values, stack)
    stack_path = Path(f"Pulumi.{stack}.yaml")
    line_of = stackfile.read(stack_path).line_of if stack_path.is_file() else None
    return _validate(raw, key_problems, str(stack_path), line_of)


def _scalar(text: str) -> Any:
    """Top-level scalars reach the program as strings; give them the type YAML gave them."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def to_pulumi_config(cfg_map: dict[str, Any]) -> dict[str, str]:
    """A stack file's config map as the CLI hands it to a program: structured values JSON-encoded."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in cfg_map.items()}
