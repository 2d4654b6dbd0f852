"""infra.yaml_splice: one scalar set by a text splice; the rest of the text stays byte for byte.

Whole-file behaviour (committed stacks, odd formatting, random edits) is tested through apply in
test_stackfile_edit.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infra.edit_error import EditError
from infra.yaml_splice import set_scalar, set_scalars

WHERE = "Pulumi.dev.yaml"


@pytest.mark.parametrize(("text", "key", "value", "expected"), [
    # the quoted text `pulumi config set --path` wrote becomes a number, the comment stays
    ('config:\n  golden-path:scaling:\n    scale_up_at: "0.75"  # c\n', "scaling.scale_up_at", 0.75,
     "config:\n  golden-path:scaling:\n    scale_up_at: 0.75  # c\n"),
    ("config:\r\n  golden-path:database:\r\n    pool: {size: 3}\r\n", "database.pool.max_overflow", 2,
     "config:\r\n  golden-path:database:\r\n    pool: {size: 3, max_overflow: 2}\r\n"),
    ("config:\n    golden-path:scaling:\n        last_scaled:\n", "scaling.last_scaled.api", "now",
     "config:\n    golden-path:scaling:\n        last_scaled:\n            api: now\n"),
    ("config:\n  golden-path:environment: local", "redis.memory_gb", 2,
     "config:\n  golden-path:environment: local\n  golden-path:redis:\n    memory_gb: 2"),
    ("config:\n  golden-path:scaling:\n    cooldown_s:\n", "scaling.cooldown_s", 60,
     "config:\n  golden-path:scaling:\n    cooldown_s: 60\n"),
])
def test_sets_exactly_the_scalar(text: str, key: str, value: object, expected: str) -> None:
    assert set_scalar(text, WHERE, key, value) == expected


@pytest.mark.parametrize(("text", "key", "message"), [
    ("config:\n  golden-path:database:\n    pool: 5\n", "database.pool.size",
     r"Pulumi\.dev\.yaml:3: .*database\.pool is '5'"),
    ("config:\n  golden-path:database:\n    max_connections: [1]\n", "database.max_connections",
     r":3: .*has a list here"),
    ("x: &n 5\nconfig:\n  golden-path:database:\n    max_connections: *n\n", "database.max_connections",
     "anchored, an alias"),
    ("config:\n  golden-path:scaling:\n    cooldown_s: |\n      300\n", "scaling.cooldown_s", "block scalar"),
    ("config: [\n", "scaling.cooldown_s", r"Pulumi\.dev\.yaml:\d+: malformed YAML"),
])
def test_refused_when_the_file_disagrees_with_the_shape(text: str, key: str, message: str) -> None:
    with pytest.raises(EditError, match=message):
        set_scalar(text, WHERE, key, 1)


# Texts in every shape the splice handles: empty, block and flow mappings, values left out, CRLF, a BOM,
# no final line break; keys present, absent, and under sections that are absent.
SHAPES = [
    "",
    "# only a comment",
    "config:\n",
    "config:\n  golden-path:scaling:\n    last_scaled:\n    cooldown_s:\n",
    "config:\n  golden-path:database:\n    pool: {size: 3}\n    max_connections: 100",
    "\ufeffconfig:\r\n    golden-path:services:\r\n        api:\r\n            env: {A: 'x', B: }\r\n"
    "            max_instances: 7   # c\r\n",
    "config:\n  golden-path:scaling: {cooldown_s: , step: }\n  golden-path:services:\n    api:\n      port: 80\n",
]
KEYS = ["scaling.cooldown_s", "scaling.step", "scaling.last_scaled.api", "scaling.last_scaled.web",
        "database.pool.size", "database.pool.max_overflow", "database.max_connections", "redis.memory_gb",
        "redis.tier", "services.api.env.A", "services.api.env.B", "services.api.env.C", "services.api.max_instances",
        "services.api.pool.size", "services.api.pool.max_overflow", "network.connector.max_instances"]


def outcome(set_them: Callable[[], str]) -> str:
    try:
        return set_them()
    except EditError as exc:
        return f"EditError: {exc}"


def one_after_another(text: str, values: list[tuple[str, object]]) -> str:
    for key, value in values:
        text = set_scalar(text, WHERE, key, value)
    return text


@settings(max_examples=300, deadline=None)
@given(text=st.sampled_from(SHAPES),
       values=st.lists(st.tuples(st.sampled_from(KEYS), st.sampled_from([1, 20, "x y", "it's", True])),
                       max_size=6, unique_by=lambda kv: kv[0]))
def test_keys_set_together_give_what_setting_them_one_after_another_gives(text: str, values: list) -> None:
    """set_scalars makes the splices one tree allows at once and finds the rest in the next: same text."""
    assert outcome(lambda: set_scalars(text, WHERE, values)) == outcome(lambda: one_after_another(text, values))
