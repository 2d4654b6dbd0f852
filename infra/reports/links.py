"""Where a file of this repository opens, for the links reports carry (a policy's documentation, a
stack file's line).

A reference is a path relative to the repository root with an optional fragment:
`policies/README.md#connection-budget`, `Pulumi.prod.yaml#L14`. In GitHub Actions it becomes the file
on GitHub at the commit that was checked (GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_SHA, set on every
run); elsewhere it opens in the checkout. PR comments and job summaries resolve a relative link against
their own page (.../pull/7, .../actions/runs/1), so links meant for them are absolute.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote


@dataclass(frozen=True)
class RepositoryLinks:
    root: Path  # the checkout
    web: str | None = None  # e.g. https://github.com/owner/repo/blob/<commit>; None outside GitHub Actions

    @classmethod
    def from_environment(cls, root: Path, environ: Mapping[str, str]) -> RepositoryLinks:
        server, repository, commit = (environ.get(name) for name in
                                      ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"))
        if server and repository and commit:
            return cls(root, f"{server.rstrip('/')}/{repository}/blob/{commit}")
        return cls(root)

    def absolute(self, reference: str) -> str:
        """An absolute URI (SARIF's helpUri and informationUri must be one): on GitHub, else a file: URI."""
        path, hash_mark, fragment = reference.partition("#")
        if self.web:
            return f"{self.web}/{quote(path)}{hash_mark}{fragment}"
        return (self.root / path).resolve().as_uri() + hash_mark + fragment

    def href(self, reference: str) -> str:
        """A link for markdown: on GitHub when known, else the reference itself (it works where the
        markdown sits at the repository root)."""
        return self.absolute(reference) if self.web else reference
