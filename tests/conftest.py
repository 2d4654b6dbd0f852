from __future__ import annotations

from pathlib import Path

import pytest

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


@pytest.fixture
def write_stack(tmp_path: Path):
    """Write a stack file named Pulumi.<name>.yaml into a temp folder and return its path."""

    def write(text: str, name: str = "test") -> Path:
        path = tmp_path / f"Pulumi.{name}.yaml"
        path.write_text(text)
        return path

    return write
