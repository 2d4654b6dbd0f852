"""Stacks broken on purpose: each a committed stack plus a small patch, paired with what `infra check`
must report (cloud-foundation-fabric's tfvars + inventory pairing).

- `<name>.yaml`: `base` names a committed stack (Pulumi.<base>.yaml); `set` maps dotted config keys,
  as `infra scale set` takes them (services.api.max_instances), to values; null removes a key.
- `expected.json`: per stack file (Pulumi.<name>.yaml), why it is broken and its violations.

The CLI and the pack read real files: `write_broken_stack` writes Pulumi.<name>.yaml into a folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from infra import stackfile
from infra.dotted_keys import config_path, split_key
from infra.stacks import REPO_ROOT

PATCHES = Path(__file__).resolve().parent
EXPECTED: dict[str, Any] = json.loads((PATCHES / "expected.json").read_text())  # keyed by stack file name


def stack_file_names() -> list[str]:
    """Pulumi.<name>.yaml for every patch here."""
    return sorted(f"Pulumi.{path.stem}.yaml" for path in PATCHES.glob("*.yaml"))


def write_broken_stack(file_name: str, folder: Path, patches: Path = PATCHES) -> Path:
    """Write the broken stack file_name (Pulumi.<name>.yaml) into folder: its base with its patch applied."""
    name = file_name.removeprefix("Pulumi.").removesuffix(".yaml")
    patch = yaml.safe_load((patches / f"{name}.yaml").read_text())
    config = stackfile.read(REPO_ROOT / f"Pulumi.{patch['base']}.yaml").config  # read as Pulumi reads it
    for key, value in patch["set"].items():
        _set(config, key, value)
    path = folder / file_name
    header = f"# Broken on purpose: Pulumi.{patch['base']}.yaml with tests/broken_stacks/{name}.yaml applied.\n"
    path.write_text(header + yaml.safe_dump({"config": config}, sort_keys=False))
    return path


def _set(config: dict[str, Any], dotted_key: str, value: Any) -> None:
    """Set a dotted config key (services.api.max_instances) in a stack file's config; None removes it."""
    *parents, last = config_path(split_key(dotted_key))
    node = config
    for part in parents:
        node = node.setdefault(part, {})
    if value is None:
        node.pop(last, None)
    else:
        node[last] = value
