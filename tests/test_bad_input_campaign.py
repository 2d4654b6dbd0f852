"""Bad input can't hurt: every command, given a broken input of each class, through infra.cli.main.

Whatever the input, a command exits 2 for input it cannot use (1 only where README's exit codes give it that
meaning: a mandatory violation, a refused change), never with a traceback, with a line on stderr per
problem at most (and `scale`'s one heading); a secret planted in the input (a Stripe key, a GitHub token, a
`secure:` ciphertext) is never printed; a refused `scale set` or `scale auto` leaves the stack file byte for
byte as it was. GOLDEN_PATH_DEBUG is set, so an error no command expected raises here with its traceback
instead of passing as the last resort's exit 2.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from infra import cli
from tests.conftest import REPO
from tests.pulumi_stack_files import CIPHERTEXT, pulumi_stack, secret_env

STRIPE = "sk_live_" + "Qx7RkP3mWz9TbN2vLc8HyJ4d"  # shaped like a Stripe secret key
GITHUB = "ghp_" + "Zq7RkP3mWx9TbN2vLc8HZq7RkP3mWx9TbN2v"  # shaped like a GitHub token
PLANTED = (STRIPE, GITHUB, CIPHERTEXT, CIPHERTEXT.rsplit(":", 1)[-1])  # a `secure:` value, and its ciphertext

# Every command as a user runs it on one stack file; {metrics} is a metrics file.
COMMANDS = {
    "plan": ("plan",),
    "check": ("check",),
    **{f"check --format {fmt}": ("check", "--format", fmt) for fmt in ("json", "sarif", "junit", "markdown")},
    "scale set": ("scale", "set", "services.api.max_instances=3"),
    "scale set --dry-run": ("scale", "set", "--dry-run", "services.api.max_instances=3"),
    "scale auto --dry-run": ("scale", "auto", "--dry-run", "--metrics", "file:{metrics}"),
    "scale auto": ("scale", "auto", "--metrics", "file:{metrics}"),
    "forecast": ("forecast", "--metrics", "file:{metrics}"),
}
SCALE_SET = ("scale set", "scale set --dry-run")
METRICS_COMMANDS = ("scale auto --dry-run", "scale auto", "forecast")
POLICY_COMMANDS = tuple(command for command in COMMANDS if command != "plan")  # plan reads no policy config
HEADER = "timestamp,resource,metric,value"
GOOD_ROW = "2024-05-01T12:00:00Z,services.api,instances,4"


@pytest.fixture(autouse=True)
def debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cli.DEBUG_VARIABLE, "1")  # an unexpected error raises, with its traceback


def write_metrics(folder: Path, name: str = "metrics.csv", text: str = f"{HEADER}\n{GOOD_ROW}\n") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def unharmed(capsys, command: str, stack: str, metrics: Path, expected: int, problems: int = 1) -> str:
    """Run a command of COMMANDS on a stack file, check that the input did no harm; what it printed."""
    path = Path(stack)
    before = path.read_bytes() if path.is_file() else None  # a FIFO is never opened here
    argv = [arg.format(metrics=metrics) for arg in COMMANDS[command]]
    return ran(capsys, [*argv, "--stack-file", stack], expected, problems, path, before)


def ran(capsys, argv: list[str], expected: int, problems: int, path: Path, before: bytes | None) -> str:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert code == expected, out + err
    assert "Traceback" not in out + err
    assert len(err.splitlines()) <= problems + 1, err  # a line a problem, and scale's heading
    assert [secret for secret in PLANTED if secret in out + err] == []
    if code != 0 and before is not None:
        assert path.read_bytes() == before  # refused: the file as it was, byte for byte
    return out + err


# --- broken stack files ---------------------------------------------------------------------------

def edited(stack: str, edits: dict[str, str]) -> Callable[[Path], str]:
    """A committed stack with exact edits, as Pulumi.<stack>.yaml in the folder given."""
    return lambda folder: str(pulumi_stack(folder, stack, edits=edits))


def not_utf8(folder: Path) -> str:
    path = pulumi_stack(folder, "local")
    path.write_bytes(path.read_bytes().replace(b"LOG_LEVEL: debug", b"LOG_LEVEL: \xff" + STRIPE.encode()))
    return str(path)


def fifo(folder: Path) -> str:
    path = folder / "Pulumi.staging.yaml"
    os.mkfifo(path)  # nobody writes to it: a command that opened it would wait forever
    return str(path)


LAUGHS = "".join(f"  golden-path:x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10))
# id: (the stack file, `scale set`'s exit, problems). `scale set` exits 1 where the config model refuses
# the candidate (README: "or nothing is written (exit 1 ...)"), 2 where it cannot read the file at all.
STACKS: dict[str, tuple[Callable[[Path], str], int, int]] = {
    "a token under a number key": (edited("prod", {"      cpu: 2\n": f"      cpu: {STRIPE}\n"}), 1, 1),
    "a token under an enum key": (edited("staging", {"availability: ZONAL": f"availability: {STRIPE}"}), 1, 1),
    "tokens under the tier keys": (edited("staging", {"tier: db-custom-2-7680": f"tier: {STRIPE}",
                                                      "tier: BASIC": f"tier: {GITHUB}"}), 1, 2),
    "a token under an image key": (edited("prod", {"image: europe-west1-docker.pkg.dev/golden-path-prod/apps/api:1.4.2":
                                                   f"image: Bearer {STRIPE}"}), 1, 1),
    "an env given as a list": (edited("local", {"LOG_LEVEL: debug": f"- {STRIPE}"}), 1, 1),
    "secure: where a number must be plain": (edited("prod", {"max_connections: 400": "max_connections: "
                                                             f"{{secure: {CIPHERTEXT}}}"}), 1, 1),
    "secure: where an image must be plain": (edited("staging", {
        "image: europe-west1-docker.pkg.dev/golden-path-staging/apps/api:1.4.2": f"image: {{secure: {CIPHERTEXT}}}"}),
        1, 1),
    "secure: where a secret id belongs": (edited("staging", {"STRIPE_API_KEY: api-stripe-key":
                                                             f"STRIPE_API_KEY: {{secure: {CIPHERTEXT}}}"}), 1, 1),
    "a token where a secret id belongs": (edited("staging", {"STRIPE_API_KEY: api-stripe-key":
                                                             f"STRIPE_API_KEY: {STRIPE}"}), 1, 1),
    "a secure: mapping with more than secure": (edited("local", {"LOG_LEVEL: debug": "LOG_LEVEL: {secure: "
                                                                 f"{CIPHERTEXT}, note: {GITHUB}}}"}), 1, 1),
    "a token as a setting's key": (edited("prod", {"      cpu: 2\n": f"      cpu: 2\n      {STRIPE}: 1\n"}), 1, 1),
    "a token as a service's name": (edited("staging", {"  golden-path:services:\n": "  golden-path:services:\n"
                                                       f"    {GITHUB}: {{image: x}}\n"}), 1, 1),
    "a token as a namespace key": (edited("staging", {"  golden-path:target: gcp\n": "  golden-path:target: gcp\n"
                                                      f"  golden-path:{STRIPE}: 1\n"}), 1, 1),
    "a NaN number": (edited("staging", {"scale_up_at: 0.7": "scale_up_at: .nan"}), 1, 1),
    "an alias bomb": (edited("prod", {"  golden-path:target: gcp\n": "  golden-path:target: gcp\n"
                                      f"  golden-path:x0: &a0 [{STRIPE}, {GITHUB}]\n" + LAUGHS}), 2, 1),
    "deep nesting": (edited("staging", {"notification_email: platform-oncall@example.com":
                                        "notification_email: " + "[" * 200 + STRIPE + "]" * 200}), 2, 1),
    "a byte that is not UTF-8": (not_utf8, 2, 1),
    "a FIFO as the stack file": (fifo, 2, 1),
    "an empty --stack-file": (lambda folder: "", 2, 1),
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("broken", STACKS)
def test_a_broken_stack_file_is_bad_input(tmp_path: Path, capsys, broken: str, command: str) -> None:
    make, set_code, problems = STACKS[broken]
    stack = make(tmp_path)
    expected = set_code if command in SCALE_SET else 2
    unharmed(capsys, command, stack, write_metrics(tmp_path), expected, problems)


# --- broken metrics files -------------------------------------------------------------------------

def row(**fields: object) -> dict[str, object]:
    return {**dict(zip(HEADER.split(","), GOOD_ROW.split(","), strict=True)), **fields}


# name: (file name, content); one problem each, but the JSON key's four (every field is missing).
METRICS = {
    "a token as a column name": ("m.csv", f"timestamp,resource,metric,{STRIPE}\n{GOOD_ROW}\n"),
    "a token as a resource": ("m.csv", f"{HEADER}\n2024-05-01T12:00:00Z,{STRIPE},instances,4\n"),
    "a token as a metric": ("m.csv", f"{HEADER}\n2024-05-01T12:00:00Z,services.api,{GITHUB},4\n"),
    "a token as a value": ("m.csv", f"{HEADER}\n2024-05-01T12:00:00Z,services.api,instances,{STRIPE}\n"),
    "a token as a timestamp": ("m.csv", f"{HEADER}\n{STRIPE},services.api,instances,4\n"),
    "a secure: value": ("m.csv", f"{HEADER}\n2024-05-01T12:00:00Z,services.api,instances,secure: {CIPHERTEXT}\n"),
    "a NaN value": ("m.csv", f"{HEADER}\n2024-05-01T12:00:00Z,services.api,instances,nan\n"),
    "a token as a JSON key": ("m.jsonl", json.dumps({STRIPE: 1}) + "\n"),  # and no field: 4 problems
    "a token as a JSON resource": ("m.jsonl", json.dumps(row(resource=STRIPE)) + "\n"),
    "a token as a JSON metric": ("m.jsonl", json.dumps(row(metric=GITHUB)) + "\n"),
    "a token as a JSON value": ("m.jsonl", json.dumps(row(value=STRIPE)) + "\n"),
    "a token keying a JSON value": ("m.jsonl", json.dumps(row(value={STRIPE: [GITHUB]})) + "\n"),
    "a JSON NaN": ("m.jsonl", json.dumps(row(value=float("nan"))) + "\n"),
    "a JSON number past any float": ("m.jsonl", json.dumps(row(note=STRIPE)).replace('"4"', "1e999") + "\n"),
    "JSON nested deep": ("m.jsonl", "[" * 50 + json.dumps(STRIPE) + "]" * 50 + "\n"),
    "a JSON line cut short": ("m.jsonl", json.dumps(row(resource=STRIPE))[:-20] + "\n"),
    "a FIFO": ("m.csv", None),
}


@pytest.mark.parametrize("command", METRICS_COMMANDS)
@pytest.mark.parametrize("broken", METRICS)
def test_a_broken_metrics_file_is_bad_input(tmp_path: Path, capsys, broken: str, command: str) -> None:
    name, text = METRICS[broken]
    if text is None:
        os.mkfifo(metrics := tmp_path / name)
    else:
        metrics = write_metrics(tmp_path, name, text)
    problems = 4 if broken == "a token as a JSON key" else 1
    unharmed(capsys, command, str(pulumi_stack(tmp_path, "staging")), metrics, 2, problems)


# --- broken policy configs ------------------------------------------------------------------------

def project(folder: Path, monkeypatch: pytest.MonkeyPatch, stack: str, policy_config: dict) -> str:
    """A project root (the working directory, with Pulumi.yaml) holding a stack and its environment's
    policy config, which every command but plan reads; the stack file's path."""
    shutil.copy(REPO / "Pulumi.yaml", folder)
    (folder / "policies" / "config").mkdir(parents=True)
    (folder / "policies" / "config" / f"{stack}.json").write_text(json.dumps(policy_config))
    monkeypatch.chdir(folder)
    return str(pulumi_stack(folder, stack, edits=secret_env(stack)))


