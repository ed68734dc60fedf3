"""What a reader does on the site: search, switch theme, copy code, reveal an answer, download."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from support import site_checks
from support.browsing import HTML, SCREENSHOTS, pages

PAGES = pages()
# A hide-output cell: myst-nb renders it as <details class="hide below-input">.
REVEAL = 'class="admonition hide below-input"'
REVEAL_PAGE = next(p for p in PAGES if REVEAL in (HTML / p).read_text(encoding="utf-8"))
EXAMPLE_PAGE = next(p for p in PAGES if p.startswith("auto_examples/") and "/plot_" in p)
KEY_PAGES = ["index.html", "auto_examples/index.html", EXAMPLE_PAGE, "api/gradients.html"]
OUTPUT_BLOCKS = ".cell_output, .sphx-glr-script-out"


def _shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / name, full_page=True)


def _copy(page: Page, block: str) -> str:
    """Hover the code block, click its copy button, and return the clipboard's text."""
    target = page.locator(block).first
    target.scroll_into_view_if_needed()
    target.hover()
    target.locator("button.copybtn").click()
    return str(page.evaluate("navigator.clipboard.readText()"))


def test_search_finds_broadcast(page: Page) -> None:
    """Searching for "broadcast" lists the broadcasting page among its results."""
    page.goto("search.html?q=broadcast")
    results = page.locator("#search-results ul.search li")
    expect(results.first).to_be_visible(timeout=15_000)
    links = results.locator("a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert any("broadcasting" in str(href) for href in links), links


def test_theme_toggle_switches_light_and_dark(page: Page) -> None:
    """The theme button cycles the page through light and dark, and the colours follow."""
    page.goto("index.html")
    toggle = page.locator("button.theme-toggle:visible").first
    seen: dict[str, str] = {}
    for _ in range(3):
        toggle.click()
        theme = str(page.evaluate("document.body.dataset.theme"))
        seen[theme] = str(page.evaluate("getComputedStyle(document.body).backgroundColor"))
    assert {"light", "dark"} <= set(seen), seen
    assert seen["light"] != seen["dark"]


def test_copy_button_copies_the_cell_input_only(page: Page) -> None:
    """On a notebook page, copying a cell gives exactly its code: no prompt, no output."""
    page.goto(REVEAL_PAGE)
    cell = "div.cell:has(.cell_output) .cell_input div.highlight"
    code = page.locator(f"{cell} pre").first.inner_text()
    copied = _copy(page, cell)
    assert copied.strip() == code.strip()
    assert ">>> " not in copied


def test_copy_button_strips_doctest_prompts_and_output(page: Page) -> None:
    """On an API page, copying a >>> example gives the code lines without prompts or output."""
    page.goto("api/broadcasting.html")
    block = "div.doctest:has(.go) div.highlight"
    text = page.locator(f"{block} pre").first.inner_text()
    code = [ln[4:] for ln in text.splitlines() if ln.startswith((">>> ", "... "))]
    output = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith((">>>", "..."))]
    copied = _copy(page, block)
    assert output, "the example should show output for this check to mean anything"
    # The excluded output leaves an empty line behind: harmless when pasted.
    assert [ln for ln in copied.splitlines() if ln.strip()] == [ln.rstrip() for ln in code]
    assert ">>> " not in copied


@pytest.mark.parametrize("name", [REVEAL_PAGE, EXAMPLE_PAGE])
def test_outputs_have_no_copy_button(page: Page, name: str) -> None:
    """Outputs are not code to paste: no copy button sits on an output block."""
    page.goto(name)
    expect(page.locator("button.copybtn").first).to_be_attached()
    assert page.locator(f":is({OUTPUT_BLOCKS}) button.copybtn").count() == 0


def test_predict_then_reveal_opens(page: Page) -> None:
    """A hidden output opens when its summary is clicked, and its output becomes visible."""
    page.goto(REVEAL_PAGE)
    details = page.locator("details.hide.below-input").first
    output = details.locator(".cell_output")
    assert details.get_attribute("open") is None
    expect(output).to_be_hidden()
    details.locator("summary").click()
    assert details.get_attribute("open") is not None
    expect(output).to_be_visible()
    details.scroll_into_view_if_needed()
    _shoot(page, "revealed-prompt.png")


def _download_links() -> list[str]:
    links = {
        urljoin(name, href.split("#")[0])
        for name in PAGES
        for href in site_checks.parse((HTML / name).read_text(encoding="utf-8")).links
        if "_downloads/" in href
    }
    return sorted(links)


DOWNLOADS = _download_links()


def test_the_site_offers_downloads() -> None:
    """There are download links to check: a .py, an .ipynb and both download-all archives."""
    names = {u.rsplit("/", 1)[-1] for u in DOWNLOADS}
    assert {"auto_examples_python.zip", "auto_examples_jupyter.zip"} <= names
    assert any(n.endswith(".py") for n in names)
    assert any(n.endswith(".ipynb") for n in names)
    print(f"\nbrowser: {len(DOWNLOADS)} distinct download links")


@pytest.mark.parametrize("url", DOWNLOADS)
def test_download_link_returns_its_file(context: BrowserContext, url: str) -> None:
    """Every download link answers 200 with a non-empty file."""
    response = context.request.get(url)
    assert response.status == 200
    assert len(response.body()) > 0


@pytest.mark.parametrize("name", KEY_PAGES)
def test_screenshot_key_page(page: Page, name: str) -> None:
    """Full-page screenshots of the key pages land in artifacts/screenshots."""
    page.goto(name)
    page.wait_for_load_state("networkidle")
    _shoot(page, name.replace("/", "__").removesuffix(".html") + ".png")
    assert (SCREENSHOTS / (name.replace("/", "__").removesuffix(".html") + ".png")).stat().st_size
