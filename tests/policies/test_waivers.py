"""Waivers as reports quote them: the reason, owner and glob a person wrote, never a secret pasted there."""

from __future__ import annotations

from datetime import date

from policies.waivers import Waiver, expired_note

TOKEN = "ghp_" + "Zq7RkP3mWx9TbN2vLc8HZq7RkP3mWx9TbN2v"  # shaped like a GitHub token


def test_a_waiver_is_described_as_written():
    waiver = Waiver("gp-prod-*", "load test (INC-7)", "team-api", date(2026, 12, 31))
    assert waiver.describe() == "load test (INC-7) (owner team-api, until 2026-12-31)"
    assert expired_note(waiver) == (" (waiver 'gp-prod-*' by team-api expired on 2026-12-31: load test (INC-7); "
                                    "fix the resource or renew the waiver)")


def test_a_token_pasted_into_a_waiver_is_never_quoted():
    waiver = Waiver(TOKEN, TOKEN, TOKEN, date(2026, 12, 31))
    assert waiver.describe() == "a 40-character string (owner a 40-character string, until 2026-12-31)"
    assert expired_note(waiver).startswith(" (waiver a 40-character string by a 40-character string expired on")


def test_a_multi_line_reason_stays_on_the_one_line_a_waived_finding_travels_in():
    # waived_note lines are read back line by line: a line break in the reason lost the waived finding
    waiver = Waiver("gp-prod-api", "load\ntest", "team-api", date(2026, 12, 31))
    assert waiver.describe() == "load test (owner team-api, until 2026-12-31)"
