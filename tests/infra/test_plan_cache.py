"""infra/plan_cache.py: a cached plan is served only when everything it was made from is the same, and is
the plan itself (every output format byte for byte); each part of the key, changed, is a miss."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import shutil
import sys
from pathlib import Path

import pytest

from infra import cli, offline, plan_cache
from tests.conftest import REPO

STACK = "staging"


@pytest.fixture
def stack_file(tmp_path: Path) -> Path:
    return Path(shutil.copy(REPO / f"Pulumi.{STACK}.yaml", tmp_path / f"Pulumi.{STACK}.yaml"))


def no_program(*args, **kwargs):
    raise AssertionError("planned, though the cache holds this plan")


def test_a_hit_is_the_plan_itself_without_running_the_program(stack_file: Path, tmp_path: Path, monkeypatch):
    folder = tmp_path / "cache"
    made = plan_cache.plan(stack_file, folder=folder)
    assert made == offline.plan(stack_file)
    monkeypatch.setattr(offline, "plan", no_program)
    served = plan_cache.plan(stack_file, folder=folder)
    assert served == made  # resources, props in their order, dependencies, outputs, config, path
    assert [list(r.props) for r in served.resources] == [list(r.props) for r in made.resources]


@pytest.mark.parametrize("command", [["plan", "--format", "json"], ["check", "--format", "sarif"],
                                     ["check", "--format", "json"], ["check"]])
def test_every_format_is_the_same_from_the_cache(stack_file: Path, tmp_path: Path, capsys, monkeypatch,
                                                 command: list[str]):
    monkeypatch.chdir(REPO)  # the policy configs of this project
    args = [*command, "--stack-file", str(stack_file)]
    cli.main(args)
    plain = capsys.readouterr().out
    cli.main([*args, "--cache", str(tmp_path / "cache")])
    assert capsys.readouterr().out == plain
    monkeypatch.setattr(offline, "plan", no_program)
    cli.main([*args, "--cache", str(tmp_path / "cache")])
    assert capsys.readouterr().out == plain


def test_a_changed_stack_file_is_a_miss(stack_file: Path, tmp_path: Path):
    folder = tmp_path / "cache"
    plan_cache.plan(stack_file, folder=folder)
    stack_file.write_text(stack_file.read_text().replace("memory_gb: 1", "memory_gb: 2"))
    replanned = plan_cache.plan(stack_file, folder=folder)
    assert replanned == offline.plan(stack_file)
    assert len(list(folder.glob("*.json"))) == 2


def test_each_part_of_the_key_changes_it(tmp_path: Path, monkeypatch):
    root = tmp_path / "project"
    for folder in plan_cache.SOURCES:
        (root / folder).mkdir(parents=True)
    source = root / "components" / "thing.py"
    source.write_text("SIZE = 1\n")
    text = (REPO / f"Pulumi.{STACK}.yaml").read_text()
    before = plan_cache.key(STACK, text, root)
    assert plan_cache.key(STACK, text, root) == before  # the same inputs, the same key

    changed = {"the stack file": plan_cache.key(STACK, text + "\n", root),
               "the stack's name": plan_cache.key("prod", text, root)}
    source.write_text("SIZE = 2\n")
    changed["a source file"] = plan_cache.key(STACK, text, root)
    (root / "policies" / "new.py").write_text("")
    changed["a new source file"] = plan_cache.key(STACK, text, root)
    (root / "policies" / "new.py").unlink()
    (root / "policies" / "venv" / "lib").mkdir(parents=True)  # the pack's virtualenv: packages, not sources
    (root / "policies" / "venv" / "lib" / "installed.py").write_text("")
    source.write_text("SIZE = 1\n")
    assert plan_cache.key(STACK, text, root) == before

    real_version = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version",
                        lambda name: "0.0.1" if name == "pulumi-gcp" else real_version(name))
    changed["an SDK's version"] = plan_cache.key(STACK, text, root)
    monkeypatch.undo()
    monkeypatch.setattr(sys, "version", sys.version + " (another build)")
    changed["Python"] = plan_cache.key(STACK, text, root)
    monkeypatch.undo()
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "x")
    changed["a PULUMI_ variable"] = plan_cache.key(STACK, text, root)
    monkeypatch.undo()
    monkeypatch.setenv("GOLDEN_PATH_FAST_PATHS", "0")
    changed["the fast paths"] = plan_cache.key(STACK, text, root)
    monkeypatch.undo()
    assert plan_cache.key(STACK, text, root) == before
    assert all(value != before for value in changed.values()), [k for k, v in changed.items() if v == before]
    assert len(set(changed.values())) == len(changed)


@pytest.mark.parametrize("damage", [b"", b"not json", b'{"format": 1}', b'[1, 2]', b"\xff\xfe"])
def test_a_damaged_entry_is_a_miss_and_written_over(stack_file: Path, tmp_path: Path, damage: bytes):
    folder = tmp_path / "cache"
    made = plan_cache.plan(stack_file, folder=folder)
    (entry,) = folder.glob("*.json")
    entry.write_bytes(damage)
    assert plan_cache.plan(stack_file, folder=folder) == made
    assert json.loads(entry.read_text())["key"] == entry.stem


def test_an_entry_made_for_another_key_is_a_miss(stack_file: Path, tmp_path: Path):
    folder = tmp_path / "cache"
    made = plan_cache.plan(stack_file, folder=folder)
    (entry,) = folder.glob("*.json")
    other = folder / f"{'0' * 64}.json"
    entry.rename(other)  # a file under one key holding the plan of another
    assert plan_cache.load(folder, other.stem, stack_file, made.config) is None


def test_outputs_json_would_change_are_not_cached(stack_file: Path, tmp_path: Path):
    made = offline.plan(stack_file)
    odd = dataclasses.replace(made, outputs={**made.outputs, "sizes": (1, 2)})  # a tuple comes back a list
    plan_cache.save(tmp_path, "k" * 64, odd)
    assert not list(tmp_path.glob("*.json"))
    plan_cache.save(tmp_path, "k" * 64, made)
    assert plan_cache.load(tmp_path, "k" * 64, stack_file, made.config) == made
