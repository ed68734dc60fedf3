"""Checks of the built site in docs/_build/html (run by `nox -s docs` after the build)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from support import site_checks

import firsttorch

REPO = Path(__file__).resolve().parents[2]
HTML = REPO / "docs" / "_build" / "html"


PAGES = sorted(p.relative_to(REPO / "docs").with_suffix("") for p in (REPO / "docs").glob("*.md"))
EXAMPLES = sorted(p.relative_to(REPO / "gallery") for p in (REPO / "gallery").rglob("plot_*.py"))


def _manifest() -> dict[str, object]:
    return json.loads((HTML / "_firsttorch" / "manifest.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("page", PAGES, ids=str)
def test_every_page_is_built(page: Path) -> None:
    """Each source page has its HTML page."""
    assert (HTML / page.with_suffix(".html")).is_file()


@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_every_example_has_its_page_and_downloads(example: Path) -> None:
    """Each gallery script has a page, a downloadable .py and a downloadable notebook."""
    out = HTML / "auto_examples" / example.with_suffix(".html")
    assert out.is_file()
    html = out.read_text(encoding="utf-8")
    assert f"{example.stem}.py" in html
    assert f"{example.stem}.ipynb" in html
    downloads = list((HTML / "_downloads").rglob(f"{example.stem}.*"))
    assert {p.suffix for p in downloads} >= {".py", ".ipynb"}


def test_download_all_archives_exist() -> None:
    """The gallery offers every script and every notebook as one archive each."""
    names = {p.name for p in (HTML / "_downloads").rglob("*.zip")}
    assert {"auto_examples_python.zip", "auto_examples_jupyter.zip"} <= names


def test_api_reference_documents_every_export() -> None:
    """Every public name of firsttorch has an entry in the API reference."""
    ids = {
        anchor
        for page in (HTML / "api").glob("*.html")
        for anchor in site_checks.parse(page.read_text(encoding="utf-8")).ids
    }
    missing = [n for n in firsttorch.__all__ if n != "__version__" and f"firsttorch.{n}" not in ids]
    assert missing == []


def test_manifest_every_document_ran_and_passed() -> None:
    """Every page and every example ran in this build, on the lane's device, and passed."""
    manifest = _manifest()
    docs = manifest["documents"]
    assert isinstance(docs, dict)
    expected = {
        str(p)
        for p in PAGES
        if "file_format: mystnb" in (REPO / "docs" / f"{p}.md").read_text(encoding="utf-8")
    }
    expected |= {f"auto_examples/{e.with_suffix('')}" for e in EXAMPLES}
    assert expected <= set(docs)
    lane_device = "cuda" if manifest["lane"] == "gpu" else "cpu"
    for name, record in docs.items():
        assert record["ok"], name
        assert record["ran_in_this_build"], name
        assert all(d.startswith((lane_device, "meta")) for d in record["devices"]), (
            name,
            record["devices"],
        )


def test_every_executed_page_shows_its_provenance() -> None:
    """Each executed page states the torch version, lane and date of its output."""
    for name in _manifest()["documents"]:  # type: ignore[union-attr]
        html = (HTML / f"{name}.html").read_text(encoding="utf-8")
        assert "firsttorch-provenance" in html, name
        assert "lane (devices:" in html, name


