"""Generated policy configs, as a careless or hostile hand writes them, through the policy-config reader and
`infra check --policy-config`: random nesting, every JSON type, NaN and infinity tokens, numbers past any
float, bracket runs past the nesting limit, secrets as keys and values, among the pack's own names.

Whatever the file holds, the reader returns a mapping or raises PolicyConfigError, and `infra check` exits
0, 1 or 2, never with a traceback; each problem is one line naming the file, and a planted secret is never
repeated. GOLDEN_PATH_DEBUG is set, so an error the command did not expect raises here with its traceback.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra import cli
from policies.pack import POLICIES
from policies.policy_config import LEVELS, MAX_POLICY_CONFIG_DEPTH
from policies.runner import PolicyConfigError, load_policy_config
from policies.waivers import WAIVERS_SCHEMA
from tests.conftest import REPO

SECRET = "ghp_" + "Zq7RkP3mWx9TbN2vLc8HZq7RkP3mWx9TbN2v"  # shaped like a GitHub token
UNUSABLE_NUMBERS = ("NaN", "Infinity", "-Infinity", "1e400", "-1e400", "9" * 400, "-" + "9" * 5000, "2" + "0" * 308)
NUMBERS = ("1.7976931348623157e308", "0", "-1", "0.5", "0.8", "1.0", "1e-400", "10", "100", "5000")
ODD_STRINGS = ("2026-12-31", "2026-02-30", "2026-13-45", "31/12/2026", "", " ", "*", "gp-prod-api", "stack",
               "staging", "prod", "dev", SECRET, "[[[{{{", "\\u0000", "x" * 300)
# Names the pack knows, so that generated configs reach deep into it, beside anything at all.
POLICY_KEYS = sorted({policy.name for policy in POLICIES} | {"all", "environments"})
WAIVER_FIELDS = tuple(WAIVERS_SCHEMA["items"]["properties"])
KEYS = sorted({"enforcementLevel", *WAIVER_FIELDS}
              | {key for policy in POLICIES for key in (policy.config_schema.properties if policy.config_schema
                                                        else {})})
KINDS = ("scalar", "scalar", "scalar", "map", "map", "map", "list", "list", "waivers")
MAX_DEPTH = 5  # of generated nesting; deeper nesting comes from a bracket run, around the reader's limit


def _scalar(data: st.DataObject) -> str:
    if data.draw(st.integers(min_value=0, max_value=30)) == 0:  # rare: one refuses the whole file
        return data.draw(st.sampled_from(UNUSABLE_NUMBERS))
    return data.draw(st.one_of(
        st.sampled_from(NUMBERS),
        st.sampled_from(ODD_STRINGS).map(json.dumps),
        st.sampled_from(ODD_STRINGS).map(json.dumps),
        st.sampled_from([*LEVELS, "strict", "true", "false", "null"]).map(
            lambda word: word if word in ("true", "false", "null") else json.dumps(word)),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.floats(allow_nan=False, allow_infinity=False).map(repr).filter(lambda text: "e" in text or "." in text),
        st.text(max_size=8).map(json.dumps),
    ))


def _key(data: st.DataObject, known: list[str] = KEYS) -> str:
    if data.draw(st.integers(min_value=0, max_value=3)):
        return json.dumps(data.draw(st.sampled_from(known)))
    return json.dumps(data.draw(st.sampled_from([SECRET, "", "x" * 300])) if data.draw(st.booleans())
                      else data.draw(st.text(max_size=8)))


def _node(data: st.DataObject, depth: int) -> str:
    kind = data.draw(st.sampled_from(KINDS if depth < MAX_DEPTH else ("scalar",)))
    if kind == "scalar":
        return _scalar(data)
    if kind == "waivers":  # a list of waivers, each field present or not, odd or plausible
        waivers = [", ".join(f"{json.dumps(field)}: {json.dumps(data.draw(st.sampled_from(ODD_STRINGS)))}"
                             if data.draw(st.booleans()) else f"{json.dumps(field)}: {_scalar(data)}"
                             for field in WAIVER_FIELDS
                             if data.draw(st.integers(min_value=0, max_value=5)))
                   for _ in range(data.draw(st.integers(min_value=1, max_value=3)))]
        return '{"waivers": [' + ", ".join("{" + waiver + "}" for waiver in waivers) + "]}"
    count = data.draw(st.integers(min_value=0, max_value=4))
    if kind == "list":
        return "[" + ", ".join(_node(data, depth + 1) for _ in range(count)) + "]"
    return "{" + ", ".join(f"{_key(data)}: {_node(data, depth + 1)}" for _ in range(count)) + "}"


def policy_config_text(data: st.DataObject) -> str:
    """A JSON object of generated entries (most under the pack's names), now and then any JSON at all, or
    text cut short."""
    if data.draw(st.integers(min_value=0, max_value=9)) == 0:
        return _node(data, 0)
    entries = [f"{_key(data, POLICY_KEYS)}: {_node(data, 1)}"
               for _ in range(data.draw(st.integers(min_value=0, max_value=4)))]
    if data.draw(st.integers(min_value=0, max_value=7)) == 0:  # a bracket run around the reader's nesting limit
        levels = data.draw(st.integers(min_value=MAX_POLICY_CONFIG_DEPTH - 2, max_value=MAX_POLICY_CONFIG_DEPTH + 2))
        entries.append(f'"health-checks": {"[" * levels + "]" * levels}')
    text = "{" + ", ".join(entries) + "}"
    if data.draw(st.integers(min_value=0, max_value=9)) == 0:
        text = text[:data.draw(st.integers(min_value=0, max_value=len(text)))]
    return text


def problem_lines(path: Path, text: str, message: str) -> list[str]:
    """The lines of a message about the generated file, checked as every problem report must be."""
    lines = message.splitlines()
    assert lines and all(line.startswith(str(path)) for line in lines), message  # each names the file
    assert len(lines) == len(set(lines))  # one line per problem
    # bounded by what the file holds: a waiver without its four fields is four lines, one per field
    assert len(lines) <= 4 * (sum(text.count(c) for c in "{[,:") + 1)
    assert SECRET not in message
    return lines


# Generous: an example takes well under a second; only a runaway (recursion, a scan that is not linear)
# comes near it. Derandomized, so every run tries the same files; no example database is kept.
GENERATED = settings(deadline=timedelta(seconds=20), derandomize=True, database=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("generated")


def write_generated(folder: Path, data: st.DataObject) -> tuple[Path, str]:
    path = folder / "policy.json"
    text = policy_config_text(data)
    path.write_text(text)
    return path, text


@settings(GENERATED, max_examples=150)
@given(data=st.data())
def test_the_reader_takes_any_generated_policy_config(folder: Path, data: st.DataObject) -> None:
    path, text = write_generated(folder, data)
    try:
        config = load_policy_config(path)
    except PolicyConfigError as exc:
        problem_lines(path, text, str(exc))
    else:
        assert isinstance(config, dict)


@settings(GENERATED, max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_check_takes_any_generated_policy_config(folder: Path, capsys, monkeypatch, data: st.DataObject) -> None:
    monkeypatch.setenv(cli.DEBUG_VARIABLE, "1")  # an unexpected error raises, with its traceback
    path, text = write_generated(folder, data)
    code = cli.main(["check", "--stack-file", str(REPO / "Pulumi.staging.yaml"), "--policy-config", str(path),
                     "--format", "json"])
    out, err = capsys.readouterr()
    assert code in (0, 1, 2)
    assert "Traceback" not in out + err
    if code == 2:  # the policy config, the only bad input here, is refused before anything is planned
        problem_lines(path, text, err)
        assert out == ""
    else:
        assert err == ""
        assert json.loads(out)["passed"] is (code == 0)
