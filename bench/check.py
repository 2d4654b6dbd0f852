"""Wall time of `infra check`: the CI gate that runs on every commit.

    venv/bin/python bench/check.py [--runs N] [--sizes 10,100,300] [--json] [--profile]

Figures are medians of N runs (default 5; generated stacks use max(1, N // 2)):

- `infra check --all` as a subprocess (what CI pays, imports included), and `import` alone;
- `infra check --all` in-process: the first run (provider SDK imports happen here, lazily) and warm;
- per committed stack: plan (the program under mocks), evaluate (the policy pack) and report
  (all five formats) in-process and warm, and `infra check --stack-file` as a cold subprocess;
- generated stacks of 10, 100 and 300 services (bench/stacks.py: Pulumi.prod.yaml with N services,
  max_connections raised to fit), checked with prod's policy config whose capacity caps are raised
  to fit too, so the figure is a clean check, as in CI;
- --profile: cProfile of one cold in-process `infra check --all`, top functions by own time and the
  phases (imports, plan, evaluate, report).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stacks import REPO, generate  # noqa: E402

REFERENCE = "checkov: about 3.4 s for a four-resource stack on this machine"


def median(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def subprocess_seconds(args: list[str], runs: int) -> tuple[float, int]:
    def once() -> int:
        return subprocess.run(args, cwd=REPO, capture_output=True, check=False).returncode

    return median(once, runs)


def in_process_check(args: list[str]) -> int:
    from infra.cli import main

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(["check", *args])


def stack_phases(path: Path, policy_config: Path | None, runs: int) -> dict[str, Any]:
    """plan, evaluate and report times of one stack (warm), as infra/commands/check.py runs them."""
    from infra import gate, offline
    from infra.commands import check
    from infra.reports.formats import FORMATS, render
    from infra.reports.model import Report, StackResult, failing
    from policies import runner

    plan_s, plan = median(lambda: offline.plan(path), runs)
    config_path = policy_config or gate.policy_config_path(plan.config.environment)
    config = runner.load_policy_config(config_path)
    evaluate_s, violations = median(lambda: runner.evaluate(plan.resources, config), runs)
    result = Report(
        stacks=(StackResult(plan.stack, path, tuple(violations), config_path,
                            line_of=check._line_of(path), services=tuple(plan.config.services)),),
        policies=gate.policy_infos(), root=REPO)
    report_s, _ = median(lambda: [render(result, f) for f in FORMATS], runs)
    return {"resources": len(plan.resources), "violations": len(violations),
            "failing": sum(failing(v) for v in violations),
            "plan_s": plan_s, "evaluate_s": evaluate_s, "report_s": report_s,
            "total_s": plan_s + evaluate_s + report_s}


def bench_policy_config(services: int, folder: Path) -> Path:
    """prod's policy config with capacity caps raised to fit a generated stack (2 instances each)."""
    config = json.loads((REPO / "policies" / "config" / "prod.json").read_text())
    caps = config["capacity-caps"]
    caps = {"enforcementLevel": caps} if isinstance(caps, str) else dict(caps)
    caps["maxTotalInstances"] = max(caps.get("maxTotalInstances", 0), services * 2)
    config["capacity-caps"] = caps
    path = folder / f"policy-bench{services}.json"
    path.write_text(json.dumps(config, indent=2))
    return path


