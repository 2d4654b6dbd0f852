"""infra.config_errors: pydantic's errors as `FILE:LINE: dotted.key: message` lines."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from infra.config_errors import ConfigError, problem_line, unknown_key, validation_problems
from infra.pulumi_config import UNDECRYPTED


class Inner(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    size: int = Field(1, ge=1)


class Root(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str
    inner: Inner = Inner()
    items: dict[str, Inner] = {}


def stack_key(loc: tuple) -> tuple:
    return (f"ns:{loc[0]}", *loc[1:])


def problems(data: dict) -> list[str]:
    lines = {("ns:inner", "size"): 7, ("ns:items", "a", "sise"): 9, ("ns:name",): 3}
    with pytest.raises(ValidationError) as raised:
        Root.model_validate(data)
    return validation_problems(raised.value, Root, "Pulumi.x.yaml", stack_key, lambda *keys: lines.get(keys))


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
