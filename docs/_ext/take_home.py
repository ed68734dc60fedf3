"""Sphinx extension: what a reader needs before reading a page, and what they take home.

Under the title of every page that runs code or has a level in ``firsttorch_levels``: the
level and a reading time and, for a page that runs code, a link that downloads it as a
Jupyter notebook and an "Open in Colab" link. Gallery examples get the Colab link too (sphinx-gallery already offers
their downloads).

The notebooks are written at the end of the build into ``notebooks/`` of the site, one per
page and per gallery example, from what ran in this build: outputs and execution counts
removed (a reader runs it and predicts first), the verifier's hidden last cell dropped, and
a first cell that installs firsttorch when it is missing (``firsttorch_first_cell``). Colab
opens notebooks from GitHub only, so the hosted workflow pushes ``notebooks/`` to the branch
that ``firsttorch_colab`` points at.
"""

from __future__ import annotations

import math
import posixpath
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from verify.pages import FINISH_CALL

NOTEBOOKS = "notebooks"
GALLERY_OUT = "auto_examples"
WORDS_PER_MINUTE = 200  # prose, for a reader who is learning as they go
CODE_LINES_PER_MINUTE = 12  # code is read more slowly than prose, and its output checked
_WORD = re.compile(r"[\w'\u2019-]+")


@dataclass(frozen=True)
class Reading:
    """What a page asks of its reader: words of prose and lines of code shown."""

    words: int
    code_lines: int

    @property
    def minutes(self) -> int:
        """Reading time, rounded up, at least one minute."""
        return max(
            1, math.ceil(self.words / WORDS_PER_MINUTE + self.code_lines / CODE_LINES_PER_MINUTE)
        )


def _in_output(node: nodes.Node) -> bool:
    parent = node.parent
    while parent is not None:
        if "cell_output" in parent.get("classes", []):
            return True
        parent = parent.parent
    return False


def reading(doctree: nodes.document) -> Reading:
    """Count the prose words and the lines of shown code (not outputs) of a page."""
    words = 0
    code_lines = 0
    for block in doctree.findall(nodes.literal_block):
        if not _in_output(block):
            code_lines += len([ln for ln in block.astext().splitlines() if ln.strip()])
    for text in doctree.findall(nodes.Text):
        if not isinstance(text.parent, nodes.literal_block) and not _in_output(text):
            words += len(_WORD.findall(text.astext()))
    return Reading(words, code_lines)


def notebook_path(docname: str) -> str:
    """Where a page's notebook lives in the site (and on the Colab branch): ``notebooks/...``."""
    return f"{NOTEBOOKS}/{docname}.ipynb"


def colab_url(pattern: str, docname: str) -> str:
    """The Colab address of a page's notebook, from ``firsttorch_colab``'s ``{path}``."""
    return pattern.format(path=f"{docname}.ipynb")


def for_reader(notebook: Any, first_cell: str) -> Any:
    """A copy of an executed notebook as a reader should get it.

    Outputs and execution counts are removed, the verifier's hidden cell is dropped, and
    ``first_cell`` (installing firsttorch when missing) goes first.
    """
    out = nbformat.v4.new_notebook(metadata=dict(notebook.metadata))  # type: ignore[no-untyped-call]
    out.metadata.pop("source_map", None)
    out.cells.append(nbformat.v4.new_code_cell(first_cell))  # type: ignore[no-untyped-call]
    for cell in notebook.cells:
        if cell.cell_type == "code" and FINISH_CALL in cell.source:
            continue
        copy = nbformat.from_dict(dict(cell))  # type: ignore[no-untyped-call]
        copy.pop("id", None)
        if copy.cell_type == "code":
            copy.outputs = []
            copy.execution_count = None
        out.cells.append(copy)
    for i, cell in enumerate(out.cells):  # fresh ids: nbformat 4.5 wants one per cell
        cell.id = f"cell-{i}"
    nbformat.validate(out)
    return out


def _is_example(docname: str) -> bool:
    return docname.startswith(f"{GALLERY_OUT}/") and posixpath.basename(docname).startswith("plot_")


def _executed(app: Sphinx, docname: str) -> Path:
    return Path(app.outdir).parent / "jupyter_execute" / f"{docname}.ipynb"


def _link(text: str, uri: str, cls: str) -> nodes.reference:
    return nodes.reference("", text, refuri=uri, classes=[cls])


def _doctree_read(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.docname
    example = _is_example(docname)
    notebook = example or _executed(app, docname).exists()
    level = app.config.firsttorch_levels.get(docname)
    if not notebook and level is None:
        return  # runs no code and has no level (the home page, the API reference)
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None or not section.children or not isinstance(section[0], nodes.title):
        return
    parts: list[nodes.Node] = []
    if level:
        parts.append(nodes.Text(f"Level: {level}"))
    if not example:
        parts.append(nodes.Text(f"About {reading(doctree).minutes} min"))
    if notebook and not example:
        here = posixpath.dirname(docname) or "."
        link = posixpath.relpath(notebook_path(docname), here)
        parts.append(_link("Download as a notebook (.ipynb)", link, "firsttorch-download"))
    if notebook:
        colab = colab_url(app.config.firsttorch_colab, docname)
        parts.append(_link("Open in Colab", colab, "firsttorch-colab"))
    para = nodes.paragraph(classes=["firsttorch-page-info"])
    for i, part in enumerate(parts):
        if i:
            para += nodes.Text(" · ")
        para += part
    section.insert(1, para)


def write_notebooks(app: Sphinx, docnames: list[str]) -> list[Path]:
    """Write the reader's notebook of each page and example in *docnames* whose notebook is
    missing or older than what ran (a rebuild that ran nothing writes nothing)."""
    written: list[Path] = []
    out = Path(app.outdir)
    for docname in docnames:
        if _is_example(docname):
            source = Path(app.srcdir) / f"{docname}.ipynb"  # sphinx-gallery's notebook
        else:
            source = _executed(app, docname)
        if not source.exists():
            if _is_example(docname):
                msg = f"take_home: sphinx-gallery wrote no notebook for {docname} ({source})."
                raise ExtensionError(msg)
            continue  # a page that runs no code
        target = out / notebook_path(docname)
        if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if _is_example(docname):  # already a reader's notebook: serve the same bytes
            shutil.copyfile(source, target)
        else:
            notebook = nbformat.read(source, as_version=4)  # type: ignore[no-untyped-call]
            reader = for_reader(notebook, app.config.firsttorch_first_cell)
            nbformat.write(reader, target)  # type: ignore[no-untyped-call]
        written.append(target)
    return written


def _build_finished(app: Sphinx, exception: BaseException | None) -> None:
    if exception is None and app.builder.format == "html":
        write_notebooks(app, sorted(app.env.found_docs))


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the config values and the hooks."""
    app.add_config_value("firsttorch_levels", {}, "env", types=[dict])
    app.add_config_value("firsttorch_colab", "", "env", types=[str])
    app.add_config_value("firsttorch_first_cell", "", "env", types=[str])
    app.connect("doctree-read", _doctree_read)
    app.connect("build-finished", _build_finished)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
