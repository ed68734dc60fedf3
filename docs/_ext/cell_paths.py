"""Sphinx extension: outputs name the cell and line, not the kernel's temporary file.

A Jupyter kernel runs each cell from a temporary file named after a hash of the cell's
code, so a warning or an error raised in a page's code says
``/tmp/ipykernel_4711/1511805767.py:2``: true, and meaningless to a reader. This extension
rewrites those names in what the page shows: ``line 2 of this cell`` when the file is the
output's own cell, ``line 2 of the cell that starts `def f(x):``` when it is an earlier
one. The notebook (and so the verifier's transcript) keeps what the kernel printed.

The file name is ``<tmp>/ipykernel_<pid>/<murmur2 hash of the code>.py``
(``ipykernel.compiler.get_file_name``), so the hash of each cell's code tells which cell a
name refers to.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import nbformat
from docutils import nodes
from ipykernel.compiler import get_tmp_hash_seed, murmur2_x86
from sphinx.application import Sphinx

# `File "<tmp>/ipykernel_1/2.py", line 3` (tracebacks) or `<tmp>/ipykernel_1/2.py:3`
_KERNEL_FILE = re.compile(
    r'(?:File ")?(?:[A-Za-z]:)?[\\/][^\s"]*?ipykernel_\d+[\\/](\d+)\.py(?:")?(?:, line |:)(\d+)'
)


def cell_hash(code: str) -> str:
    """The number ipykernel names a cell's temporary file after."""
    return str(murmur2_x86(code, get_tmp_hash_seed()))  # type: ignore[no-untyped-call]


def first_line(code: str) -> str:
    """The first line of real code of a cell, shortened to fit in a sentence."""
    line = next(
        (ln.strip() for ln in code.splitlines() if ln.strip() and not ln.strip().startswith("#")),
        "",
    )
    return line if len(line) <= 40 else line[:37] + "..."


def rewrite(text: str, own: str | None, cells: dict[str, str]) -> str:
    """*text* with kernel file names replaced by the cell and line they point at.

    ``own`` is the hash of the cell whose output this is; ``cells`` maps each cell's hash
    to its code. A name that matches no cell of the page becomes "line N of a cell".
    """

    def name(match: re.Match[str]) -> str:
        digest, line = match.group(1), match.group(2)
        if digest == own:
            return f"line {line} of this cell"
        if digest in cells:
            return f"line {line} of the cell that starts `{first_line(cells[digest])}`"
        return f"line {line} of a cell"

    return _KERNEL_FILE.sub(name, text)


def _replace_text(block: nodes.literal_block, text: str) -> None:
    del block[:]
    block.append(nodes.Text(text))
    block.rawsource = text


def _doctree_read(app: Sphinx, doctree: nodes.document) -> None:
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{app.env.docname}.ipynb"
    if not executed.exists():
        return
    notebook = nbformat.read(executed, as_version=4)  # type: ignore[no-untyped-call]
    sources = [cell.source if cell.cell_type == "code" else None for cell in notebook.cells]
    cells = {cell_hash(code): code for code in sources if code is not None}
    for container in doctree.findall(nodes.container):
        index = container.get("cell_index")
        if container.get("nb_element") != "cell_code" or index is None:
            continue
        code = sources[index] if index < len(sources) else None
        own = cell_hash(code) if code is not None else None
        for block in container.findall(nodes.literal_block):
            text = block.astext()
            new = rewrite(text, own, cells)
            if new != text:
                _replace_text(block, new)


def setup(app: Sphinx) -> dict[str, Any]:
    """Rewrite kernel file names in each executed page's outputs as it is read."""
    app.connect("doctree-read", _doctree_read)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
