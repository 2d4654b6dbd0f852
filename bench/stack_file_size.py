"""Wall time of `infra scale set` (dry run and real write) and `infra check` against the stack file's size.

    venv/bin/python bench/stack_file_size.py [--rounds N] [--sizes 1,10,20] [--shape mixed|comments|env]
                                             [--profile]

The files are prod's stack file grown to about 1, 10 and 20 MB by a comment block above `config:`
(notes pasted in, as a hand-kept file collects them) and by plain env entries under services.api.env
(one short line each): half and half (mixed), or all one of them. They are large, valid, alias-free
and under the reader's size limit; every env entry is planned and checked, so `env` measures the plan
and the policies as much as the file, `comments` the file alone. They sit in a temp project root
(bench/scale.py `project`).

Runs are in-process (infra.cli.main, output suppressed), after one warm-up of each command at the
smallest size, interleaved by size (set --dry-run at 1, 10, 20 MB, then set at 1, 10, 20, ...), so
load on the machine touches every size alike. Every run gets its own copy of the file, whose last line
names the run: the reader keeps the last texts it parsed, and no run may find an earlier run's (a new
process would not). Printed: the median seconds, seconds per MB, and each size's median over the
smallest one's (linear: near the ratio of the sizes, or below it where a fixed cost dominates).
--profile prints the top functions by cumulative time of one dry run at the largest size.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import project, quiet  # noqa: E402
from stacks import REPO  # noqa: E402

from infra import config, stackfile  # noqa: E402

MB = 1024 * 1024
COMMENT = "# note: capacity was raised for the launch, see the runbook; keep the pools within the budget\n"
ENV_ENTRY = "        SETTING_{:07d}: value-{:07d}\n"  # under api's `env:`, at its indentation
ENV_AFTER = "        LOG_LEVEL: info\n"


SHAPES = {"mixed": 0.5, "comments": 1.0, "env": 0.0}  # the share of the growth that is comments


def sized_stack(megabytes: float, folder: Path, shape: str = "mixed") -> Path:
    """Pulumi.prod.yaml grown to about `megabytes`: comment lines on top, env entries under api (SHAPES)."""
    text = (REPO / "Pulumi.prod.yaml").read_text()
    grow = int(megabytes * MB) - len(text)
    comments = COMMENT * int(grow * SHAPES[shape] / len(COMMENT))
    entries = "".join(ENV_ENTRY.format(i, i) for i in range((grow - len(comments)) // len(ENV_ENTRY.format(0, 0))))
    assert ENV_AFTER in text
    text = comments + text.replace(ENV_AFTER, ENV_AFTER + entries, 1)
    assert len(text.encode()) <= stackfile.MAX_STACK_FILE_BYTES
    path = folder / f"Pulumi.prod{megabytes:g}mb.yaml"
    path.write_text(text)
    return path


def commands(master: Path) -> dict[str, Callable[[str], list[str]]]:
    """The commands timed, by name: their arguments for a stack file's path (the same at every size)."""
    assignment = f"redis.memory_gb={config.load(master).redis.memory_gb + 1}"
    return {"set --dry-run": lambda path: ["scale", "set", "--stack-file", path, assignment, "--dry-run"],
            "set": lambda path: ["scale", "set", "--stack-file", path, assignment],
            "check": lambda path: ["check", "--stack-file", path]}


def run(master: Path, argv: Callable[[str], list[str]], label: str) -> Callable[[], int]:
    """The command on a fresh copy of master whose last line names the run: no two runs read the same text,
    so none finds the file in the reader's memory of recent texts, as no new process would."""
    target = master.parent.parent / master.name
    target.write_text(master.read_text() + f"# {label}\n")
    return lambda: quiet(argv(str(target)))


def timed(command: Callable[[], int]) -> tuple[float, int]:
    start = time.perf_counter()
    code = command()
    return time.perf_counter() - start, code


def profile(run: Callable[[], int]) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(run)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes", default="1,10,20", help="MB, comma-separated; the first is the baseline")
    parser.add_argument("--shape", choices=SHAPES, default="mixed")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    sizes = [float(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        os.chdir(project(folder / "project"))
        masters = {}
        for size in sizes:
            (folder / f"{size:g}mb" / "master").mkdir(parents=True)
            masters[size] = sized_stack(size, folder / f"{size:g}mb" / "master", args.shape)
        names = commands(masters[sizes[0]])
        for name, argv in names.items():  # warm-up, at the smallest size: imports, the SDK's caches
            run(masters[sizes[0]], argv, f"warm-up {name}")()
        times: dict[tuple[float, str], list[float]] = {(size, name): [] for size in sizes for name in names}
        for round_ in range(args.rounds):
            for name in names:
                for size in sizes:
                    seconds, code = timed(run(masters[size], names[name], f"{name} {round_}"))
                    if code != 0:
                        raise SystemExit(f"{name} at {size:g} MB exited {code}")
                    times[(size, name)].append(seconds)
        base = sizes[0]
        print(f"{'command':<16}{'MB':>6}{'median s':>10}{'s per MB':>10}{f'x {base:g} MB':>10}")
        for name in names:
            for size in sizes:
                median = statistics.median(times[(size, name)])
                ratio = median / statistics.median(times[(base, name)])
                print(f"{name:<16}{size:>6g}{median:>10.3f}{median / size:>10.3f}{ratio:>10.1f}")
        if args.profile:
            profile(run(masters[sizes[-1]], names["set --dry-run"], "profiled"))


if __name__ == "__main__":
    main()
