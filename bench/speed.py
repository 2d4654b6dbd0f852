"""The speed issue's figures in one run, as ratios of alternating cold runs to the previous release.

    venv/bin/python bench/speed.py [--runs N] [--sizes 10,100,300] [--baseline REF | --no-baseline]
                                   [--no-checkov] [--json]

Every run is a fresh interpreter (what a CI step pays). Each round runs this tree's command, then the
previous release's, then checkov where the row is compared with it, so load drifts on a shared machine
hit all of them alike: a figure is the median of N rounds, a ratio the median of the per-round ratios.
One untimed round first warms the page cache (the generated stacks skip it: `check --all` has just
loaded the same modules); the release's bytecode is compiled when it is extracted.

- the previous release: `git archive REF` (default 89516ef, the last release before the speed work)
  extracted into a temp folder and run with this venv's python, `-P` and PYTHONPATH set to the
  extracted tree, so what it imports is the release, not this checkout's editable install (checked);
- checkov: installed on first use into bench/.venv-checkov; it scans bench/checkov/main.tf, the
  staging stack written as Terraform, with `--framework terraform --skip-download`, its update check
  off and no API key, so it makes no network calls. Without it the checkov ratio is skipped;
- peak RSS: GNU time's maximum resident set of each run (see gnu_time());
- generated stacks (bench/stacks.py) are checked in a temp project (bench/scale.py `project()`: prod's
  policy config with its total-instance cap raised to fit), so each is a clean check as in CI;
  `forecast` reads 7 days of 5-minute samples of every series (bench/stacks.py `metrics_week`).

Targets (the issue's): `check --all` at most 0.3x checkov; plan+check of 300 services and `forecast`
at 300 services at most 3 s each; `scale set --dry-run` on prod at most 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import project  # noqa: E402
from stacks import REPO, generate, metrics_week  # noqa: E402

from infra import config  # noqa: E402

BASELINE = "89516ef"  # the last release before the speed work
CHECKOV_VENV = REPO / "bench" / ".venv-checkov"
CHECKOV_ARGS = ["-d", str(REPO / "bench" / "checkov"), "--quiet", "--compact", "--framework", "terraform",
                "--skip-download"]
# The CLI from whichever `infra` PYTHONPATH names: the venv's `infra` script would import this checkout.
ENTRY = "import sys; from infra.cli import main; sys.exit(main())"
WHERE = "import components, infra, policies; print(infra.__file__, policies.__file__, components.__file__)"
FORECAST_SERVICES = 300


def gnu_time() -> str | None:
    """GNU time, for peak RSS: it starts the command from its own small process. ru_maxrss of a child of
    this one (os.wait4, RUSAGE_CHILDREN) would count this process's memory too: Linux keeps the high-water
    mark of the memory a child shared with its parent before its exec."""
    try:
        found = subprocess.run(["/usr/bin/time", "--version"], capture_output=True, text=True, check=False)
    except OSError:
        return None
    return "/usr/bin/time" if "GNU" in found.stdout + found.stderr else None


GNU_TIME = gnu_time()


@dataclass(frozen=True)
class Tree:
    """A source tree of the project, run with this venv's python."""

    name: str
    root: Path

    def argv(self, code: str, *args: str) -> list[str]:
        # -P: neither the working directory nor a script folder on sys.path, so PYTHONPATH comes first
        return [sys.executable, "-P", "-c", code, *args]

    def env(self) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(self.root)}


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float | None  # None without GNU time
    exit: int
    stderr: str


@dataclass
class Row:
    """One measured command, run by each tree (and by checkov when compared with it)."""

    what: str
    args: list[str]
    cwd: Path | None  # None: each tree's own root, with its committed stacks and policy configs
    target: str = ""
    limit_s: float | None = None  # met when this tree's median is at most this
    checkov_ratio: float | None = None  # met when this tree / checkov is at most this
    warm_up: bool = True
    runs: dict[str, list[Run]] = field(default_factory=dict)


def run_once(argv: list[str], cwd: Path, env: dict[str, str], peak_file: Path) -> Run:
    wrapped = [GNU_TIME, "-f", "%M", "-o", str(peak_file), *argv] if GNU_TIME else argv
    start = time.perf_counter()
    done = subprocess.run(wrapped, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    seconds = time.perf_counter() - start
    # GNU time writes "Command exited with non-zero status N" first when it did; the KiB come last
    peak_mb = int(peak_file.read_text().split()[-1]) / 1024 if GNU_TIME else None
    return Run(seconds, peak_mb, done.returncode, done.stderr.decode(errors="replace"))


def extract(ref: str, folder: Path) -> tuple[str, Path]:
    """The commit REF names, extracted (git archive: nothing in the checkout changes), bytecode compiled."""
    commit = subprocess.run(["git", "rev-parse", "--verify", "--short", f"{ref}^{{commit}}"], cwd=REPO,
                            capture_output=True, text=True, check=True).stdout.strip()
    archive = folder / "baseline.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "archive", commit], cwd=REPO, stdout=out, check=True)
    root = folder / f"baseline-{commit}"
    with tarfile.open(archive) as tar:
        tar.extractall(root, filter="data")
    archive.unlink()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(root)], check=True, capture_output=True)
    return commit, root


