"""Stack files for the stack-file writer's tests: the committed stacks, copies of them, raw values."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from infra import stackfile
from infra.dotted_keys import config_path, split_key
from tests.conftest import REPO


def committed(stack: str) -> Path:
    return REPO / f"Pulumi.{stack}.yaml"


def copy_stack(tmp_path: Path, stack: str) -> Path:
    """A copy of the committed Pulumi.<stack>.yaml in tmp_path."""
    target = tmp_path / f"Pulumi.{stack}.yaml"
    shutil.copyfile(committed(stack), target)
    return target


def raw_value(text: str, key: str) -> Any:
    """The value of a dotted key as the stack file reader gives it (KeyError if absent)."""
    node: Any = stackfile.read(Path("Pulumi.x.yaml"), text).config
    for part in config_path(split_key(key)):
        node = node[part]
    return node
