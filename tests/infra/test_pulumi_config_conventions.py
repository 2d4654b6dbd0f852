"""Pulumi's config conventions hold in `infra plan` and `infra check` (the real CLI code paths, stack
files on disk in Pulumi's own formats) and in the program under the engine (config.from_pulumi).

- A `{secure: v1:...}` value is accepted where the model accepts text or a secret: never decrypted,
  never printed, a Pulumi secret in the captured properties. A setting the gate checks refuses one
  with the command that stores it in plain text.
- A fraction `pulumi config set --path` stored as text ("0.75") is the number, in the gate and under
  the engine alike; whole numbers written as text stay refused.
- The secrets-provider header and `environment:` imports are the CLI's business, not the config's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pulumi.runtime import config as runtime_config
from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret

from infra import config, offline, pulumi_config, stackfile
from infra.cli import main
from infra.pulumi_config import SHOWN, SecretValue
from policies.contract import CONTAINER, RUN_SERVICE, UNDECRYPTED_SECRET
from tests.conftest import REPO
from tests.pulumi_stack_files import CIPHERTEXT, ENVIRONMENT, KMS, PASSPHRASE, pulumi_stack, secret_env

FORMATS = ("table", "json", "sarif", "junit", "markdown")


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch):
    """Default policy configs are found from the project root, as in CI."""
    monkeypatch.chdir(REPO)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def config_errors(json_report: str) -> list[tuple[int, str, str]]:
    """(line, key, message) of each config error in `infra check --format json`'s report."""
    return [(e["line"], e["key"], e["message"]) for e in json.loads(json_report)["errors"]]


def run_envs(resource: offline.CapturedResource) -> dict[str, object]:
    """A Cloud Run service's env values as captured (secrets still wrapped)."""
    return {e["name"]: e.get("value") for e in resource.props["template"]["containers"][0]["envs"]}


def one(plan: offline.Plan, type_: str, name: str) -> offline.CapturedResource:
    (found,) = [r for r in plan.of_type(type_) if r.props.get("name") == name]
    return found


# --- secure values ----------------------------------------------------------------------------------
@pytest.mark.parametrize("header", [PASSPHRASE, KMS + ENVIRONMENT], ids=["passphrase", "kms-and-esc"])
def test_a_secret_env_value_loads_as_a_secret_never_decrypted(tmp_path: Path, header: str) -> None:
    cfg = config.load(pulumi_stack(tmp_path, "prod", header, secret_env("prod")))
    assert cfg.services["api"].env == {"LOG_LEVEL": "info", "SENTRY_DSN": pulumi_config.UNDECRYPTED}
    assert repr(cfg.services["api"].env["SENTRY_DSN"]) == SHOWN  # a model dump or message shows [secret]


def test_the_captured_env_value_is_a_pulumi_secret_of_unknown_value(tmp_path: Path) -> None:
    plan = offline.plan(pulumi_stack(tmp_path, "prod", edits=secret_env("prod")))
    envs = run_envs(one(plan, RUN_SERVICE, "gp-prod-api"))
    assert is_rpc_secret(envs["SENTRY_DSN"]) and unwrap_rpc_secret(envs["SENTRY_DSN"]) == UNDECRYPTED_SECRET
    assert envs["LOG_LEVEL"] == "info"  # the plain values next to it stay plain


def test_a_secret_notification_email_is_accepted_and_stays_secret(tmp_path: Path) -> None:
    email = "    notification_email: platform-oncall@example.com\n"
    path = pulumi_stack(tmp_path, "prod", edits={email: f"    notification_email:\n      secure: {CIPHERTEXT}\n"})
    plan = offline.plan(path)
    (channel,) = plan.of_type("gcp:monitoring/notificationChannel:NotificationChannel")
    assert is_rpc_secret(channel.props["labels"]["email_address"])


