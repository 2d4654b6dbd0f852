"""infra.yaml_splice: one scalar set by a text splice; the rest of the text stays byte for byte.

Whole-file behaviour (committed stacks, odd formatting, random edits) is tested through apply in
test_stackfile_edit.
"""

from __future__ import annotations

import pytest

from infra.edit_error import EditError
from infra.yaml_splice import set_scalar

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
