"""JSON read with bounds: nesting measured before parsing, numbers no float holds kept as markers."""

from __future__ import annotations

import json
import sys

import pytest

from policies.bounded_json import (
    BEYOND_FLOAT,
    NOT_FINITE,
    TooDeep,
    UnusableNumber,
    line_and_column,
    loads,
    member,
    unusable_numbers,
)


@pytest.mark.parametrize(("text", "offset"), [
    ("[[[1]]]", 2),
    ('{"a": {"b": [0]}}', 12),
    ('["[[[[", "\\"[[[[", [[0]]]', 20),  # brackets inside strings, escaped quotes included, are no nesting
])
def test_nesting_past_the_limit_is_refused_at_its_bracket(text, offset):
    with pytest.raises(TooDeep) as raised:
        loads(text, 2)
    assert (raised.value.offset, raised.value.limit) == (offset, 2)
    assert str(raised.value) == "nested deeper than 2 levels"


@pytest.mark.parametrize("text", ["[[1]]", '["[[[[[[", {"a": "{{{{{"}]', '["\\\\", ["]]]"]]'])
def test_nesting_within_the_limit_is_parsed(text):
    assert loads(text, 2) == json.loads(text)


def test_an_unterminated_string_ends_the_scan():
    # A quote every other character, none closing the first: the string is scanned once, not once per quote.
    with pytest.raises(json.JSONDecodeError, match="Unterminated string"):
        loads('[["' + '\\"' * 500_000 + "[[[", 2)


@pytest.mark.parametrize(("token", "shown", "reason"), [
    ("NaN", "NaN", NOT_FINITE),
    ("-Infinity", "-Infinity", NOT_FINITE),
    ("1e400", "1e400", BEYOND_FLOAT),
    ("-2" + "0" * 308, "a 309-digit number", BEYOND_FLOAT),
    ("9" * 5000, "a 5000-digit number", BEYOND_FLOAT),
    ("1." + "5" * 50 + "e400", "a 56-character number", BEYOND_FLOAT),
])
def test_numbers_no_float_holds_are_markers(token, shown, reason):
    (where, number), = unusable_numbers(loads(f'{{"a": [1, {{"b": {token}}}]}}', 5))
    assert (where, str(number), number.reason) == ("a[1].b", shown, reason)
    assert number == UnusableNumber(token, reason)


def test_numbers_a_float_holds_are_numbers():
    largest = int(sys.float_info.max)
    assert loads(f"[{largest}, -{largest}, 1.7e308, 5e-324, 0]", 1) == [largest, -largest, 1.7e308, 5e-324, 0]
    assert list(unusable_numbers(loads(f"[{largest}, 1.7e308]", 1))) == []


def test_a_key_in_a_path_follows_the_redaction_rule():
    token = "ghp_Zq7RkP3mWx9TbN2vLc8HZq7RkP3mWx9TbN2v"
    assert member("", "headroom") == "headroom"
    assert member("connection-budget", "headroom") == "connection-budget.headroom"
    assert member("capacity-caps", token) == "capacity-caps.(a 40-character string)"


def test_line_and_column_count_as_json_errors_do():
    text = '{\n  "a": [\n    [1]]}'
    offset = text.index("[1]")
    with pytest.raises(json.JSONDecodeError) as raised:
        json.loads(text[:offset] + "x")
    assert line_and_column(text, offset) == (raised.value.lineno, raised.value.colno) == (3, 5)
