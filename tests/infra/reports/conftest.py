from __future__ import annotations

from pathlib import Path

import pytest

from infra.reports.model import Report
from tests.conftest import REPO
from tests.report_fixtures import (
    PROD,
    TIMEOUT,
    WAIVED,
    config_errors,
    incident_file,
    mixed_report,
    report_of,
    stack_result,
)


@pytest.fixture(scope="module")
def outside(tmp_path_factory) -> Path:
    """A stack file outside the repository (--stack-file takes any path)."""
    path = tmp_path_factory.mktemp("elsewhere") / "Pulumi.canary.yaml"
    path.write_text((REPO / "Pulumi.staging.yaml").read_text())
    return path


@pytest.fixture(scope="module")
def mixed(outside) -> Report:
    """prod: mandatory, advisory, waived; staging: clean; canary (outside the repo): stack-wide."""
    return mixed_report(outside)


@pytest.fixture(scope="module")
def harmless() -> Report:
    """Only advisory and waived findings: the check passes."""
    return report_of(stack_result("prod", PROD, WAIVED, TIMEOUT))


@pytest.fixture(scope="module")
def incident(tmp_path_factory) -> Report:
    """The incident's stack file (its config refused) beside a clean prod."""
    path = incident_file(tmp_path_factory.mktemp("incident"))
    return report_of(config_errors(path), stack_result("prod", PROD))
