"""The package's public surface: explicit, sorted, complete and free of side effects."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import firsttorch
from firsttorch import errors


class TestAll:
    def test_sorted(self) -> None:
        """__all__ is sorted, so additions are easy to review."""
        assert list(firsttorch.__all__) == sorted(firsttorch.__all__)

    @pytest.mark.parametrize("name", firsttorch.__all__)
    def test_each_export_exists(self, name: str) -> None:
        """Every name in __all__ is importable from firsttorch."""
        assert getattr(firsttorch, name) is not None

    def test_every_exception_is_exported(self) -> None:
        """Every exception and warning in firsttorch.errors is exported from the package."""
        assert set(errors.__all__) <= set(firsttorch.__all__)

    def test_version(self) -> None:
        """__version__ is the installed distribution's version."""
        from importlib.metadata import version

        assert firsttorch.__version__ == version("firsttorch")


class TestImport:
    def test_import_has_no_side_effects(self) -> None:
        """Importing firsttorch sets no environment variable and installs no torch function mode."""
        code = (
            "import os, torch; before = dict(os.environ); import firsttorch; "
            "from torch.overrides import _get_current_function_mode_stack as s; "
            "assert dict(os.environ) == before; assert not s(); print('ok')"
        )
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("FIRSTTORCH_")},
        )
        assert out.stdout.strip() == "ok"


def test_public_objects_name_the_package_as_their_module() -> None:
    """Reprs, tracebacks and pickles say firsttorch.X, the name users import."""
    import pickle

    for name in firsttorch.__all__:
        obj = getattr(firsttorch, name)
        if callable(obj):
            assert obj.__module__ == "firsttorch", name
            assert firsttorch._HOMES[name].startswith("firsttorch.")
    error = pickle.loads(pickle.dumps(firsttorch.BroadcastError("x")))
    assert type(error) is firsttorch.BroadcastError
    assert repr(firsttorch.GradGraph).startswith("<class 'firsttorch.GradGraph'")
