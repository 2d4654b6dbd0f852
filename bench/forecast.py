"""Wall time of `infra forecast` on generated stacks of 10, 100 and 300 services with a week of samples.

    venv/bin/python bench/forecast.py [--runs N] [--sizes 10,100,300] [--cold-runs N] [--profile]

Each stack (bench/stacks.py `generate`) comes with 7 days of 5-minute samples of every series it has
(`metrics_week`: 2016 points a series, the first service climbing so one series is flagged). The
command is `infra forecast --stack-file F --metrics file:M`, run in-process through infra.cli.main with
its output suppressed, after one warm-up run per size (imports excluded). Rounds alternate over the
sizes, so load on a shared machine hits all of them alike; a figure is the median of N rounds. The
largest size is also run as a cold subprocess (the venv's `infra`, what a person at a terminal pays),
median of --cold-runs. The stacks run in a temp project (bench/scale.py `project()`) whose prod policy
config fits them. --profile prints the top functions of one in-process run of the largest size.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import project, quiet  # noqa: E402
from stacks import REPO, generate, metrics_week  # noqa: E402

INFRA = REPO / "venv" / "bin" / "infra"


def command(stack: Path, metrics: Path) -> list[str]:
    return ["forecast", "--stack-file", str(stack), "--metrics", f"file:{metrics}"]


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    code = quiet(argv)
    seconds = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"infra {' '.join(argv)}: exit {code}")
    return seconds


def cold(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([str(INFRA), *argv], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def profile(argv: list[str]) -> None:
    with cProfile.Profile() as profiler:
        quiet(argv)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="10,100,300")
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    return parser.parse_args()


def main() -> None:
    args = arguments()
    sizes = [int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        os.chdir(project(folder / "project"))
        argvs, samples = {}, {}
        for size in sizes:
            stack = generate(size, folder)
            metrics = metrics_week(stack, folder)
            argvs[size] = command(stack, metrics)
            samples[size] = len(metrics.read_text().splitlines()) - 1  # less the header
        for argv in argvs.values():
            timed(argv)  # warm-up: imports, page cache
        times: dict[int, list[float]] = {size: [] for size in sizes}
        for _ in range(args.runs):
            for size, argv in argvs.items():
                times[size].append(timed(argv))
        print(f"{'services':>8}{'samples':>10}{'median s':>10}{'min s':>8}   (in-process, {args.runs} runs)")
        for size in sizes:
            print(f"{size:>8}{samples[size]:>10}{statistics.median(times[size]):>10.3f}{min(times[size]):>8.3f}")
        largest = max(sizes)
        if args.cold_runs:
            seconds = statistics.median(cold(argvs[largest]) for _ in range(args.cold_runs))
            print(f"{largest:>8} services, cold subprocess: {seconds:.3f} s (median of {args.cold_runs})")
        if args.profile:
            profile(argvs[largest])


if __name__ == "__main__":
    main()
