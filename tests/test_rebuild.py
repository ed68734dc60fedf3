"""Incremental rebuilds re-run what changed and never reuse an output made with other code.

A small fixture site (the drill site's real configuration and extensions) with one page
and one gallery example that print a firsttorch message is built against a temporary copy
of the package (first on PYTHONPATH, named by FIRSTTORCH_PACKAGE_DIR). A no-op rebuild
re-runs nothing; changing the message in the package, and nothing else, re-runs both and
the verifier shows the new message as a diff.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from support import fixture_sites

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = "plot_1_explain_a_conflict.py"
EXAMPLE_DOC = "auto_examples/plot_1_explain_a_conflict"
OLD_RULE = "each pair of sizes must be equal or one of them must be 1."
NEW_RULE = "each pair of sizes must match, or one of them must be 1."

PAGE = """\
---
file_format: mystnb
kernelspec:
  name: python3
  display_name: Python 3
---

# Explain a conflict

```{code-cell} ipython3
import firsttorch

try:
    firsttorch.broadcast_shape((3, 4), (4, 3))
except firsttorch.BroadcastError as err:
    print(f"error: {err}")
```
"""

SCRIPT = '''\
"""
==================
Explain a conflict
==================

The message firsttorch gives for shapes that cannot broadcast.
"""

# %%
# Ask for the broadcast shape
# ---------------------------
import firsttorch

try:
    firsttorch.broadcast_shape((3, 4), (4, 3))
except firsttorch.BroadcastError as err:
    print(f"error: {err}")
'''

pytestmark = pytest.mark.site


def _site(tmp_path: Path) -> tuple[Path, Path]:
    """The fixture site (page and example using firsttorch) and a copy of the package."""
    site = tmp_path / "site"
    shutil.copytree(REPO / "tests" / "sites" / "drill", site)
    (site / "page.md").write_text(PAGE, encoding="utf-8")
    gallery = tmp_path / "gallery"
    gallery.mkdir()
    shutil.copy(REPO / "gallery" / "GALLERY_HEADER.rst", gallery)
    (gallery / EXAMPLE).write_text(SCRIPT, encoding="utf-8")
    package = tmp_path / "pkg" / "firsttorch"
    shutil.copytree(
        REPO / "src" / "firsttorch", package, ignore=shutil.ignore_patterns("__pycache__")
    )
    return site, package


def _build(site: Path, package: Path, *defines: str) -> tuple[int, str, dict[str, bool]]:
    """Build *site* like nox does (-n -W --keep-going) with *package* as firsttorch.

    Returns the exit status, the log and, per document, whether it ran in this build.
    """
    path = os.pathsep.join(filter(None, [str(package.parent), os.environ.get("PYTHONPATH")]))
    result = fixture_sites.build(site, f"firsttorch_watch={package}", *defines, PYTHONPATH=path)
    manifest = json.loads((site / "_build" / "html" / "_firsttorch" / "manifest.json").read_text())
    ran = {d: r["ran_in_this_build"] for d, r in manifest["documents"].items()}
    return result.returncode, result.stdout + result.stderr, ran


def test_package_change_reruns_page_and_example_and_noop_reruns_nothing(tmp_path: Path) -> None:
    """Only a change to firsttorch's code re-runs the page and example, and shows the diff."""
    site, package = _site(tmp_path)
    status, log, ran = _build(site, package, "firsttorch_accept=1")
    assert status == 0, log
    assert ran == {"page": True, EXAMPLE_DOC: True}
    page_txt = site / "_expected" / "page.txt"
    assert OLD_RULE in page_txt.read_text(encoding="utf-8")

    status, log, ran = _build(site, package)
    assert status == 0, log
    assert ran == {"page": False, EXAMPLE_DOC: False}, log
    assert "run this build (0 of 2 documents)" in log

    text = (package / "_broadcast_text.py").read_text(encoding="utf-8")
    assert OLD_RULE in text, "fixture changed: the rule text moved"
    (package / "_broadcast_text.py").write_text(text.replace(OLD_RULE, NEW_RULE), encoding="utf-8")
    status, log, ran = _build(site, package)
    assert status != 0, log
    assert ran == {"page": True, EXAMPLE_DOC: True}, log
    assert "re-running every page and example (it changed)" in log
    for source in ("page.md", EXAMPLE):
        assert f"{source}: output differs from the reviewed transcript" in log
    # Each of the two diffs shows the committed message going and the new one coming.
    assert log.count(f"\n-Rule: aligned from the right, {OLD_RULE}") == 2, log
    assert log.count(f"\n+Rule: aligned from the right, {NEW_RULE}") == 2, log
