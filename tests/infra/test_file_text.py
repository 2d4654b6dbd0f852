"""infra.file_text: a file's exact text, read as it is and replaced all at once."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from infra.edit_error import EditError
from infra.file_text import read_text, write_atomic
from tests.stack_files import copy_stack


def test_read_text_keeps_crlf_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_bytes("\ufeffconfig:\r\n  golden-path:environment: local\r\n".encode())
    assert read_text(path) == "\ufeffconfig:\r\n  golden-path:environment: local\r\n"


def test_read_text_names_the_file_it_cannot_read(tmp_path: Path) -> None:
    with pytest.raises(EditError, match=r"Pulumi\.gone\.yaml: no such stack file"):
        read_text(tmp_path / "Pulumi.gone.yaml")
    latin1 = tmp_path / "Pulumi.latin1.yaml"
    latin1.write_bytes("config:\n  golden-path:environment: caf\xe9\n".encode("latin-1"))
    with pytest.raises(EditError, match=r"Pulumi\.latin1\.yaml: cannot be read: .*utf-8"):
        read_text(latin1)


def test_write_atomic_keeps_mode_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = copy_stack(tmp_path, "prod")
    os.chmod(path, 0o640)
    write_atomic(path, "config:\r\n  golden-path:environment: prod\r\n")
    assert path.read_bytes() == b"config:\r\n  golden-path:environment: prod\r\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["Pulumi.prod.yaml"]


def test_write_atomic_failure_leaves_the_original(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = copy_stack(tmp_path, "prod")
    before = path.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, "half")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["Pulumi.prod.yaml"]


def test_write_atomic_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    real = copy_stack(tmp_path, "prod")
    (tmp_path / "elsewhere").mkdir()
    link = tmp_path / "elsewhere" / "Pulumi.prod.yaml"
    link.symlink_to(real)
    write_atomic(link, "config: {}\n")
    assert link.is_symlink() and real.read_text() == "config: {}\n"