def test_no_page_loads_from_another_host() -> None:
    """No page loads a script, style, image or frame from another host."""
    offenders = {
        str(p.relative_to(HTML)): loads
        for p in site_checks.html_pages(HTML)
        if (loads := site_checks.external_loads(p.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_gallery_notebooks_are_not_executed_twice() -> None:
    """myst-nb never parsed or ran the notebooks sphinx-gallery generated."""
    executed = REPO / "docs" / "_build" / "jupyter_execute"
    assert not list(executed.rglob("auto_examples/**/*.ipynb"))
    assert not list(executed.glob("auto_examples*"))


LESSONS = ["tensors-as-arrays", "tensor-basics", "operations", "in-place", "broadcasting"]
LESSONS += ["gpu", "autograd"]
COLAB = "https://colab.research.google.com/github/firsttorch/firsttorch/blob/notebooks/"
PAGE_INFO = re.compile(r'<p class="firsttorch-page-info">(.*?)</p>', re.DOTALL)
HREF = re.compile(r'class="firsttorch-(download|colab)[^"]*" href="([^"]+)"')


def _page_info(name: str) -> tuple[str, dict[str, str]]:
    html = (HTML / f"{name}.html").read_text(encoding="utf-8")
    found = PAGE_INFO.search(html)
    assert found is not None, f"{name}: no level/reading-time line under the title"
    return found.group(1), dict(HREF.findall(found.group(1)))


@pytest.mark.parametrize("name", LESSONS)
def test_lesson_pages_state_level_and_reading_time(name: str) -> None:
    """Under each lesson's title: its level and a reading time in minutes."""
    info, _ = _page_info(name)
    assert "Level: beginner" in info
    minutes = re.search(r"About (\d+) min", info)
    assert minutes is not None
    assert 2 <= int(minutes.group(1)) <= 60


def test_every_executed_page_offers_its_notebook_and_colab() -> None:
    """The download link is a file of the site: a valid notebook without outputs that first
    installs firsttorch; the Colab link opens that same file from the notebooks branch."""
    names = [
        str(p)
        for p in PAGES
        if "file_format: mystnb" in (REPO / "docs" / f"{p}.md").read_text(encoding="utf-8")
    ]
    assert set(LESSONS) <= set(names)
    for name in names:
        _, links = _page_info(name)
        target = (HTML / name).parent / links["download"]
        assert target.resolve() == (HTML / "notebooks" / f"{name}.ipynb").resolve(), name
        notebook = nbformat.read(target, as_version=4)
        nbformat.validate(notebook)
        code = [c for c in notebook.cells if c.cell_type == "code"]
        assert "pip" in code[0].source, name
        assert all(not c.outputs and c.execution_count is None for c in code), name
        assert links["colab"] == f"{COLAB}{name}.ipynb"


@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_every_example_opens_in_colab(example: Path) -> None:
    """A gallery page's Colab link names a notebook the site publishes, the one it offers."""
    name = f"auto_examples/{example.with_suffix('').as_posix()}"
    _, links = _page_info(name)
    assert links["colab"] == f"{COLAB}{name}.ipynb"
    published = HTML / "notebooks" / f"{name}.ipynb"
    offered = next((HTML / "_downloads").rglob(f"{example.stem}.ipynb"))
    assert published.read_bytes() == offered.read_bytes()


def test_no_page_shows_a_kernel_temporary_file() -> None:
    """Outputs say "line 2 of this cell", never /tmp/ipykernel_<pid>/<hash>.py."""
    shown = [p.name for p in site_checks.html_pages(HTML) if "ipykernel_" in p.read_text("utf-8")]
    assert shown == []
    assert "line 2 of this cell" in (HTML / "broadcasting.html").read_text(encoding="utf-8")


def test_index_does_not_repeat_the_sidebar() -> None:
    """The home page's toctrees feed the sidebar only: no lists of pages in its body."""
    html = (HTML / "index.html").read_text(encoding="utf-8")
    assert "toctree-l1" not in html.split('<article role="main"', 1)[1]


def test_gallery_sections_follow_the_learning_path() -> None:
    """The gallery's sections come in the order the lessons take them."""
    html = (HTML / "auto_examples" / "index.html").read_text(encoding="utf-8")
    order = ["tensors/", "operations/", "broadcasting/", "gpu/", "autograd/"]
    positions = [html.index(f'href="{topic}index.html"') for topic in order]
    assert positions == sorted(positions)


def test_a_page_without_code_states_level_and_time_only() -> None:
    """A page that runs no code still says its level and reading time, and offers no notebook."""
    info, links = _page_info("next-steps")
    assert "Level: after the lessons · About" in info
    assert links == {}
    assert not (HTML / "notebooks" / "next-steps.ipynb").exists()
