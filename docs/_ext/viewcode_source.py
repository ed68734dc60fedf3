"""Sphinx extension: let viewcode read firsttorch's sources without importing firsttorch.

sphinx.ext.viewcode looks up each documented module's file on every build, by importing
the module; importing firsttorch imports torch, which is most of the cost of a rebuild
that has nothing to run. This extension answers viewcode's ``viewcode-find-source`` event
for firsttorch's modules from the files themselves (found without importing the package),
so only the pages that really run code import torch.

viewcode re-renders the page of a module whose source it was given this way on every
build (it cannot tell the module's file); for a module found by import it skips the page
when the page is newer than the file. :func:`collect_pages` applies that same rule to
firsttorch's modules, so a rebuild re-renders only the pages of changed modules.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.ext import viewcode
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


def page_is_current(app: Sphinx, modname: str) -> bool:
    """viewcode's rule for a module it found itself: its page is newer than its file."""
    path = module_file(modname)
    page = Path(app.outdir) / "_modules" / f"{modname.replace('.', '/')}.html"
    return path is not None and page.exists() and path.stat().st_mtime <= page.stat().st_mtime


def collect_pages(app: Sphinx) -> Iterator[tuple[str, dict[str, Any], str]]:
    """viewcode's pages, without re-rendering those of firsttorch modules that are current.

    viewcode skips a module whose entry is empty and still lists it in its index; the
    entries of current modules are emptied while it runs, and given back after.
    """
    modules: dict[str, Any] = getattr(app.env, "_viewcode_modules", {})
    current = {m: e for m, e in modules.items() if e and page_is_current(app, m)}
    modules.update(dict.fromkeys(current, False))
    try:
        yield from viewcode.collect_pages(app)
    finally:
        modules.update(current)


def setup(app: Sphinx) -> dict[str, Any]:
    """Answer viewcode's source lookups for firsttorch; skip its current pages."""
    app.setup_extension("sphinx.ext.viewcode")
    app.connect("viewcode-find-source", find_source)
    app.connect("viewcode-follow-imported", follow_imported)
    listeners = app.events.listeners["html-collect-pages"]
    for listener in [x for x in listeners if x.handler is viewcode.collect_pages]:
        app.disconnect(listener.id)
    app.connect("html-collect-pages", collect_pages)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
