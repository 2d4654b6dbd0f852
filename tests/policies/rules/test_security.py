"""security-baseline, no-plaintext-secrets, no-bypass-flags."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from policies import clock, limits
from policies.contract import RUN_IAM_BINDING, RUN_IAM_POLICY
from policies.pack import NO_BYPASS_FLAGS, NO_PLAINTEXT_SECRETS, SECURITY_BASELINE
from tests.policy_fixtures import (
    LOCAL_CONFIG,
    STAGING_CONFIG,
    docker_env,
    docker_stack,
    gcp_stack,
    iam_member,
    messages,
    patch,
    random_password,
    redis_instance,
    res,
    run_env,
    run_policy,
    run_service,
    service_container,
    sql_instance,
    with_config,
)


# --- security-baseline --------------------------------------------------------------------------
def test_prod_shapes_pass():
    assert run_policy(SECURITY_BASELINE, gcp_stack()) == []


@pytest.mark.parametrize("path, value, expected", [
    ("settings.ipConfiguration.ipv4Enabled", True, "has a public IPv4 address"),
    ("settings.ipConfiguration.ipv4Enabled", None, "has a public IPv4 address"),  # GCP's default is on
    ("settings.ipConfiguration.sslMode", "ALLOW_UNENCRYPTED_AND_ENCRYPTED", "sslMode is ALLOW_UNENCRYPTED"),
    ("settings.ipConfiguration.sslMode", None, "sslMode is not set"),
])
def test_database_is_private_and_encrypted_in_every_environment(path, value, expected):
    (message,) = messages(run_policy(SECURITY_BASELINE, [patch(sql_instance(), path, value)], STAGING_CONFIG))
    assert expected in message and "Fix:" in message


def test_trusted_client_certificates_are_encrypted_too():
    db = patch(sql_instance(), "settings.ipConfiguration.sslMode", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED")
    assert run_policy(SECURITY_BASELINE, [db]) == []


@pytest.mark.parametrize("path, value, expected, source", [
    ("settings.backupConfiguration.enabled", False, "backups are off", limits.SQL_BACKUP_DOCS),
    ("settings.backupConfiguration.pointInTimeRecoveryEnabled", False, "point-in-time recovery is off",
     limits.SQL_BACKUP_DOCS),
    ("deletionProtection", False, "Pulumi deletionProtection is false", limits.SQL_BACKUP_DOCS),
    ("settings.deletionProtectionEnabled", None, "GCP-side deletion protection is off", limits.SQL_BACKUP_DOCS),
    ("settings.availabilityType", "ZONAL", "availabilityType is ZONAL, not REGIONAL", limits.SQL_HA_DOCS),
])
def test_prod_only_database_rules(path, value, expected, source):
    database = patch(sql_instance(), path, value)
    assert run_policy(SECURITY_BASELINE, [database], STAGING_CONFIG) == []
    (message,) = messages(run_policy(SECURITY_BASELINE, [database]))
    assert expected in message and "prod requires it" in message and source in message


def test_pulumi_deletion_protection_defaults_to_true():
    assert run_policy(SECURITY_BASELINE, [patch(sql_instance(), "deletionProtection", None)]) == []


def test_prod_redis_needs_auth_and_tls():
    weak = redis_instance(authEnabled=False, transitEncryptionMode="DISABLED")
    assert run_policy(SECURITY_BASELINE, [weak], STAGING_CONFIG) == []
    found = messages(run_policy(SECURITY_BASELINE, [weak]))
    assert any("AUTH is off" in m and limits.REDIS_AUTH_DOCS in m for m in found)
    assert any("transitEncryptionMode is DISABLED" in m and limits.REDIS_TLS_DOCS in m for m in found)


def test_public_invoker_needs_the_public_label():
    assert run_policy(SECURITY_BASELINE, [run_service(public=True), iam_member()]) == []
    (v,) = run_policy(SECURITY_BASELINE, [run_service(public=False), iam_member()])
    assert v.resource == "service-api-public"
    assert "lets allUsers invoke Cloud Run service gp-prod-api, which is not labelled golden-path-public" in v.message
    assert limits.RUN_PUBLIC_ACCESS_DOCS in v.message


def test_public_invoker_for_a_service_outside_the_stack_fails_closed():
    (message,) = messages(run_policy(SECURITY_BASELINE, [iam_member()]))  # without its service
    assert "gp-prod-api" in message and "not in this stack" in message


def test_invoker_binding_and_policy_are_checked_too():
    binding = res(RUN_IAM_BINDING, "api-invokers", {
        "name": "projects/p/locations/europe-west1/services/gp-prod-api", "role": "roles/run.invoker",
        "members": ["user:a@example.com", "allAuthenticatedUsers"]})
    policy = res(RUN_IAM_POLICY, "api-policy", {
        "name": "gp-prod-api",
        "policyData": '{"bindings": [{"role": "roles/run.invoker", "members": ["allUsers"]}]}'})
    found = messages(run_policy(SECURITY_BASELINE, [run_service(public=False), binding, policy]))
    assert len(found) == 2 and "allAuthenticatedUsers" in found[0] and "allUsers" in found[1]


def test_other_roles_and_members_are_not_public_invokers():
    viewer = patch(iam_member(), "role", "roles/run.viewer")
    someone = iam_member(member="serviceAccount:ci@p.iam.gserviceaccount.com")
    assert run_policy(SECURITY_BASELINE, [run_service(public=False), viewer, someone]) == []


# --- no-plaintext-secrets -----------------------------------------------------------------------
def with_env(extra=None, secrets=None):
    """prod's api with these plain values and Secret Manager references in its environment."""
    return [run_service(envs=run_env(extra=extra, secrets=secrets))]


