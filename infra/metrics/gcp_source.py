"""Metric samples from Cloud Monitoring: MetricService.ListTimeSeries over the last 7 days.

The platform names its GCP resources after the stack (infra.naming), and that is how a stack's series
are found: Cloud Run services are <prefix>-<service> (infra.naming.service_name), the Cloud SQL
instance is <prefix>-<anything>, the Redis instance and the VPC connector have their own names
(naming.redis_name, naming.connector_name). <prefix> is naming.name_prefix: gp-eu-prod for stack
eu.Prod. Each metric is aligned to its maximum per 5 minutes (capacity runs out at peaks, not on
average) and reduced to one series per instance.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

with warnings.catch_warnings():
    # google-api-core warns on import about Python versions nearing end of life: not the user's concern.
    warnings.simplefilter("ignore", FutureWarning)
    from google.api_core import exceptions as api_exceptions
    from google.auth import exceptions as auth_exceptions
    from google.cloud import monitoring_v3

from components.gcp import metric_types
from components.gcp.metric_types import MetricType
from infra import naming
from infra.config import METRICS_WINDOW_S, StackConfig
from infra.metrics.samples import (
    CLIENTS,
    CONNECTIONS,
    CONNECTOR,
    CPU_RATIO,
    DATABASE,
    INSTANCES,
    MEMORY_RATIO,
    REDIS,
    SERVICES,
    MetricsError,
    Sample,
    iso,
    service_resource,
    value_problem,
)
from policies import bounded_json
from policies.redaction import shown
from policies.regular_file import UnreadableFile, read_regular_file

WINDOW = timedelta(seconds=METRICS_WINDOW_S)
ALIGNMENT_S = 300
TIMEOUT_S = 60.0
PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
CREDENTIALS_VARIABLE = "GOOGLE_APPLICATION_CREDENTIALS"
CREDENTIALS_FIX = (f"set {CREDENTIALS_VARIABLE} to a service-account key file, or unset it and run "
                   "`gcloud auth application-default login`")
# A service-account key is about 2.4 KB, other credential configs a few KB: past 1 MB it is no credentials file.
MAX_CREDENTIALS_FILE_BYTES = 1024 * 1024
# Credential configs nest 3 levels (an external account's credential_source.format); 8 leaves room and keeps
# json.loads far from its recursion limit.
MAX_CREDENTIALS_DEPTH = 8

Aligner = monitoring_v3.Aggregation.Aligner
Reducer = monitoring_v3.Aggregation.Reducer


@dataclass(frozen=True)
class Query:
    """One Cloud Monitoring metric and the sample series it becomes."""

    resource: str  # our resource id; SERVICES stands for services.<name>, one per Cloud Run service
    metric: str  # our metric name
    metric_type: MetricType  # metric.type and resource.type
    label: str  # the resource label naming the instance; series are grouped by it
    aligner: Aligner
    reducer: Reducer  # how series within one instance combine


QUERIES = (
    # Every instance, active or idle, of every revision counts against max_instances.
    Query(SERVICES, INSTANCES, metric_types.RUN_INSTANCES, "service_name", Aligner.ALIGN_MAX, Reducer.REDUCE_SUM),
    # Backends are reported per database; max_connections caps their sum.
    Query(DATABASE, CONNECTIONS, metric_types.SQL_BACKENDS, "database_id", Aligner.ALIGN_MAX, Reducer.REDUCE_SUM),
    # Reported per node; maxclients and maxmemory apply to each node, so the fullest one counts.
    Query(REDIS, CLIENTS, metric_types.REDIS_CLIENTS, "instance_id", Aligner.ALIGN_MAX, Reducer.REDUCE_MAX),
    Query(REDIS, MEMORY_RATIO, metric_types.REDIS_MEMORY_RATIO, "instance_id", Aligner.ALIGN_MAX,
          Reducer.REDUCE_MAX),
    Query(CONNECTOR, INSTANCES, metric_types.CONNECTOR_INSTANCES, "connector_name", Aligner.ALIGN_MAX,
          Reducer.REDUCE_SUM),
    # A distribution of per-instance CPU use; its 99th percentile is the busiest instance.
    Query(CONNECTOR, CPU_RATIO, metric_types.CONNECTOR_CPU, "connector_name", Aligner.ALIGN_PERCENTILE_99,
          Reducer.REDUCE_MAX),
)


def time_series_filter(query: Query, project: str, stack: str) -> str:
    """The ListTimeSeries filter for one query: its metric, on this stack's resources only."""
    prefix = f"{naming.name_prefix(stack)}-"
    if query.resource == SERVICES:  # one series per service; _resource_of keeps the configured ones
        match = f'starts_with("{prefix}")'
    elif query.resource == DATABASE:  # "<project>:<instance>"
        match = f'starts_with("{project}:{prefix}")'
    elif query.resource == REDIS:  # "projects/<p>/locations/<r>/instances/<instance>", or the bare name;
        # names hold only [a-z0-9-] (infra.naming): nothing to escape in the regex
        match = f'monitoring.regex.full_match("(projects/[^/]+/locations/[^/]+/instances/)?{naming.redis_name(stack)}")'
    else:
        match = f'"{naming.connector_name(stack)}"'
    return f"{query.metric_type.filter()} AND resource.labels.{query.label} = {match}"


def request(query: Query, project: str, stack: str, now: datetime) -> monitoring_v3.ListTimeSeriesRequest:
    return monitoring_v3.ListTimeSeriesRequest(
        name=f"projects/{project}",
        filter=time_series_filter(query, project, stack),
        interval=monitoring_v3.TimeInterval(start_time=now - WINDOW, end_time=now),
        aggregation=monitoring_v3.Aggregation(
            alignment_period=timedelta(seconds=ALIGNMENT_S),
            per_series_aligner=query.aligner,
            cross_series_reducer=query.reducer,
            group_by_fields=[f"resource.label.{query.label}"],
        ),
        view=monitoring_v3.ListTimeSeriesRequest.TimeSeriesView.FULL,
    )


