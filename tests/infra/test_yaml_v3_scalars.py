"""infra.yaml_v3_scalars: scalars typed by go-yaml v3's rules (resolve.go), timestamps as Pulumi hands them on."""

from __future__ import annotations

import math
from typing import Any

import pytest

from infra.yaml_v3_scalars import TagMismatch, plain_number, tagged, timestamp


@pytest.mark.parametrize(("text", "value"), [
    # ParseInt(base 0) takes int64; ParseUint takes the rest up to 2**64 - 1, unsigned only; then a float
    ("9223372036854775807", 2**63 - 1), ("-9223372036854775808", -(2**63)), ("9223372036854775808", 2**63),
    ("18446744073709551615", 2**64 - 1), ("18446744073709551616", 1.8446744073709552e19),
    ("+9223372036854775808", 9.223372036854776e18), ("-9223372036854775809", -9.223372036854776e18),
    ("0xffffffffffffffff", 2**64 - 1), ("0x10000000000000000", "0x10000000000000000"),  # no float for hex
    ("08", 8.0), ("09.5", 9.5), ("0_7", 7), ("0x_1f", 31), ("0B11", 3), ("0O17", 15), ("-0", 0),
    ("1e308", 1e308), ("1e309", "1e309"), ("1e-400", 0.0),  # past the float range: text; below it: zero
    ("9" * 400, "9" * 400), ("0x", "0x"), ("1_000e3", 1_000_000.0), ("1.2.3", "1.2.3"), ("+", "+"),
    (".5_5", 0.55), ("._5", "._5"), (".5_", ".5_"), (".e3", ".e3"), (".", "."), ("+.inf", math.inf),
])
def test_numbers_are_read_as_go_yaml_v3_reads_them(text: str, value: Any) -> None:
    read = plain_number(text)
    assert type(read) is type(value) and read == value


@pytest.mark.parametrize(("text", "handed"), [
    ("2026-11-22", "2026-11-22 00:00:00 +0000 UTC"),
    ("2026-1-2", "2026-01-02 00:00:00 +0000 UTC"),  # Go's layout 2006-1-2 takes one or two digits
    ("2026-11-22T10:04:05Z", "2026-11-22 10:04:05 +0000 UTC"),
    ("2026-11-22t1:4:5Z", "2026-11-22 01:04:05 +0000 UTC"),
    ("2026-11-22 10:04:05.250", "2026-11-22 10:04:05.25 +0000 UTC"),  # space-separated: no zone, UTC
    ("2026-11-22T10:04:05.1234567891+05:30", "2026-11-22 10:04:05.123456789 +0530 +0530"),  # nanoseconds kept
    ("2026-11-22T10:04:05-00:00", "2026-11-22 10:04:05 +0000 UTC"),
    ("2024-02-29", "2024-02-29 00:00:00 +0000 UTC"), ("0000-02-29", "0000-02-29 00:00:00 +0000 UTC"),
])
def test_a_timestamp_is_the_text_pulumi_hands_the_program(text: str, handed: str) -> None:
    assert timestamp(text) == handed == plain_number(text)


@pytest.mark.parametrize("text", [
    "2026-02-30", "2026-13-01", "2025-02-29", "2026-00-10", "2026-11-22T24:00:00Z", "2026-11-22T10:60:00Z",
    "2026-11-22T10:00:00", "2026-11-22 10:00:00Z", "2026-11-22T10:00:00+25:00", "2026-11-22T10:00:00+0200",
    "2026-011-22", "26-11-22", "2026-11-22T10:00:00.Z",
])
def test_what_go_cannot_parse_as_a_time_is_text(text: str) -> None:
    assert timestamp(text) is None
    assert plain_number(text) == text


@pytest.mark.parametrize(("tag", "text", "value"), [
    ("int", "0x10", 16), ("int", "1_000", 1000), ("float", "3", 3.0), ("float", ".nan", math.nan),
    ("bool", "TRUE", True), ("null", "~", None), ("null", "", None),
    ("timestamp", "2026-11-22", "2026-11-22 00:00:00 +0000 UTC"),
])
def test_a_tagged_scalar_is_read_as_its_tag_says(tag: str, text: str, value: Any) -> None:
    read = tagged(tag, text)
    assert type(read) is type(value) and (read == value or math.isnan(value))


@pytest.mark.parametrize(("tag", "text"), [
    ("int", "x"), ("int", "1.5"), ("int", "2026-11-22"), ("bool", "yes"), ("bool", "1"), ("null", "0"),
    ("float", "true"), ("timestamp", "12"),
])
def test_a_tag_the_text_does_not_fit_is_refused_without_quoting_a_secret(tag: str, text: str) -> None:
    with pytest.raises(TagMismatch, match=rf"is not what its tag !!{tag} says"):
        tagged(tag, text)
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    with pytest.raises(TagMismatch) as refused:
        tagged(tag, token)
    assert token not in str(refused.value)