def profile_cold_check() -> dict[str, Any]:
    """One cold in-process `infra check --all` under cProfile, in a fresh interpreter."""
    code = (
        "import cProfile, pstats, io, sys, contextlib\n"
        "profile = cProfile.Profile()\n"
        "profile.enable()\n"
        "from infra.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['check', '--all'])\n"
        "profile.disable()\n"
        "profile.dump_stats(sys.argv[1])\n"
    )
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "check.prof"
        subprocess.run([sys.executable, "-c", code, str(out)], cwd=REPO, check=True, capture_output=True)
        stats = pstats.Stats(str(out))
    entries = stats.stats  # type: ignore[attr-defined]

    def cumulative(file_part: str, function: str) -> float:
        return sum(v[3] for (f, _, name), v in entries.items() if file_part in f and name == function)

    total = max(v[3] for v in entries.values())
    phases = {
        "total": total,
        "import infra.cli + check command": cumulative("infra/cli.py", "<module>")
                                            + cumulative("infra/commands/check.py", "<module>"),
        "plan (offline.plan, provider SDK imports included)": cumulative("infra/offline.py", "plan"),
        "  of which pulumi_gcp.compute import": cumulative("pulumi_gcp/compute/__init__.py", "<module>"),
        "  of which pulumi_docker import": cumulative("pulumi_docker/__init__.py", "<module>"),
        "evaluate (policies.runner.evaluate)": cumulative("policies/runner.py", "evaluate"),
        "report (infra.reports.formats.render)": cumulative("infra/reports/formats.py", "render"),
    }
    top = sorted(((v[2], f"{Path(f).name}:{line}({name})") for (f, line, name), v in entries.items()),
                 reverse=True)[:15]
    return {"phases": phases, "top_own_time": [{"seconds": s, "function": n} for s, n in top]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (median); default 5")
    parser.add_argument("--sizes", default="10,100,300", help="generated stack sizes (services)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--profile", action="store_true", help="also profile one cold `infra check --all`")
    args = parser.parse_args()
    runs = max(1, args.runs)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    os.chdir(REPO)
    figures: dict[str, Any] = {"runs": runs, "python": sys.version.split()[0], "cpus": os.cpu_count(),
                               "load_average": os.getloadavg()[0], "reference": REFERENCE}

    cli = [sys.executable, "-m", "infra.cli", "check", "--all"]
    figures["subprocess_all_s"], figures["subprocess_all_exit"] = subprocess_seconds(cli, runs)
    figures["subprocess_import_s"], _ = subprocess_seconds(
        [sys.executable, "-c", "import infra.cli, infra.commands.check"], runs)

    start = time.perf_counter()
    import infra.commands.check  # noqa: F401 - timed: what the CLI imports before planning

    figures["in_process_import_s"] = time.perf_counter() - start
    start = time.perf_counter()
    figures["in_process_all_exit"] = in_process_check(["--all"])
    figures["in_process_all_cold_s"] = time.perf_counter() - start
    figures["in_process_all_warm_s"], _ = median(lambda: in_process_check(["--all"]), runs)

    figures["stacks"] = {}
    for path in sorted(REPO.glob("Pulumi.*.yaml")):
        phases = stack_phases(path, None, runs)
        phases["subprocess_s"], _ = subprocess_seconds(
            [sys.executable, "-m", "infra.cli", "check", "--stack-file", str(path)], runs)
        figures["stacks"][path.name] = phases
    with tempfile.TemporaryDirectory() as folder:
        figures["generated"] = {}
        for services in sizes:
            path = generate(services, Path(folder))
            phases = stack_phases(path, bench_policy_config(services, Path(folder)), max(1, runs // 2))
            figures["generated"][f"{services} services"] = phases
    if args.profile:
        figures["profile"] = profile_cold_check()

    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print_table(figures)


def print_table(f: dict[str, Any]) -> None:
    print(f"infra check, median of {f['runs']} run(s); python {f['python']}, {f['cpus']} cpu(s), "
          f"load average {f['load_average']:.2f}")
    print(f"  reference: {f['reference']}")
    print(f"{'infra check --all, subprocess (CI)':<44}{f['subprocess_all_s']:>8.3f} s  exit {f['subprocess_all_exit']}")
    print(f"{'  import infra.cli + check (subprocess)':<44}{f['subprocess_import_s']:>8.3f} s")
    print(f"{'infra check --all, in-process, first run':<44}{f['in_process_all_cold_s']:>8.3f} s  "
          f"exit {f['in_process_all_exit']}")
    print(f"{'infra check --all, in-process, warm':<44}{f['in_process_all_warm_s']:>8.3f} s")
    print()
    print(f"{'stack':<22}{'resources':>10}{'viol.':>7}{'plan s':>9}{'eval s':>9}{'report s':>10}"
          f"{'total s':>9}{'subprocess s':>14}")
    print(f"{'':<22}{'':>10}{'':>7}{'(in-process, warm)':>37}{'(cold CLI)':>14}")
    for name, s in [*f["stacks"].items(), *f["generated"].items()]:
        cold = f"{s['subprocess_s']:>14.3f}" if "subprocess_s" in s else f"{'-':>14}"
        print(f"{name:<22}{s['resources']:>10}{s['violations']:>7}{s['plan_s']:>9.3f}{s['evaluate_s']:>9.3f}"
              f"{s['report_s']:>10.3f}{s['total_s']:>9.3f}{cold}")
    if "profile" in f:
        print("\ncold `infra check --all` under cProfile (cumulative seconds; profiling adds overhead):")
        for phase, seconds in f["profile"]["phases"].items():
            print(f"  {phase:<56}{seconds:>8.3f}")
        print("  top functions by own time:")
        for entry in f["profile"]["top_own_time"]:
            print(f"    {entry['seconds']:>7.3f}  {entry['function']}")


if __name__ == "__main__":
    main()
