"""infra.yaml_scalars: tokens read as the stack file reader reads them, and written to read back the same."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.yaml_scalars import MISSING, read_scalar, same, scalar_text, scalar_token


@pytest.mark.parametrize(("token", "value"), [
    ("20", 20), ("0.75", 0.75), ("true", True), ("False", False), ('"0.75"', "0.75"), ("'4'", "4"),
    ("yes", "yes"),  # YAML 1.2 booleans, as Pulumi reads stack files
    ("2024-05-01", "2024-05-01 00:00:00 +0000 UTC"), ("~", None), ("[1, 2]", [1, 2]),
])
def test_read_scalar_types_tokens_as_the_reader_does(token: str, value: Any) -> None:
    assert same(read_scalar(token, flow=False), value)


@pytest.mark.parametrize("token", ["a: b", "x # y: z\n  k2: 1", "\x07"])
def test_read_scalar_says_missing_for_what_is_no_single_value(token: str) -> None:
    assert read_scalar(token, flow=False) is MISSING


def test_same_tells_types_apart() -> None:
    assert same({"a": [1, "x"]}, {"a": [1, "x"]})
    assert not same(1, 1.0) and not same(1, True) and not same("1", 1)
    assert not same({"a": [1]}, {"a": [1.0]})


@pytest.mark.parametrize(("value", "text"), [(True, "true"), (False, "false"), (20, "20"), (0.75, "0.75"),
                                             (1e-05, "1.0e-05"), ("0.75", "0.75")])
def test_scalar_text(value: Any, text: str) -> None:
    assert scalar_text(value) == text


@pytest.mark.parametrize("style", [None, "'", '"'])
@pytest.mark.parametrize("value", [0.75, 600, True, 1e-05])
def test_numbers_and_booleans_are_written_plain_whatever_the_quotes_they_replace(style: str | None,
                                                                                  value: Any) -> None:
    token = scalar_token(value, style, flow=False)
    assert token == scalar_text(value)
    assert same(read_scalar(token, flow=False), value)


@pytest.mark.parametrize(("value", "style", "token"), [
    ("info", None, "info"), ("info", "'", "'info'"), ("info", '"', '"info"'),  # quotes stay as they were
    ("true", None, "'true'"), ("12", None, "'12'"), ("2024-05-01", None, "'2024-05-01'"),  # text stays text
    ("it's: # x", None, "'it''s: # x'"), ("", None, "''"),
    ("tab\there", "'", '"tab\\x09here"'),  # not printable: escaped, which only double quotes can
])
def test_text_gets_the_quotes_it_needs(value: str, style: str | None, token: str) -> None:
    assert scalar_token(value, style, flow=False) == token


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=st.text(st.characters(exclude_categories=["Cs"]), max_size=16),
       style=st.sampled_from([None, "'", '"']), flow=st.booleans())
def test_any_text_token_reads_back_exactly(value: str, style: str | None, flow: bool) -> None:
    token = scalar_token(value, style, flow)
    assert token is not None
    assert same(read_scalar(token, flow), value)
