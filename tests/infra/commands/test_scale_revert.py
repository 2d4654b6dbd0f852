"""The scale journal (infra/scale_journal.py) and `infra scale revert`: every write is recorded with the values
before and after; a revert writes them back through the same checks, byte for byte, and is recorded too."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from infra import cli, config, scale_journal
from infra.change import Change
from tests.conftest import REPO
from tests.infra.commands.test_scale import write_metrics


@pytest.fixture(autouse=True)
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # the project's policy configs


@pytest.fixture
def prod(tmp_path: Path) -> Path:
    return Path(shutil.copy(REPO / "Pulumi.prod.yaml", tmp_path / "Pulumi.prod.yaml"))


def scale(*args: str) -> int:
    return cli.main(["scale", *args])


def journal(stack: Path) -> list[dict]:
    return [json.loads(line) for line in scale_journal.journal_path(stack).read_text().splitlines()]


def test_each_write_is_journaled_and_a_revert_restores_the_file_byte_for_byte(prod: Path, capsys):
    original = prod.read_bytes()
    assert scale("set", "--stack-file", str(prod), "redis.memory_gb=6") == 0
    after_first = prod.read_bytes()
    assert scale("set", "--stack-file", str(prod), "services.api.max_instances=24", "redis.memory_gb=7") == 0
    assert "journal entry 2" in capsys.readouterr().out
    entries = journal(prod)
    assert [e["entry"] for e in entries] == [1, 2]
    assert entries[1]["changes"] == [{"key": "services.api.max_instances", "old": 20, "new": 24},
                                     {"key": "redis.memory_gb", "old": 6, "new": 7}]
    assert entries[1]["command"] == "scale set" and "services.api.max_instances=24" in entries[1]["why"]

    assert scale("revert", "--stack-file", str(prod)) == 0  # the last entry
    assert prod.read_bytes() == after_first
    assert journal(prod)[-1]["command"] == "scale revert" and journal(prod)[-1]["why"] == "revert of journal entry 2"

    assert scale("revert", "--stack-file", str(prod), "--to", "0") == 0  # every entry: entries 1 to 3
    assert prod.read_bytes() == original
    assert journal(prod)[-1]["why"] == "revert of journal entries 1, 2, 3"


def test_a_dry_run_revert_shows_the_diff_and_writes_nothing(prod: Path, capsys):
    assert scale("set", "--stack-file", str(prod), "redis.memory_gb=6") == 0
    capsys.readouterr()
    before, journal_before = prod.read_bytes(), scale_journal.journal_path(prod).read_bytes()
    assert scale("revert", "--stack-file", str(prod), "--dry-run") == 0
    out = capsys.readouterr().out
    assert "-    memory_gb: 6" in out and "+    memory_gb: 5" in out and "dry run: nothing written" in out
    assert prod.read_bytes() == before and scale_journal.journal_path(prod).read_bytes() == journal_before


def test_a_hand_edit_since_the_entry_refuses_the_revert(prod: Path, capsys):
    assert scale("set", "--stack-file", str(prod), "redis.memory_gb=6") == 0
    prod.write_text(prod.read_text().replace("memory_gb: 6", "memory_gb: 8"))
    before = prod.read_bytes()
    assert scale("revert", "--stack-file", str(prod)) == 1
    err = capsys.readouterr().err
    assert "redis.memory_gb is 8, the journal's last value 6" in err and "revert by hand" in err
    assert prod.read_bytes() == before


@pytest.mark.parametrize(("journal_text", "expected"), [
    (None, "has no entries"),
    ('{"entry": 1}\n', "Pulumi.prod.scale-journal.jsonl:1: not a journal entry"),
    ("not json\n", "Pulumi.prod.scale-journal.jsonl:1: not a journal entry"),
])
def test_a_missing_or_broken_journal_is_bad_input(prod: Path, capsys, journal_text: str | None, expected: str):
    if journal_text is not None:
        scale_journal.journal_path(prod).write_text(journal_text)
    before = prod.read_bytes()
    assert scale("revert", "--stack-file", str(prod)) == 2
    assert expected in capsys.readouterr().err
    assert prod.read_bytes() == before


def test_an_entry_that_does_not_exist_is_bad_input(prod: Path, capsys):
    assert scale("set", "--stack-file", str(prod), "redis.memory_gb=6") == 0
    assert scale("revert", "--stack-file", str(prod), "--to", "7") == 2
    assert "no journal entry 7; entries are 1 to 1" in capsys.readouterr().err
    assert scale("revert", "--stack-file", str(prod), "--to", "1") == 2
    assert "entry 1 is the last" in capsys.readouterr().err


def test_scale_auto_is_journaled_with_its_reasons_and_reverted_but_for_its_cooldown_stamps(prod: Path,
                                                                                        tmp_path: Path, capsys):
    metrics = write_metrics(tmp_path, [("redis", "memory_ratio", 0.8)])
    assert scale("auto", "--stack-file", str(prod), "--metrics", f"file:{metrics}") == 0
    (entry,) = journal(prod)
    assert entry["command"] == "scale auto" and "redis.memory_gb: " in entry["why"]
    assert {c["key"] for c in entry["changes"]} == {"redis.memory_gb", "scaling.last_scaled.redis"}
    assert scale("revert", "--stack-file", str(prod)) == 0
    cfg = config.load(prod)
    assert cfg.redis.memory_gb == 5 and "redis" in cfg.scaling.last_scaled  # the cooldown holds


def test_a_key_an_entry_added_or_whose_value_is_hidden_is_not_reverted():
    added = scale_journal.Entry(1, "2026-11-22T00:00:00+00:00", "scale set", "",
                                (Change("services.api.pool.size", None, 4),))
    with pytest.raises(scale_journal.EditError, match="entry 1 added it"):
        scale_journal.restoring([added], None)
    assert scale_journal._recorded("services.api.env.API_TOKEN", "abc") == scale_journal.HIDDEN
    assert scale_journal._recorded("services.api.image", "ghp_" + "a" * 36) == scale_journal.HIDDEN
    assert scale_journal._recorded("services.api.max_instances", 20) == 20
    hidden = scale_journal.Entry(1, "2026-11-22T00:00:00+00:00", "scale set", "",
                                 (Change("services.api.env.API_TOKEN", scale_journal.HIDDEN, scale_journal.HIDDEN),))
    with pytest.raises(scale_journal.EditError, match="does not record its value"):
        scale_journal.restoring([hidden], None)