def imported_from(tree: Tree) -> list[str]:
    """The files of infra, policies and components a tree's runs import; the run stops unless all are its own."""
    found = subprocess.run(tree.argv(WHERE), cwd=tree.root, env=tree.env(), capture_output=True, text=True,
                           check=True).stdout.split()
    stray = [f for f in found if not Path(f).is_relative_to(tree.root)]
    if stray:
        sys.exit(f"{tree.name}: imports {', '.join(stray)}, not from {tree.root}")
    return found


def checkov() -> tuple[list[str], dict[str, str], str] | None:
    """checkov's argv, env and version, installed on first use; None, with a one-line message, without it."""
    exe = CHECKOV_VENV / "bin" / "checkov"
    env = {k: v for k, v in os.environ.items() if k not in ("BC_API_KEY", "PRISMA_API_URL")}
    env["CKV_SKIP_PACKAGE_UPDATE_CHECK"] = "True"  # else every run asks PyPI for a newer checkov
    try:
        if not exe.is_file():
            print(f"installing checkov into {CHECKOV_VENV} (first use, about a minute)",
                  file=sys.stderr)
            subprocess.run([sys.executable, "-m", "venv", str(CHECKOV_VENV)], check=True, capture_output=True)
            subprocess.run([str(CHECKOV_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet",
                            "--disable-pip-version-check", "checkov"], check=True, capture_output=True, timeout=900)
        version = subprocess.run([str(exe), "--version"], env=env, capture_output=True, text=True, check=True,
                                 timeout=120).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", None) or str(exc)
        detail = detail.decode(errors="replace") if isinstance(detail, bytes) else detail
        print(f"checkov: not available ({(detail.strip().splitlines() or ['?'])[-1]}); no checkov ratio",
              file=sys.stderr)
        return None
    return [str(exe), *CHECKOV_ARGS], env, version


def rows(folder: Path, sizes: list[int]) -> list[Row]:
    """The commands the issue names, on inputs both trees share."""
    root = project(folder / "project")
    stacks = folder / "stacks"
    stacks.mkdir()
    found = [Row("check --all (local, staging, prod)", ["check", "--all"], None, target="<= 0.3x checkov",
                 checkov_ratio=0.3)]
    generated = {n: generate(n, stacks) for n in sorted({*sizes, FORECAST_SERVICES})}
    for n in sizes:
        found.append(Row(f"plan+check, {n} services", ["check", "--stack-file", str(generated[n])], root,
                         target="<= 3 s" if n == 300 else "", limit_s=3.0 if n == 300 else None, warm_up=False))
    prod = shutil.copy(REPO / "Pulumi.prod.yaml", stacks / "Pulumi.prod.yaml")
    memory = config.load(prod).redis.memory_gb
    found.append(Row("scale set --dry-run, prod",
                     ["scale", "set", "--stack-file", str(prod), f"redis.memory_gb={memory + 1}", "--dry-run"],
                     root, target="<= 1 s", limit_s=1.0))
    metrics = metrics_week(generated[FORECAST_SERVICES], stacks)
    found.append(Row(f"forecast, {FORECAST_SERVICES} services, 7 days",
                     ["forecast", "--stack-file", str(generated[FORECAST_SERVICES]), "--metrics", f"file:{metrics}"],
                     root, target="<= 3 s", limit_s=3.0))
    return found


def measure(row: Row, trees: list[Tree], checker: tuple[list[str], dict[str, str], str] | None, runs: int,
            peak_file: Path) -> None:
    """Alternating rounds: each tree's command, then checkov when the row is compared with it."""
    sides = [(t.name, t.argv(ENTRY, *row.args), row.cwd or t.root, t.env()) for t in trees]
    if checker is not None and row.checkov_ratio is not None:
        sides.append(("checkov", checker[0], REPO, checker[1]))
    row.runs = {name: [] for name, *_ in sides}
    for round_ in range(-1 if row.warm_up else 0, runs):
        for name, argv, cwd, env in sides:
            run = run_once(argv, cwd, env, peak_file)
            if round_ >= 0:
                row.runs[name].append(run)
        print(".", end="", file=sys.stderr, flush=True)


def median_ratio(numerators: list[Run], denominators: list[Run]) -> float:
    return statistics.median(a.seconds / b.seconds for a, b in zip(numerators, denominators, strict=True))


def summary(row: Row) -> dict[str, Any]:
    out: dict[str, Any] = {"what": row.what, "command": " ".join(row.args), "target": row.target}
    for name, runs in row.runs.items():
        peaks = [r.peak_mb for r in runs if r.peak_mb is not None]
        out[name] = {"median_s": statistics.median(r.seconds for r in runs),
                     "peak_rss_mb": max(peaks) if peaks else None,
                     "seconds": [round(r.seconds, 3) for r in runs],
                     "exits": sorted({r.exit for r in runs})}
        expected = (0, 1) if name == "checkov" else (0,)  # checkov exits 1 when a check fails
        failed = [r for r in runs if r.exit not in expected]
        if failed:
            out[name]["error"] = failed[0].stderr.strip()[-500:]
    current = row.runs["current"]
    if "baseline" in row.runs:
        out["ratio_to_baseline"] = median_ratio(current, row.runs["baseline"])
    if "checkov" in row.runs:
        out["ratio_to_checkov"] = median_ratio(current, row.runs["checkov"])
    if row.limit_s is not None:
        out["met"] = out["current"]["median_s"] <= row.limit_s
    elif row.checkov_ratio is not None and "ratio_to_checkov" in out:
        out["met"] = out["ratio_to_checkov"] <= row.checkov_ratio
    return out


def cell(value: float | None, width: int, digits: int = 3, suffix: str = "") -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width - len(suffix)}.{digits}f}{suffix}"


