"""tests/offline/offline.sh really cuts the network, so a build that passes under it is offline.

Proof by a tiny Sphinx project whose intersphinx inventory is only reachable over the
network (an HTTP server on this machine): it builds normally, and fails under the block.
`nox -s offline` runs these tests, then the whole site build under the same block.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import site_checks

REPO = Path(__file__).resolve().parents[1]
OFFLINE = ("sh", str(REPO / "tests" / "offline" / "offline.sh"))
MUST_RUN = os.environ.get("FIRSTTORCH_REQUIRE_OFFLINE") == "1"

_probe = subprocess.run([*OFFLINE, "true"], capture_output=True, text=True, check=False)
if _probe.returncode != 0:
    if MUST_RUN:
        raise RuntimeError(_probe.stderr)
    pytest.skip(f"no network block here: {_probe.stderr.strip()}", allow_module_level=True)

INVENTORY = b"""# Sphinx inventory version 2
# Project: demo
# Version: 1
# The remainder of this file is compressed using zlib.
"""


@pytest.fixture
def inventory_url(tmp_path: Path) -> Iterator[str]:
    """An intersphinx inventory served over HTTP on 127.0.0.1 (outside the block)."""
    import zlib

    served = tmp_path / "served"
    served.mkdir()
    (served / "objects.inv").write_bytes(
        INVENTORY + zlib.compress(b"demo.thing py:function 1 index.html#$ -\n")
    )
    with site_checks.serve(served) as url:
        yield url


def _build(project: Path, *prefix: str) -> subprocess.CompletedProcess[str]:
    cmd = [*prefix, sys.executable, "-m", "sphinx", "-b", "html", "-W", "-q", "-E"]
    cmd += [str(project), str(project / "_build")]
    return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=300)


@pytest.fixture
def project(tmp_path: Path, inventory_url: str) -> Path:
    """A one-page Sphinx project whose only cross-reference needs the served inventory."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        "extensions = ['sphinx.ext.intersphinx']\n"
        f"intersphinx_mapping = {{'demo': ({inventory_url!r}, None)}}\n"
        "intersphinx_timeout = 5\nnitpicky = True\n",
        encoding="utf-8",
    )
    (src / "index.rst").write_text("Demo\n====\n\nSee :func:`demo.thing`.\n", encoding="utf-8")
    return src


@pytest.mark.site
def test_build_reaching_the_network_works_without_the_block(project: Path) -> None:
    """Control: the project builds when its inventory can be fetched."""
    result = _build(project)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.site
def test_build_reaching_the_network_fails_under_the_block(project: Path) -> None:
    """Under offline.sh the inventory cannot be fetched, and -W turns that into a failure."""
    result = _build(project, *OFFLINE)
    assert result.returncode != 0
    assert "intersphinx" in result.stderr
    assert "demo.thing" in result.stderr or "failed to reach" in result.stderr


def test_loopback_still_works_under_the_block() -> None:
    """The Jupyter kernels of the build talk over 127.0.0.1: loopback must stay up."""
    code = "import socket; socket.create_server(('127.0.0.1', 0)).close()"
    done = subprocess.run([*OFFLINE, sys.executable, "-c", code], check=False)
    assert done.returncode == 0
