"""infra.dotted_keys: dotted keys, their place under config:, and KEY=VALUE assignments."""

from __future__ import annotations

from typing import Any

import pytest

from infra.dotted_keys import config_path, join_key, lookup, parse_assignment, split_key
from infra.edit_error import EditError
from infra.yaml_scalars import MISSING


def test_keys_with_dots_are_quoted_segments() -> None:
    assert split_key('scaling.last_scaled."network.connector"') == ("scaling", "last_scaled", "network.connector")
    assert join_key(("scaling", "last_scaled", "network.connector")) == 'scaling.last_scaled."network.connector"'


@pytest.mark.parametrize(("key", "message"), [
    ("services..api", "not a dotted key"),
    ("services.api.", "not a dotted key"),
    ("services.api max", r"expected '\.' after 'services\.api'"),
    ('services."api"x', r"expected '\.' after"),
])
def test_split_key_refuses_what_is_no_dotted_key(key: str, message: str) -> None:
    with pytest.raises(EditError, match=message):
        split_key(key)


def test_config_path_puts_the_namespace_on_the_first_segment() -> None:
    assert config_path(("services", "api", "max_instances")) == ("golden-path:services", "api", "max_instances")
    assert config_path(()) == ()


def test_lookup_walks_nested_mappings() -> None:
    tree = {"golden-path:services": {"api": {"max_instances": 20}}}
    assert lookup(tree, ("golden-path:services", "api", "max_instances")) == 20
    assert lookup(tree, ("golden-path:services", "web")) is MISSING
    assert lookup(tree, ("golden-path:services", "api", "max_instances", "deeper")) is MISSING


@pytest.mark.parametrize(("text", "expected"), [
    ("services.api.max_instances=20", ("services.api.max_instances", 20)),
    ("scaling.step=1.5", ("scaling.step", 1.5)),
    ("database.backups=true", ("database.backups", True)),
    ("database.backups=false", ("database.backups", False)),
    ("services.api.memory=1Gi", ("services.api.memory", "1Gi")),
    ("services.api.env.WORKERS='4'", ("services.api.env.WORKERS", "4")),
    ('services.api.env.DEBUG="true"', ("services.api.env.DEBUG", "true")),
    ("services.api.env.DEBUG=yes", ("services.api.env.DEBUG", "yes")),  # YAML 1.2 booleans, as Pulumi reads
    ("scaling.last_scaled.api=2024-05-01T10:00:00Z", ("scaling.last_scaled.api", "2024-05-01T10:00:00Z")),
    (" services.api.max_instances = 3 ", ("services.api.max_instances", 3)),
    ("services.api.env.EMPTY=''", ("services.api.env.EMPTY", "")),
    ("services.api.env.URL=http://x:80/a", ("services.api.env.URL", "http://x:80/a")),
])
def test_parse_assignment_types_values_the_yaml_way(text: str, expected: tuple[str, Any]) -> None:
    key, value = parse_assignment(text)
    assert (key, value) == expected
    assert type(value) is type(expected[1])


@pytest.mark.parametrize(("text", "message"), [
    ("services.api.max_instances", "write KEY=VALUE"),
    ("=20", "write KEY=VALUE"),
    ("services.api.max_instances=", "no value after '='"),
    ("services..api=1", "not a dotted key"),
    ("services.api.max_instances=[1, 2]", "is a list"),
    ("services.api.max_instances=~", "is null"),
    ("services.api.env.X=a: b", "no single YAML value"),
    ("services.api.max_instances=010", "leading zero"),
])
def test_parse_assignment_refuses_bad_input(text: str, message: str) -> None:
    with pytest.raises(EditError, match=message) as caught:
        parse_assignment(text)
    assert repr(text) in str(caught.value)
