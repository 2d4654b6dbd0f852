from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from pulumi.runtime.proto.analyzer_pb2_grpc import AnalyzerStub

from tests.broken_stacks import stack_file_names, write_broken_stack
from tests.pack_server import POLICIES_DIR, serve_pack

REPO = Path(__file__).resolve().parent.parent
STACKS = ("local", "staging", "prod")
# The head of a staging stack on GCP; tests append the sections they are about.
GCP_STAGING = """\
config:
  gcp:project: golden-path-test
  gcp:region: europe-west1
  golden-path:environment: staging
  golden-path:target: gcp
"""
# Two services the metrics, forecast and scaler tests measure.
TWO_SERVICES = """\
  golden-path:services:
    api:
      image: example/api:1
      max_instances: 10
    web:
      image: example/web:1
      max_instances: 4
"""


@pytest.fixture
def write_stack(tmp_path: Path):
    """Write a stack file named Pulumi.<name>.yaml into a temp folder and return its path."""

    def write(text: str, name: str = "test") -> Path:
        path = tmp_path / f"Pulumi.{name}.yaml"
        path.write_text(text)
        return path

    return write


@pytest.fixture(scope="session")
def broken_stacks(tmp_path_factory) -> dict[str, Path]:
    """Every stack of tests/broken_stacks written once as a real file: Pulumi.<name>.yaml -> its path."""
    folder = tmp_path_factory.mktemp("broken_stacks")
    return {name: write_broken_stack(name, folder) for name in stack_file_names()}


@pytest.fixture(scope="module")
def pack_server(tmp_path_factory) -> Iterator[Callable[[Path], AnalyzerStub]]:
    """Serve the policy pack in a folder as the Pulumi CLI does; every pack started is stopped after the module."""
    with ExitStack() as servers:
        def start(folder: Path) -> AnalyzerStub:
            return servers.enter_context(serve_pack(folder, tmp_path_factory.mktemp("pack") / "stderr.txt"))

        yield start


@pytest.fixture(scope="module")
def analyzer(pack_server) -> AnalyzerStub:
    """The pack in policies/, served for the module."""
    return pack_server(POLICIES_DIR)
