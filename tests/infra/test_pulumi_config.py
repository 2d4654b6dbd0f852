"""infra.pulumi_config: Pulumi's secure values, secret keys, and config as the CLI hands it to a program."""

from __future__ import annotations

import json

import pytest
from pulumi.runtime.sync_await import _sync_await

from infra.pulumi_config import (
    SHOWN,
    UNDECRYPTED,
    SecretValue,
    as_handed,
    as_input,
    from_pulumi_config,
    is_secure,
    secret_keys,
    to_pulumi_config,
    undecrypted,
)
from policies.contract import UNDECRYPTED_SECRET

SECURE = {"secure": "v1:yfAd1zOi6iY9DRIB:dumdsr+H89VpHIQWdB01XEFqYaYjAg=="}
STACK_FILE = {  # a stack file's config map, as the reader gives it
    "gcp:project": "golden-path-prod",
    "golden-path:environment": "prod",
    "golden-path:services": {"api": {"image": "api:1", "max_instances": 20,
                                     "env": {"LOG_LEVEL": "info", "SENTRY_DSN": SECURE}}},
    "golden-path:monitoring": {"notification_email": SECURE, "alert_at": 0.8},
}


@pytest.mark.parametrize(("value", "secure"), [
    (SECURE, True),
    ({"secure": "v1:...", "other": 1}, False),  # more than the one key: an ordinary map
    ({"secure": 3}, False),  # a secure value holds text
    ("v1:abc", False),
])
def test_a_secure_value_is_a_map_of_one_secure_text(value, secure: bool) -> None:
    assert is_secure(value) is secure


def test_the_secret_keys_are_the_top_level_keys_holding_a_secure_value() -> None:
    assert secret_keys(STACK_FILE) == ["golden-path:services", "golden-path:monitoring"]


def test_offline_a_secure_value_is_a_secret_never_decrypted() -> None:
    loaded = undecrypted(STACK_FILE)
    assert loaded["golden-path:services"]["api"]["env"] == {"LOG_LEVEL": "info", "SENTRY_DSN": UNDECRYPTED}
    assert loaded["golden-path:monitoring"]["notification_email"] is UNDECRYPTED
    assert STACK_FILE["golden-path:monitoring"]["notification_email"] == SECURE  # the input is left as it was


def test_the_program_is_handed_text_with_the_placeholder_for_the_plaintext() -> None:
    handed = to_pulumi_config(STACK_FILE)
    assert handed["golden-path:environment"] == "prod"
    services = json.loads(handed["golden-path:services"])
    assert services["api"]["env"]["SENTRY_DSN"] == UNDECRYPTED_SECRET and services["api"]["max_instances"] == 20


def test_the_handed_config_decodes_back_with_the_secrets_where_the_stack_file_has_them() -> None:
    handed = to_pulumi_config(STACK_FILE)
    decoded = from_pulumi_config(handed, set(secret_keys(STACK_FILE)), STACK_FILE)
    assert decoded == undecrypted(STACK_FILE)


def test_under_a_secret_key_text_is_secret_unless_the_stack_file_shows_it_plain() -> None:
    handed = {"golden-path:services": json.dumps({"api": {"image": "api:1", "max_instances": 20,
                                                          "env": {"LOG_LEVEL": "info", "FROM_ESC": "x"}}})}
    decoded = from_pulumi_config(handed, {"golden-path:services"}, STACK_FILE)
    env = decoded["golden-path:services"]["api"]["env"]
    assert env == {"LOG_LEVEL": "info", "FROM_ESC": SecretValue("x")}
    assert decoded["golden-path:services"]["api"]["max_instances"] == 20  # numbers are never secrets here
    without_file = from_pulumi_config(handed, {"golden-path:services"}, {})
    assert without_file["golden-path:services"]["api"]["image"] == SecretValue("api:1")


def test_a_secure_text_at_the_top_stays_text() -> None:
    decoded = from_pulumi_config({"golden-path:token": "123"}, {"golden-path:token"}, {"golden-path:token": SECURE})
    assert decoded == {"golden-path:token": SecretValue("123")}
    assert from_pulumi_config({"golden-path:count": "123"}, set(), {}) == {"golden-path:count": 123}


def test_a_secret_value_never_shows_its_plaintext() -> None:
    secret = SecretValue("hunter2")
    assert repr(secret) == str(secret) == f"{secret}" == SHOWN
    assert "hunter2" not in repr({"env": secret})
    with pytest.raises(AttributeError):
        secret.plaintext = "other"  # type: ignore[misc]


def test_the_program_hands_a_resource_a_secret_as_a_pulumi_secret() -> None:
    output = as_input(SecretValue("hunter2"))
    assert _sync_await(output.is_secret()) is True
    assert _sync_await(output.future()) == "hunter2"
    assert as_input("info") == "info" and as_input(None) is None


def test_numbers_are_handed_as_go_writes_them_in_json() -> None:
    # Go's encoding/json writes a whole float without a fraction, so the program reads 1.0 as 1
    assert [as_handed(value) for value in (1.0, -0.0, 1.5, 1e20, 1e21, 7, True)] == [1, 0, 1.5, 10**20, 1e21, 7, True]
    assert type(as_handed(1.0)) is int and type(as_handed(1e21)) is float
    handed = to_pulumi_config({"golden-path:ratio": 2.0, "golden-path:k": {"a": [1.0, 0.5]}})
    assert handed == {"golden-path:ratio": "2", "golden-path:k": '{"a": [1, 0.5]}'}
