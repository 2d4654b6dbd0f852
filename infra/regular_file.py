"""Reading an input file safely: only a regular file, at most so many bytes, never waiting on a FIFO."""

from __future__ import annotations

import os
import stat
from pathlib import Path


class UnreadableFile(Exception):
    """Why a file cannot be read; the message names the file (never its contents)."""


def read_regular_file(path: Path, limit: int, what: str) -> bytes:
    """The bytes of `path`, a regular file of at most `limit` bytes; `what` names the kind of file in
    messages ("stack file", "metrics file"). Opened without blocking and checked after opening, so a
    FIFO or a device, even one swapped in after a check, is refused, never waited on."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise UnreadableFile(f"{path}: no such {what}") from None
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot be read: {exc.strerror or exc}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
        os.close(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(f"{path}: not a regular file (a directory, FIFO or device); a {what} is a file")
        raise UnreadableFile(f"{path}: {info.st_size} bytes, above the {limit} bytes a {what} may have")
    with os.fdopen(fd, "rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise UnreadableFile(f"{path}: above the {limit} bytes a {what} may have")
    return data
