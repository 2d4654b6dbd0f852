"""Pulumi entry: load config -> build platform -> export outputs.

`pulumi preview/up` run this file with infra/ as sys.path[0]; `infra plan` runs it under mocks.
Imports go through the `infra` package (installed from requirements.txt) so that infra/platform.py
never stands in for the standard library's `platform`.
"""

import pulumi

from infra import config
from infra import platform as golden_path_platform

try:
    cfg = config.from_pulumi()
except config.ConfigError as exc:
    # RunError ends the update with the message alone: file, line, key and the fix, no traceback.
    raise pulumi.RunError(str(exc)) from None

for key, value in golden_path_platform.build(cfg).items():
    pulumi.export(key, value)
