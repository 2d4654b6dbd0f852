"""`infra forecast`: when each resource of a stack runs out of capacity, as a table and a chart.

Proposed changes keep to the environment's capacity caps (its policy config, read through
infra.gate); a stack file whose project has no policy config for its environment is forecast
within GCP's limits only, with a note on stderr: a forecast is advice, and still useful there.

Exit codes: 0 whether or not anything is flagged (a forecast is advice, not a check: flagged
series are marked in the table); 2 for bad input (stack file, metrics source, chart path, a policy
config that is there but unusable), raised as BadInput / ConfigError for infra.cli to print.
The forecast time is the latest sample's time, so a file of samples gives the same answer on any day.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING

from infra import config, metrics
from infra.exit_codes import EXIT_OK, BadInput
from infra.gate import PolicyConfigs, policy_config_path
from infra.scaling.forecast import FLAG_DAYS, THRESHOLD, Forecast, describe, forecast
from infra.scaling.policy_limits import from_policy_config
from infra.stacks import stack_file
from policies.limits import fmt
from policies.pack import CAPACITY_CAPS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

COLUMNS = ("resource", "metric", "capacity", "trend now", "use", "trend/day", f"days to {fmt(THRESHOLD * 100)}%",
           "action")


def run(args: argparse.Namespace) -> int:
    chart_path = Path(args.chart) if args.chart else None
    if chart_path is not None:
        if chart_path.suffix.lower() != ".png":
            raise BadInput(f"--chart {args.chart}: the chart is a PNG; name the file *.png")
        if not chart_path.parent.is_dir():
            raise BadInput(f"--chart {args.chart}: folder {chart_path.parent} does not exist")
    cfg = config.load(stack_file(args.stack, args.stack_file))
    try:
        samples = metrics.load(args.metrics, cfg, now=datetime.now(UTC))
    except metrics.MetricsError as exc:
        raise BadInput(str(exc)) from None
    as_of = max(map(attrgetter("timestamp"), samples))  # in C: a week of 300 services is 600,000 samples
    forecasts = forecast(cfg, samples, as_of, capacity_caps(cfg.environment))
    print(report(cfg.stack, forecasts, as_of, len(samples)))
    if chart_path is not None:
        figure = chart(cfg.stack, forecasts, as_of)
        try:
            figure.savefig(chart_path, format="png", dpi=100)
        except OSError as exc:
            raise BadInput(f"--chart {args.chart}: cannot write: {exc.strerror}") from None
        print(f"chart: {chart_path}")
    return EXIT_OK


def capacity_caps(environment: str) -> Mapping[str, int] | None:
    """The environment's capacity caps; None, with a note, when the project has no policy config for it."""
    path = policy_config_path(environment)
    if not path.is_file():
        print(f"note: no policy config {path}: proposals keep to GCP's limits, not this environment's "
              f"{CAPACITY_CAPS}", file=sys.stderr)
        return None
    _, policy_config = PolicyConfigs().for_environment(environment)  # checked against the pack on load
    return from_policy_config(policy_config).caps


def report(stack: str, forecasts: list[Forecast], as_of: datetime, samples: int) -> str:
    """The forecast as a text table with a heading and a one-line summary."""
    rows = [COLUMNS] + [_row(f) for f in forecasts]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS) - 1)]
    lines = [f"Forecast for stack {stack} as of {as_of.astimezone(UTC):%Y-%m-%d %H:%M} UTC, from {samples} samples.",
             f"Flagged (!): the trend reaches {fmt(THRESHOLD * 100)}% of capacity within {fmt(FLAG_DAYS)} days.",
             ""]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    flagged = [f for f in forecasts if f.flagged]
    lines.append("")
    if flagged:
        lines.append(f"{len(flagged)} of {len(forecasts)} series flagged: "
                     + ", ".join(f"{f.resource} {f.metric}" for f in flagged))
    else:
        lines.append(f"nothing reaches {fmt(THRESHOLD * 100)}% of capacity within {fmt(FLAG_DAYS)} days")
    return "\n".join(lines)


def _row(f: Forecast) -> tuple[str, ...]:
    ratio = f.metric.endswith("_ratio")
    digits = 2 if ratio else 1
    if f.days_until_full is None:
        days = "never"
    elif f.days_until_full == 0:
        days = "0 (over now)"
    else:
        days = f"{f.days_until_full:.1f}"
    action = describe(f.change) if f.change else ""
    if f.note:
        action = f"{action} ({f.note})" if action else f.note
    mark = "!" if f.flagged else " "
    return (f"{mark} {f.resource}", f.metric, fmt(f.capacity), f"{f.current:.{digits}f}",
            f"{f.utilisation:.0%}", f"{f.slope_per_day:+.{digits + 1}f}", days, action)


def chart(stack: str, forecasts: list[Forecast], as_of: datetime) -> Figure:
    """One subplot per series: history points, the trend line and the capacity lines."""
    from matplotlib.figure import Figure  # imported on use: slow, and only --chart needs it

    figure = Figure(figsize=(9, 2.4 * max(len(forecasts), 1)), layout="constrained")
    figure.suptitle(f"{stack}: capacity forecast as of {as_of.astimezone(UTC):%Y-%m-%d %H:%M} UTC")
    for index, f in enumerate(forecasts):
        axes = figure.add_subplot(len(forecasts), 1, index + 1)
        start = float(f.t_days.min())
        x = [start, FLAG_DAYS]
        axes.plot(x, [f.trend_at(start), f.trend_at(FLAG_DAYS)], "-", color="tab:orange", label="trend")
        axes.plot(f.t_days, f.values, ".", markersize=2, color="tab:blue", label="samples")
        axes.axhline(f.capacity, color="tab:red", label="capacity")
        axes.axhline(THRESHOLD * f.capacity, color="tab:red", linestyle="--", linewidth=0.8,
                     label=f"{fmt(THRESHOLD * 100)}%")
        axes.axvline(0, color="grey", linewidth=0.6)
        title = f"{f.resource} {f.metric}"
        if f.flagged:
            title += f": full in {f.days_until_full:.1f} days"
        axes.set_title(title, fontsize=9, loc="left", color="tab:red" if f.flagged else "black")
        axes.set_xlim(start, FLAG_DAYS)
        axes.set_ylim(bottom=0)
        axes.tick_params(labelsize=8)
        if index == 0:
            axes.legend(fontsize=7, loc="upper left")
        if index == len(forecasts) - 1:
            axes.set_xlabel("days from now", fontsize=8)
    return figure
