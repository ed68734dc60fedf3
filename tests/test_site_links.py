"""Every internal link and anchor of the built site in docs/_build/html resolves."""

from __future__ import annotations

import os
from pathlib import Path

import link_checks
import pytest

REPO = Path(__file__).resolve().parents[1]
HTML = REPO / "docs" / "_build" / "html"

if not (HTML / "index.html").exists():
    if os.environ.get("FIRSTTORCH_REQUIRE_SITE") == "1":
        msg = f"{HTML} has no built site; build it first with `nox -s docs`."
        raise RuntimeError(msg)
    pytest.skip("no built site in docs/_build/html (run `nox -s docs`)", allow_module_level=True)


def test_every_internal_link_and_anchor_resolves() -> None:
    """No page links to a missing file or to an id its target page does not have."""
    pages = link_checks.all_html(HTML)
    broken = link_checks.broken_links(HTML, pages)
    print(f"\nlinks: checked every internal link of {len(pages)} HTML files")
    assert broken == []
