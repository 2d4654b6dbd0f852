"""components.gcp.monitoring: capacity alerts on the metrics the scaler reads, for the services the platform creates."""

from __future__ import annotations

from infra import offline
from policies.contract import RUN_SERVICE
from tests.conftest import GCP_STAGING

STACK = GCP_STAGING + """\
  golden-path:database:
    max_connections: 200
  golden-path:services:
    api:
      image: example/api:1
      max_instances: 20
    web:
      image: example/web:1
      max_instances: 5
  golden-path:monitoring:
    notification_email: oncall@example.com
    alert_at: 0.75
"""
ALERT_POLICY = "gcp:monitoring/alertPolicy:AlertPolicy"
SQL_FILTER = ('metric.type = "cloudsql.googleapis.com/database/postgresql/num_backends" '
              'AND resource.type = "cloudsql_database"')
RUN_FILTER = 'metric.type = "run.googleapis.com/container/instance_count" AND resource.type = "cloud_run_revision"'


def test_alerts_watch_connections_and_each_service_by_its_cloud_run_name(write_stack):
    plan = offline.plan(write_stack(STACK, "eu.Staging"))  # a stack name GCP names cannot hold as it is
    [policy] = plan.of_type(ALERT_POLICY)
    services = sorted(r.props["name"] for r in plan.of_type(RUN_SERVICE))
    assert services == ["gp-eu-staging-api", "gp-eu-staging-web"]
    conditions = {c["displayName"]: c["conditionThreshold"] for c in policy.props["conditions"]}
    assert {name: (c["filter"], c["thresholdValue"]) for name, c in conditions.items()} == {
        "Cloud SQL connections above 75% of 200": (SQL_FILTER, 150.0),
        "gp-eu-staging-api instances above 75% of 20": (
            f'{RUN_FILTER} AND resource.label.service_name="gp-eu-staging-api"', 15.0),
        "gp-eu-staging-web instances above 75% of 5": (
            f'{RUN_FILTER} AND resource.label.service_name="gp-eu-staging-web"', 3.75),
    }
    assert policy.props["displayName"] == "gp-eu-staging: capacity running out"
    assert len(policy.props["notificationChannels"]) == 1
