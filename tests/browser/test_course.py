"""The course parts of the lesson pages, as a reader meets them in a real browser.

Exercises with solutions that stay closed until asked for, pictures that load, and the
links under each title that take a page home (its notebook, Colab).
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from support.browsing import HTML, SCREENSHOTS

LESSONS = ["tensors-as-arrays", "tensor-basics", "operations", "in-place", "broadcasting"]
LESSONS += ["gpu", "autograd"]
COLAB = re.compile(
    r"^https://colab\.research\.google\.com/github/firsttorch/firsttorch/blob/notebooks/"
    r"(?P<path>[\w/.-]+\.ipynb)$"
)


@pytest.mark.parametrize("name", LESSONS)
def test_exercises_have_closed_solutions(page: Page, name: str) -> None:
    """At least three exercises; every solution (text and code) is closed until clicked."""
    page.goto(f"{name}.html")
    section = page.locator("section#exercises")
    expect(section.locator("h3", has_text=re.compile(r"^Exercise \d"))).to_have_count(
        section.locator("h3").count()
    )
    assert section.locator("h3").count() >= 3
    texts = section.locator("details.sd-dropdown", has=page.locator("summary", has_text="Solution"))
    codes = section.locator("details.hide", has=page.locator("summary", has_text="Solution"))
    assert texts.count() >= 3
    assert codes.count() >= 3
    for solutions in (texts, codes):
        for i in range(solutions.count()):
            details = solutions.nth(i)
            assert details.get_attribute("open") is None, f"{name}: solution {i} is open"
    first = codes.first
    expect(first.locator(".cell_input")).to_be_hidden()
    first.locator("summary").click()
    expect(first.locator(".cell_input")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    section.screenshot(path=SCREENSHOTS / f"{name}-exercises.png")  # one solution opened


@pytest.mark.parametrize("name", LESSONS)
def test_lesson_pictures_load(page: Page, name: str) -> None:
    """Each lesson shows at least one picture drawn by its code, and every one loads."""
    page.goto(f"{name}.html")
    pictures = page.locator(".cell_output img")
    assert pictures.count() >= 1, f"{name}: no picture drawn by the page's code"
    widths = pictures.evaluate_all("imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
    assert all(w > 0 for w in widths), f"{name}: a picture did not load: {widths}"
    pictures.first.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pictures.first.screenshot(path=SCREENSHOTS / f"{name}-picture.png")


@pytest.mark.parametrize(
    "name", [*LESSONS, "auto_examples/gpu/plot_1_find_out_which_device_you_use"]
)
def test_take_home_links(context: BrowserContext, name: str) -> None:
    """Under the title: the notebook link downloads a notebook of the site, and the Colab link
    opens that same notebook from the repository's notebooks branch."""
    page = context.new_page()
    page.goto(f"{name}.html")
    info = page.locator("p.firsttorch-page-info")
    expect(info).to_be_visible()
    colab = info.locator("a.firsttorch-colab").get_attribute("href") or ""
    match = COLAB.match(colab)
    assert match is not None, colab
    published = context.request.get(f"notebooks/{match.group('path')}")
    assert published.status == 200
    assert json.loads(published.body())["nbformat"] == 4
    if not name.startswith("auto_examples/"):
        download = info.locator("a.firsttorch-download")
        href = download.get_attribute("href") or ""
        assert href == f"notebooks/{name}.ipynb"
        assert context.request.get(href).body() == published.body()
        expect(info).to_contain_text(re.compile(r"Level: beginner · About \d+ min"))
    page.close()


def test_index_lists_no_pages_twice(page: Page) -> None:
    """The home page shows its cards; the page lists live in the sidebar only."""
    page.goto("index.html")
    expect(page.locator("article .toctree-l1")).to_have_count(0)
    expect(page.locator(".sidebar-tree .toctree-l1").first).to_be_visible()
    assert (HTML / "next-steps.html").is_file()
