"""Reading an input file safely: only a regular file, at most so many bytes, never waiting on a FIFO."""

from __future__ import annotations

import os
import stat
from pathlib import Path


class UnreadableFile(Exception):
    """Why a file cannot be read; the message names the file (never its contents)."""


def read_regular_file(path: Path, limit: int, what: str) -> bytes:
    """The bytes of `path`, a regular file of at most `limit` bytes; `what` names the kind of file in
    messages ("stack file", "metrics file"). Checked before opening (opening a device can act by itself: a
    tape rewinds, a watchdog starts), opened without blocking and checked again after, so a FIFO or a
    device, even one swapped in between, is refused, never waited on."""
    try:
        _check(path, os.stat(path), limit, what)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise UnreadableFile(f"{path}: no such {what}") from None
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot be read: {exc.strerror or exc}") from None
    try:
        _check(path, os.fstat(fd), limit, what)
    except UnreadableFile:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise UnreadableFile(f"{path}: above the {limit} bytes a {what} may have")
    return data


def _check(path: Path, info: os.stat_result, limit: int, what: str) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableFile(f"{path}: not a regular file (a directory, FIFO or device); a {what} is a file")
    if info.st_size > limit:
        raise UnreadableFile(f"{path}: {info.st_size} bytes, above the {limit} bytes a {what} may have")
