"""`infra scale set` and `infra scale auto` through infra.cli.main, on temp copies of the stacks."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from infra import cli, config, stackfile, stackfile_edit
from policies import limits
from tests.conftest import REPO


@pytest.fixture(autouse=True)
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    # policy configs are found under the project root: the working directory when it has Pulumi.yaml
    monkeypatch.chdir(REPO)


@pytest.fixture
def prod(tmp_path: Path) -> Path:
    return Path(shutil.copy(REPO / "Pulumi.prod.yaml", tmp_path / "Pulumi.prod.yaml"))


def line_of(path: Path, *keys: str) -> int:
    line = stackfile.read(path).line_of(*keys)
    assert line is not None
    return line


def scale(*args: str) -> int:
    return cli.main(["scale", *args])


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    assert len(before.splitlines()) == len(after.splitlines())
    return [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]


# --- scale set -----------------------------------------------------------------------------------


def test_set_changes_one_line_and_the_file_reparses(prod: Path, capsys):
    before = prod.read_text()
    assert scale("set", "--stack-file", str(prod), "services.api.max_instances=24") == 0
    after = prod.read_text()
    assert changed_lines(before, after) == [("      max_instances: 20", "      max_instances: 24")]
    assert config.load(prod).services["api"].max_instances == 24
    out = capsys.readouterr().out
    assert "+      max_instances: 24" in out and "check: passed" in out


def test_set_refused_by_the_config_model(prod: Path, capsys):
    before = prod.read_bytes()
    assert scale("set", "--stack-file", str(prod), "services.api.max_instances=5000") == 1
    assert prod.read_bytes() == before
    err = capsys.readouterr().err
    line = line_of(prod, "golden-path:services", "api", "max_instances")
    assert f"{prod}:{line}: services.api.max_instances: 5000 is above 1000" in err
    assert limits.RUN_MAX_INSTANCES_DOCS in err and "unchanged" in err


def test_set_refused_by_the_connection_budget(prod: Path, capsys):
    before = prod.read_bytes()
    assert scale("set", "--stack-file", str(prod), "services.api.max_instances=200") == 1
    assert prod.read_bytes() == before
    err = capsys.readouterr().err
    budget = next(line for line in err.splitlines() if "connection-budget" in line)
    # 200 x (5 + 5) + 5 x (3 + 2) + 4 x (2 + 2) against 0.8 x (400 - 10)
    assert "= 2041 connections, above the budget 0.8 x (400 max_connections" in budget
    assert "- 10 reserved) = 312" in budget and "Fix:" in budget
    assert budget.strip().startswith(f"{prod}:")  # the line is infra.report's, as `infra check` gives it


def test_dry_run_prints_the_diff_and_writes_nothing(prod: Path, capsys):
    before = prod.read_bytes()
    assert scale("set", "--stack-file", str(prod), "services.api.max_instances=24", "--dry-run") == 0
    assert prod.read_bytes() == before
    out = capsys.readouterr().out
    assert f"--- a/{prod.as_posix().lstrip('/')}" in out
    assert "-      max_instances: 20\n+      max_instances: 24" in out
    assert "check: passed" in out and "dry run: nothing written" in out


def test_dry_run_of_a_refused_change_says_so_and_exits_1(prod: Path, capsys):
    before = prod.read_bytes()
    assert scale("set", "--stack-file", str(prod), "services.api.max_instances=30", "--dry-run") == 1
    assert prod.read_bytes() == before
    captured = capsys.readouterr()
    assert "+      max_instances: 30" in captured.out
    assert "would be refused (dry run)" in captured.err and "connection-budget" in captured.err


def test_lowering_the_connector_needs_force(prod: Path, capsys):
    before = prod.read_bytes()
    assert scale("set", "--stack-file", str(prod), "network.connector.max_instances=4") == 1
    assert prod.read_bytes() == before
    err = capsys.readouterr().err
    assert "network.connector.max_instances: 5 -> 4 lowers the connector" in err
    assert limits.CONNECTOR_NEVER_SCALES_DOWN in err and "--force" in err

    assert scale("set", "--stack-file", str(prod), "network.connector.max_instances=4", "--force") == 0
    assert config.load(prod).network.connector.max_instances == 4
    assert "--force: " in capsys.readouterr().out


def test_lowering_connector_min_instances_needs_force_too(prod: Path, capsys):
    assert scale("set", "--stack-file", str(prod), "network.connector.min_instances=3") == 0  # raising: fine
    before = prod.read_bytes()
    assert scale("set", "--stack-file", str(prod), "network.connector.min_instances=2") == 1
    assert prod.read_bytes() == before
    assert "network.connector.min_instances: 3 -> 2 lowers the connector" in capsys.readouterr().err


@pytest.mark.parametrize(("assignment", "message"), [
    ("services.api.max_instances", "write KEY=VALUE"),
    ("services.apx.max_instances=3", "services has no entry 'apx'"),
    ("services.api.max_instancs=3", "did you mean services.api.max_instances?"),
])
def test_bad_assignments_are_bad_input(prod: Path, capsys, assignment: str, message: str):
    before = prod.read_bytes()
    assert scale("set", "--stack-file", str(prod), assignment) == 2
    assert prod.read_bytes() == before
    assert message in capsys.readouterr().err


def test_a_key_given_twice_with_different_values_is_bad_input(prod: Path, capsys):
    assert scale("set", "--stack-file", str(prod), "redis.memory_gb=6", "redis.memory_gb=7") == 2
    assert "given twice" in capsys.readouterr().err


def test_an_unknown_stack_is_bad_input(capsys):
    assert scale("set", "--stack", "nope", "redis.memory_gb=6") == 2
    assert "no stack 'nope'" in capsys.readouterr().err


def test_setting_the_value_a_key_has_changes_nothing(prod: Path, capsys):
    before = prod.read_bytes()
    assert scale("set", "--stack-file", str(prod), "services.api.max_instances=20") == 0
    assert prod.read_bytes() == before
    assert "nothing to change" in capsys.readouterr().out


# --- scale auto ----------------------------------------------------------------------------------


def write_metrics(folder: Path, rows: list[tuple[str, str, float]], age_s: int = 60) -> Path:
    """A metrics CSV whose samples are age_s old: `scale auto` decides on the last 15 minutes."""
    at = (datetime.now(UTC) - timedelta(seconds=age_s)).strftime("%Y-%m-%dT%H:%M:%SZ")
    path = folder / "metrics.csv"
    path.write_text("timestamp,resource,metric,value\n" + "".join(f"{at},{r},{m},{v}\n" for r, m, v in rows))
    return path


def test_auto_end_to_end_from_a_metrics_file(prod: Path, tmp_path: Path, capsys):
    metrics = write_metrics(tmp_path, [("services.api", "instances", 15), ("services.web", "instances", 2),
                                       ("database", "connections", 150), ("redis", "memory_ratio", 0.5),
                                       ("network.connector", "instances", 2)])
    started = datetime.now(UTC).replace(microsecond=0)
    assert scale("auto", "--stack-file", str(prod), "--metrics", f"file:{metrics}") == 0
    cfg = config.load(prod)
    assert cfg.services["api"].max_instances == 40  # 15 of 20 = 75%
    assert cfg.services["web"].max_instances == 5  # 40%: no change
    # coupled: the api raise does not fit 400 connections nor the tier's 500 with a 5 + 5 pool
    assert cfg.pool_for("api").size + cfg.pool_for("api").max_overflow == 8
    assert cfg.database.max_connections == 462
    for resource in ("services.api", "database"):
        stamp = datetime.fromisoformat(cfg.scaling.last_scaled[resource])
        assert started <= stamp <= datetime.now(UTC)
    assert set(cfg.scaling.last_scaled) == {"services.api", "database"}
    out = capsys.readouterr().out
    assert "services.api: 15 of 20 instances (75%) >= 70% scale-up threshold" in out
    assert "check: passed" in out and "wrote" in out

    # the next run, within the cooldown and with no newer samples, changes nothing
    before = prod.read_bytes()
    assert scale("auto", "--stack-file", str(prod), "--metrics", f"file:{metrics}") == 0
    assert prod.read_bytes() == before
    assert "nothing to change" in capsys.readouterr().out


def test_auto_dry_run_prints_the_diff_and_writes_nothing(prod: Path, tmp_path: Path, capsys):
    metrics = write_metrics(tmp_path, [("redis", "memory_ratio", 0.8)])
    before = prod.read_bytes()
    assert scale("auto", "--stack-file", str(prod), "--metrics", f"file:{metrics}", "--dry-run") == 0
    assert prod.read_bytes() == before
    out = capsys.readouterr().out
    assert "-    memory_gb: 5\n+    memory_gb: 10" in out
    assert "+    last_scaled:" in out and "dry run: nothing written" in out


def test_auto_with_nothing_to_do_exits_0(prod: Path, tmp_path: Path, capsys):
    metrics = write_metrics(tmp_path, [("services.api", "instances", 10)])
    before = prod.read_bytes()
    assert scale("auto", "--stack-file", str(prod), "--metrics", f"file:{metrics}") == 0
    assert prod.read_bytes() == before
    assert "nothing to change" in capsys.readouterr().out


def test_auto_never_writes_a_config_the_policies_reject(prod: Path, tmp_path: Path, capsys):
    # a pool wait longer than api's 60 s request timeout: the config model allows it, a policy does not
    prod.write_text(prod.read_text().replace("timeout_s: 10 ", "timeout_s: 120"))
    metrics = write_metrics(tmp_path, [("redis", "memory_ratio", 0.8)])
    before = prod.read_bytes()
    assert scale("auto", "--stack-file", str(prod), "--metrics", f"file:{metrics}") == 1
    assert prod.read_bytes() == before
    err = capsys.readouterr().err
    assert "timeout-coherence" in err and "the file fails this already, before the change" in err


def test_auto_with_unusable_metrics_is_bad_input(prod: Path, tmp_path: Path, capsys):
    bad = tmp_path / "metrics.csv"
    bad.write_text("timestamp,resource,metric,value\n2026-11-22T10:00:00Z,services.nope,instances,1\n")
    assert scale("auto", "--stack-file", str(prod), "--metrics", f"file:{bad}") == 2
    assert "unknown resource 'services.nope'" in capsys.readouterr().err


def test_set_can_repair_a_file_the_config_model_rejects(prod: Path, capsys):
    prod.write_text(prod.read_text().replace("max_instances: 20", "max_instances: 5000"))
    with pytest.raises(config.ConfigError):
        config.load(prod)
    assert scale("set", "--stack-file", str(prod), "services.api.max_instances=20") == 0
    assert config.load(prod).services["api"].max_instances == 20


def test_a_change_that_leaves_a_problem_of_the_file_is_refused_for_it_and_says_it_is_not_new(prod: Path, capsys):
    prod.write_text(prod.read_text().replace("max_instances: 20", "max_instances: 5000"))
    before = prod.read_bytes()
    assert scale("set", "--stack-file", str(prod), "redis.memory_gb=6") == 1
    assert prod.read_bytes() == before
    err = capsys.readouterr().err
    assert "services.api.max_instances: 5000 is above 1000" in err
    assert "(the file has this already, before the change)" in err
    assert scale("set", "--stack-file", str(prod), "services.api.max_instances=5001") == 1
    assert "before the change" not in capsys.readouterr().err  # a problem of the change's own


def test_a_budget_refusal_beyond_the_tier_says_the_tier_must_grow(prod: Path, capsys):
    assert scale("set", "--stack-file", str(prod), "services.api.max_instances=50") == 1
    # 50 x 10 + 41 = 541 connections need max_connections 687; db-custom-4-15360 (15 GiB) is sized for 500
    assert "max_connections 687 is beyond tier db-custom-4-15360's documented size of 500" in capsys.readouterr().err


def test_auto_decides_from_the_file_as_it_is_under_the_lock(prod: Path, tmp_path: Path):
    # Another scaler holds the lock and raises api meanwhile: this run must see that, not the
    # file as it was when it started, and so leave api alone (it was just scaled).
    metrics = write_metrics(tmp_path, [("services.api", "instances", 15)])
    command = [sys.executable, "-u", "-m", "infra.cli", "scale", "auto", "--stack-file", str(prod),
               "--metrics", f"file:{metrics}"]
    with stackfile_edit.locked(prod):
        scaler = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert scaler.stdout is not None
        assert scaler.stdout.readline().startswith("scale auto ")  # printed just before it takes the lock
        time.sleep(0.3)
        just_now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        text, _ = stackfile_edit.apply(prod.read_text(), prod, {"services.api.max_instances": 30,
                                                                'scaling.last_scaled."services.api"': just_now})
        stackfile_edit.write_atomic(prod, text)
    out, err = scaler.communicate(timeout=120)
    assert scaler.returncode == 0, err
    assert config.load(prod).services["api"].max_instances == 30
    assert "nothing to change" in out
