"""What every command does with input it cannot use: one line on stderr, exit 2, never a traceback."""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import pytest

from infra import cli
from tests.conftest import GCP_STAGING, REPO

SECRET = "sk_live_" + "Zq7RkP3mWx9TbN2vLc8H"  # a value shaped like a Stripe secret key


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


COMMANDS = [("plan",), ("check",), ("scale", "set", "services.api.max_instances=3"), ("scale", "set", "--dry-run",
            "services.api.max_instances=3"), ("forecast", "--metrics", "file:metrics.csv")]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_an_empty_stack_file_path_is_bad_input(capsys, command) -> None:
    code, out, err = run(capsys, *command, "--stack-file", "")
    assert code == 2
    assert err.strip() == "--stack-file: the path is empty; give a Pulumi.<stack>.yaml file"
    assert "local" not in out  # `plan --stack-file ''` once planned every stack


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_fifo_or_a_folder_is_refused_without_waiting(tmp_path: Path, capsys, command) -> None:
    fifo = tmp_path / "Pulumi.fifo.yaml"
    os.mkfifo(fifo)  # nobody writes to it: reading it would block forever
    folder = tmp_path / "Pulumi.folder.yaml"
    folder.mkdir()
    for path in (fifo, folder):
        code, _, err = run(capsys, *command, "--stack-file", str(path))
        assert code == 2
        assert err.strip() == (f"{path}: not a regular file (a directory, FIFO or device); "
                               "a stack file is a file")


def test_a_stack_file_above_the_size_limit_is_refused_before_it_is_read(tmp_path: Path, capsys) -> None:
    from infra.stackfile import MAX_STACK_FILE_BYTES

    path = tmp_path / "Pulumi.huge.yaml"
    with path.open("wb") as file:
        file.truncate(MAX_STACK_FILE_BYTES + 1)  # sparse: nothing is written
    code, out, _ = run(capsys, "check", "--stack-file", str(path))
    assert code == 2
    assert f"above the {MAX_STACK_FILE_BYTES} bytes a stack file may have" in out


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_nan_and_infinities_never_reach_a_policy(tmp_path: Path, capsys, value) -> None:
    path = tmp_path / "Pulumi.staging.yaml"
    services = f"  golden-path:services:\n    api:\n      image: example/api:1\n      cpu: {value}\n"
    path.write_text(GCP_STAGING + services)
    code, _, err = run(capsys, "plan", "--stack-file", str(path))
    assert code == 2
    assert err == (f"{path}:9: services.api.cpu: {float(value.replace('.', ''))!r} is not a finite number "
                   "(Cloud Run's cpu per instance is 0.08 to 8, https://cloud.google.com/run/docs/configuring/services/cpu)\n")


def test_a_secret_pasted_under_a_setting_is_not_repeated(tmp_path: Path, capsys) -> None:
    path = tmp_path / "Pulumi.staging.yaml"
    path.write_text(GCP_STAGING + f"  golden-path:database:\n    tier: {SECRET}\n    max_connections: {SECRET}\n"
                    f"  golden-path:redis:\n    tier: {SECRET}\n")
    for fmt in ("table", "json", "sarif", "junit", "markdown"):
        code, out, err = run(capsys, "check", "--stack-file", str(path), "--format", fmt)
        assert code == 2
        assert SECRET not in out + err
        assert "a 28-character string" in out + err


def test_an_unexpected_error_is_one_line_and_exit_2(tmp_path: Path, capsys, monkeypatch) -> None:
    """Whatever a command raises that nobody expected: one line naming the command, the file and where in
    our code, never the exception's message (it may quote the input)."""
    from infra.commands import plan

    def crash(args):
        raise RecursionError(f"deep in {SECRET}")

    monkeypatch.setattr(plan, "run", crash)
    monkeypatch.delenv(cli.DEBUG_VARIABLE, raising=False)
    code, out, err = run(capsys, "plan", "--stack-file", "Pulumi.prod.yaml")
    assert code == 2  # never 1: that would say "violations found"
    assert err == ("infra plan on Pulumi.prod.yaml: unexpected RecursionError at tests/infra/test_cli.py:"
                   f"{crash.__code__.co_firstlineno + 1} (crash); this is a bug in golden-path, please report it on "
                   f"the project's issue tracker (set {cli.DEBUG_VARIABLE}=1 to see the traceback)\n")
    assert SECRET not in out + err


def test_the_traceback_is_there_for_whoever_asks(monkeypatch) -> None:
    from infra.commands import plan

    def crash(args):
        raise RecursionError("deep")

    monkeypatch.setattr(plan, "run", crash)
    monkeypatch.setenv(cli.DEBUG_VARIABLE, "1")
    with pytest.raises(RecursionError):
        cli.main(["plan", "--stack-file", "Pulumi.prod.yaml"])


