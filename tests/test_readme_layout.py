"""README's "How the code is laid out" stays true: every module is listed, and every path listed exists."""

from __future__ import annotations

import re

from tests.conftest import REPO

SECTION = re.compile(r"^## How the code is laid out\n(?P<body>.*?)(?=^## |\Z)", re.M | re.S)
LISTED = re.compile(r"`(?P<path>(?:infra|components|policies|bench|tests)/[^`\s]*)`")
PACKAGES = ("infra", "components", "policies")


def _section() -> str:
    found = SECTION.search((REPO / "README.md").read_text(encoding="utf-8"))
    assert found, 'README.md has no "## How the code is laid out" section'
    return found.group("body")


def test_every_module_is_listed():
    listed = set(LISTED.findall(_section()))
    modules = sorted(p.relative_to(REPO).as_posix() for package in PACKAGES for p in (REPO / package).rglob("*.py")
                     if p.name != "__init__.py" and "venv" not in p.parts)
    missing = [m for m in modules if m not in listed]
    assert not missing, f"add to README.md's layout section: {', '.join(missing)}"


def test_every_listed_path_exists():
    gone = [path for path in LISTED.findall(_section()) if not (REPO / path.rstrip("/")).exists()]
    assert not gone, f"README.md's layout section lists paths that do not exist: {', '.join(gone)}"
