"""Policy config files as `infra check` and the pack read them: the committed ones, and every kind of error."""

from __future__ import annotations

import json
import math
import os
import sys

import pytest

from infra.stacks import STACKS
from policies.pack import NO_BYPASS_FLAGS, POLICY_NAMES, SECURITY_BASELINE
from policies.policy_config import MAX_POLICY_CONFIG_BYTES, MAX_POLICY_CONFIG_DEPTH, read_policy_config
from policies.runner import PolicyConfigError, load_policy_config
from tests.policy_fixtures import CONFIG_DIR


@pytest.mark.parametrize("name", STACKS)
def test_committed_configs_load_and_name_every_policy(name):
    config = load_policy_config(CONFIG_DIR / f"{name}.json")
    assert set(config) == set(POLICY_NAMES)
    assert config[SECURITY_BASELINE]["environment"] == name
    assert config[NO_BYPASS_FLAGS]["environment"] == name


def write(tmp_path, text):
    path = tmp_path / "policy.json"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, expected", [
    ("{", "policy.json:1:2: not valid JSON"),
    ("[]", "expected a JSON object"),
    ('{"capacity-cap": "mandatory"}', "unknown policy 'capacity-cap'; did you mean capacity-caps?"),
    ('{"health-checks": "strict"}', "health-checks: 'strict' is not an enforcement level (advisory, mandatory"),
    ('{"health-checks": {"enforcementLevel": 1}}', "health-checks: 1 is not an enforcement level"),
    ('{"health-checks": 3}', "health-checks: 3 is not an enforcement level"),
    ('{"capacity-caps": {"maxTotalInstance": 5}}', "capacity-caps.maxTotalInstance: unknown property; "
                                                   "did you mean maxTotalInstances?"),
    ('{"capacity-caps": {"maxTotalInstances": "5"}}', "capacity-caps.maxTotalInstances: '5' is not an integer"),
    ('{"capacity-caps": {"maxTotalInstances": 0}}', "capacity-caps.maxTotalInstances: 0 is below the minimum 1"),
    ('{"connection-budget": {"headroom": 1.5}}', "connection-budget.headroom: 1.5 is above the maximum 1"),
    ('{"security-baseline": {"environment": "dev"}}',
     "security-baseline.environment: 'dev' is not one of 'local', 'staging', 'prod'"),
    ('{"all": {"enforcementLevel": "advisory", "headroom": 1}}', "all: takes an enforcement level only"),
    ('{"health-checks": {"waivers": [{"resource": "x", "reason": "r", "owner": "o"}]}}',
     "health-checks.waivers[0]: expires is required"),
    ('{"health-checks": {"waivers": [{"resource": "x", "reason": "r", "owner": "o", "expires": "soon"}]}}',
     "health-checks.waivers[0].expires: 'soon' does not match"),
    ('{"health-checks": {"waivers": [{"resource": "x", "reason": "", "owner": "o", "expires": "2026-01-01"}]}}',
     "health-checks.waivers[0].reason: '' is shorter than 1 characters"),
])
def test_config_errors_name_the_file_and_the_problem(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(PolicyConfigError) as raised:
        load_policy_config(path)
    assert str(raised.value).startswith(str(path)) and expected in str(raised.value)


def test_every_problem_is_listed(tmp_path):
    path = write(tmp_path, '{"capacity-cap": "mandatory", "health-checks": "strict"}')
    with pytest.raises(PolicyConfigError) as raised:
        load_policy_config(path)
    assert len(str(raised.value).splitlines()) == 2


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(PolicyConfigError, match="no such policy config file"):
        load_policy_config(tmp_path / "nope.json")
    assert load_policy_config(write(tmp_path, "  \n")) == {}


BEYOND = "is beyond the range of a float (about 1.8e308); write a number in the setting's range"
NOT_FINITE = "is not a finite number; write a number in the setting's range (JSON has no NaN or infinities)"


@pytest.mark.parametrize(("text", "problems"), [
    ('{"connection-budget": {"headroom": NaN}}', [f"connection-budget.headroom: NaN {NOT_FINITE}"]),
    ('{"capacity-caps": {"maxTotalInstances": -Infinity, "maxDatabaseTier": Infinity}}',
     [f"capacity-caps.maxTotalInstances: -Infinity {NOT_FINITE}", f"capacity-caps.maxDatabaseTier: Infinity "
                                                                  f"{NOT_FINITE}"]),
    ('{"connection-budget": {"headroom": 1e400}}', [f"connection-budget.headroom: 1e400 {BEYOND}"]),
    ('{"capacity-caps": {"maxTotalInstances": ' + "9" * 5000 + "}}",
     [f"capacity-caps.maxTotalInstances: a 5000-digit number {BEYOND}"]),
    ('{"capacity-caps": {"maxTotalInstances": 2' + "0" * 308 + "}}",
     [f"capacity-caps.maxTotalInstances: a 309-digit number {BEYOND}"]),
    ('{"health-checks": {"waivers": [{"expires": NaN}]}}', [f"health-checks.waivers[0].expires: NaN {NOT_FINITE}"]),
])
def test_numbers_no_float_holds_are_refused_at_their_key(tmp_path, text, problems):
    path = write(tmp_path, text)
    with pytest.raises(PolicyConfigError) as raised:
        read_policy_config(path)
    assert str(raised.value).splitlines() == [f"{path}: {problem}" + (
        "" if problem.endswith("infinities)") else " (JSON has no NaN or infinities)") for problem in problems]


def test_the_largest_float_is_still_a_number(tmp_path):
    largest = str(int(sys.float_info.max))
    assert read_policy_config(write(tmp_path, f'{{"a": {largest}, "b": 1.7e308}}')) == {
        "a": int(largest), "b": 1.7e308}


@pytest.mark.parametrize(("text", "column"), [  # the column of the 33rd opening bracket
    ("[" * 100_000 + "]" * 100_000, 33),
    ('{"a": ' * 33 + "1" + "}" * 33, 32 * len('{"a": ') + 1),
])
def test_deep_nesting_is_refused_before_parsing(tmp_path, text, column):
    path = write(tmp_path, text)
    with pytest.raises(PolicyConfigError) as raised:
        read_policy_config(path)
    assert str(raised.value) == (f"{path}:1:{column}: nested deeper than {MAX_POLICY_CONFIG_DEPTH} levels; a policy "
                                 "config's settings are 4 levels deep at most (policy, property, list of waivers, "
                                 "waiver)")


def test_nesting_up_to_the_limit_is_read(tmp_path):
    text = "[" * MAX_POLICY_CONFIG_DEPTH + "]" * MAX_POLICY_CONFIG_DEPTH
    assert read_policy_config(write(tmp_path, text)) == json.loads(text)


def test_brackets_inside_strings_are_not_nesting(tmp_path):
    text = json.dumps({"health-checks": {"waivers": [{"resource": "[" * 100 + '{\\"', "reason": "r",
                                                      "owner": "o", "expires": "2026-01-01"}]}})
    assert read_policy_config(write(tmp_path, text))["health-checks"]["waivers"][0]["resource"].startswith("[[[")


def test_a_file_past_the_size_limit_is_refused(tmp_path):
    path = write(tmp_path, '{"all": "advisory"}' + " " * MAX_POLICY_CONFIG_BYTES)
    with pytest.raises(PolicyConfigError) as raised:
        read_policy_config(path)
    size = path.stat().st_size
    assert str(raised.value) == (f"{path}: {size} bytes, above the {MAX_POLICY_CONFIG_BYTES} bytes a policy config "
                                 "file may have")


def test_only_a_regular_file_is_read_and_a_fifo_does_not_block(tmp_path):
    fifo = tmp_path / "policy.json"
    os.mkfifo(fifo)
    for path in (fifo, tmp_path):
        with pytest.raises(PolicyConfigError) as raised:
            read_policy_config(path)
        assert str(raised.value) == (f"{path}: not a regular file (a directory, FIFO or device); a policy config "
                                     "file is a file")


@pytest.mark.parametrize(("value", "problem"), [
    ([], "capacity-caps: a list of 0 items is not an enforcement level (advisory, mandatory, remediate, disabled, "
         "or an object of settings)"),
    ({"waivers": {"resource": "x"}}, "capacity-caps.waivers: a mapping of 1 key is not a list"),
    ({"waivers": [{"resource": ["gp-prod-api"], "reason": "r", "owner": "o", "expires": "2026-01-01"}]},
     "capacity-caps.waivers[0].resource: a list of 1 item is not a string"),
    ({"waivers": [["gp-prod-api"]]}, "capacity-caps.waivers[0]: a list of 1 item is not an object"),
    ({"enforcementLevel": {"level": "mandatory"}},
     "capacity-caps: a mapping of 1 key is not an enforcement level (advisory, mandatory, remediate, disabled)"),
])
def test_a_list_or_mapping_where_a_level_name_or_list_belongs(tmp_path, value, problem):
    path = write(tmp_path, json.dumps({"capacity-caps": value}))
    with pytest.raises(PolicyConfigError) as raised:
        load_policy_config(path)
    assert str(raised.value) == f"{path}: {problem}"


@pytest.mark.parametrize("expires", ["2026-13-45", "2026-02-30", "2026-00-10"])
def test_a_waiver_date_that_is_no_day_is_bad_input_when_the_config_loads(tmp_path, expires):
    waiver = {"resource": "gp-prod-api", "reason": "load test", "owner": "team", "expires": expires}
    path = write(tmp_path, json.dumps({"connection-budget": {"waivers": [waiver]}}))
    with pytest.raises(PolicyConfigError) as raised:
        load_policy_config(path)
    assert str(raised.value) == (f"{path}: connection-budget: waivers[0].expires '{expires}' is not a date; "
                                 "write a real day as YYYY-MM-DD")


NAN = math.nan  # json.dumps writes it as NaN
SECRET = "ghp_Zq7RkP3mWx9TbN2vLc8HZq7RkP3mWx9TbN2v"  # shaped like a GitHub token


@pytest.mark.parametrize("config", [
    {SECRET: "mandatory"},
    {"capacity-caps": SECRET},
    {"capacity-caps": [SECRET]},
    {"capacity-caps": {"enforcementLevel": SECRET}},
    {"capacity-caps": {SECRET: 1}},
    {"capacity-caps": {"maxTotalInstances": SECRET}},
    {"security-baseline": {"environment": SECRET}},
    {"health-checks": {"waivers": [{"resource": "x", "reason": "r", "owner": "o", "expires": SECRET}]}},
    {"health-checks": {"waivers": [{"resource": "x", "reason": "r", "owner": "o", "expires": "2026-01-01",
                                    SECRET: "x"}]}},
    {"environments": [SECRET, {"token": SECRET}]},
    {"connection-budget": {SECRET: NAN}},
])
def test_a_secret_in_any_place_is_never_repeated(tmp_path, config):
    path = write(tmp_path, json.dumps(config))
    with pytest.raises(PolicyConfigError) as raised:
        load_policy_config(path)
    assert SECRET not in str(raised.value) and str(raised.value).startswith(f"{path}: ")


def test_a_byte_that_is_not_utf8_is_named(tmp_path):
    path = tmp_path / "policy.json"
    path.write_bytes(b'{"capacity-caps": "advis\xe9ory"}')
    with pytest.raises(PolicyConfigError, match=r"policy\.json: not valid utf-8 \(byte 24\)"):
        read_policy_config(path)
