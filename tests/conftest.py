"""Shared test configuration: the docs' own extension modules are importable as plain modules."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "docs" / "_ext"))
# The site checkers shared by several test modules (site_checks, link_checks).
sys.path.insert(0, str(REPO / "tests"))

# Fixture sites are copied and built by the tests, never imported by pytest itself.
collect_ignore_glob = ["sites/*"]