def print_table(figures: dict[str, Any]) -> None:
    print(f"bench/speed.py: {figures['runs']} alternating round(s) of cold runs; python {figures['python']}, "
          f"{figures['cpus']} cpu(s), load average {figures['load_before']:.2f} before and "
          f"{figures['load_after']:.2f} after; {figures['date']}")
    for name, tree in figures["trees"].items():
        print(f"  {name}: {tree['ref']}, imports {tree['imports'][0]}")
    print(f"  checkov: {figures['checkov'] or 'skipped'}; peak RSS: {figures['peak_rss'] or 'not measured'}")
    print()
    header = (f"{'what':<38}{'current s':>11}{'baseline s':>12}{'ratio':>8}{'current MB':>12}{'baseline MB':>13}"
              f"  {'target':<17}met")
    print(header)
    print("-" * len(header))
    for r in figures["rows"]:
        base = r.get("baseline", {})
        met = {True: "yes", False: "NO"}.get(r.get("met"), "-")
        if "ratio_to_checkov" in r:
            met += f" ({r['ratio_to_checkov']:.2f}x)"
        print(f"{r['what']:<38}{cell(r['current']['median_s'], 11)}{cell(base.get('median_s'), 12)}"
              f"{cell(r.get('ratio_to_baseline'), 8, 2, 'x')}{cell(r['current']['peak_rss_mb'], 12, 0)}"
              f"{cell(base.get('peak_rss_mb'), 13, 0)}  {r['target']:<17}{met}")
        if "checkov" in r:
            print(f"{'  checkov, staging as Terraform':<38}{cell(r['checkov']['median_s'], 11)}{'':>20}"
                  f"{cell(r['checkov']['peak_rss_mb'], 12, 0)}")
    print("\nratio: median of the rounds' current / baseline; met (N.NNx): median of current / checkov")
    for r in figures["rows"]:
        for name in ("current", "baseline", "checkov"):
            if "error" in r.get(name, {}):
                print(f"{r['what']}, {name}: exit {r[name]['exits']}: {r[name]['error']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="alternating rounds per figure (median); default 5")
    parser.add_argument("--sizes", default="10,100,300", help="generated stack sizes for plan+check (services)")
    parser.add_argument("--baseline", default=BASELINE, metavar="REF", help=f"the previous release; default {BASELINE}")
    parser.add_argument("--no-baseline", action="store_true", help="this tree only, no ratios")
    parser.add_argument("--no-checkov", action="store_true", help="no checkov runs, no checkov ratio")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    runs = max(1, args.runs)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    figures: dict[str, Any] = {"runs": runs, "python": sys.version.split()[0], "cpus": os.cpu_count(),
                               "load_before": os.getloadavg()[0], "date": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
                               "peak_rss": GNU_TIME and "GNU time %M, the largest of the runs", "trees": {}}
    checker = None if args.no_checkov else checkov()
    figures["checkov"] = checker[2] if checker else None
    with tempfile.TemporaryDirectory(prefix="speed-") as temp:
        folder = Path(temp)
        trees = [Tree("current", REPO)]
        refs = {"current": f"the working tree {REPO}"}
        if not args.no_baseline:
            commit, root = extract(args.baseline, folder)
            trees.append(Tree("baseline", root))
            named = args.baseline if commit.startswith(args.baseline) else f"{args.baseline} ({commit})"
            refs["baseline"] = f"{named} extracted to {root}"
        for tree in trees:
            figures["trees"][tree.name] = {"ref": refs[tree.name], "imports": imported_from(tree)}
        measured = rows(folder, sizes)
        for row in measured:
            measure(row, trees, checker, runs, folder / "peak-rss")
        print(file=sys.stderr)
        figures["rows"] = [summary(row) for row in measured]
    figures["load_after"] = os.getloadavg()[0]
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print_table(figures)


if __name__ == "__main__":
    main()