def committed_policy_config(**entries: object) -> dict:
    return {**json.loads((REPO / "policies" / "config" / "prod.json").read_text()), **entries}


def waived(expires: str, **fields: str) -> dict:
    """no-plaintext-secrets waived for prod's api (which secret_env gives a `secure:` env value)."""
    waiver = {"resource": "gp-prod-api", "reason": STRIPE, "owner": GITHUB, "expires": expires, **fields}
    return {"enforcementLevel": "mandatory", "waivers": [waiver]}


BROKEN_POLICY_CONFIGS = {
    "a token as a policy name": committed_policy_config(**{STRIPE: "mandatory"}),
    "a token as an enforcement level": committed_policy_config(**{"connection-budget": STRIPE}),
    "a token as a property": committed_policy_config(**{"connection-budget": {"enforcementLevel": "mandatory",
                                                                              GITHUB: 1}}),
    "a token as a property's value": committed_policy_config(**{"connection-budget": {
        "enforcementLevel": "mandatory", "headroom": STRIPE}}),
    "a token as a waiver's expiry": committed_policy_config(**{"no-plaintext-secrets": waived(STRIPE)}),
    "a token as a waiver's field": committed_policy_config(**{"no-plaintext-secrets": waived("2099-12-31",
                                                                                            **{GITHUB: "x"})}),
}


