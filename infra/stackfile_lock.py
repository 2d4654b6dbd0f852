"""An exclusive lock on a stack file, on every platform Python runs on, so two scalers take turns.

filelock takes the operating system's lock (flock on POSIX, LockFileEx on Windows) on a sidecar
file, .Pulumi.prod.yaml.lock beside the stack file (.gitignore's *.lock keeps it out of git); the
system releases it if the holder dies. The holder records its pid and start time in a file of its
own, .Pulumi.prod.yaml.holder.lock, removed on release, so that a waiter that gives up can say who
holds the lock and since when: Windows refuses to read a locked range, so the lock file cannot say it.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from infra.edit_error import EditError

POLL_S = 0.02  # how often a waiter tries again


def lock_path(path: Path) -> Path:
    """The sidecar lock file: .Pulumi.prod.yaml.lock beside the stack file (ignored via *.lock)."""
    target = Path(os.path.realpath(path))
    return target.with_name(f".{target.name}.lock")


def holder_path(path: Path) -> Path:
    """Who holds the lock, while it is held: .Pulumi.prod.yaml.holder.lock (ignored via *.lock)."""
    target = Path(os.path.realpath(path))
    return target.with_name(f".{target.name}.holder.lock")


def _holder(record: Path) -> tuple[str, str]:
    """(pid, since) as the lock holder wrote them."""
    try:
        found = re.search(r"pid (\d+) since (\S+)", record.read_text(encoding="utf-8", errors="replace"))
    except OSError:  # released (or not yet written) meanwhile
        found = None
    return (found.group(1), found.group(2)) if found else ("unknown", "an unknown time")


@contextlib.contextmanager
def locked(path: Path, timeout_s: float = 30) -> Iterator[None]:
    """Hold an exclusive lock on the stack file; a second holder waits up to timeout_s. Not re-entrant."""
    from filelock import FileLock, Timeout  # here: 40 ms to import, and a dry run never locks

    lock = lock_path(path)
    file_lock = FileLock(lock)
    try:
        file_lock.acquire(timeout=timeout_s, poll_interval=POLL_S)
    except Timeout:
        pid, since = _holder(holder_path(path))
        raise EditError(f"another scaler holds the lock on {path} since {since} (pid {pid}); "
                        f"gave up after {timeout_s:g} s; run again when it has finished "
                        f"(lock file {lock})") from None
    except OSError as exc:
        raise EditError(f"{path}: cannot create the lock file {lock}: {exc}") from None
    record = holder_path(path)
    try:
        since = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        record.write_text(f"pid {os.getpid()} since {since}\n", encoding="utf-8")
        yield
    finally:
        with contextlib.suppress(OSError):  # before the release: the next holder's record is its own
            record.unlink()
        file_lock.release()
