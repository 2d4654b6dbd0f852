"""infra.settable_keys: which dotted keys name a single setting of the config model, and its type."""

from __future__ import annotations

from typing import Any, Literal

import pytest

from infra import stackfile
from infra.dotted_keys import split_key
from infra.edit_error import EditError
from infra.settable_keys import setting_type
from tests.stack_files import committed


def prod_setting_type(key: str) -> Any:
    path = committed("prod")
    return setting_type(stackfile.read(path), str(path), key, split_key(key))


@pytest.mark.parametrize(("key", "annotation"), [
    ("services.api.max_instances", int),
    ("services.api.cpu", float),
    ("scaling.scale_up_at", float),
    ("monitoring.enabled", bool),
    ("redis.auth", bool),  # bool | None: the None is left out
    ("services.api.pool.size", int),  # an override prod does not have yet
    ("services.api.env.WORKERS", str),  # a map of text: its entries are text
    ("scaling.last_scaled.api", str),
    ("database.availability", Literal["ZONAL", "REGIONAL"]),
])
def test_the_type_is_the_config_models(key: str, annotation: Any) -> None:
    assert prod_setting_type(key) == annotation


@pytest.mark.parametrize(("key", "message"), [
    ("services.api", r"Pulumi\.prod\.yaml:\d+: services\.api: is a mapping"),
    ("services.api.max_instnaces",
     r"Pulumi\.prod\.yaml:\d+: .*unknown key .*did you mean services\.api\.max_instances"),
    ("services.payments.max_instances", r"services has no entry 'payments' \(it has: api, web, worker\)"),
    ("services.api.max_instances.value", "is a single value, not a mapping"),
    ("scaling.last_scaled", "is a mapping"),
    ("quotas.cpu", r"Pulumi\.prod\.yaml:\d+: quotas\.cpu: unknown key quotas; the config has environment, target"),
])
def test_refused_keys_name_file_line_key_and_why(key: str, message: str) -> None:
    with pytest.raises(EditError, match=message):
        prod_setting_type(key)
