"""infra.stackfile_lock: one holder at a time, released if the holder dies, and a waiter that gives up
says who holds the lock and since when. Holders and waiters meet through events, never elapsed time;
how long the lock takes is measured in bench/lock.py."""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from infra import config
from infra.edit_error import EditError
from infra.stackfile_edit import edit
from infra.stackfile_lock import holder_path, lock_path, locked
from tests.conftest import REPO
from tests.stack_files import copy_stack, raw_value

FORK = multiprocessing.get_context("fork")
WAIT_S = 60  # an upper bound for a stuck test, never a measurement


def _increment(path: str, key: str, times: int, start: Any) -> None:
    """One scaler: read the current value under the lock, add one, validate slowly, write."""
    start.wait()
    for _ in range(times):
        edit(Path(path), lambda text: {key: raw_value(text, key) + 1},
             validate=lambda _: time.sleep(0.02), timeout_s=WAIT_S)


def _hold(path: str, holding: Any, release: Any, releasing: Any) -> None:
    with locked(Path(path)):
        holding.set()
        release.wait(WAIT_S)
        releasing.set()


def _hold_and_die(path: str, holding: Any) -> None:
    with locked(Path(path)):
        holding.set()
        os.kill(os.getpid(), signal.SIGKILL)  # no release, no cleanup


def _run_all(processes: list[Any]) -> None:
    for process in processes:
        process.start()
    for process in processes:
        process.join(WAIT_S)
        assert process.exitcode == 0


def test_two_scalers_never_lose_an_update(tmp_path: Path) -> None:
    path = copy_stack(tmp_path, "prod")
    start = FORK.Barrier(2)
    times = 5
    _run_all([FORK.Process(target=_increment, args=(str(path), key, times, start))
              for key in ("services.api.max_instances", "services.web.max_instances")])
    cfg = config.load(path)
    assert (cfg.services["api"].max_instances, cfg.services["web"].max_instances) == (20 + times, 5 + times)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".Pulumi.prod.yaml.lock", "Pulumi.prod.yaml"]


def test_five_writers_of_one_key_lose_nothing(tmp_path: Path) -> None:
    path = copy_stack(tmp_path, "prod")
    writers, times = 5, 3
    start = FORK.Barrier(writers)
    _run_all([FORK.Process(target=_increment, args=(str(path), "services.api.max_instances", times, start))
              for _ in range(writers)])
    assert config.load(path).services["api"].max_instances == 20 + writers * times


def test_a_waiter_gives_up_naming_the_holder(tmp_path: Path) -> None:
    path = copy_stack(tmp_path, "prod")
    holding, release, releasing = FORK.Event(), FORK.Event(), FORK.Event()
    holder = FORK.Process(target=_hold, args=(str(path), holding, release, releasing))
    holder.start()
    try:
        assert holding.wait(WAIT_S)
        with pytest.raises(EditError) as caught, locked(path, timeout_s=0.1):
            pass
    finally:
        release.set()
        holder.join(WAIT_S)
    message = str(caught.value)
    assert message.startswith(f"another scaler holds the lock on {path} since 20")
    assert f"(pid {holder.pid}); gave up after 0.1 s" in message
    assert message.endswith(f"(lock file {tmp_path / '.Pulumi.prod.yaml.lock'})")
    with locked(path, timeout_s=0):  # released on exit: the next scaler gets it at once
        assert lock_path(path) == tmp_path / ".Pulumi.prod.yaml.lock"


def test_a_second_lock_in_the_same_process_waits_too(tmp_path: Path) -> None:
    path = copy_stack(tmp_path, "prod")
    with locked(path):
        with pytest.raises(EditError, match=rf"since 20\S+ \(pid {os.getpid()}\)"), locked(path, timeout_s=0.1):
            pass


def test_a_waiter_gets_the_lock_once_the_holder_releases_it(tmp_path: Path) -> None:
    path = copy_stack(tmp_path, "prod")
    holding, release, releasing = FORK.Event(), FORK.Event(), FORK.Event()
    holder = FORK.Process(target=_hold, args=(str(path), holding, release, releasing))
    holder.start()
    assert holding.wait(WAIT_S)
    with pytest.raises(EditError), locked(path, timeout_s=0):  # held: no lock without waiting
        pass
    got: list[bool] = []

    def wait_for_it() -> None:
        with locked(path, timeout_s=WAIT_S):
            got.append(releasing.is_set())

    waiter = threading.Thread(target=wait_for_it)
    waiter.start()
    release.set()
    waiter.join(WAIT_S)
    holder.join(WAIT_S)
    assert got == [True]  # the waiter had the lock only once the holder was letting it go


def test_the_lock_is_released_when_its_holder_dies(tmp_path: Path) -> None:
    path = copy_stack(tmp_path, "prod")
    holding = FORK.Event()
    holder = FORK.Process(target=_hold_and_die, args=(str(path), holding))
    holder.start()
    holder.join(WAIT_S)
    assert holding.is_set() and holder.exitcode == -signal.SIGKILL
    assert f"pid {holder.pid} " in holder_path(path).read_text()  # it died holding the lock
    with locked(path, timeout_s=0):
        assert f"pid {os.getpid()} " in holder_path(path).read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".Pulumi.prod.yaml.lock", "Pulumi.prod.yaml"]


def test_the_holder_is_recorded_while_it_holds_the_lock(tmp_path: Path) -> None:
    path = copy_stack(tmp_path, "prod")
    with locked(path):
        record = holder_path(path).read_text()
        assert re.fullmatch(rf"pid {os.getpid()} since \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n", record)
        assert holder_path(path) == tmp_path / ".Pulumi.prod.yaml.holder.lock"  # *.lock: ignored by git
    assert not holder_path(path).exists()
    assert lock_path(path).exists()


def test_every_infra_module_imports_and_edits_without_fcntl(tmp_path: Path) -> None:
    """fcntl is POSIX only: with it unimportable (as on Windows), every command still imports and edits."""
    path = copy_stack(tmp_path, "prod")
    script = textwrap.dedent("""
        import importlib, pkgutil, sys
        from pathlib import Path
        sys.modules["fcntl"] = None  # `import fcntl` now raises ImportError
        import infra
        # infra.__main__ is the Pulumi program itself: importing it runs it
        names = [m.name for m in pkgutil.walk_packages(infra.__path__, "infra.") if m.name != "infra.__main__"]
        for name in names:
            importlib.import_module(name)
        from infra.stackfile_edit import edit
        edit(Path(sys.argv[1]), {"services.api.max_instances": 21}, validate=lambda _: None)
        print(" ".join(names))
    """)
    result = subprocess.run([sys.executable, "-c", script, str(path)], cwd=REPO, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    imported = result.stdout.split()
    assert {"infra.cli", "infra.commands.scale", "infra.commands.forecast", "infra.stackfile_lock"} <= set(imported)
    assert config.load(path).services["api"].max_instances == 21
