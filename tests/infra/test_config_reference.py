"""README.md's config reference is generated from the config model and policies/limits.py, and current."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra import config, config_reference
from infra.config_reference import COMMAND, END, README, START
from policies import limits


def test_readme_config_reference_is_current() -> None:
    text = README.read_text(encoding="utf-8")
    assert config_reference.with_table(text) == text, f"README.md's config reference is stale: run {COMMAND}"


def test_every_key_of_the_model_has_a_row_with_a_meaning() -> None:
    rows = {row.key: row for row in config_reference.rows()}
    for key in (*config.CONFIG_KEYS, *config.PROVIDER_KEYS.values()):
        assert key in rows and rows[key].meaning
    assert all(row.meaning for row in rows.values())
    assert {"services.<name>.env", "services.<name>.pool.size", "network.connector.max_instances"} <= set(rows)


def test_a_limit_the_model_checks_is_shown_with_its_source() -> None:
    rows = {row.key: row for row in config_reference.rows()}
    limit = limits.RUN_MAX_INSTANCES
    assert rows["services.<name>.max_instances"].allowed == f"{limit.allowed()} ([{limit.what}]({limit.source}))"
    assert rows["services.<name>.max_instances"].default == "10"
    assert rows["services.<name>.image"].default == "required"
    assert rows["redis.auth"].default == "unset"


def test_secret_settings_say_so() -> None:
    rows = {row.key: row for row in config_reference.rows()}
    assert "a Pulumi secret" in rows["services.<name>.env"].allowed
    assert "a Pulumi secret" in rows["monitoring.notification_email"].allowed
    assert "a Pulumi secret" not in rows["services.<name>.image"].allowed


def test_write_replaces_the_table_and_keeps_the_prose(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nbefore\n\n{START}\n| old | table |\n{END}\n\nafter\n", encoding="utf-8")
    assert config_reference.main(["--write"], readme=readme) == 0
    text = readme.read_text(encoding="utf-8")
    assert text == f"# Title\n\nbefore\n\n{START}\n{config_reference.table()}\n{END}\n\nafter\n"


def test_markers_are_required(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# no markers\n", encoding="utf-8")
    with pytest.raises(ValueError, match="config-reference:start"):
        config_reference.main(["--write"], readme=readme)


def test_angle_brackets_stay_visible_outside_code() -> None:
    assert config_reference._cell("`db-custom-<vCPUs>-<MiB>` or <name> | x") == \
        "`db-custom-<vCPUs>-<MiB>` or &lt;name&gt; \\| x"
