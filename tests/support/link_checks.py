"""Internal links of a built HTML site: every href reaches a file and every #fragment an id."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from support import site_checks

# Schemes that leave the site (or the page): not ours to resolve.
_EXTERNAL = {"http", "https", "mailto", "tel", "data", "javascript", "ftp"}


def all_html(root: Path) -> list[Path]:
    """Every HTML file of a built site, including Sphinx's own folders (_modules), but not _static."""
    return sorted(
        p for p in root.rglob("*.html") if p.relative_to(root).parts[0] not in {"_static"}
    )


class _Ids:
    """The ids (and <a name>s) of each page, parsed once."""

    def __init__(self) -> None:
        self._cache: dict[Path, set[str]] = {}

    def of(self, page: Path) -> set[str]:
        if page not in self._cache:
            self._cache[page] = site_checks.parse(page.read_text(encoding="utf-8")).ids
        return self._cache[page]


def _is_external(href: str) -> bool:
    return href.startswith("//") or urlsplit(href).scheme.lower() in _EXTERNAL


def _target(root: Path, page: Path, path: str) -> Path | None:
    """The file that *path* (relative to *page*) names inside *root*, or None if none."""
    if not path:
        return page
    base = root if path.startswith("/") else page.parent
    target = (base / unquote(path).lstrip("/")).resolve()
    if not target.is_relative_to(root):
        return None
    if target.is_dir():
        target /= "index.html"
    return target if target.is_file() else None


def broken_links(root: Path, pages: list[Path] | None = None) -> list[str]:
    """Every internal link or load on *pages* (default: all) whose file or anchor is missing.

    Args:
        root: the folder of the built site (``docs/_build/html``).
        pages: the pages to check; links may point at any file of the site.

    Returns:
        One ``"page: href (reason)"`` line per broken link, sorted; empty when all resolve.
    """
    root = root.resolve()
    ids = _Ids()
    problems: set[str] = set()
    for page in [p.resolve() for p in (all_html(root) if pages is None else pages)]:
        parsed = site_checks.parse(page.read_text(encoding="utf-8"))
        name = page.relative_to(root).as_posix()
        for href in [*parsed.links, *parsed.loads]:
            if _is_external(href):
                continue
            parts = urlsplit(href)
            target = _target(root, page, parts.path)
            if target is None:
                problems.add(f"{name}: {href} (no such file)")
                continue
            fragment = unquote(parts.fragment)
            if fragment and target.suffix == ".html" and fragment not in ids.of(target):
                where = target.relative_to(root).as_posix() if target != page else "this page"
                problems.add(f"{name}: {href} (no id {fragment!r} in {where})")
    return sorted(problems)
