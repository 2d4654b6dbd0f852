"""`infra plan` as a user runs it: every stack by default, one stack, any stack file, bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from infra import cli
from tests.conftest import REPO


def test_plan_prints_every_committed_stack(capsys) -> None:
    assert cli.main(["plan"]) == 0
    out = capsys.readouterr().out
    for line in ("local: local on docker", "staging: staging on gcp (golden-path-staging, europe-west1)",
                 "prod: prod on gcp (golden-path-prod, europe-west1)"):
        assert line in out
    assert "connector  gp-prod-conn    machine_type e2-standard-4, min_instances 2, max_instances 5" in out
    assert "database   gp-prod-pg      tier db-custom-4-15360, max_connections 400" in out
    assert "gp-prod-api     min_instances 2, max_instances 20, concurrency 80, timeout 60s, cpu 2, memory 1Gi, " \
           "pool 5+5, pool_timeout 10s, redis_timeout 2s" in out
    assert "postgres   gp-local-postgres  max_connections 100" in out


def test_plan_json_for_a_stack_file_outside_the_repo(tmp_path: Path, capsys) -> None:
    path = tmp_path / "Pulumi.sandbox.yaml"
    shutil.copy(REPO / "Pulumi.local.yaml", path)
    assert cli.main(["plan", "--stack-file", str(path), "--format", "json"]) == 0
    (stack,) = json.loads(capsys.readouterr().out)["stacks"]
    assert stack["stack"] == "sandbox"
    assert stack["counts"]["docker:index/container:Container"] == 5
    assert stack["outputs"]["service_urls"]["api"] == "http://localhost:8080"


def test_bad_input_exits_2_with_the_message_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text("config:\n  golden-path:environment: local\n  golden-path:target: docker\n"
                   "  golden-path:redis:\n    memory_gb: 0\n")
    for args, message in (
        (["--stack-file", str(bad)], f"{bad}:5: redis.memory_gb: 0 is below 1"),
        (["--stack", "qa"], "no stack 'qa'"),
        (["--stack-file", str(tmp_path / "Pulumi.none.yaml")], "no such stack file"),
    ):
        done = subprocess.run([sys.executable, "-m", "infra.cli", "plan", *args], capture_output=True, text=True,
                              cwd=REPO, timeout=120)
        assert done.returncode == 2, done.stderr
        assert message in done.stderr and "Traceback" not in done.stderr


def test_a_reader_that_leaves_early_ends_the_command_quietly() -> None:
    """`infra plan | head -1`: stdout closed before the first write is not an error."""
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to the pipe now fails with EPIPE
    try:
        done = subprocess.run([sys.executable, "-m", "infra.cli", "plan", "--stack", "local"], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, cwd=REPO, timeout=120)
    finally:
        os.close(write_end)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
