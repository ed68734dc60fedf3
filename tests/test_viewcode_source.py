"""docs/_ext/viewcode_source.py: firsttorch's sources are found without importing it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import viewcode_source
from support import fixture_sites

REPO = Path(__file__).resolve().parents[1]


class TestModuleFile:
    def test_package_and_submodule(self) -> None:
        """The package maps to __init__.py, a submodule to its own file."""
        init = viewcode_source.module_file("firsttorch")
        assert init is not None
        assert init.name == "__init__.py"
        broadcast = viewcode_source.module_file("firsttorch.broadcast")
        assert broadcast == init.parent / "broadcast.py"

    def test_other_packages_and_missing_modules_are_left_to_viewcode(self) -> None:
        """Anything that is not a firsttorch module with a file gets None."""
        assert viewcode_source.module_file("torch.nn") is None
        assert viewcode_source.module_file("firsttorch.no_such_module") is None

    def test_lookup_imports_neither_firsttorch_nor_torch(self) -> None:
        """The whole point: finding the sources and their tags imports no torch."""
        code = (
            "import sys, viewcode_source\n"
            "code, tags = viewcode_source.find_source(None, 'firsttorch.broadcast')\n"
            "assert 'def broadcast_shape' in code and 'broadcast_shape' in tags, tags\n"
            "assert 'torch' not in sys.modules and 'firsttorch' not in sys.modules\n"
        )
        env_path = str(REPO / "docs" / "_ext")
        result = subprocess.run(
            [sys.executable, "-c", f"import sys; sys.path.insert(0, {env_path!r})\n{code}"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr


def test_a_rebuild_rerenders_only_the_source_pages_of_changed_modules(tmp_path: Path) -> None:
    """A real build documents one function; a rebuild leaves its module's source page
    alone (and still lists it), and one after the module's file changed re-renders it."""
    site = tmp_path / "site"
    shutil.copytree(REPO / "tests" / "sites" / "drill", site)
    (site / "index.md").write_text(
        "# API\n\n```{eval-rst}\n.. autofunction:: firsttorch.broadcast_shape\n\n"
        ".. autoexception:: firsttorch.BroadcastError\n\n"
        ".. autoexception:: firsttorch.FirstTorchError\n```\n",
        encoding="utf-8",
    )
    (tmp_path / "gallery").mkdir()
    shutil.copy(REPO / "gallery" / "GALLERY_HEADER.rst", tmp_path / "gallery")
    package = tmp_path / "pkg" / "firsttorch"
    shutil.copytree(
        REPO / "src" / "firsttorch", package, ignore=shutil.ignore_patterns("__pycache__")
    )
    path = os.pathsep.join(filter(None, [str(package.parent), os.environ.get("PYTHONPATH")]))

    def build(*defines: str) -> None:
        watch = f"firsttorch_watch={package}"
        result = fixture_sites.build(site, watch, *defines, PYTHONPATH=path)
        assert result.returncode == 0, result.stdout + result.stderr

    build("firsttorch_accept=1")  # the page's >>> examples get their transcript
    home = viewcode_source.module_file("firsttorch.broadcast")
    assert home is not None
    page = site / "_build" / "html" / "_modules" / "firsttorch" / "broadcast.html"
    index = site / "_build" / "html" / "_modules" / "index.html"
    first = page.stat().st_mtime_ns
    assert "broadcast_shape" in page.read_text(encoding="utf-8")
    build()
    assert page.stat().st_mtime_ns == first  # current: not rendered again
    assert "firsttorch/broadcast.html" in index.read_text(encoding="utf-8")
    later = time.time() + 5
    os.utime(package / "broadcast.py", (later, later))
    build()
    assert page.stat().st_mtime_ns != first  # its module changed: rendered again