def test_plan_never_prints_the_secret(tmp_path: Path, capsys) -> None:
    path = pulumi_stack(tmp_path, "prod", edits=secret_env("prod"))
    for fmt in ("table", "json"):
        code, out, err = run(capsys, "plan", "--stack-file", str(path), "--format", fmt)
        assert code == 0 and UNDECRYPTED_SECRET not in out + err and CIPHERTEXT not in out + err
    code, out, _ = run(capsys, "plan", "--stack-file", str(path), "--format", "json")
    (api,) = [r for stack in json.loads(out)["stacks"] for r in stack["resources"]
              if r["type"] == RUN_SERVICE and r["props"]["name"] == "gp-prod-api"]
    assert {"name": "SENTRY_DSN", "value": SHOWN} in api["props"]["template"]["containers"][0]["envs"]


def test_check_refuses_a_secret_in_a_cloud_run_env_value_and_never_prints_it(tmp_path: Path, capsys) -> None:
    path = pulumi_stack(tmp_path, "prod", KMS + ENVIRONMENT, secret_env("prod"))
    code, out, _ = run(capsys, "check", "--stack-file", str(path), "--format", "json")
    assert code == 1
    (violation,) = [v for v in json.loads(out)["violations"] if v["policy"] == "no-plaintext-secrets"]
    assert violation["resource"] == "service-api-service" and violation["enforcement"] == "mandatory"
    assert "SENTRY_DSN is a Pulumi secret delivered as a plain environment value" in violation["message"]
    assert "run.services.get" in violation["message"]
    assert violation["message"].endswith("Fix: move it to services.api.secrets (Secret Manager).")
    for fmt in FORMATS:
        code, out, err = run(capsys, "check", "--stack-file", str(path), "--format", fmt)
        assert code == 1 and UNDECRYPTED_SECRET not in out + err and CIPHERTEXT not in out + err, fmt


def test_a_secret_env_value_on_docker_is_how_a_laptop_gets_it(tmp_path: Path, capsys) -> None:
    path = pulumi_stack(tmp_path, "local", edits=secret_env("local"))
    code, out, err = run(capsys, "check", "--stack-file", str(path))
    assert code == 0, out + err
    plan = offline.plan(path)
    (api,) = [r for r in plan.of_type(CONTAINER) if r.props["name"] == "gp-local-api"]
    secrets = [unwrap_rpc_secret(e) for e in api.props["envs"] if is_rpc_secret(e)]
    assert secrets == [f"SENTRY_DSN={UNDECRYPTED_SECRET}"]


@pytest.mark.parametrize(("edit", "key"), [
    ({"      image: europe-west1-docker.pkg.dev/golden-path-prod/apps/api:1.4.2\n":
      f"      image:\n        secure: {CIPHERTEXT}\n"}, "services.api.image"),
    ({"    tier: db-custom-4-15360      # 4 vCPU, 15 GiB\n": f"    tier:\n      secure: {CIPHERTEXT}\n"},
     "database.tier"),
    ({"    max_connections: 400 ": f"    max_connections:\n      secure: {CIPHERTEXT}\n    #"},
     "database.max_connections"),
    ({"  golden-path:environment: prod\n": f"  golden-path:environment:\n    secure: {CIPHERTEXT}\n"}, "environment"),
])
def test_a_secret_where_the_gate_must_check_the_value_says_how_to_store_it(tmp_path: Path, capsys, edit, key) -> None:
    path = pulumi_stack(tmp_path, "prod", edits=edit)
    line = stackfile.read(path).line_of(*config.stack_key(tuple(key.split("."))))
    code, out, err = run(capsys, "check", "--stack-file", str(path), "--format", "json")
    assert code == 2 and CIPHERTEXT not in out + err
    assert config_errors(out) == [(line, key, "is a Pulumi secret (secure:), and this setting must be plain text: "
                                   "infra plan and check never decrypt, so they could not check it; set it with: "
                                   f"pulumi config set --path 'golden-path:{key}' VALUE")]


# --- numbers `pulumi config set --path` stores as text ---------------------------------------------------
def test_a_fraction_stored_as_text_is_the_number_in_plan_and_check(tmp_path: Path, capsys) -> None:
    api_cpu = "      cpu: {}\n      memory: 1Gi\n      min_instances: 2"
    edits = {"    scale_up_at: 0.7\n": '    scale_up_at: "0.75"\n', api_cpu.format(2): api_cpu.format("'2.0'")}
    path = pulumi_stack(tmp_path, "prod", edits=edits)
    cfg = config.load(path)
    assert (cfg.scaling.scale_up_at, cfg.services["api"].cpu) == (0.75, 2.0)
    assert run(capsys, "plan", "--stack-file", str(path))[0] == 0
    assert run(capsys, "check", "--stack-file", str(path))[0] == 0
    api = one(offline.plan(path), RUN_SERVICE, "gp-prod-api")
    assert api.props["template"]["containers"][0]["resources"]["limits"]["cpu"] == "2"  # the program read 2