@pytest.mark.parametrize("command", POLICY_COMMANDS)
@pytest.mark.parametrize("broken", BROKEN_POLICY_CONFIGS)
def test_a_broken_policy_config_is_bad_input(tmp_path: Path, capsys, monkeypatch, broken: str, command: str) -> None:
    stack = project(tmp_path, monkeypatch, "prod", BROKEN_POLICY_CONFIGS[broken])
    unharmed(capsys, command, stack, write_metrics(tmp_path), 2)


@pytest.mark.parametrize("command", POLICY_COMMANDS)
@pytest.mark.parametrize(("expires", "expected"), [("2099-12-31", 0), ("2020-01-01", 1)], ids=["active", "expired"])
def test_a_token_in_a_waiver_is_never_quoted(tmp_path: Path, capsys, monkeypatch, command: str, expires: str,
                                             expected: int) -> None:
    """Not bad input: a waiver is free text, quoted by every report of the finding it waives, or fails again."""
    policy_config = committed_policy_config(**{"no-plaintext-secrets": waived(expires)})
    stack = project(tmp_path, monkeypatch, "prod", policy_config)
    # a forecast checks nothing; scale auto changes nothing on a sample from 2024, long out of its window
    code = 0 if command in ("forecast", "scale auto", "scale auto --dry-run") else expected
    unharmed(capsys, command, stack, write_metrics(tmp_path), code)


