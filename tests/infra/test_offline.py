"""The offline plan: the real program under mocks, a fresh runtime per run, any stack file."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from infra import inventory, offline
from infra.config import ConfigError
from tests.conftest import REPO, STACKS

INVENTORIES = REPO / "tests" / "inventories"


@pytest.fixture(scope="module")
def plans() -> dict[str, offline.Plan]:
    return {stack: offline.plan(REPO / f"Pulumi.{stack}.yaml") for stack in STACKS}


@pytest.mark.parametrize("stack", STACKS)
def test_inventory_snapshot(plans, stack: str) -> None:
    """Counts by type and capacity values; refresh deliberately with UPDATE_INVENTORIES=1."""
    found = inventory.snapshot(plans[stack])
    path = INVENTORIES / f"{stack}.json"
    if os.environ.get("UPDATE_INVENTORIES") == "1":
        path.write_text(json.dumps(found, indent=2) + "\n")
    assert found == json.loads(path.read_text())


def test_each_plan_starts_from_a_fresh_runtime(plans) -> None:
    again = offline.plan(REPO / "Pulumi.staging.yaml")
    offline.plan(REPO / "Pulumi.local.yaml")
    assert [r.urn for r in offline.plan(REPO / "Pulumi.staging.yaml").resources] == [r.urn for r in again.resources]
    assert [r.urn for r in again.resources] == [r.urn for r in plans["staging"].resources]
    assert all(r.urn.startswith("urn:pulumi:staging::golden-path::") for r in again.resources)


def test_stack_file_outside_the_repo(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.edge.yaml"
    shutil.copy(REPO / "Pulumi.staging.yaml", path)
    plan = offline.plan(path)
    assert plan.stack == "edge"
    assert {r.props["name"] for r in plan.of_type("gcp:cloudrunv2/service:Service")} == {
        "gp-edge-api", "gp-edge-web", "gp-edge-worker"}


def test_text_is_planned_without_touching_the_file(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.prod.yaml"
    original = (REPO / "Pulumi.prod.yaml").read_text()
    path.write_text(original)
    plan = offline.plan(path, original.replace("max_instances: 20", "max_instances: 30"))
    (api,) = [r for r in plan.of_type("gcp:cloudrunv2/service:Service") if r.props["name"] == "gp-prod-api"]
    assert api.props["template"]["scaling"]["maxInstanceCount"] == 30
    assert path.read_text() == original


def test_bad_config_fails_before_the_program_runs(write_stack) -> None:
    path = write_stack("config:\n  golden-path:environment: local\n  golden-path:target: docker\n"
                       "  golden-path:database:\n    max_connections: 5\n")
    with pytest.raises(ConfigError, match=r"Pulumi.test.yaml:5: database.max_connections: 5 is below 14"):
        offline.plan(path)


def test_outputs(plans) -> None:
    assert plans["prod"].outputs["database_connection_name"] == "golden-path-prod:europe-west1:gp-prod-pg"
    assert plans["prod"].outputs["redis_port"] == 6378  # TLS
    assert plans["staging"].outputs["redis_port"] == 6379
    assert set(plans["local"].outputs["service_urls"]) == {"api", "web", "worker"}
