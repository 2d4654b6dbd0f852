"""The collector's thresholds around a command (infra/fast_paths.py `collector`): put back after main(), which
tests call many times in one process; left as the command had them by run(), the `infra` command, whose
process ends with the command (put back, they would start a collection of the whole plan's heap)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys

import pytest

from infra import cli, fast_paths
from tests.conftest import REPO

THRESHOLDS_AFTER_RUN = ("import gc, sys; from infra import cli; sys.argv = ['infra', 'plan', '--stack', 'local']; "
                        "code = cli.run(); print(code, *gc.get_threshold(), file=sys.stderr)")


def test_main_puts_the_thresholds_back(monkeypatch, capsys) -> None:
    monkeypatch.chdir(REPO)
    before = gc.get_threshold()
    assert cli.main(["plan", "--stack", "local"]) == 0
    assert gc.get_threshold() == before


@pytest.mark.parametrize(("fast", "expected"), [("1", fast_paths.COLLECTOR_THRESHOLDS), ("0", (700, 10, 10))])
def test_the_infra_command_leaves_them_as_the_command_had_them(fast: str, expected: tuple[int, ...]) -> None:
    env = {**os.environ, fast_paths.VARIABLE: fast}
    done = subprocess.run([sys.executable, "-c", THRESHOLDS_AFTER_RUN], cwd=REPO, env=env, capture_output=True,
                          text=True, check=True)
    code, *thresholds = map(int, done.stderr.split())
    assert code == 0 and tuple(thresholds) == expected
