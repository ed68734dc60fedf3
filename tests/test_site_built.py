"""Checks of the built site in docs/_build/html (run by `nox -s docs` after the build)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import site_checks

import firsttorch

REPO = Path(__file__).resolve().parents[1]
HTML = REPO / "docs" / "_build" / "html"

site_checks.require_site()

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
    html = (HTML / "api.html").read_text(encoding="utf-8")
    ids = site_checks.parse(html).ids
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
