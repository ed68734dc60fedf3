"""The internal-link checker finds what it should, and can fail."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import link_checks

GOOD = {
    "index.html": (
        '<a href="a.html">a</a> <a href="a.html#sec">sec</a> <a href="#top">top</a>'
        ' <a id="top"></a> <a href="sub/">sub</a> <a href="a.html?x=1#sec">query</a>'
        ' <a href="https://example.org/missing.html">external</a>'
        ' <a href="mailto:someone@example.org">mail</a> <a href="#">back to top</a>'
        ' <link rel="stylesheet" href="_static/site.css">'
        ' <a href="_downloads/f%20x.py">download</a>'
    ),
    "a.html": '<h1 id="sec">Section</h1> <a name="old-anchor"></a> <a href="index.html">up</a>',
    "sub/index.html": '<a href="../a.html#old-anchor">back</a>',
    "_static/site.css": "body {}",
    "_downloads/f x.py": "print(1)",
}


def _site(root: Path, extra: dict[str, str] | None = None) -> Path:
    for name, text in {**GOOD, **(extra or {})}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


class TestBrokenLinks:
    def test_sound_site_passes(self, tmp_path: Path) -> None:
        """Files, directories, anchors, <a name>s, quoted paths and external links all pass."""
        assert link_checks.broken_links(_site(tmp_path)) == []

    def test_planted_broken_link_fails(self, tmp_path: Path) -> None:
        """A link to a file that does not exist is reported with its page."""
        site = _site(tmp_path, {"b.html": '<a href="gone.html">gone</a>'})
        assert link_checks.broken_links(site) == ["b.html: gone.html (no such file)"]

    def test_planted_broken_anchor_fails(self, tmp_path: Path) -> None:
        """A #fragment that no element of the target page carries is reported."""
        site = _site(tmp_path, {"b.html": '<a href="a.html#nope">x</a> <a href="#nah">y</a>'})
        assert link_checks.broken_links(site) == [
            "b.html: #nah (no id 'nah' in this page)",
            "b.html: a.html#nope (no id 'nope' in a.html)",
        ]

    def test_missing_stylesheet_fails(self, tmp_path: Path) -> None:
        """A local stylesheet or script that the page loads must exist too."""
        site = _site(tmp_path, {"b.html": '<script src="_static/gone.js"></script>'})
        assert link_checks.broken_links(site) == ["b.html: _static/gone.js (no such file)"]

    def test_link_out_of_the_site_fails(self, tmp_path: Path) -> None:
        """A relative link that climbs out of the site's folder is broken once published."""
        (tmp_path / "outside.html").write_text("x", encoding="utf-8")
        site = _site(tmp_path / "site", {"b.html": '<a href="../outside.html">x</a>'})
        assert link_checks.broken_links(site) == ["b.html: ../outside.html (no such file)"]

    @pytest.mark.parametrize("page", ["index.html", "sub/index.html"])
    def test_only_the_given_pages_are_checked(self, tmp_path: Path, page: str) -> None:
        """With *pages*, links from other pages are not checked (targets still are)."""
        site = _site(tmp_path, {"b.html": '<a href="gone.html">gone</a>'})
        assert link_checks.broken_links(site, [site / page]) == []


class TestAllHtml:
    def test_lists_pages_but_not_static(self, tmp_path: Path) -> None:
        """Every .html file is listed, _static excepted."""
        site = _site(tmp_path, {"_static/x.html": "", "_modules/m.html": ""})
        names = [p.relative_to(site).as_posix() for p in link_checks.all_html(site)]
        assert names == ["_modules/m.html", "a.html", "index.html", "sub/index.html"]