@pytest.mark.parametrize("name", ["STRIPE_API_KEY", "DB_PASSWORD", "SESSION_SECRET", "GITHUB_TOKEN",
                                  "GCP_CREDENTIALS", "PRIVATE_SIGNING_KEY", "REDIS_AUTH", "SMTP_PASSWD"])
def test_secret_names_on_cloud_run_must_be_secret_references(name):
    (message,) = messages(run_policy(NO_PLAINTEXT_SECRETS, with_env({name: "hunter2hunter2"})))
    assert f"{name} is a plain environment value (value hidden) and its name says it holds a secret" in message
    assert "hunter2" not in message and limits.RUN_SECRETS_DOCS in message
    assert run_policy(NO_PLAINTEXT_SECRETS, with_env(secrets={name: "some-secret-id"})) == []


@pytest.mark.parametrize("name", ["DATABASE_POOL_SIZE", "SECRET_ID", "API_KEY_ID", "TOKEN_TTL", "KEY_FILE",
                                  "OAUTH_TOKEN_URL", "PASSWORD_MIN_LENGTH", "MONKEY_COUNT", "KEYCLOAK_REALM"])
def test_names_that_describe_secrets_or_are_counters_pass(name):
    assert run_policy(NO_PLAINTEXT_SECRETS, with_env({name: "x12"})) == []


def test_boolean_and_empty_values_hold_no_secret():
    assert run_policy(NO_PLAINTEXT_SECRETS, with_env({"SKIP_TOKEN_CHECK": "false", "REDIS_AUTH": ""})) == []


@pytest.mark.parametrize("value, shape", [
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIE...", "a PEM private key"),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
     "a JSON Web Token"),
    ("sk_live_51H8xY2eZvKYlo2C0abcdef", "a Stripe secret key"),
    ("AKIAIOSFODNN7EXAMPLE", "an AWS access key"),
    ("postgres://app:s3cr3t@db:5432/app", "a URL with a password in it"),
    ("Xk9mP2qR7vL4nT8wZ3bY6cJ1Hd5Fs0Ga", "a long random-looking token"),
])
def test_secret_shaped_values_fail_whatever_the_name(value, shape):
    (message,) = messages(run_policy(NO_PLAINTEXT_SECRETS, with_env({"UPSTREAM": value})))
    assert f"UPSTREAM is a plain environment value (value hidden) and its value looks like {shape}" in message
    assert value[:12] not in message


@pytest.mark.parametrize("value", ["europe-west1-docker.pkg.dev/p/apps/api:1.4.2",
                                   "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d",  # a git sha
                                   "MyServiceV2ProductionDeploymentX", "https://api.example.com/v1", "info"])
def test_ordinary_values_pass(value):
    assert run_policy(NO_PLAINTEXT_SECRETS, with_env({"UPSTREAM": value})) == []


def test_docker_accepts_secret_names_only_with_a_generated_password():
    assert run_policy(NO_PLAINTEXT_SECRETS, docker_stack(), LOCAL_CONFIG) == []
    api = service_container()
    literal = replace(api, property_dependencies={**api.property_dependencies, "envs": ()})
    (message,) = messages(run_policy(NO_PLAINTEXT_SECRETS, [random_password(), literal], LOCAL_CONFIG))
    assert "DATABASE_PASSWORD is a plain environment value (value hidden)" in message
    assert "random.RandomPassword" in message


