"""The pack's entry point for the Pulumi CLI: `pulumi preview --policy-pack policies`, or the published pack.

The CLI runs `python -u -m pulumi.policy <engine-address> <pack folder>` inside the pack folder, in the virtualenv
built from requirements.txt (PyPI packages only). That puts the folder itself on sys.path, not its parent, and a
published pack is unpacked into a folder named after the pack, not `policies`. So this folder is loaded as the
`policies` package from its own location, ahead of any other `policies` the virtualenv holds (the project's
virtualenv installs this repository, editable).
"""

import importlib
import importlib.util
import sys
from pathlib import Path

from pulumi_policy import PolicyPack

_FOLDER = Path(__file__).resolve().parent
_SPEC = importlib.util.spec_from_file_location("policies", _FOLDER / "__init__.py",
                                               submodule_search_locations=[str(_FOLDER)])
sys.modules["policies"] = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(sys.modules["policies"])
pack = importlib.import_module("policies.pack")

PolicyPack(name=pack.PACK_NAME, policies=pack.POLICIES, enforcement_level=pack.DEFAULT_ENFORCEMENT)
