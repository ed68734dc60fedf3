"""Sphinx extension: myst-nb merges a cell's printed output without editing the notebook.

With ``nb_merge_streams = True`` myst-nb 1.4 merges a cell's stdout pieces into one block
for display by appending the later pieces' text to the *first piece's own node*, and keeps
the later pieces in the notebook. The executed notebook it then writes to
``jupyter_execute/`` (the one the verifier reads) holds the merged text *and* the pieces
merged into it, so whenever the kernel happened to send a cell's prints in several
messages, their later lines appear twice. Which cells that hits depends on timing, so the
verifier saw it as output changing from build to build.

This extension makes myst-nb merge a copy: the display is the same, and the notebook keeps
exactly what the kernel sent.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from myst_nb.core import render
from sphinx.application import Sphinx

_Merge = Callable[[list[Any]], list[Any]]


def merging_a_copy(merge: _Merge) -> _Merge:
    """Wrap myst-nb's stream merge so that it works on a deep copy of the outputs."""
    if getattr(merge, "__wrapped__", None) is not None:
        return merge  # already wrapped (Sphinx may load the extension twice in one process)

    def merge_copy(outputs: list[Any]) -> list[Any]:
        return merge(copy.deepcopy(outputs))

    merge_copy.__wrapped__ = merge  # type: ignore[attr-defined]
    return merge_copy


def setup(app: Sphinx) -> dict[str, Any]:  # noqa: ARG001 - Sphinx passes the app
    """Install the copying merge into myst-nb's renderer."""
    render.coalesce_streams = merging_a_copy(render.coalesce_streams)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
