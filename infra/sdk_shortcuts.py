"""Per-resource work of the Pulumi SDK that means nothing under the offline commands' mocks, cut.

Written for pulumi 3.272.0 (WRITTEN_FOR); on any other version the SDK runs as it is. Each shortcut
names what it replaces and why the plan cannot tell the difference: the equivalence test
(tests/infra/test_fast_paths.py) compares whole captured plans with and without.
"""

from __future__ import annotations

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
    return True


def _no_stack_trace() -> source_pb2.StackTrace:
    return source_pb2.StackTrace()
