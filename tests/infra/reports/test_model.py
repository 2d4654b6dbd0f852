"""The report model: the verdict, the counts, the rules a report lists, and what a message holds (the waiver,
the fix) read back in one place for every format."""

from __future__ import annotations

import tomllib

from infra.reports.model import Waiver, finding_text, split_fix, tool_version, waiver_of
from policies.pack import POLICY_NAMES
from policies.runner import Violation
from tests.conftest import REPO
from tests.report_fixtures import BUDGET, PROD, WAIVED, report_of, stack_result


def test_passed_means_no_unwaived_mandatory_violation(mixed, harmless):
    assert mixed.passed is False
    assert harmless.passed is True
    assert mixed.counts() == {"mandatory": 2, "advisory": 1, "waived": 1}


def test_config_errors_fail_the_report_and_only_their_stack(incident):
    bad, clean = incident.stacks
    assert (bad.passed, clean.passed, incident.passed) == (False, True, False)
    assert incident.errors == bad.errors and len(bad.errors) == 1
    assert incident.counts() == {"mandatory": 0, "advisory": 0, "waived": 0}


def test_rules_are_the_packs_then_any_policy_a_violation_names():
    unknown = Violation("retired-policy", "stack", "pulumi:pulumi:Stack", "policy retired-policy raised", "mandatory")
    rules = report_of(stack_result("prod", PROD, BUDGET, unknown)).rules()
    assert [rule.name for rule in rules] == [*POLICY_NAMES, "retired-policy"]


def test_a_waived_violation_names_its_waiver():
    assert waiver_of(WAIVED) == Waiver("load test INC-7 (owner team-api, until 2099-01-01)", "load test INC-7",
                                       "team-api", "2099-01-01")
    assert waiver_of(BUDGET) is None
    assert finding_text(WAIVED).endswith("Fix: remove it.")


def test_a_waiver_in_another_form_is_kept_whole():
    odd = Violation(WAIVED.policy, WAIVED.resource, WAIVED.resource_type, "found. (waived: a reason)", "mandatory",
                    waived=True)
    assert waiver_of(odd) == Waiver("a reason", "a reason", None, None)


def test_the_fix_is_split_from_what_was_found():
    assert split_fix(BUDGET.message) == (
        "Cloud SQL instance gp-prod-pg: 2041 connections above the budget 152 (200 max_connections).",
        "raise max_connections.")
    assert split_fix("no fix here") == ("no fix here", None)


def test_the_tool_version_is_the_packages():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert tool_version() == project["version"]
