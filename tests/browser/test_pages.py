"""Every page of the built site, opened in chromium: clean load, local only, light, accessible."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support.browsing import Visit, off_site, pages

MAX_WEIGHT = 400 * 1024  # bytes of HTML, CSS, JS and fonts per page (images excluded)
BLOCKING = {"serious", "critical"}
PAGES = pages()


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_cleanly(visit: Callable[[str], Visit], name: str) -> None:
    """The page loads with no console error and no failed request."""
    record = visit(name)
    assert record.console_errors == []
    assert record.failures == []


@pytest.mark.parametrize("name", PAGES)
def test_page_requests_only_the_local_site(
    visit: Callable[[str], Visit], base_url: str, name: str
) -> None:
    """Every request the page makes goes to the local server, none to another host."""
    record = visit(name)
    assert record.requests, "no request recorded"
    assert off_site(record.requests, base_url) == []


@pytest.mark.parametrize("name", PAGES)
def test_page_weight(visit: Callable[[str], Visit], name: str) -> None:
    """The page transfers at most 400 KB of HTML, CSS, JS and fonts."""
    record = visit(name)
    assert record.weight.get("document", 0) > 0
    assert record.total_weight <= MAX_WEIGHT, record.weight


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_serious_accessibility_violation(
    visit: Callable[[str], Visit], name: str
) -> None:
    """axe-core finds no serious or critical violation (the others are listed in the summary)."""
    blocking = [
        (v["impact"], v["id"], len(v["nodes"]))  # type: ignore[arg-type]
        for v in visit(name).violations
        if v["impact"] in BLOCKING
    ]
    assert blocking == []
