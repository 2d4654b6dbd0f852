"""Per-resource work of the Pulumi SDK that means nothing under the offline commands' mocks, cut.

Written for pulumi 3.272.0 (WRITTEN_FOR); on any other version the SDK runs as it is. Each shortcut
names what it replaces and why the plan cannot tell the difference: the equivalence test
(tests/infra/test_fast_paths.py) compares whole captured plans with and without.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from pulumi import _version
from pulumi.runtime import resource
from pulumi.runtime.proto import source_pb2

WRITTEN_FOR = "3.272.0"


def install() -> bool:
    """Apply the shortcuts when the SDK is the version they were written for; whether they were applied."""
    if _version._VERSION != WRITTEN_FOR:
        return False
    # register_resource walks the whole Python stack (traceback.extract_stack, a file URI per frame) for
    # every resource, to send the engine a source position for its diagnostics. The offline plan captures
    # type, name, properties, parent and dependencies: never the position.
    resource._get_stack_trace = _no_stack_trace
    # register_resource's do_register builds a URN for every resource (create_urn: three Outputs and an
    # apply) that it uses only when there is no monitor; under mocks there always is one, which answers with
    # its own URN. Every other caller (aliases) gets the real create_urn.
    _REGISTER_CODES.update(code for code in resource.register_resource.__code__.co_consts
                           if getattr(code, "co_name", None) == "do_register")
    resource.create_urn = _create_urn_unless_unused
    return True


def _no_stack_trace() -> source_pb2.StackTrace:
    return source_pb2.StackTrace()


_REGISTER_CODES: set[Any] = set()
_create_urn = resource.create_urn  # the SDK's own, taken when this module is first imported


class _UnusedUrn:
    """What do_register awaits in place of the URN it does not use: `.future()` resolving to None."""

    def future(self) -> asyncio.Future[None]:
        future = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future


def _create_urn_unless_unused(*args: Any, **kwargs: Any) -> Any:
    if sys._getframe(1).f_code in _REGISTER_CODES:
        return _UnusedUrn()
    return _create_urn(*args, **kwargs)
