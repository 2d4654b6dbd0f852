"""The offline commands' fast paths, switched in one place: GOLDEN_PATH_FAST_PATHS=0 turns every one off
(the plain provider SDK import, the Pulumi SDK's per-resource work, the collector's defaults), to compare
and to debug. The equivalence test (tests/infra/test_fast_paths.py) plans with and without them.

None of them is on the path of `pulumi preview`/`up`: only infra.offline and infra.cli install them.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterator

from infra import lazy_sdk

VARIABLE = "GOLDEN_PATH_FAST_PATHS"
# A plan's objects all live until it ends, so collections every 700 allocations (the default) walk an
# ever-growing heap for nothing: per resource the cost rose from 2.3 to 4.0 ms between 10 and 1,000
# services. Collected every 100,000 allocations, the oldest generation almost never, it stays flat
# (300 services: 8.5 -> 5.0 s) for about 3% more peak memory (239 -> 247 MB); bench/speed.py reports both.
COLLECTOR_THRESHOLDS = (100_000, 50, 100)


def enabled() -> bool:
    return os.environ.get(VARIABLE, "1") != "0"


def install() -> None:
    """Install the fast paths that must come before the program imports a provider SDK."""
    if enabled():
        from infra import sdk_shortcuts  # imports the Pulumi runtime: only once a command plans

        lazy_sdk.install()
        sdk_shortcuts.install()


@contextlib.contextmanager
def collector(restore: bool = True) -> Iterator[None]:
    """The collector's thresholds for one command's run, restored after unless the process ends with it
    (tests run many commands in one process)."""
    before = gc.get_threshold()
    if enabled():
        gc.set_threshold(*COLLECTOR_THRESHOLDS)
    try:
        yield
    finally:
        if restore:
            gc.set_threshold(*before)
