"""A file's exact text: read as it is (CRLF and BOM kept), replaced all at once."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from infra import stackfile
from infra.edit_error import EditError


def read_text(path: Path) -> str:
    """The file's text exactly (CRLF kept; Path.read_text would turn it into LF)."""
    try:
        return stackfile.read_text(path)
    except stackfile.StackFileError as exc:
        raise EditError(str(exc)) from None


def write_atomic(path: Path, text: str) -> None:
    """Replace the file's contents all at once: readers see the old file or the new, never a mix.

    A temp file in the same folder is written, flushed and fsynced, given the original's mode,
    then renamed over the target. A symlinked stack file stays a symlink (its target is written).
    """
    target = Path(os.path.realpath(path))
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = 0o644
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(text.encode("utf-8"))
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable (a folder cannot be opened on Windows)
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
