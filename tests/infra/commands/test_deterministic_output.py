"""The same inputs give byte-identical `plan` and `check` output in every format, across processes.

Two interpreters with different hash seeds (set and dict-of-set orders differ between them, and memory
addresses always do) each print every format of every committed and broken stack; the outputs must match.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from infra.reports.formats import FORMATS
from tests.conftest import REPO

PRINT_ALL = """
import contextlib, io, json, sys
from infra import cli
out = {}
for args in json.loads(sys.argv[1]):
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        code = cli.main(args)
    out[" ".join(args)] = [code, buffer.getvalue()]
print(json.dumps(out))
"""


def start(commands: list[list[str]], seed: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", PRINT_ALL, json.dumps(commands)], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, env={**os.environ, "PYTHONHASHSEED": seed})


def outputs(run: subprocess.Popen) -> dict[str, list]:
    out, _ = run.communicate(timeout=300)
    assert run.returncode == 0
    return json.loads(out)


def test_plan_and_check_print_the_same_bytes_in_every_run(broken_stacks):
    commands = [["plan", "--format", fmt] for fmt in ("table", "json")]
    commands += [["check", "--all", "--format", fmt] for fmt in FORMATS]
    # every violation of every broken stack, in the format that holds them all
    commands += [["check", "--stack-file", str(path), "--format", "json"] for path in broken_stacks.values()]
    runs = start(commands, "1"), start(commands, "2")  # side by side: the test takes the time of one
    first, second = outputs(runs[0]), outputs(runs[1])
    assert first.keys() == second.keys() == {" ".join(args) for args in commands}
    for command, result in first.items():
        assert result == second[command], command
