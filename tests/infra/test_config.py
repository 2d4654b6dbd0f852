"""The config model: committed stacks load; every kind of bad input gets FILE:LINE: key: message."""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi.runtime import config as runtime_config

from infra import config, pulumi_config, stackfile
from infra.config import ConfigError
from tests.conftest import GCP_STAGING, REPO, STACKS


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    return caught.value.problems


@pytest.mark.parametrize("stack", STACKS)
def test_committed_stacks_load(stack: str) -> None:
    cfg = config.load(REPO / f"Pulumi.{stack}.yaml")
    assert cfg.stack == stack and cfg.environment == stack
    assert set(cfg.services) == {"api", "web", "worker"}


def test_service_pool_override_merges_with_database_pool() -> None:
    cfg = config.load(REPO / "Pulumi.prod.yaml")
    assert cfg.pool_for("web").model_dump() == {"size": 3, "max_overflow": 2, "timeout_s": 10, "recycle_s": 1800}
    assert cfg.pool_for("api") == cfg.database.pool


def test_out_of_range_names_file_line_key_limit_and_source(write_stack) -> None:
    path = write_stack(GCP_STAGING + "  golden-path:services:\n    api:\n      image: app:1\n"
                       "      max_instances: 5000\n")
    assert problems(path) == [
        f"{path}:9: services.api.max_instances: 5000 is above 1000 (Cloud Run's max instances per service at "
        "the default regional quota is 1 to 1000, https://cloud.google.com/run/docs/configuring/max-instances-limits)"
    ]


def test_the_incident_connector_is_refused_with_every_reason(write_stack) -> None:
    path = write_stack(GCP_STAGING + "  golden-path:network:\n    connector:\n      machine_type: e2-standard-8\n"
                       "      min_instances: 10\n      max_instances: 100\n")
    found = problems(path)
    assert [p.split(": ", 2)[:2] for p in found] == [
        [f"{path}:8", "network.connector.machine_type"],
        [f"{path}:9", "network.connector.min_instances"],
        [f"{path}:10", "network.connector.max_instances"],
    ]
    assert "'e2-standard-8' is not one of f1-micro, e2-micro, e2-standard-4" in found[0]
    assert "10 is above 9 (the connector's min_instances range is 2 to 9, https://" in found[1]
    assert "100 is above 10" in found[2]


def test_unknown_keys_suggest_the_nearest(write_stack) -> None:
    path = write_stack(GCP_STAGING + "  golden-path:servces: {}\n  golden-path:database:\n    max_conections: 5\n")
    assert problems(path) == [
        f"{path}:6: golden-path:servces: unknown key; did you mean golden-path:services?",
        f"{path}:8: database.max_conections: unknown key; did you mean max_connections?",
    ]


def test_wrong_type_and_missing_required(write_stack) -> None:
    path = write_stack(GCP_STAGING + "  golden-path:services:\n    api:\n      port: '80'\n")
    assert problems(path) == [
        f"{path}:7: services.api.image: is required",
        f"{path}:8: services.api.port: '80' is not a whole number",
    ]


def test_missing_environment_points_at_the_config_map(write_stack) -> None:
    path = write_stack("config:\n  golden-path:target: docker\n")
    assert problems(path) == [f"{path}:1: environment: is required"]


def test_namespace_and_target_rules(write_stack) -> None:
    path = write_stack("config:\n  environment: local\n  golden-path:environment: local\n"
                       "  golden-path:target: docker\n")
    assert problems(path) == [
        f"{path}:2: environment: config keys are namespaced; write it as golden-path:environment",
    ]
    path = write_stack("config:\n  golden-path:environment: prod\n  golden-path:target: gcp\n")
    assert problems(path) == [f"{path}: target gcp needs gcp:project and gcp:region in the stack file"]


def test_combination_rules_cite_the_limit(write_stack) -> None:
    path = write_stack(GCP_STAGING + "  golden-path:services:\n    api:\n      image: app:1\n      cpu: 0.5\n"
                       "      concurrency: 80\n")
    (problem,) = problems(path)
    assert problem.startswith(f"{path}:7: services.api: concurrency 80 needs cpu >= 1; with cpu 0.5")
    assert "https://cloud.google.com/run/docs/about-concurrency" in problem


