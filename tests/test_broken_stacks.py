"""tests/broken_stacks: a committed stack plus a patch of dotted keys, written as a real stack file."""

from __future__ import annotations

from infra import stackfile
from infra.naming import NAMESPACE
from infra.stacks import REPO_ROOT
from tests.broken_stacks import write_broken_stack

SERVICES = f"{NAMESPACE}:services"


def test_a_patch_sets_dotted_keys_and_null_removes_one(tmp_path):
    (tmp_path / "nopool.yaml").write_text("base: prod\nset:\n  services.api.max_instances: 30\n"
                                          "  services.web.pool: null\n  services.web.env.MODE: fast\n")
    written = stackfile.read(write_broken_stack("Pulumi.nopool.yaml", tmp_path, patches=tmp_path))
    base = stackfile.read(REPO_ROOT / "Pulumi.prod.yaml")
    assert written.stack == "nopool"
    services, base_services = written.config[SERVICES], base.config[SERVICES]
    assert services["api"] == {**base_services["api"], "max_instances": 30}
    assert "pool" in base_services["web"] and "pool" not in services["web"]
    assert services["web"]["env"] == {"MODE": "fast"}
    assert {k: v for k, v in written.config.items() if k != SERVICES} == {
        k: v for k, v in base.config.items() if k != SERVICES}
