"""infra.config_errors: pydantic's errors as `FILE:LINE: dotted.key: message` lines."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from infra.config_errors import ConfigError, bounds, key_text, problem_line, unknown_key, validation_problems
from infra.pulumi_config import UNDECRYPTED


class Inner(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    size: int = Field(1, ge=1)


class Root(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    name: str
    inner: Inner = Inner()
    items: dict[str, Inner] = {}
    ratio: float = Field(0.5, gt=0, le=1)


def stack_key(loc: tuple) -> tuple:
    return (f"ns:{loc[0]}", *loc[1:])


def problems(data: dict) -> list[str]:
    lines = {("ns:inner", "size"): 7, ("ns:items", "a", "sise"): 9, ("ns:name",): 3, ("ns:items", None): 8}
    written = {("ns:items", None): "~", ("ns:items", 16): "0x10"}
    with pytest.raises(ValidationError) as raised:
        Root.model_validate(data)
    return validation_problems(raised.value, Root, "Pulumi.x.yaml", stack_key, lambda *keys: lines.get(keys),
                               lambda *keys: written.get(keys))


def test_each_error_is_one_line_with_file_line_key_and_message() -> None:
    assert problems({"name": "a", "inner": {"size": 0}, "items": {"a": {"sise": 2}}}) == [
        "Pulumi.x.yaml:7: inner.size: 0 is out of range; it must be at least 1",
        "Pulumi.x.yaml:9: items.a.sise: unknown key; did you mean size?",
    ]


def test_a_secret_where_plain_text_is_needed_names_the_command() -> None:
    assert problems({"name": UNDECRYPTED}) == [
        "Pulumi.x.yaml:3: name: is a Pulumi secret (secure:), and this setting must be plain text: infra plan and "
        "check never decrypt, so they could not check it; set it with: pulumi config set --path 'ns:name' VALUE"]


def test_lines_and_keys_are_left_out_where_there_are_none() -> None:
    assert problem_line("Pulumi.x.yaml", None, "", "target gcp needs gcp:project") == \
        "Pulumi.x.yaml: target gcp needs gcp:project"
    assert problem_line("Pulumi.x.yaml", 4, "a.b", "is required") == "Pulumi.x.yaml:4: a.b: is required"


def test_unknown_keys_get_the_nearest_or_the_list() -> None:
    assert unknown_key("servces", ["services", "scaling"], prefix="ns:") == "unknown key; did you mean ns:services?"
    assert unknown_key("zzz", ["services", "scaling"]) == "unknown key; valid keys: scaling, services"


def test_a_config_error_keeps_its_lines() -> None:
    error = ConfigError(["a: b", "c: d"])
    assert error.problems == ["a: b", "c: d"] and str(error) == "a: b\nc: d"


@pytest.mark.parametrize(("data", "problem"), [
    ({"ratio": float("nan")}, "ratio: nan is not a finite number; it must be above 0, at most 1"),
    ({"inner": {"size": float("inf")}}, "inner.size: inf is not a finite number; it must be at least 1"),
])
def test_nan_and_infinities_are_refused_with_what_the_field_allows(data: dict, problem: str) -> None:
    assert problems({"name": "a", **data})[0].split(": ", 1)[1] == problem


def test_a_key_read_as_null_or_a_number_is_named_as_written_at_its_own_line() -> None:
    assert problems({"name": "a", "items": {None: {}, 16: {}}}) == [
        "Pulumi.x.yaml:8: items: ~ is not a name; write a name such as api here (YAML reads null, numbers and "
        "true/false as values, not names)",
        "Pulumi.x.yaml: items: 0x10 is not a name; write a name such as api here (YAML reads null, numbers and "
        "true/false as values, not names)",
    ]


def test_a_key_shaped_like_a_secret_is_described_not_repeated() -> None:
    token = "ghp_" + "Zq7RkP3mWx9TbN2vLc8HZq7RkP3mWx9TbN2v"
    assert key_text("golden-path:services") == "golden-path:services"
    assert key_text(None, "~") == "~"
    assert key_text(token) == "(a 40-character string)"
    (problem,) = problems({"name": "a", "items": {token: {"sise": 1}}})
    assert token not in problem and problem.startswith("Pulumi.x.yaml: items.(a 40-character string).sise:")


def test_bounds_in_words() -> None:
    assert bounds(Root.model_fields["ratio"]) == "above 0, at most 1"
    assert bounds(Inner.model_fields["size"]) == "at least 1"


def test_the_valid_keys_are_never_an_empty_list() -> None:
    assert unknown_key("zzz", []) == "unknown key; nothing is set here by name"
