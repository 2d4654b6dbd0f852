"""The Cloud Monitoring source: the real MetricServiceClient against a fake MetricService on 127.0.0.1."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.cloud import monitoring_v3

from infra import config, offline
from infra.metrics import MetricsError, Sample, gcp_source
from policies.contract import CONNECTOR as CONNECTOR_TYPE
from policies.contract import REDIS_INSTANCE, RUN_SERVICE, SQL_INSTANCE
from tests.conftest import GCP_STAGING, TWO_SERVICES
from tests.fake_monitoring import FakeMetricService, time_series

STACK = GCP_STAGING + TWO_SERVICES
PROJECT = "golden-path-test"
NOW = datetime(2024, 5, 8, 12, 0, tzinfo=UTC)
RUN = "run.googleapis.com/container/instance_count"
SQL = "cloudsql.googleapis.com/database/postgresql/num_backends"
REDIS_CLIENTS = "redis.googleapis.com/clients/connected"
REDIS_MEMORY = "redis.googleapis.com/stats/memory/usage_ratio"
CONNECTOR = "vpcaccess.googleapis.com/connector/instances"
CONNECTOR_CPU = "vpcaccess.googleapis.com/connector/cpu/utilizations"
# The names the platform gives stack staging's resources (tests/inventories/staging.json).
STAGING_NAMES = {"api": "gp-staging-api", "web": "gp-staging-web", "database": "gp-staging-pg",
                 "redis": "gp-staging-redis", "connector": "gp-staging-conn"}


def at(minutes_ago: int) -> datetime:
    return NOW - timedelta(minutes=minutes_ago)


def run_series(service: str, values: list[int]) -> monitoring_v3.TimeSeries:
    points = [(at(5 * i), v) for i, v in enumerate(values)]
    return time_series(RUN, "cloud_run_revision", {"service_name": service}, points)


def canned(names: dict[str, str] = STAGING_NAMES) -> dict[str, list[monitoring_v3.TimeSeries]]:
    """A series of each metric, on resources with these names (the Cloud Run services' and instances')."""
    database = {"database_id": f"{PROJECT}:{names['database']}"}
    cache = {"instance_id": f"projects/{PROJECT}/locations/europe-west1/instances/{names['redis']}"}
    network = {"connector_name": names["connector"]}
    retired = names["api"].removesuffix("api") + "retired"
    return {
        RUN: [run_series(names["api"], [4, 3]), run_series(names["web"], [2]),
              run_series(retired, [9])],  # not in the config: ignored
        SQL: [time_series(SQL, "cloudsql_database", database, [(at(0), 120)])],
        REDIS_CLIENTS: [time_series(REDIS_CLIENTS, "redis_instance", cache, [(at(0), 300)])],
        REDIS_MEMORY: [time_series(REDIS_MEMORY, "redis_instance", cache, [(at(0), 0.625)], integer=False)],
        CONNECTOR: [time_series(CONNECTOR, "vpc_access_connector", network, [(at(0), 3)])],
        CONNECTOR_CPU: [time_series(CONNECTOR_CPU, "vpc_access_connector", network, [(at(0), 0.25)],
                                    integer=False)],
    }


SAMPLES = [  # what canned() becomes, sorted by resource, metric and time
    Sample(at(0), "database", "connections", 120.0),
    Sample(at(0), "network.connector", "cpu_ratio", 0.25),
    Sample(at(0), "network.connector", "instances", 3.0),
    Sample(at(0), "redis", "clients", 300.0),
    Sample(at(0), "redis", "memory_ratio", 0.625),
    Sample(at(5), "services.api", "instances", 3.0),
    Sample(at(0), "services.api", "instances", 4.0),
    Sample(at(0), "services.web", "instances", 2.0),
]


def in_order(samples: list[Sample]) -> list[Sample]:
    return sorted(samples, key=lambda s: (s.resource, s.metric, s.timestamp))


@pytest.fixture
def cfg(write_stack):
    return config.load(write_stack(STACK, "staging"))


@pytest.fixture
def fake():
    server = FakeMetricService(canned(), page_size=1).start()
    yield server
    server.stop()


def load(fake: FakeMetricService, cfg) -> list[Sample]:
    client = fake.client()
    try:
        return gcp_source.load(PROJECT, cfg, NOW, client=client)
    finally:
        client.transport.close()


def test_samples_map_to_config_paths(fake, cfg):
    samples = load(fake, cfg)
    assert in_order(samples) == SAMPLES
    assert all(s.timestamp.tzinfo is UTC for s in samples)


@pytest.mark.parametrize("stack", ["eu.prod", "Prod", "europe-west1-staging"])
def test_series_are_found_by_the_names_the_platform_gives(write_stack, stack):
    # Stack names GCP names cannot hold as they are: dots and capitals are cleaned, and the
    # connector's name is cut to fit GCP's 20 characters. The series carry the names the program
    # gives (its offline plan); the fake serves only those the request's filter selects.
    path = write_stack(STACK, stack)
    plan = offline.plan(path)

    def named(type_: str) -> list[str]:
        return sorted(r.props["name"] for r in plan.of_type(type_))

    api, web = named(RUN_SERVICE)
    [database], [cache], [connector] = named(SQL_INSTANCE), named(REDIS_INSTANCE), named(CONNECTOR_TYPE)
    series = canned({"api": api, "web": web, "database": database, "redis": cache, "connector": connector})
    server = FakeMetricService(series).start()
    try:
        assert in_order(load(server, config.load(path))) == SAMPLES
    finally:
        server.stop()


def test_requests_name_metric_stack_window_and_aggregation(fake, cfg):
    load(fake, cfg)
    expected = {
        RUN: ('resource.type = "cloud_run_revision" AND '
              'resource.labels.service_name = starts_with("gp-staging-")',
              "ALIGN_MAX", "REDUCE_SUM", "service_name"),
        SQL: ('resource.type = "cloudsql_database" AND '
              'resource.labels.database_id = starts_with("golden-path-test:gp-staging-")',
              "ALIGN_MAX", "REDUCE_SUM", "database_id"),
        REDIS_CLIENTS: ('resource.type = "redis_instance" AND resource.labels.instance_id = '
                        'monitoring.regex.full_match("(projects/[^/]+/locations/[^/]+/instances/)?gp-staging-redis")',
                        "ALIGN_MAX", "REDUCE_MAX", "instance_id"),
        REDIS_MEMORY: ('resource.type = "redis_instance" AND resource.labels.instance_id = '
                       'monitoring.regex.full_match("(projects/[^/]+/locations/[^/]+/instances/)?gp-staging-redis")',
                       "ALIGN_MAX", "REDUCE_MAX", "instance_id"),
        CONNECTOR: ('resource.type = "vpc_access_connector" AND '
                    'resource.labels.connector_name = "gp-staging-conn"',
                    "ALIGN_MAX", "REDUCE_SUM", "connector_name"),
        CONNECTOR_CPU: ('resource.type = "vpc_access_connector" AND '
                        'resource.labels.connector_name = "gp-staging-conn"',
                        "ALIGN_PERCENTILE_99", "REDUCE_MAX", "connector_name"),
    }
    for metric_type, (where, aligner, reducer, label) in expected.items():
        first = fake.requests_for(metric_type)[0]
        assert first.name == "projects/golden-path-test"
        assert first.filter == f'metric.type = "{metric_type}" AND {where}'
        assert first.interval.start_time == NOW - timedelta(days=7)
        assert first.interval.end_time == NOW
        assert first.aggregation.alignment_period == timedelta(seconds=300)
        assert first.aggregation.per_series_aligner.name == aligner
        assert first.aggregation.cross_series_reducer.name == reducer
        assert list(first.aggregation.group_by_fields) == [f"resource.label.{label}"]
        assert first.view == monitoring_v3.ListTimeSeriesRequest.TimeSeriesView.FULL


def test_pages_are_followed(fake, cfg):
    load(fake, cfg)
    # Three Cloud Run series, one a page: the client asks three times, passing each token back.
    assert [r.page_token for r in fake.requests_for(RUN)] == ["", "1", "2"]
    assert [r.page_token for r in fake.requests_for(SQL)] == [""]
    assert len(fake.requests) == 8


def refused(cfg, series: dict[str, list[monitoring_v3.TimeSeries]],
            errors: dict[str, tuple[grpc.StatusCode, str]] | None = None) -> MetricsError:
    """Why loading fails from a fake serving `series` (and failing a metric type with `errors`)."""
    server = FakeMetricService(series, errors=errors).start()
    try:
        with pytest.raises(MetricsError) as caught:
            load(server, cfg)
    finally:
        server.stop()
    return caught.value


def test_two_database_instances_for_one_stack_are_refused(cfg):
    series = canned()
    series[SQL].append(time_series(SQL, "cloudsql_database", {"database_id": f"{PROJECT}:gp-staging-pg2"},
                                   [(at(0), 1)]))
    assert str(refused(cfg, series)) == (
        f"gcp:{PROJECT}: {SQL}: 2 instances match this stack (golden-path-test:gp-staging-pg, "
        "golden-path-test:gp-staging-pg2); expected one cloudsql_database")


def test_permission_denied_says_which_role(cfg):
    denied = {RUN: (grpc.StatusCode.PERMISSION_DENIED, "no access")}
    assert str(refused(cfg, canned(), denied)) == (f"gcp:{PROJECT}: {RUN}: permission denied (no access); "
                                 f"the caller needs roles/monitoring.viewer on {PROJECT}")


def test_other_api_errors_are_reported(cfg):
    invalid = {SQL: (grpc.StatusCode.INVALID_ARGUMENT, "bad filter")}
    assert str(refused(cfg, canned(), invalid)) == f"gcp:{PROJECT}: {SQL}: InvalidArgument: bad filter"


def test_no_series_is_an_empty_series_error(cfg):
    assert str(refused(cfg, {RUN: [run_series("gp-staging-retired", [1])]})) == (
        f"gcp:{PROJECT}: no samples for stack staging between 2024-05-01T12:00:00Z and 2024-05-08T12:00:00Z "
        "(looked for Cloud Run services, a Cloud SQL instance, a Redis instance and a VPC connector "
        "named gp-staging-*)")


def test_bad_project_id(cfg):
    with pytest.raises(MetricsError) as caught:
        gcp_source.load("Golden_Path", cfg, NOW, client=None)
    assert str(caught.value) == ("gcp:Golden_Path: 'Golden_Path' is not a Google Cloud project id "
                                 "(6-30 lowercase letters, digits and hyphens, starting with a letter)")


@pytest.mark.parametrize(("value", "problem"), [
    (float("nan"), "nan is not a finite number; a value is a count or ratio, from 0 to 1e+12"),
    (1.7e308, "1.7e+308 is above 1e+12, more than any count or ratio this platform measures"),
    (-0.5, "-0.5 is negative; counts and ratios are at least 0"),
])
def test_values_no_count_or_ratio_takes_are_refused(cfg, value, problem):
    series = canned()
    series[REDIS_MEMORY] = [time_series(REDIS_MEMORY, "redis_instance", {"instance_id": STAGING_NAMES["redis"]},
                                        [(at(0), value)], integer=False)]
    assert str(refused(cfg, series)) == f"gcp:{PROJECT}: {REDIS_MEMORY}: redis at 2024-05-08T12:00:00Z: {problem}"


# --- the credentials file GOOGLE_APPLICATION_CREDENTIALS names, read by the real google-auth ---------
SECRET = "sk_live_Zq7RkP3mWx9TbN2vLc8H"  # shaped like a Stripe key: must never be quoted from the file
FIX = ("set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, or unset it and run "
       "`gcloud auth application-default login`")
NOT_CREDENTIALS = 'not a Google credentials file, a JSON object with a "type" (named by GOOGLE_APPLICATION_CREDENTIALS)'
NOT_LOADABLE = "not Google credentials google-auth can load (named by GOOGLE_APPLICATION_CREDENTIALS)"
SERVICE_ACCOUNT = {"type": "service_account", "project_id": PROJECT, "private_key_id": SECRET,
                   "private_key": f"-----BEGIN PRIVATE KEY-----\n{SECRET}\n-----END PRIVATE KEY-----\n",
                   "client_email": f"scaler@{PROJECT}.iam.gserviceaccount.com", "client_id": "1",
                   "token_uri": "https://oauth2.googleapis.com/token"}


def credentials_problem(monkeypatch, cfg, path) -> str:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    with pytest.raises(MetricsError) as caught:
        gcp_source.load(PROJECT, cfg, NOW)
    (problem,) = caught.value.problems
    assert SECRET not in problem
    return problem


@pytest.mark.parametrize(("content", "problem"), [
    (f"not json {SECRET}", NOT_CREDENTIALS),
    (f'["{SECRET}"]', NOT_CREDENTIALS),
    (f'{{"type": ["{SECRET}"]}}', NOT_CREDENTIALS),
    ("[" * 100_000, NOT_CREDENTIALS),
    (b"\xff\xfe" + SECRET.encode(), NOT_CREDENTIALS),
    (json.dumps({"type": SECRET}), NOT_LOADABLE),
    (json.dumps({"type": "service_account", "client_id": SECRET}), NOT_LOADABLE),  # fields missing
    (json.dumps(SERVICE_ACCOUNT), NOT_LOADABLE),  # every field, and a key that is none
    (json.dumps({"type": "authorized_user", "refresh_token": SECRET}), NOT_LOADABLE),
])
def test_a_corrupt_credentials_file_is_named_not_quoted(tmp_path, monkeypatch, cfg, content, problem):
    path = tmp_path / "key.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    assert credentials_problem(monkeypatch, cfg, path) == f"{path}: {problem}; {FIX}"


def test_a_missing_credentials_file_is_named(tmp_path, monkeypatch, cfg):
    path = tmp_path / "nowhere" / "key.json"
    assert credentials_problem(monkeypatch, cfg, path) == (
        f"{path}: no such Google credentials file (named by GOOGLE_APPLICATION_CREDENTIALS); {FIX}")


def test_a_credentials_path_that_is_no_file_is_refused_without_waiting(tmp_path, monkeypatch, cfg):
    fifo = tmp_path / "key.json"
    os.mkfifo(fifo)
    for path in (fifo, tmp_path):
        assert credentials_problem(monkeypatch, cfg, path) == (
            f"{path}: not a regular file (a directory, FIFO or device); a Google credentials file is a file "
            f"(named by GOOGLE_APPLICATION_CREDENTIALS); {FIX}")
