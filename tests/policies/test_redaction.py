"""The one rule for quoting a value in a message: show what cannot be a secret, describe the rest."""

from __future__ import annotations

import pytest

from policies.redaction import generic_secret_shape, known_secret_shape, secret_key, shown, shown_text


@pytest.mark.parametrize(("value", "expected"), [
    (5, "5"), (5.0, "5"), (0.75, "0.75"), (True, "true"), (None, "null"), (float("nan"), "nan"),
    ("e2-micro", "'e2-micro'"), ("512Mi", "'512Mi'"), ("/healthz", "'/healthz'"),
])
def test_values_that_cannot_be_secrets_are_shown(value, expected):
    assert shown(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("sk_live_" + "a1B2c3D4e5F6g7H8", "a 24-character string"),  # a known secret shape
    ("Xk9mP2qL7wR4aa", "a 14-character string"),  # random-looking
    ("x" * 41, "a 41-character string"),  # too long to show
    ("two words; and a semicolon", "a 26-character string"),  # not made of plain characters
    ({"secure": "v1:abc"}, "a Pulumi secret (not shown)"),
    ([1, 2], "a list of 2 items"),
    ({"a": 1}, "a mapping of 1 key"),
])
def test_anything_else_is_described(value, expected):
    assert shown(value) == expected


def test_a_value_under_a_secret_key_is_never_shown():
    assert shown("hunter2", "services.api.env.DB_PASSWORD") == (
        "a 7-character string (not shown): services.api.env.DB_PASSWORD names a secret")
    assert secret_key("services.api.env.STRIPE_TOKEN")
    assert not secret_key("services.api.env.STRIPE_TOKEN_TTL")  # describes a secret, holds none
    assert not secret_key("services.api.max_instances")


def test_a_known_choice_is_shown_whatever_its_shape():
    choice = "STANDARD_HA_WITH_A_VERY_LONG_NAME_1234567890"
    assert shown(choice, choices=[choice]) == repr(choice)


@pytest.mark.parametrize("value", ["a" * 2_000_000, "eyJ" * 700_000, "a1" * 1_000_000])
def test_a_long_value_is_scanned_once_not_once_per_start(value):
    # Tried at every start, the credential-URL and JWT shapes took hours on values this long (an env value
    # in a stack file may be megabytes): they are matched once per run of their characters.
    assert known_secret_shape(value) is None and generic_secret_shape(value) is None
    assert known_secret_shape(value + ".eyJhbGciOi.eyJzdWIiOiIx.x") == "a JSON Web Token"
    assert generic_secret_shape("x " + value + "+db://user:pass@host") == "a URL with a password in it"


@pytest.mark.parametrize(("text", "expected"), [
    ("migration to pgbouncer under way (INC-2211); see the runbook", None),  # prose, at any length
    ("gp-prod-*", None),
    ("load\ntest", "load test"),  # one line: a report line must not split
    ("blocked by " + "sk_live_" + "a1B2c3D4e5F6g7H8", "a 35-character string"),  # a secret among words
    ("v1:Gk2Lq9WzXp0Bc7Rt:Yh3Nf8Vd6Jm1Ks4Pq0Wz9Xc2Lr5Tb7Hg==", "a 54-character string"),  # ciphertext
    ("red \x1b[31malert", "a 14-character string"),  # an escape sequence for the reader's terminal
])
def test_free_text_is_shown_unless_it_holds_a_secret(text, expected):
    assert shown_text(text) == (text if expected is None else expected)
