"""Wall time of the policy pack alone: policies.runner.evaluate over planned resources.

    venv/bin/python bench/policy_pack.py [--runs N]

Figures are medians of N runs (default 20) after one warm-up: each committed stack under its committed
policy config, and a mixed stack (prod's and local's resources, twice each, under prod's config, so
every policy has work) against a budget of 50 ms. `infra check` evaluates every stack and `infra scale`
every candidate config, so the pack must stay a small part of either.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check import median  # noqa: E402
from stacks import REPO  # noqa: E402

from infra import offline  # noqa: E402
from infra.gate import POLICY_CONFIG_DIR  # noqa: E402
from infra.stacks import STACKS  # noqa: E402
from policies import runner  # noqa: E402

MIXED_BUDGET_S = 0.05


def evaluate_seconds(resources: list[offline.CapturedResource], config: dict, runs: int) -> tuple[float, int]:
    runner.evaluate(resources, config)  # warm-up
    return median(lambda: len(runner.evaluate(resources, config)), runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="runs per figure (median); default 20")
    runs = max(1, parser.parse_args().runs)

    plans = {name: offline.plan(REPO / f"Pulumi.{name}.yaml") for name in STACKS}
    configs = {name: runner.load_policy_config(REPO / POLICY_CONFIG_DIR / f"{plan.config.environment}.json")
               for name, plan in plans.items()}
    print(f"policies.runner.evaluate, median of {runs} run(s)")
    print(f"{'stack':<16}{'resources':>10}{'violations':>12}{'ms':>9}{'ms/resource':>13}")
    figures = [(name, list(plan.resources), configs[name]) for name, plan in plans.items()]
    mixed = [*plans["prod"].resources, *plans["local"].resources] * 2
    figures.append(("mixed", mixed, configs["prod"]))
    for name, resources, config in figures:
        seconds, found = evaluate_seconds(resources, config, runs)
        ms = seconds * 1000
        print(f"{name:<16}{len(resources):>10}{found:>12}{ms:>9.2f}{ms / len(resources):>13.3f}")
        if name == "mixed":
            verdict = "within" if seconds < MIXED_BUDGET_S else "OVER"
            print(f"mixed stack: {verdict} the budget of {MIXED_BUDGET_S * 1000:.0f} ms")


if __name__ == "__main__":
    main()
