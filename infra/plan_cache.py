"""An opt-in cache of offline plans (`infra plan|check --cache DIR`): a plan is served from DIR only when
everything it was made from is the same.

The key is a SHA-256 of everything a plan reads: the stack's name and file text, every source file of
the program and the packages it imports from this project (infra/, components/, policies/), the
versions of Python and of the SDKs and libraries that shape what is registered (PROVIDERS), whether
the fast paths are on, and the environment variables the Pulumi SDK or this project read (PULUMI_*,
GOLDEN_PATH_*). Anything else the program might read is none of these: it reads its config from the
stack file, which offline.plan hands it. A changed byte anywhere in the key is a miss; a cache file that
is unreadable, not JSON, or made for another key is a miss too, and is written over.

Entries hold what offline.plan captured (resources and outputs, as JSON); the config model is rebuilt
from the stack file. A plan whose outputs would not come back from JSON as they are is not cached.
Entries are written atomically; the folder is the user's (it holds what `infra plan --format json`
prints, secret values as the engine keeps them: keep it out of git, like the plan output).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import sys
from pathlib import Path
from typing import Any

from infra import config, fast_paths, offline
from infra.config import StackConfig
from infra.offline import CapturedResource, Plan
from infra.stacks import REPO_ROOT

FORMAT = 1  # of an entry; part of the key
SOURCES = ("infra", "components", "policies")  # folders under REPO_ROOT whose .py files make the plan
VIRTUALENVS = frozenset({"venv", ".venv"})  # the pack's own (policies/venv) is installed packages, not sources
PROVIDERS = ("pulumi", "pulumi-gcp", "pulumi-docker", "pulumi-random", "pulumi-policy", "protobuf", "pydantic",
             "PyYAML")
ENVIRONMENT_PREFIXES = ("PULUMI_", "GOLDEN_PATH_")


def plan(stack_file: Path, text: str | None = None, folder: Path | None = None) -> Plan:
    """offline.plan, served from folder when an entry's key matches, and kept there when not (None: no cache)."""
    if folder is None:
        return offline.plan(stack_file, text)
    sf = config.read_stack_file(stack_file, text)
    cfg = config.from_stack_file(sf)  # the config errors offline.plan raises, before any look-up
    entry_key = key(sf.stack, sf.text)
    cached = load(folder, entry_key, stack_file, cfg)
    if cached is not None:
        return cached
    made = offline.plan(stack_file, sf.text)
    save(folder, entry_key, made)
    return made


def key(stack: str, text: str, root: Path = REPO_ROOT) -> str:
    """The hex SHA-256 of everything the plan of `text` (the stack file of `stack`) reads."""
    digest = hashlib.sha256()

    def part(name: str, value: bytes) -> None:  # length-prefixed: no two keys run together alike
        for piece in (name.encode(), value):
            digest.update(len(piece).to_bytes(8, "big"))
            digest.update(piece)

    part("format", str(FORMAT).encode())
    part("python", sys.version.encode())
    part("stack", stack.encode())
    part("stack file", text.encode("utf-8", "surrogatepass"))
    for folder in SOURCES:
        for source in sorted((root / folder).rglob("*.py")):
            relative = source.relative_to(root)
            if not VIRTUALENVS.intersection(relative.parts):
                part(relative.as_posix(), source.read_bytes())
    for distribution in PROVIDERS:
        try:
            version = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            version = "(not installed)"
        part(distribution, version.encode())
    part("fast paths", str(fast_paths.enabled()).encode())
    for name in sorted(os.environ):
        if name.startswith(ENVIRONMENT_PREFIXES):
            part(f"environment {name}", os.environ[name].encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def load(folder: Path, entry_key: str, stack_file: Path, cfg: StackConfig) -> Plan | None:
    """The cached plan under entry_key, for stack_file with its config (rebuilt from the file: not cached)."""
    try:
        entry = json.loads((folder / f"{entry_key}.json").read_text(encoding="utf-8"))
        if entry.get("key") != entry_key or entry.get("format") != FORMAT:
            return None
        resources = tuple(CapturedResource(
            urn=r["urn"], type=r["type"], name=r["name"], props=r["props"], parent=r["parent"],
            dependencies=tuple(r["dependencies"]),
            property_dependencies={k: tuple(v) for k, v in r["property_dependencies"].items()},
            custom=r["custom"]) for r in entry["resources"])
        return Plan(stack=entry["stack"], path=stack_file, config=cfg, resources=resources, outputs=entry["outputs"])
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):  # a miss, written over
        return None


def save(folder: Path, entry_key: str, plan: Plan) -> None:
    """Write plan under entry_key, atomically; nothing when its outputs would not read back the same, or the
    folder cannot be written (a cache that cannot be kept is no error: the plan was made)."""
    entry: dict[str, Any] = {
        "format": FORMAT, "key": entry_key, "stack": plan.stack, "outputs": plan.outputs,
        "resources": [{"urn": r.urn, "type": r.type, "name": r.name, "props": r.props, "parent": r.parent,
                       "dependencies": list(r.dependencies),
                       "property_dependencies": {k: list(v) for k, v in r.property_dependencies.items()},
                       "custom": r.custom} for r in plan.resources],
    }
    try:
        text = json.dumps(entry)  # key order kept: every format prints properties in the captured order
    except (TypeError, ValueError):
        return
    if json.loads(text)["outputs"] != plan.outputs:
        return
    target = folder / f"{entry_key}.json"
    temporary = folder / f".{entry_key}.{os.getpid()}.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
    except OSError:
        temporary.unlink(missing_ok=True)
