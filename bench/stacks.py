"""Generated stack files for benchmarks: the prod stack with N services, sized so it stays valid."""

from __future__ import annotations

import math
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
