"""The anchors GitHub gives the headings of a markdown document, to check documentation links."""

from __future__ import annotations

import re


def github_anchors(markdown: str) -> set[str]:
    """Each heading's anchor: lower case, punctuation but - and _ dropped, spaces as -."""
    headings = re.findall(r"^#{1,6} (.+)$", markdown, re.M)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}
