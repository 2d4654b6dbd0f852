"""Wall time of `infra scale set` and `infra scale auto`, dry run and real write, on temp copies of
the committed stacks and of a generated 300-service stack.

    venv/bin/python bench/scale.py [--runs N] [--services N] [--profile]

Each figure is the median of N in-process runs of infra.cli.main after one warm-up (imports
excluded); every real write starts from a fresh copy. `scale set` sets redis.memory_gb one higher
(a change every stack's policies accept); `scale auto` reads a metrics CSV in which the first
service is at 75% of its instances and Redis at 80% of its memory, every other series at 50%.
The generated stack is a prod stack, and prod caps all services together at 100 instances
(capacity-caps.maxTotalInstances) where the generator gives 300 x 2: the bench runs in a temp
project whose prod policy config raises that one cap, so the checks pass as they would for a
real stack of that size. --profile prints where the time of one 300-service `scale auto` goes.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stacks import REPO, generate  # noqa: E402

from infra import cli, config  # noqa: E402
from infra.metrics.samples import stack_metrics  # noqa: E402


def project(folder: Path) -> Path:
    """A project root (Pulumi.yaml, policy configs) for the bench; prod's total cap fits 300 services."""
    folder.mkdir()
    shutil.copy(REPO / "Pulumi.yaml", folder / "Pulumi.yaml")
    configs = folder / "policies" / "config"
    configs.mkdir(parents=True)
    for source in (REPO / "policies" / "config").glob("*.json"):
        shutil.copy(source, configs / source.name)
    prod = json.loads((configs / "prod.json").read_text())
    prod["capacity-caps"]["maxTotalInstances"] = 2000
    (configs / "prod.json").write_text(json.dumps(prod, indent=2))
    return folder


def metrics_file(stack: Path, folder: Path) -> Path:
    """Samples a minute old: the first service at 75%, Redis memory at 80%, everything else at 50%."""
    cfg = config.load(stack)
    at = (datetime.now(UTC) - timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    first = f"services.{next(iter(cfg.services))}"
    rows = ["timestamp,resource,metric,value"]
    for resource, names in stack_metrics(cfg).items():
        for metric in names:
            share = 0.75 if resource == first else 0.8 if metric == "memory_ratio" else 0.5
            capacity = {"instances": cfg.services[resource[9:]].max_instances if resource.startswith("services.")
                        else cfg.network.connector.max_instances,
                        "connections": cfg.database.max_connections, "clients": 65000}.get(metric, 1)
            rows.append(f"{at},{resource},{metric},{share * capacity:g}")
    path = folder / f"metrics-{stack.stem}.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def quiet(argv: list[str]) -> int:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return cli.main(argv)


def median_seconds(run: Callable[[], int], runs: int) -> tuple[float, int]:
    code = run()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        code = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), code


def bench_stack(source: Path, folder: Path, runs: int) -> list[tuple[str, float, int]]:
    master = folder / "master" / source.name
    master.parent.mkdir(exist_ok=True)
    shutil.copy(source, master)
    target = folder / source.name
    memory = config.load(master).redis.memory_gb
    metrics = metrics_file(master, folder)

    def fresh() -> str:
        shutil.copy(master, target)
        return str(target)

    commands = {
        "set --dry-run": lambda: quiet(["scale", "set", "--stack-file", fresh(), f"redis.memory_gb={memory + 1}",
                                        "--dry-run"]),
        "set": lambda: quiet(["scale", "set", "--stack-file", fresh(), f"redis.memory_gb={memory + 1}"]),
        "auto --dry-run": lambda: quiet(["scale", "auto", "--stack-file", fresh(), "--metrics",
                                         f"file:{metrics}", "--dry-run"]),
        "auto": lambda: quiet(["scale", "auto", "--stack-file", fresh(), "--metrics", f"file:{metrics}"]),
    }
    return [(name, *median_seconds(run, runs)) for name, run in commands.items()]


def profile(stack: Path, folder: Path) -> None:
    metrics = metrics_file(stack, folder)
    target = folder / "profiled" / stack.name
    target.parent.mkdir(exist_ok=True)
    shutil.copy(stack, target)
    profiler = cProfile.Profile()
    profiler.enable()
    quiet(["scale", "auto", "--stack-file", str(target), "--metrics", f"file:{metrics}"])
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--services", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        os.chdir(project(folder / "project"))
        stacks = [(name, REPO / f"Pulumi.{name}.yaml") for name in ("local", "staging", "prod")]
        stacks.append((f"{args.services} services", generate(args.services, folder)))
        print(f"{'stack':<14}{'command':<16}{'median s':>10}{'exit':>6}")
        for name, path in stacks:
            work = folder / name.replace(" ", "-")
            work.mkdir()
            runs = args.runs if "services" not in name else max(1, args.runs // 2)
            for command, seconds, code in bench_stack(path, work, runs):
                print(f"{name:<14}{command:<16}{seconds:>10.3f}{code:>6}")
        if args.profile:
            profile(stacks[-1][1], folder)


if __name__ == "__main__":
    main()
