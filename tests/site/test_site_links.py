"""Every internal link and anchor of the built site in docs/_build/html resolves."""

from __future__ import annotations

from pathlib import Path

from support import link_checks

REPO = Path(__file__).resolve().parents[2]
HTML = REPO / "docs" / "_build" / "html"


def test_every_internal_link_and_anchor_resolves() -> None:
    """No page links to a missing file or to an id its target page does not have."""
    pages = link_checks.all_html(HTML)
    broken = link_checks.broken_links(HTML, pages)
    print(f"\nlinks: checked every internal link of {len(pages)} HTML files")
    assert broken == []
