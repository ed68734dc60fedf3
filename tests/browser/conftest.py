"""Fixtures for the browser checks: the built site served on localhost, and chromium.

Only `nox -s browser` runs them (it sets FIRSTTORCH_BROWSER=1, after `nox -s docs`). Each
page is opened once (`visit`), with every request, response, console error and failure
recorded and axe-core run; the tests read that record, and the summary prints the figures.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

if os.environ.get("FIRSTTORCH_BROWSER") != "1":
    pytest.skip("browser checks: run them with `nox -s browser`", allow_module_level=True)

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    sync_playwright,
)
from support import site_checks
from support.browsing import CHROMIUM_ARGS, HTML, NOT_WEIGHED, Visit, chromium_path

if not (HTML / "index.html").exists():
    msg = f"{HTML} has no built site; build it first with `nox -s docs`."
    raise RuntimeError(msg)

VISITS: dict[str, Visit] = {}


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    """The built site, served by http.server on a free port of 127.0.0.1."""
    with site_checks.serve(HTML) as url:
        yield url


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Headless Debian chromium, with nothing of its own phoning home."""
    browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser, base_url: str) -> Iterator[BrowserContext]:
    """A fresh browser profile that may read the clipboard."""
    context = browser.new_context(
        base_url=base_url,
        permissions=["clipboard-read", "clipboard-write"],
        viewport={"width": 1280, "height": 900},
    )
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture(scope="session")
def visit(browser: Browser, base_url: str) -> Callable[[str], Visit]:
    """Open a page once in a fresh profile, record everything, run axe; cached per page."""
    axe = Axe()

    def _visit(name: str) -> Visit:
        if name in VISITS:
            return VISITS[name]
        record = Visit(url=base_url + name)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        responses = []
        page.on("request", lambda r: record.requests.append(r.url))
        page.on("requestfailed", lambda r: record.failures.append(f"{r.url} ({r.failure})"))
        # A lambda, not responses.append: Playwright tags handlers, and a builtin takes no tags.
        page.on("response", lambda r: responses.append(r))  # noqa: PLW0108
        page.on(
            "console",
            lambda m: record.console_errors.append(m.text) if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: record.console_errors.append(str(e)))
        try:
            page.goto(record.url, wait_until="load")
            page.wait_for_load_state("networkidle")
            for response in responses:
                if response.status >= 400:
                    record.failures.append(f"{response.url} (HTTP {response.status})")
                kind = response.request.resource_type
                if kind in NOT_WEIGHED or not 200 <= response.status < 300:
                    continue
                record.weight[kind] = record.weight.get(kind, 0) + len(response.body())
            record.violations = axe.run(page).response["violations"]
        finally:
            context.close()
        VISITS[name] = record
        return record

    return _visit


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the figures: weight per page (heaviest first) and axe violations."""
    if not VISITS:
        return
    write = terminalreporter.write_line
    terminalreporter.section("page weight: HTML + CSS + JS + fonts, images excluded (KB)")
    write(f"{'page':<62} {'total':>7}  by type")
    for name, v in sorted(VISITS.items(), key=lambda kv: -kv[1].total_weight):
        parts = ", ".join(f"{k} {b / 1024:.1f}" for k, b in sorted(v.weight.items()))
        write(f"{name:<62} {v.total_weight / 1024:>7.1f}  {parts}")
    terminalreporter.section("axe-core violations")
    rows = [
        (name, str(v["impact"]), str(v["id"]), len(v["nodes"]))  # type: ignore[arg-type]
        for name, record in sorted(VISITS.items())
        for v in record.violations
    ]
    by_impact: dict[str, int] = {}
    for _, impact, _, count in rows:
        by_impact[impact] = by_impact.get(impact, 0) + count
    write(f"{'page':<62} {'impact':<10} {'rule':<30} {'nodes':>5}")
    for row in rows:
        write(f"{row[0]:<62} {row[1]:<10} {row[2]:<30} {row[3]:>5}")
    totals = ", ".join(f"{k} {n}" for k, n in sorted(by_impact.items())) or "none"
    heaviest = max(VISITS.items(), key=lambda kv: kv[1].total_weight)
    write(
        f"browser: {len(VISITS)} pages checked; axe violations (nodes) by impact: {totals}; "
        f"heaviest page {heaviest[0]} at {heaviest[1].total_weight / 1024:.1f} KB"
    )
