"""`--format json`: DESIGN.md's shape, `{"passed", "violations", "errors"}`, each violation with its stack."""

from __future__ import annotations

import json

from infra.reports.formats import render
from tests.report_fixtures import TIMEOUT

VIOLATION_KEYS = {"policy", "resource", "resource_type", "message", "enforcement", "waived", "stack"}


def test_json_is_designs_shape_with_the_stack_added(mixed):
    doc = json.loads(render(mixed, "json"))
    assert set(doc) == {"passed", "violations", "errors"}
    assert doc["passed"] is False
    assert doc["errors"] == []
    assert [(v["stack"], v["policy"], v["enforcement"], v["waived"]) for v in doc["violations"]] == [
        ("prod", "connection-budget", "mandatory", False),
        ("prod", "timeout-coherence", "advisory", False),
        ("prod", "no-bypass-flags", "mandatory", True),
        ("canary", "capacity-caps", "mandatory", False),
    ]
    for v in doc["violations"]:
        assert set(v) == VIOLATION_KEYS
    assert doc["violations"][1]["message"] == TIMEOUT.message  # exactly, special characters and all


def test_json_errors_name_stack_file_line_key_and_message(incident):
    [problem] = incident.errors
    doc = json.loads(render(incident, "json"))
    assert doc["passed"] is False
    assert doc["violations"] == []
    assert doc["errors"] == [{"stack": "incident", "file": str(problem.path), "line": problem.line,
                              "key": "network.connector.max_instances", "message": problem.message}]
