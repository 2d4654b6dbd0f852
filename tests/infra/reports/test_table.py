"""`--format table`: each stack, its findings (failing first) and config errors, each rule's severity and
documentation, and the verdict with its counts."""

from __future__ import annotations

from infra.reports.formats import render
from infra.reports.stack_config import RULE
from policies.pack import POLICIES


def test_table_lists_each_stack_policy_resource_and_message(mixed, outside):
    lines = render(mixed, "table").splitlines()
    assert lines[0] == "prod (Pulumi.prod.yaml):"
    # failing first, then advisory, then waived
    labels = [line.split()[0] for line in lines[1:] if line.startswith("  ") and not line.startswith("    ")]
    assert labels[:3] == ["MANDATORY", "ADVISORY", "WAIVED"]
    assert "  MANDATORY connection-budget  database-instance (gcp:sql/databaseInstance:DatabaseInstance)" in lines
    assert any("2041 connections above the budget 152" in line for line in lines)
    assert "staging (Pulumi.staging.yaml): clean" in lines
    assert f"canary ({outside}):" in lines
    assert lines[-1] == "FAILED: 3 stacks checked, 2 mandatory, 1 advisory, 1 waived"


def test_table_shows_each_rules_severity_and_documentation(mixed):
    lines = render(mixed, "table").splitlines()
    budget = next(p for p in POLICIES if p.name == "connection-budget")
    at = lines.index("  MANDATORY connection-budget  database-instance (gcp:sql/databaseInstance:DatabaseInstance)")
    assert lines[at + 2] == f"            severity {budget.severity.value}; {budget.url}"


def test_table_verdict_passes_with_only_advisory_and_waived(harmless):
    assert render(harmless, "table").splitlines()[-1] == (
        "passed: 1 stack checked, 0 mandatory, 1 advisory, 1 waived")


def test_table_reports_config_errors_at_their_line_and_every_other_stack(incident):
    [problem] = incident.errors
    lines = render(incident, "table").splitlines()
    assert lines[:4] == [
        f"incident ({problem.path}):",
        f"  ERROR     stack-config  {problem.path}:{problem.line} network.connector.max_instances",
        f"            {problem.message}",
        f"            severity {RULE.severity}; {RULE.url}",
    ]
    assert lines[4].startswith("prod (Pulumi.prod.yaml") and lines[4].endswith(": clean")
    assert lines[-1] == "FAILED: 2 stacks checked, 0 mandatory, 0 advisory, 0 waived, 1 config error"