def test_whole_numbers_and_non_numbers_as_text_stay_refused(tmp_path: Path, capsys) -> None:
    edits = {"      port: 8080\n      health_path: /healthz\n      public: true\n      env:":
             "      port: '8080'\n      health_path: /healthz\n      public: true\n      env:",
             "    scale_up_at: 0.7\n": "    scale_up_at: 'high'\n"}
    path = pulumi_stack(tmp_path, "prod", edits=edits)
    code, out, _ = run(capsys, "check", "--stack-file", str(path), "--format", "json")
    assert code == 2
    assert [(key, message) for _, key, message in config_errors(out)] == [
        ("services.api.port", "'8080' is not a whole number"), ("scaling.scale_up_at", "'high' is not a number")]


# --- the program under the engine ------------------------------------------------------------------------
@pytest.fixture
def engine(monkeypatch):
    """The runtime config as the CLI's Python host sets it: decrypted values, and the secret keys."""
    import pulumi

    def hand(path: Path, config_map: dict[str, str], secret_keys: list[str]) -> None:
        monkeypatch.setattr(pulumi, "get_stack", lambda: stackfile.stack_name(path))
        monkeypatch.setattr(pulumi, "get_root_directory", lambda: str(path.parent))
        runtime_config.set_all_config(config_map, secret_keys)

    yield hand
    runtime_config.set_all_config({}, [])


def decrypted(path: Path, plaintext: str) -> dict[str, str]:
    """What the CLI hands the program for a stack file once it has decrypted its secure values."""
    handed = pulumi_config.to_pulumi_config(stackfile.read(path).config)
    return {k: v.replace(UNDECRYPTED_SECRET, plaintext) for k, v in handed.items()}


def test_under_the_engine_the_plaintext_is_a_secret_where_the_stack_file_has_it(tmp_path: Path, engine) -> None:
    path = pulumi_stack(tmp_path, "prod", edits=secret_env("prod"))
    dsn = "https://abc123@o1.ingest.sentry.io/42"
    engine(path, decrypted(path, dsn), ["golden-path:services"])
    cfg = config.from_pulumi()
    assert cfg.services["api"].env == {"LOG_LEVEL": "info", "SENTRY_DSN": SecretValue(dsn)}
    assert cfg.services["api"].image == config.load(path).services["api"].image  # plain text stays plain
    assert cfg.model_dump(exclude={"services"}) == config.load(path).model_dump(exclude={"services"})


def test_under_the_engine_a_secret_the_stack_file_does_not_show_stays_secret(tmp_path: Path, engine) -> None:
    """A secret key whose secret came from an ESC environment: its text is not in the stack file in plain."""
    email = "    notification_email: platform-oncall@example.com\n"
    path = pulumi_stack(tmp_path, "prod", KMS + ENVIRONMENT, {email: ""})
    handed = pulumi_config.to_pulumi_config(stackfile.read(path).config)
    monitoring = json.loads(handed["golden-path:monitoring"])
    handed["golden-path:monitoring"] = json.dumps({**monitoring, "notification_email": "oncall@example.org"})
    engine(path, handed, ["golden-path:monitoring"])
    cfg = config.from_pulumi()
    assert cfg.monitoring.notification_email == SecretValue("oncall@example.org")
    assert cfg.monitoring.alert_at == 0.8


def test_under_the_engine_a_fraction_as_text_is_the_number(tmp_path: Path, engine) -> None:
    path = pulumi_stack(tmp_path, "prod", edits={"    scale_up_at: 0.7\n": '    scale_up_at: "0.75"\n'})
    engine(path, pulumi_config.to_pulumi_config(stackfile.read(path).config), [])
    assert config.from_pulumi() == config.load(path)
    assert config.from_pulumi().scaling.scale_up_at == 0.75
