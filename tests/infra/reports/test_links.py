"""Links to repository files: on GitHub at the checked commit in Actions, in the checkout elsewhere."""

from __future__ import annotations

from infra.reports.links import RepositoryLinks
from tests.conftest import REPO

ACTIONS = {"GITHUB_SERVER_URL": "https://github.example.com/", "GITHUB_REPOSITORY": "acme/golden-path",
           "GITHUB_SHA": "0123456789abcdef"}


def test_in_github_actions_links_open_the_file_at_the_checked_commit():
    links = RepositoryLinks.from_environment(REPO, ACTIONS)
    blob = "https://github.example.com/acme/golden-path/blob/0123456789abcdef"
    assert links.absolute("policies/README.md#connection-budget") == f"{blob}/policies/README.md#connection-budget"
    assert links.href("Pulumi.prod.yaml#L14") == f"{blob}/Pulumi.prod.yaml#L14"
    assert links.absolute("stacks/Pulumi.eu prod.yaml") == f"{blob}/stacks/Pulumi.eu%20prod.yaml"


def test_elsewhere_links_open_the_checkout():
    for environ in ({}, {**ACTIONS, "GITHUB_SHA": ""}):
        links = RepositoryLinks.from_environment(REPO, environ)
        assert links.web is None
        assert links.absolute("README.md#top") == (REPO / "README.md").resolve().as_uri() + "#top"
        assert links.href("Pulumi.prod.yaml#L14") == "Pulumi.prod.yaml#L14"
