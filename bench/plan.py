"""Wall time of `infra plan`: per committed stack, and for generated stacks of 10, 100, 300 services.

    venv/bin/python bench/plan.py [--runs N]

In-process figures are the median of N runs after one warm-up (imports excluded); the
subprocess figure is one cold `infra plan` of every committed stack, imports included.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stacks import REPO, generate  # noqa: E402

from infra import offline  # noqa: E402


def median_seconds(path: Path, runs: int) -> tuple[float, int]:
    offline.plan(path)  # warm-up: imports and first-use caches
    times, count = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        count = len(offline.plan(path).resources)
        times.append(time.perf_counter() - start)
    return statistics.median(times), count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"{'stack':<16}{'resources':>10}{'median s':>10}")
    for name in ("local", "staging", "prod"):
        seconds, count = median_seconds(REPO / f"Pulumi.{name}.yaml", args.runs)
        print(f"{name:<16}{count:>10}{seconds:>10.3f}")
    with tempfile.TemporaryDirectory() as folder:
        for services in (10, 100, 300):
            seconds, count = median_seconds(generate(services, Path(folder)), max(1, args.runs // 2))
            print(f"{f'{services} services':<16}{count:>10}{seconds:>10.3f}")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "infra.cli", "plan"], check=True, capture_output=True, cwd=REPO)
    print(f"{'cold CLI, all 3':<16}{'':>10}{time.perf_counter() - start:>10.3f}")


if __name__ == "__main__":
    main()