def test_docker_known_secret_formats_fail_even_with_a_generated_password():
    api = service_container(envs=docker_env(extra={"STRIPE_KEY": "sk_live_51H8xY2eZvKYlo2C0abcdef"}))
    (message,) = messages(run_policy(NO_PLAINTEXT_SECRETS, [random_password(), api], LOCAL_CONFIG))
    assert "STRIPE_KEY" in message and "a Stripe secret key" in message


# --- no-bypass-flags ----------------------------------------------------------------------------
@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: date(2026, 11, 22))


@pytest.mark.parametrize("name", ["EMERGENCY_MODE", "BYPASS_RATE_LIMIT", "SKIP_MIGRATION_CHECK",
                                  "SKIP_SCHEMA_CHECKS", "AUTH_BYPASS"])
def test_switched_on_flags_fail_in_prod(today, name):
    (message,) = messages(run_policy(NO_BYPASS_FLAGS, with_env({name: "true", f"{name}_EXPIRY": "2026-12-01"})))
    assert f"bypass flag {name}=true is on in prod ({name}_EXPIRY=2026-12-01)" in message
    assert "Fix: remove" in message


@pytest.mark.parametrize("value", ["1", "TRUE", "yes", "On"])
def test_truthy_spellings(today, value):
    assert len(run_policy(NO_BYPASS_FLAGS, with_env({"BYPASS_AUTH": value}))) == 1


@pytest.mark.parametrize("value", ["0", "false", "no", "off", ""])
def test_switched_off_flags_pass_even_in_prod(today, value):
    assert run_policy(NO_BYPASS_FLAGS, with_env({"BYPASS_AUTH": value})) == []


def test_expiry_outside_prod(today):
    through_the_day = with_env({"BYPASS_AUTH": "1", "BYPASS_AUTH_EXPIRY": "2026-11-22"})
    assert run_policy(NO_BYPASS_FLAGS, through_the_day, STAGING_CONFIG) == []
    expired = with_env({"BYPASS_AUTH": "1", "BYPASS_AUTH_EXPIRY": "2026-11-21"})
    (message,) = messages(run_policy(NO_BYPASS_FLAGS, expired, STAGING_CONFIG))
    assert "expired on 2026-11-21" in message


def test_shared_emergency_expiry(today):
    shared = with_env({"EMERGENCY_BYPASS": "1", "SKIP_SMOKE_CHECK": "1", "EMERGENCY_BYPASS_EXPIRY": "2026-10-01"})
    found = messages(run_policy(NO_BYPASS_FLAGS, shared, STAGING_CONFIG))
    assert len(found) == 2
    assert all("expired on 2026-10-01 (EMERGENCY_BYPASS_EXPIRY=2026-10-01" in m for m in found)


def test_flag_without_expiry_outside_prod_is_reported(today):
    (message,) = messages(run_policy(NO_BYPASS_FLAGS, with_env({"SKIP_SMOKE_CHECK": "yes"}), STAGING_CONFIG))
    assert "declares no expiry" in message and "SKIP_SMOKE_CHECK_EXPIRY=YYYY-MM-DD" in message


def test_unreadable_expiry_is_reported(today):
    unreadable = with_env({"BYPASS_AUTH": "1", "BYPASS_AUTH_EXPIRY": "next week"})
    (message,) = messages(run_policy(NO_BYPASS_FLAGS, unreadable, STAGING_CONFIG))
    assert "'next week' is not a date written YYYY-MM-DD" in message


def test_environment_defaults_to_prod_when_not_configured(today):
    later = with_env({"BYPASS_AUTH": "1", "BYPASS_AUTH_EXPIRY": "2027-01-01"})
    assert len(run_policy(NO_BYPASS_FLAGS, later, with_config(NO_BYPASS_FLAGS))) == 1


def test_docker_flags(today):
    envs = docker_env(extra={"SKIP_MIGRATION_CHECK": "true", "SKIP_MIGRATION_CHECK_EXPIRY": "2026-11-30"})
    assert run_policy(NO_BYPASS_FLAGS, [service_container(envs=envs)], LOCAL_CONFIG) == []
    assert len(run_policy(NO_BYPASS_FLAGS, [service_container(envs=envs)])) == 1  # prod's policy config
