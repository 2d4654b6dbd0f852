"""infra.candidate: the check a rewritten stack file passes before it is written."""

from __future__ import annotations

import pytest

from infra import stackfile_edit
from infra.candidate import Refused, check_candidate
from infra.gate import PolicyConfigs, policy_config_path
from policies import limits
from tests.conftest import REPO

PROD = REPO / "Pulumi.prod.yaml"


def candidate(**values) -> tuple[str, str]:
    """The committed prod stack's text, and that text with dotted keys set."""
    text = PROD.read_text()
    new_text, _ = stackfile_edit.apply(text, PROD, values)
    return text, new_text


def test_a_candidate_that_passes_says_what_it_was_checked_against():
    accepted = check_candidate(PROD, *candidate(**{"services.api.max_instances": 24}), False, PolicyConfigs())
    assert accepted.policy_config == policy_config_path("prod")
    assert accepted.resources > 0 and accepted.replaces == []
    assert accepted.summary().startswith(f"check: passed (config model; policy pack over {accepted.resources} "
                                         f"resources with {policy_config_path('prod')}: no mandatory violations")


def test_the_config_model_refuses_first():
    with pytest.raises(Refused) as refused:
        check_candidate(PROD, *candidate(**{"services.api.max_instances": 5000}), False, PolicyConfigs())
    assert refused.value.reason == "the config model rejects it:"
    assert "services.api.max_instances: 5000 is above 1000" in refused.value.lines[0]


def test_lowering_the_connector_needs_force():
    old, new = candidate(**{"network.connector.max_instances": 4})
    with pytest.raises(Refused) as refused:
        check_candidate(PROD, old, new, False, PolicyConfigs())
    assert refused.value.reason == "a connector change GCP makes by replacement:"
    [line] = refused.value.lines
    assert "network.connector.max_instances: 5 -> 4 lowers the connector" in line
    assert limits.CONNECTOR_NEVER_SCALES_DOWN in line
    accepted = check_candidate(PROD, old, new, True, PolicyConfigs())
    assert len(accepted.replaces) == 1 and accepted.replaces[0].endswith(
        "network.connector.max_instances: 5 -> 4 lowers the connector")


def test_a_budget_refusal_names_the_policy_and_says_when_the_tier_must_grow():
    with pytest.raises(Refused) as refused:
        check_candidate(PROD, *candidate(**{"services.api.max_instances": 50}), False, PolicyConfigs())
    assert refused.value.reason == f"1 mandatory policy violation (policy config {policy_config_path('prod')}):"
    budget, hint = refused.value.lines
    assert budget.startswith(f"{PROD}:") and "connection-budget on " in budget
    # 50 x 10 + 41 = 541 connections need max_connections 687; db-custom-4-15360 is sized for 500
    assert hint.startswith("note: max_connections 687 is beyond tier db-custom-4-15360's documented size of 500")
