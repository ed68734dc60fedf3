"""What the browser checks share: the built site, its pages, and the record of a visit."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[2]
HTML = REPO / "docs" / "_build" / "html"
SCREENSHOTS = REPO / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Page weight counts everything a page transfers except images and media.
NOT_WEIGHED = {"image", "media"}

from support import site_checks


def pages() -> list[str]:
    """Every page of the built site (Sphinx's private folders skipped), relative to its root."""
    return [p.relative_to(HTML).as_posix() for p in site_checks.html_pages(HTML)]


@dataclass
class Visit:
    """What loading one page did."""

    url: str
    requests: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    weight: dict[str, int] = field(default_factory=dict)  # resource type -> bytes
    violations: list[dict[str, object]] = field(default_factory=list)

    @property
    def total_weight(self) -> int:
        return sum(self.weight.values())


def chromium_path() -> str:
    """Debian's chromium (or FIRSTTORCH_CHROMIUM): Playwright's own download needs the network."""
    path = os.environ.get("FIRSTTORCH_CHROMIUM") or shutil.which("chromium")
    if not path:
        msg = "no chromium found: install it (apt-get install chromium) or set FIRSTTORCH_CHROMIUM."
        raise RuntimeError(msg)
    return path


def off_site(requests: list[str], base_url: str) -> list[str]:
    """Requests to any host but the local server (data: and blob: URLs stay in the page)."""
    here = urlsplit(base_url).netloc
    return [
        u
        for u in requests
        if urlsplit(u).scheme not in {"data", "blob"} and urlsplit(u).netloc != here
    ]
