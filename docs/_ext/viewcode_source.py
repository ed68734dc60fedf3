"""Sphinx extension: let viewcode read firsttorch's sources without importing firsttorch.

sphinx.ext.viewcode looks up each documented module's file on every build, by importing
the module; importing firsttorch imports torch, which is most of the cost of a rebuild
that has nothing to run. This extension answers viewcode's ``viewcode-find-source`` event
for firsttorch's modules from the files themselves (found without importing the package),
so only the pages that really run code import torch.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.pycode import ModuleAnalyzer

PACKAGE = "firsttorch"


def module_file(modname: str) -> Path | None:
    """The source file of *modname*, a module of firsttorch, found without importing it."""
    top, _, rest = modname.partition(".")
    if top != PACKAGE:
        return None
    spec = importlib.util.find_spec(top)  # a top-level lookup imports nothing
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations)))
    path = folder.joinpath(*rest.split(".")).with_suffix(".py") if rest else folder / "__init__.py"
    return path if path.is_file() else None


def find_source(
    app: Sphinx,  # noqa: ARG001 - the viewcode-find-source event passes the app
    modname: str,
) -> tuple[str, dict[str, tuple[str, int, int]]] | None:
    """viewcode's (source, tags) for a firsttorch module; None lets viewcode look itself."""
    path = module_file(modname)
    if path is None:
        return None
    analyzer = ModuleAnalyzer.for_file(path, modname)
    return analyzer.code, analyzer.find_tags()


def follow_imported(
    app: Sphinx,  # noqa: ARG001 - the viewcode-follow-imported event passes the app
    modname: str,
    attribute: str,
) -> str | None:
    """The module that defines a name the package re-exports (its ``__module__`` is
    ``firsttorch``, the name users import); None lets viewcode decide for other modules."""
    if modname != PACKAGE:
        return None
    import firsttorch  # the API page imports it anyway, to document it

    home: str | None = firsttorch._HOMES.get(attribute.split(".", maxsplit=1)[0])
    return home


def setup(app: Sphinx) -> dict[str, Any]:
    """Answer viewcode's source lookups for firsttorch."""
    app.setup_extension("sphinx.ext.viewcode")
    app.connect("viewcode-find-source", find_source)
    app.connect("viewcode-follow-imported", follow_imported)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
