"""Sphinx extension: re-run everything when what the outputs depend on has changed.

sphinx-gallery re-runs only the examples whose own source changed, and Sphinx re-reads
(so myst-nb re-executes) only the pages whose source or noted dependencies changed. The
outputs also depend on the firsttorch sources, the torch version and the lane. This
extension hashes those into a fingerprint, stored after each build both in the gallery
output directory and in Sphinx's doctree directory; when the next build's fingerprint
differs, or either copy is missing (a clean build, or one of the two caches deleted on its
own), every example is re-run (``run_stale_examples``) and every page is re-read, so no
output made with other code, and no example output without its page, can be reused.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import lanes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging
from verify_outputs import GALLERY_OUT, PACKAGE_SOURCES

logger = logging.getLogger(__name__)

FINGERPRINT_FILE = ".firsttorch-fingerprint"


def fingerprint(sources: list[Path], torch_version: str, lane: str) -> str:
    """Hash of the package *sources* (names and bytes), the torch version and the lane."""
    digest = hashlib.sha256()
    for path in sorted(sources, key=lambda p: p.name):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(f"torch={torch_version}\0lane={lane}".encode())
    return digest.hexdigest()


def _stored_paths(app: Sphinx) -> tuple[Path, Path]:
    """Where the fingerprint is kept: with the gallery output and with Sphinx's environment."""
    gallery, doctrees = Path(app.srcdir) / GALLERY_OUT, Path(app.doctreedir)
    return gallery / FINGERPRINT_FILE, doctrees / FINGERPRINT_FILE


def _builder_inited(app: Sphinx) -> None:
    current = fingerprint(PACKAGE_SOURCES, lanes.torch_version(), lanes.current_lane())
    stored = {
        p.read_text(encoding="utf-8").strip() if p.exists() else None for p in _stored_paths(app)
    }
    app.firsttorch_fingerprint = current  # type: ignore[attr-defined]
    app.firsttorch_stale = stored != {current}  # type: ignore[attr-defined]
    if app.firsttorch_stale:  # type: ignore[attr-defined]
        # Runs before sphinx-gallery's generate_gallery_rst (priority 500), after it has
        # filled its defaults (priority 10). Not set in conf.py: the html builder hashes
        # the config, and a changing value there would rewrite every page.
        app.config.sphinx_gallery_conf["run_stale_examples"] = True
        why = "no complete fingerprint from an earlier build" if None in stored else "it changed"
        logger.info("firsttorch: re-running every page and example (%s)", why)


def _env_get_outdated(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    if not getattr(app, "firsttorch_stale", False):
        return []
    return sorted(env.found_docs - added - changed - removed)


def _build_finished(app: Sphinx, exception: BaseException | None) -> None:
    if exception is None and hasattr(app, "firsttorch_fingerprint"):
        for path in _stored_paths(app):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(app.firsttorch_fingerprint + "\n", encoding="utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the fingerprint check with Sphinx."""
    app.connect("builder-inited", _builder_inited, priority=100)
    app.connect("env-get-outdated", _env_get_outdated)
    app.connect("build-finished", _build_finished)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