def test_secret_values_are_never_echoed(write_stack) -> None:
    path = write_stack(GCP_STAGING + "  golden-path:services:\n    api:\n      image: app:1\n      secrets:\n"
                       "        STRIPE_API_KEY: 'sk_live_abc def'\n")
    (problem,) = problems(path)
    assert "sk_live" not in problem and "STRIPE_API_KEY: not a Secret Manager secret id" in problem


@pytest.mark.parametrize(("pasted", "shape"), [
    ("sk_live_" + "Qx7RkP3mWz9TbN2vLc8HyJ4d", "a Stripe secret key"),
    ("Qx7RkP3mWz9TbN2vLc8HyJ4dZq7RkP3mWx9Tb", "a long random-looking token"),
])
def test_a_secret_pasted_where_its_id_belongs_is_refused(write_stack, pasted, shape) -> None:
    # Its characters are an id's: without a look at its shape, it would be planned, and committed.
    path = write_stack(GCP_STAGING + "  golden-path:services:\n    api:\n      image: app:1\n      secrets:\n"
                       f"        STRIPE_API_KEY: {pasted}\n")
    assert problems(path) == [f"{path}:9: services.api.secrets: STRIPE_API_KEY: {shape} where a Secret Manager "
                              "secret id belongs; put the value in Secret Manager (and rotate it), never in the "
                              "stack file"]


def test_malformed_yaml_missing_file_and_duplicates(write_stack, tmp_path: Path) -> None:
    path = write_stack("config:\n  golden-path:environment: [local\n")
    (problem,) = problems(path)
    assert problem.startswith(f"{path}:3: malformed YAML:")
    missing = tmp_path / "Pulumi.nope.yaml"
    assert problems(missing) == [f"{missing}: no such stack file"]
    path = write_stack("config:\n  golden-path:environment: local\n  golden-path:environment: prod\n")
    (problem,) = problems(path)
    assert problem.startswith(f"{path}:3: malformed YAML: duplicate key 'golden-path:environment'")
    wrong_name = tmp_path / "stack.yaml"
    wrong_name.write_text("config: {}\n")
    assert problems(wrong_name) == [f"{wrong_name}: a stack file is named Pulumi.<stack>.yaml"]


def test_yaml_1_2_booleans_like_pulumi(write_stack) -> None:
    # `on` is a string in YAML 1.2 (Pulumi's reading), not true: it must not turn into a boolean.
    path = write_stack("config:\n  golden-path:environment: local\n  golden-path:target: docker\n"
                       "  golden-path:services:\n    api:\n      image: app:1\n      env:\n        FEATURE: on\n")
    assert config.load(path).services["api"].env == {"FEATURE": "on"}
    assert stackfile.read(path).line_of("golden-path:services", "api", "env", "FEATURE") == 8


@pytest.mark.parametrize("stack", STACKS)
def test_from_pulumi_fills_the_same_model(stack: str, monkeypatch) -> None:
    import pulumi

    path = REPO / f"Pulumi.{stack}.yaml"
    raw = stackfile.read(path).config
    monkeypatch.chdir(REPO)
    monkeypatch.setattr(pulumi, "get_stack", lambda: stack)
    monkeypatch.setattr(pulumi, "get_root_directory", lambda: str(REPO))
    runtime_config.set_all_config(pulumi_config.to_pulumi_config(raw), [])
    try:
        assert config.from_pulumi() == config.load(path)
    finally:
        runtime_config.set_all_config({}, [])


def test_from_pulumi_reports_lines_of_the_stack_file(write_stack, monkeypatch) -> None:
    import pulumi

    path = write_stack(GCP_STAGING + "  golden-path:redis:\n    memory_gb: 500\n", name="edge")
    monkeypatch.chdir(path.parent)
    monkeypatch.setattr(pulumi, "get_stack", lambda: "edge")
    monkeypatch.setattr(pulumi, "get_root_directory", lambda: str(path.parent))
    runtime_config.set_all_config(pulumi_config.to_pulumi_config(stackfile.read(path).config), [])
    try:
        with pytest.raises(ConfigError) as caught:
            config.from_pulumi()
    finally:
        runtime_config.set_all_config({}, [])
    assert caught.value.problems == [
        "Pulumi.edge.yaml:7: redis.memory_gb: 500 is above 300 (Memorystore memory (GB) is 1 to 300, "
        "https://cloud.google.com/memorystore/docs/redis/redis-tiers)"]


