"""Metric sources: a file of samples, or Cloud Monitoring.

`load("file:PATH" | "gcp:PROJECT", cfg, now)` returns Samples whose resource ids are config paths
(services.<name>, database, redis, network.connector). Bad input raises MetricsError.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from infra.config import StackConfig
from infra.metrics.samples import MetricsError, Sample, stack_metrics
from policies.redaction import shown

__all__ = ["MetricsError", "Sample", "load", "stack_metrics"]

SOURCE_FORMS = "file:PATH (a .csv, .jsonl or .json file) or gcp:PROJECT (Cloud Monitoring)"


def load(source: str, cfg: StackConfig, now: datetime) -> list[Sample]:
    """The stack's samples from a metrics source; `now` ends the 7-day window gcp: reads (file: takes
    the file as it is)."""
    kind, _, rest = source.partition(":")
    if kind == "file" and rest:
        from infra.metrics import file_source

        return file_source.load(Path(rest), cfg)
    if kind == "gcp" and rest:
        from infra.metrics import gcp_source  # imported on use: the Google client is slow to import

        return gcp_source.load(rest, cfg, now)
    raise MetricsError([f"metrics source {shown(source)}: expected {SOURCE_FORMS}"])