# --- scale set KEY=VALUE --------------------------------------------------------------------------

SECRET_KEY = "services.api.env.STRIPE_API_KEY"
# (assignments, exit): 1 where the config model or a policy refuses the change, 2 where it cannot be made.
ASSIGNMENTS = [
    ([f"services.api.cpu={STRIPE}"], 1),
    ([f"database.availability={STRIPE}", "--dry-run"], 1),
    ([f"redis.tier={GITHUB}", "--dry-run"], 1),
    ([f"{SECRET_KEY}={STRIPE}"], 1),  # no-plaintext-secrets
    ([f"{SECRET_KEY}={STRIPE}", "--dry-run"], 1),
    ([f"{SECRET_KEY}={STRIPE}", f"{SECRET_KEY}=other"], 2),  # given twice
    ([f"services.api.secrets.STRIPE_API_KEY={STRIPE}"], 1),
    ([f"services.api.max_instances=secure:{CIPHERTEXT}", "--dry-run"], 1),
    ([f"services.api.image={STRIPE}", "--dry-run"], 0),  # an image may be any text: accepted, never shown
    (["database.max_connections=.nan"], 2),
    ([STRIPE], 2),  # no '='
    ([f"{STRIPE}=1"], 2),  # an unknown key
    ([f"services.api.{GITHUB}=1", "--dry-run"], 2),
    ([f"services.api.env.{STRIPE}=1", "--dry-run"], 0),  # the diff adds the key
]


@pytest.mark.parametrize(("assignments", "expected"), ASSIGNMENTS,
                         ids=lambda value: " ".join(value) if isinstance(value, list) else f"exit {value}")
def test_a_token_given_to_scale_set_is_never_shown(tmp_path: Path, capsys, assignments: list[str],
                                                  expected: int) -> None:
    stack = pulumi_stack(tmp_path, "staging")
    before = stack.read_bytes()
    ran(capsys, ["scale", "set", "--stack-file", str(stack), *assignments], expected, 1, stack, before)
    if "--dry-run" in assignments:
        assert stack.read_bytes() == before
