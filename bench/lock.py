"""Wall time of the stack-file lock (infra.stackfile_lock) and of locked edits, on temp copies of
Pulumi.prod.yaml. The tests assert what the lock does; this measures how long it takes.

    venv/bin/python bench/lock.py [--runs N] [--writers N] [--edits N]

- lock + release, uncontended, and one `edit()` (lock, read, apply, atomic write), uncontended;
- give-up: a waiter with timeout_s 0.2 against a holder in another process, time until it gives up;
- hand-over: from the holder's release to the waiter holding the lock (at most one poll,
  infra.stackfile_lock.POLL_S, plus scheduling);
- N writer processes each making M increments of one key: wall time, and whether an update was lost.
Each figure is the median of N runs (default 5).
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stacks import REPO  # noqa: E402

from infra import config, stackfile  # noqa: E402
from infra.edit_error import EditError  # noqa: E402
from infra.stackfile_edit import edit  # noqa: E402
from infra.stackfile_lock import POLL_S, locked  # noqa: E402

FORK = multiprocessing.get_context("fork")
KEY = "services.api.max_instances"
GIVE_UP_S = 0.2


def api_max_instances(text: str) -> int:
    return stackfile.read(Path("Pulumi.prod.yaml"), text).config["golden-path:services"]["api"]["max_instances"]


def median(measure: Callable[[], float], runs: int) -> float:
    return statistics.median(measure() for _ in range(runs))


def timed(action: Callable[[], Any]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def lock_once(path: Path) -> None:
    with locked(path):
        pass


def hold(path: str, holding: Any, release: Any) -> None:
    with locked(Path(path)):
        holding.set()
        release.wait(60)


def give_up(path: Path) -> float:
    """Seconds until a waiter with timeout_s GIVE_UP_S gives up against a holder in another process."""
    holding, release = FORK.Event(), FORK.Event()
    holder = FORK.Process(target=hold, args=(str(path), holding, release))
    holder.start()
    holding.wait(60)
    start = time.perf_counter()
    try:
        with locked(path, timeout_s=GIVE_UP_S):
            pass
    except EditError:
        pass
    seconds = time.perf_counter() - start
    release.set()
    holder.join(60)
    return seconds


def hand_over(path: Path) -> float:
    """Seconds from the holder's release to the waiting thread holding the lock."""
    released_at: list[float] = []
    holding, waiting = threading.Event(), threading.Event()

    def holder() -> None:
        with locked(path):
            holding.set()
            waiting.wait(60)
            time.sleep(5 * POLL_S)  # let the waiter reach its polling loop
            released_at.append(time.perf_counter())

    thread = threading.Thread(target=holder)
    thread.start()
    holding.wait(60)
    waiting.set()
    with locked(path, timeout_s=60):
        got_at = time.perf_counter()
    thread.join()
    return got_at - released_at[0]


def increment(path: str, times: int, start: Any) -> None:
    start.wait()
    for _ in range(times):
        edit(Path(path), lambda text: {KEY: api_max_instances(text) + 1}, validate=lambda _: None, timeout_s=120)


def writers(master: Path, folder: Path, count: int, times: int) -> tuple[float, bool]:
    """Wall time of count writer processes making `times` increments each; True if none was lost."""
    path = Path(shutil.copy(master, folder / "Pulumi.prod.yaml"))
    before = config.load(path).services["api"].max_instances
    start = FORK.Barrier(count + 1)
    processes = [FORK.Process(target=increment, args=(str(path), times, start)) for _ in range(count)]
    for process in processes:
        process.start()
    start.wait()
    began = time.perf_counter()
    for process in processes:
        process.join(300)
    seconds = time.perf_counter() - began
    return seconds, config.load(path).services["api"].max_instances == before + count * times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--writers", type=int, default=5)
    parser.add_argument("--edits", type=int, default=10, help="increments per writer")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        path = Path(shutil.copy(REPO / "Pulumi.prod.yaml", folder / "Pulumi.prod.yaml"))
        lock_once(path)  # warm-up: the lock file exists from here on
        figures = [
            ("lock + release, uncontended", median(lambda: timed(lambda: lock_once(path)), args.runs)),
            ("edit(), uncontended", median(lambda: timed(lambda: edit(
                path, lambda text: {KEY: api_max_instances(text) + 1}, validate=lambda _: None)), args.runs)),
            (f"give-up with timeout_s {GIVE_UP_S:g}", median(lambda: give_up(path), args.runs)),
            ("hand-over after release", median(lambda: hand_over(path), args.runs)),
        ]
        (folder / "writers").mkdir()
        seconds, kept = writers(REPO / "Pulumi.prod.yaml", folder / "writers", args.writers, args.edits)
        total = args.writers * args.edits
        print(f"{'what':<44}{'seconds':>10}")
        for name, value in figures:
            print(f"{name:<44}{value:>10.4f}")
        print(f"{f'{args.writers} writers x {args.edits} edits, wall':<44}{seconds:>10.3f}")
        print(f"{'  per edit':<44}{seconds / total:>10.4f}")
        print(f"updates lost: {'none' if kept else 'SOME (the lock failed)'}")


if __name__ == "__main__":
    main()