def test_a_metrics_field_longer_than_csv_reads_is_a_problem_line(tmp_path: Path, capsys) -> None:
    stack = tmp_path / "Pulumi.prod.yaml"
    shutil.copy(REPO / "Pulumi.prod.yaml", stack)
    metrics = tmp_path / "metrics.csv"
    metrics.write_text("timestamp,resource,metric,value\n2026-11-22T10:00:00Z,services.api,instances,"
                       + SECRET * (csv.field_size_limit() // len(SECRET) + 1) + "\n")
    code, out, err = run(capsys, "forecast", "--stack-file", str(stack), "--metrics", f"file:{metrics}")
    assert code == 2
    assert err == (f"{metrics}:2: not CSV the reader can take (field larger than field limit "
                   f"({csv.field_size_limit()})); stopped here\n")


HEAD = GCP_STAGING + "  golden-path:services:\n"


@pytest.mark.parametrize(("text", "expected"), [
    (HEAD + "    null:\n      image: x\n",
     ":7: services: null is not a name; write a name such as api here (YAML reads null, numbers and true/false as "
     "values, not names)"),
    (HEAD + "    123:\n      image: x\n", ":7: services: 123 is not a name;"),
    (GCP_STAGING + "  golden-path:network:\n    connector:\n      ip_cidr_range: fd00::/28\n",
     ":8: network.connector.ip_cidr_range: fd00::/28 is an IPv6 range; a connector's range is an IPv4 /28"),
    (GCP_STAGING + "  [a, b]: 1\n", ":6: malformed YAML: a list or a mapping cannot be a key; a key is a name"),
    (GCP_STAGING + "  pulumi:tgas: {team: web}\n", ":6: pulumi:tgas: unknown key; did you mean pulumi:tags?"),
])
def test_names_and_ranges_that_cannot_be_used_are_one_clear_line(tmp_path: Path, capsys, text, expected) -> None:
    path = tmp_path / "Pulumi.staging.yaml"
    path.write_text(text)
    code, _, err = run(capsys, "plan", "--stack-file", str(path))
    assert code == 2
    assert err.startswith(f"{path}{expected}") and len(err.splitlines()) == 1


def test_the_pulumi_clis_own_keys_are_accepted(tmp_path: Path, capsys) -> None:
    path = tmp_path / "Pulumi.staging.yaml"
    shutil.copy(REPO / "Pulumi.staging.yaml", path)
    with path.open("a") as file:
        file.write("  pulumi:tags:\n    team: web\n  pulumi:disable-default-providers: ['*']\n")
    code, _, err = run(capsys, "check", "--stack-file", str(path))
    assert (code, err) == (0, "")


@pytest.mark.parametrize("day", ["2026-13-45", "2026-02-30"])
def test_a_waiver_date_that_is_no_day_is_bad_input(tmp_path: Path, capsys, day) -> None:
    import json

    config = json.loads((REPO / "policies" / "config" / "prod.json").read_text())
    config["connection-budget"] = {"waivers": [{"resource": "gp-prod-pg", "reason": "load test", "owner": "team-db",
                                                "expires": day}]}
    path = tmp_path / "prod.json"
    path.write_text(json.dumps(config))
    code, out, err = run(capsys, "check", "--stack", "prod", "--policy-config", str(path))
    assert code == 2
    assert err == (f"{path}: connection-budget: waivers[0].expires '{day}' is not a date; write a real day as "
                   "YYYY-MM-DD\n")


def test_scale_set_never_shows_a_value_under_a_secret_looking_key(tmp_path: Path, capsys) -> None:
    path = tmp_path / "Pulumi.staging.yaml"
    shutil.copy(REPO / "Pulumi.staging.yaml", path)
    before = path.read_bytes()
    for argv in (["--dry-run", f"services.api.env.API_TOKEN={SECRET}"],
                 [f"services.api.env.API_TOKEN={SECRET}"],
                 [f"services.api.env.API_TOKEN={SECRET}", "services.api.env.API_TOKEN=other"],
                 [f"services.api.env.LOG_LEVEL={SECRET}", "--dry-run"],  # secret-shaped under a plain key
                 [SECRET]):
        code, out, err = run(capsys, "scale", "set", "--stack-file", str(path), *argv)
        assert code in (1, 2)
        assert SECRET not in out + err
        assert "Traceback" not in err
    assert path.read_bytes() == before  # every one refused: the file is as it was
    code, out, _ = run(capsys, "scale", "set", "--stack-file", str(path), "--dry-run",
                       f"services.api.env.API_TOKEN={SECRET}")
    assert "+        API_TOKEN: (a 28-character string (not shown): API_TOKEN names a secret)\n" in out
