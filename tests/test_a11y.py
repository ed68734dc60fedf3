"""docs/_ext/a11y.py: the accessibility fixes reach the HTML, on a real Sphinx build."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.site

CONF = f"""
import sys
sys.path.insert(0, {str(REPO / "docs" / "_ext")!r})
extensions = ["a11y"]
"""
INDEX = """\
Demo
====

.. toctree::
   :caption: Learning path

   other
"""


def _build(tmp_path: Path, conf: str) -> str:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(conf, encoding="utf-8")
    (src / "index.rst").write_text(INDEX, encoding="utf-8")
    (src / "other.rst").write_text("Other\n=====\n", encoding="utf-8")
    out = tmp_path / "html"
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", str(src), str(out)]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return (out / "index.html").read_text(encoding="utf-8")


def test_captions_are_named_and_scrollers_focusable(tmp_path: Path) -> None:
    """Toctree captions carry aria-level, and every page loads the tab-stop script."""
    html = _build(tmp_path, CONF)
    assert '<p class="caption" role="heading" aria-level="2">' in html
    assert "tab-stops.js" in html


def test_without_the_extension_they_are_not(tmp_path: Path) -> None:
    """Control: plain Sphinx leaves the level out, so the first test can fail."""
    html = _build(tmp_path, CONF.replace('"a11y"', ""))
    assert 'role="heading" aria-level' not in html
