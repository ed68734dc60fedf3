"""Checks over a built HTML site, shared by the site tests (each proven able to fail)."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

#: Where `nox -s docs` (or `nox -s offline`) builds the site.
HTML = Path(__file__).resolve().parents[2] / "docs" / "_build" / "html"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve *folder* over HTTP on a free port of 127.0.0.1; yield its base URL."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def site_built() -> bool:
    """Whether docs/_build/html holds a built site."""
    return (HTML / "index.html").exists()


def fail_if_required() -> None:
    """Where FIRSTTORCH_REQUIRE_SITE=1 (the nox sessions that build the site), a missing site
    is an error, so that its checks can never be skipped silently.

    Raises:
        RuntimeError: The site is required and missing.
    """
    if not site_built() and os.environ.get("FIRSTTORCH_REQUIRE_SITE") == "1":
        msg = f"{HTML} has no built site; build it first with `nox -s docs`."
        raise RuntimeError(msg)


# Elements whose URL the browser fetches while loading the page (links are not loads).
_LOADING = {
    ("script", "src"),
    ("link", "href"),
    ("img", "src"),
    ("iframe", "src"),
    ("source", "src"),
    ("video", "src"),
    ("audio", "src"),
    ("embed", "src"),
    ("object", "data"),
}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if "id" in values:
            self.ids.add(values["id"])
        if tag == "a" and "name" in values:
            self.ids.add(values["name"])
        if tag == "link" and values.get("rel", "") not in {
            "stylesheet",
            "preload",
            "icon",
            "modulepreload",
        }:
            return
        for element, attr in _LOADING:
            if tag == element and attr in values:
                self.loads.append(values[attr])
        if tag == "a" and "href" in values:
            self.links.append(values["href"])


def parse(html: str) -> _Collector:
    """Collect what a page loads, links to and defines as anchors."""
    collector = _Collector()
    collector.feed(html)
    return collector


def external_loads(html: str) -> list[str]:
    """URLs on other hosts that the page would load (scripts, styles, images, frames)."""
    return [
        u
        for u in parse(html).loads
        if urlsplit(u).scheme in {"http", "https"} or u.startswith("//")
    ]


def html_pages(root: Path) -> list[Path]:
    """Every HTML page of a built site, skipping Sphinx's private folders."""
    return sorted(
        p
        for p in root.rglob("*.html")
        if not any(part.startswith("_") for part in p.relative_to(root).parts[:-1])
    )