def test_control_characters_are_bad_input_not_a_crash(write_stack) -> None:
    path = write_stack("config:\n  golden-path:environment: local\x07\n")
    (problem,) = problems(path)
    assert problem.startswith(f"{path}: malformed YAML:") and "#x0007" in problem


SERVICE = GCP_STAGING + "  golden-path:services:\n    api:\n      image: app:1\n"
SECRET = "sk_live_" + "Zq7RkP3mWx9TbN2vLc8H"  # shaped like a Stripe secret key


@pytest.mark.parametrize(("section", "problem"), [
    (SERVICE + "      cpu: .nan\n", ":9: services.api.cpu: nan is not a finite number (Cloud Run's cpu per instance is "
                                    "0.08 to 8, https://cloud.google.com/run/docs/configuring/services/cpu)"),
    (SERVICE + "      max_instances: -.inf\n",
     ":9: services.api.max_instances: -inf is not a finite number (Cloud Run's max instances per service at the "
     "default regional quota is 1 to 1000"),
    (GCP_STAGING + "  golden-path:database:\n    pool:\n      size: .inf\n",
     ":8: database.pool.size: inf is not a finite number; it must be at least 1"),
    (GCP_STAGING + "  golden-path:scaling:\n    step: .NaN\n",
     ":7: scaling.step: nan is not a finite number; it must be above 1, at most 100"),
    (SERVICE + "      env:\n        RATIO: .inf\n", ":10: services.api.env.RATIO: inf is not a finite number"),
])
def test_nan_and_infinities_are_refused_with_the_key_and_what_is_allowed(write_stack, section: str,
                                                                         problem: str) -> None:
    path = write_stack(section)
    (found,) = problems(path)
    assert found.startswith(f"{path}{problem}")


def test_env_numbers_reach_the_container_as_the_program_under_the_engine_has_them(write_stack, monkeypatch) -> None:
    import pulumi

    path = write_stack(SERVICE + "      env:\n        WORKERS: 4\n        RATIO: 1.0\n        HALF: 0.5\n"
                                 "        DEBUG: true\n        SINCE: 2026-11-22\n", name="env")
    expected = {"WORKERS": "4", "RATIO": "1", "HALF": "0.5", "DEBUG": "true", "SINCE": "2026-11-22 00:00:00 +0000 UTC"}
    assert config.load(path).services["api"].env == expected
    monkeypatch.chdir(path.parent)
    monkeypatch.setattr(pulumi, "get_stack", lambda: "env")
    monkeypatch.setattr(pulumi, "get_root_directory", lambda: str(path.parent))
    runtime_config.set_all_config(pulumi_config.to_pulumi_config(stackfile.read(path).config), [])
    try:
        assert config.from_pulumi().services["api"].env == expected
    finally:
        runtime_config.set_all_config({}, [])


def test_the_pulumi_clis_own_keys_are_accepted_and_others_in_its_namespace_named(write_stack) -> None:
    path = write_stack(GCP_STAGING + "  pulumi:tags: {team: web}\n  pulumi:disable-default-providers: ['*']\n"
                                     "  pulumi:autonaming: {mode: default}\n  pulumi:template: https://x/y\n")
    assert config.load(path).stack == "test"
    path = write_stack(GCP_STAGING + "  pulumi:tag: {team: web}\n")
    assert problems(path) == [f"{path}:6: pulumi:tag: unknown key; did you mean pulumi:tags? (the keys the Pulumi "
                              "CLI reads in its own namespace)"]


