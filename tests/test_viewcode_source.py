"""docs/_ext/viewcode_source.py: firsttorch's sources are found without importing it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import viewcode_source

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
