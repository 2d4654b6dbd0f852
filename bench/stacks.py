"""Generated stack files for benchmarks: the prod stack with N services, sized so it stays valid."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parent.parent


def generate(services: int, folder: Path) -> Path:
    """Write Pulumi.bench<N>.yaml into folder: N services of 2 instances with a 1+1 pool each."""
    yaml = YAML()
    document = yaml.load((REPO / "Pulumi.prod.yaml").read_text())
    config = document["config"]
    template = dict(config["golden-path:services"]["api"])
    template.update({"min_instances": 0, "max_instances": 2, "pool": {"size": 1, "max_overflow": 1}})
    config["golden-path:services"] = {f"svc{i:03d}": dict(template) for i in range(services)}
    # room for every pool under an 0.8 headroom and a reserve, rounded up to a hundred
    needed = services * 2 * 2
    config["golden-path:database"]["max_connections"] = max(400, math.ceil((needed / 0.8 + 50) / 100) * 100)
    path = folder / f"Pulumi.bench{services}.yaml"
    with path.open("w") as out:
        yaml.dump(document, out)
    return path


def metrics_week(stack: Path, folder: Path, days: int = 7, interval_s: int = 300) -> Path:
    """Write metrics-<stack file stem>.csv into folder: `days` of samples every `interval_s` seconds for every
    series of the stack, the window a forecast reads. Each series sits at 40-60% of its capacity with a
    daily cycle and noise; the first service climbs 5% of its capacity a day, so it is flagged and gets
    a proposal. Seeded and ending at a fixed time: the same file, and the same forecast, on every run."""
    # Imported here: bench/check.py times importing infra itself, after importing this module.
    from infra import config
    from infra.metrics.samples import iso, stack_metrics
    from infra.scaling.capacity import capacities

    cfg = config.load(stack)
    capacity = capacities(cfg)
    climbing = f"services.{next(iter(cfg.services))}"
    rng = random.Random(0)
    end = datetime(2026, 11, 22, tzinfo=UTC)
    count = days * 86400 // interval_s
    times = [iso(end - timedelta(seconds=interval_s * (count - 1 - i))) for i in range(count)]
    day_of = [i * interval_s / 86400 for i in range(count)]
    rows = ["timestamp,resource,metric,value"]
    for resource, names in stack_metrics(cfg).items():
        for metric in names:
            full = capacity[(resource, metric)]
            level = rng.uniform(0.4, 0.6)
            climb = 0.05 if resource == climbing else 0.0
            for at, day in zip(times, day_of, strict=True):
                share = level + climb * (day - days) + 0.05 * math.sin(2 * math.pi * day) + rng.gauss(0, 0.02)
                rows.append(f"{at},{resource},{metric},{max(0.0, share * full):.4g}")
    path = folder / f"metrics-{stack.stem}.csv"
    path.write_text("\n".join(rows) + "\n")
    return path
