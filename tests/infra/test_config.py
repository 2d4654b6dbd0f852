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