def load(project: str, cfg: StackConfig, now: datetime,
         client: monitoring_v3.MetricServiceClient | None = None) -> list[Sample]:
    """This stack's samples from `project` for the 7 days up to `now`."""
    where = f"gcp:{project}"
    if not PROJECT_ID.match(project):
        raise MetricsError([f"{where}: {shown(project)} is not a Google Cloud project id "
                            "(6-30 lowercase letters, digits and hyphens, starting with a letter)"])
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if client is None:
        client = _client(where)

    samples: list[Sample] = []
    times: dict[tuple[int, int], datetime] = {}  # aligned end times repeat across every series
    for query in QUERIES:
        try:
            pages = client.list_time_series(request=request(query, project, cfg.stack, now),
                                            timeout=TIMEOUT_S)
            series = [monitoring_v3.TimeSeries.pb(s) for s in pages]
        except api_exceptions.PermissionDenied as exc:
            raise MetricsError([f"{where}: {query.metric_type.metric}: permission denied ({exc.message}); "
                                f"the caller needs roles/monitoring.viewer on {project}"]) from None
        except api_exceptions.GoogleAPICallError as exc:
            problem = f"{where}: {query.metric_type.metric}: {type(exc).__name__}: {exc.message}"
            raise MetricsError([problem]) from None
        except api_exceptions.RetryError as exc:
            raise MetricsError([f"{where}: {query.metric_type.metric}: no answer from Cloud Monitoring "
                                f"({exc.message})"]) from None
        _check_single_instance(where, query, series)
        for one in series:
            resource = _resource_of(query, one.resource.labels.get(query.label, ""), cfg)
            if resource is None:
                continue
            for point in one.points:
                end = point.interval.end_time
                key = (end.seconds, end.nanos)
                when = times.get(key)
                if when is None:
                    when = times[key] = datetime.fromtimestamp(end.seconds + end.nanos / 1e9, UTC)
                kind = point.value.WhichOneof("value")
                value = float(getattr(point.value, kind)) if kind in ("int64_value", "double_value") else None
                if value is None:
                    continue
                problem = value_problem(value)
                if problem is not None:
                    raise MetricsError([f"{where}: {query.metric_type.metric}: {resource} at {iso(when)}: "
                                        f"{problem}"])
                samples.append(Sample(when, resource, query.metric, value))

    if not samples:
        raise MetricsError([f"{where}: no samples for stack {cfg.stack} between {iso(now - WINDOW)} and "
                            f"{iso(now)} (looked for Cloud Run services, a Cloud SQL instance, a Redis "
                            f"instance and a VPC connector named {naming.name_prefix(cfg.stack)}-*)"])
    return samples


def _client(where: str) -> monitoring_v3.MetricServiceClient:
    """The Cloud Monitoring client, with Application Default Credentials. A credentials file named by
    GOOGLE_APPLICATION_CREDENTIALS is checked first, so that every problem with it names the file (never
    what is in it) and none blocks (google-auth would wait on a FIFO) or raises something else."""
    named = os.environ.get(CREDENTIALS_VARIABLE)
    if named:
        _check_credentials_file(Path(named))
    try:
        return monitoring_v3.MetricServiceClient()
    except auth_exceptions.DefaultCredentialsError:
        if named:  # its message quotes from the file (a type, a key's parse error): named here, not quoted
            raise MetricsError([f"{named}: not Google credentials google-auth can load (named by "
                                f"{CREDENTIALS_VARIABLE}); {CREDENTIALS_FIX}"]) from None
        raise MetricsError([f"{where}: no Google credentials; run `gcloud auth application-default "
                            f"login` or set {CREDENTIALS_VARIABLE}"]) from None


def _check_credentials_file(path: Path) -> None:
    """MetricsError unless `path` is a regular file holding a JSON object with a "type", as every kind of
    Google credentials file does."""
    try:
        text = read_regular_file(path, MAX_CREDENTIALS_FILE_BYTES, "Google credentials file").decode("utf-8")
        info = bounded_json.loads(text, MAX_CREDENTIALS_DEPTH)
    except UnreadableFile as exc:
        raise MetricsError([f"{exc} (named by {CREDENTIALS_VARIABLE}); {CREDENTIALS_FIX}"]) from None
    except ValueError:  # not UTF-8 (UnicodeDecodeError), not JSON, or nested too deep
        info = None
    if not isinstance(info, dict) or not isinstance(info.get("type"), str):
        raise MetricsError([f"{path}: not a Google credentials file, a JSON object with a \"type\" (named by "
                            f"{CREDENTIALS_VARIABLE}); {CREDENTIALS_FIX}"])


def _resource_of(query: Query, name: str, cfg: StackConfig) -> str | None:
    """Our resource id for a series' instance label, or None for a service the stack lacks."""
    if query.resource != SERVICES:
        return query.resource
    # Other <prefix>-* services in the project (retired, hand-made) are not this config's to size.
    service = naming.service_of(name, cfg.stack, tuple(cfg.services))
    return None if service is None else service_resource(service)


def _check_single_instance(where: str, query: Query, series: list) -> None:
    """The stack has one database, one Redis and one connector; two would be summed into nonsense."""
    if query.resource == SERVICES:
        return
    names = sorted({s.resource.labels.get(query.label, "") for s in series})
    if len(names) > 1:
        raise MetricsError([f"{where}: {query.metric_type.metric}: {len(names)} instances match this stack "
                            f"({', '.join(names)}); expected one {query.metric_type.resource}"])