@pytest.mark.parametrize(("key", "written"), [("~", "~"), ("null", "null"), ("12", "12"), ("True", "True")])
def test_a_config_key_that_is_no_text_is_named_as_written(write_stack, key: str, written: str) -> None:
    path = write_stack(GCP_STAGING + f"  {key}: x\n")
    assert problems(path) == [f"{path}:6: {written}: is not a name; a config key is text such as "
                              "golden-path:environment (YAML reads null, numbers and true/false as values, not names)"]


@pytest.mark.parametrize("text", [
    SERVICE + f"      max_instances: {SECRET}\n",
    SERVICE + f"      cpu: {SECRET}\n",
    SERVICE + f"      memory: {SECRET}\n",
    SERVICE + f"      health_path: {SECRET}\n",
    SERVICE + f"      env: [{SECRET}]\n",
    SERVICE + f"      env:\n        X:\n          secure: {SECRET}\n          other: 1\n",
    SERVICE + f"      max_instances:\n        secure: v1:{SECRET}\n",
    SERVICE + f"      websocket: {SECRET}\n",
    SERVICE + f"      env:\n        {SECRET}-x: 1\n      secrets:\n        {SECRET}: 'not an id'\n",
    SERVICE.replace("image: app:1", f"image: {SECRET} 1"),
    GCP_STAGING.replace("environment: staging", f"environment: {SECRET}"),
    GCP_STAGING + f"  golden-path:redis:\n    tier: {SECRET}\n",
    GCP_STAGING + f"  golden-path:database:\n    tier: {SECRET}\n    version: {SECRET}\n    availability: {SECRET}\n",
    GCP_STAGING + f"  golden-path:network:\n    connector:\n      machine_type: {SECRET}\n"
                  f"      ip_cidr_range: {SECRET}\n",
    GCP_STAGING + f"  golden-path:scaling:\n    last_scaled: {{api: [{SECRET}]}}\n",
    GCP_STAGING + f"  {SECRET}: 1\n  {SECRET}x:y: 1\n  golden-path:{SECRET}: 1\n",
    GCP_STAGING + f"  golden-path:services:\n    {SECRET}: {{image: x}}\n",
])
def test_a_secret_pasted_anywhere_is_never_repeated(write_stack, text: str) -> None:
    path = write_stack(text)
    found = problems(path)
    assert found and all(line.startswith(f"{path}:") and SECRET not in line for line in found)


@pytest.mark.parametrize(("cidr", "problem"), [
    ("fd00::/28", "fd00::/28 is an IPv6 range; a connector's range is an IPv4 /28 such as 10.8.0.0/28"),
    ("10.8.0.0/24", "10.8.0.0/24 is a /24; a connector needs a dedicated /28"),
    ("10.8.0.1/28", "10.8.0.1/28 is an address, not a range's first one; the range is 10.8.0.0/28"),
    ("10.8.0.0", "10.8.0.0 is a /32; a connector needs a dedicated /28"),
])
def test_a_connector_range_is_an_ipv4_slash_28(write_stack, cidr: str, problem: str) -> None:
    path = write_stack(GCP_STAGING + f"  golden-path:network:\n    connector:\n      ip_cidr_range: {cidr}\n")
    (found,) = problems(path)
    assert found.startswith(f"{path}:8: network.connector.ip_cidr_range: {problem}")


def test_a_cooldown_beyond_the_metrics_window_is_refused(write_stack) -> None:
    path = write_stack(GCP_STAGING + "  golden-path:scaling:\n    cooldown_s: 99999999999999\n")
    assert problems(path) == [f"{path}:7: scaling.cooldown_s: 99999999999999 is out of range; it must be at most "
                              f"{config.METRICS_WINDOW_S}"]


def test_each_of_many_problems_is_its_own_line_at_its_own_line(write_stack) -> None:
    services = "".join(f"    s{n}x:\n      image: ''\n" for n in range(3000))
    path = write_stack(GCP_STAGING + "  golden-path:services:\n" + services)
    found = problems(path)
    assert len(found) == 3000
    assert found[0] == f"{path}:8: services.s0x.image: '' is not a container image reference"
    assert found[-1] == f"{path}:{7 + 2 * 3000 - 1}: services.s2999x.image: '' is not a container image reference"
