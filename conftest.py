"""Run each docstring example once, in the module that defines it.

firsttorch's public objects name the package as their ``__module__`` (``firsttorch.X``), so
doctest would also collect their examples again under ``firsttorch/__init__.py``, where the
defining module's imports are missing.
"""

from __future__ import annotations

import pytest
from _pytest.doctest import DoctestItem


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Drop the package ``__init__``'s copies of re-exported docstring examples."""
    del config
    items[:] = [
        item
        for item in items
        if not (isinstance(item, DoctestItem) and item.path.name == "__init__.py")
    ]
