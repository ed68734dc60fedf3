"""docs/_ext/cell_paths.py: outputs name the cell and line, not the kernel's temporary file."""

from __future__ import annotations

from pathlib import Path

import cell_paths
from ipykernel.compiler import get_file_name

OWN = "x = 1\nwarn_here()\n"
EARLIER = "# a helper\ndef f(x):\n    return g(x)\n"


def _name(code: str, pid: int = 4711) -> str:
    """The file name a kernel with this pid gives the cell (ipykernel's own function)."""
    return str(Path(f"/tmp/ipykernel_{pid}") / Path(get_file_name(code)).name)  # type: ignore[no-untyped-call]


def test_hash_is_the_one_ipykernel_names_files_after() -> None:
    """cell_hash agrees with ipykernel.compiler.get_file_name for the same code."""
    assert Path(get_file_name(OWN)).stem == cell_paths.cell_hash(OWN)  # type: ignore[no-untyped-call]


def test_own_earlier_and_unknown_cells() -> None:
    """Each kind of reference becomes a sentence a reader can follow."""
    cells = {cell_paths.cell_hash(c): c for c in (OWN, EARLIER)}
    text = (
        f"{_name(OWN)}:2: UserWarning: careful\n"
        f'  File "{_name(EARLIER, 99)}", line 3, in f\n'
        f"  at {_name('never ran')}:4\n"
    )
    out = cell_paths.rewrite(text, cell_paths.cell_hash(OWN), cells)
    assert out == (
        "line 2 of this cell: UserWarning: careful\n"
        "  line 3 of the cell that starts `def f(x):`, in f\n"
        "  at line 4 of a cell\n"
    )
    assert "ipykernel" not in out


def test_text_without_kernel_files_is_unchanged() -> None:
    """Paths that are not a kernel's cell files stay as they are."""
    text = 'File "/usr/lib/python3.11/site-packages/torch/nn/functional.py", line 3\n'
    assert cell_paths.rewrite(text, None, {}) == text


def test_long_first_lines_are_shortened() -> None:
    """A long first line is cut to 40 characters with an ellipsis; comments are skipped."""
    code = "# setup\nresult = some_function_with_a_long_name(argument_one, argument_two)\n"
    line = cell_paths.first_line(code)
    assert line == "result = some_function_with_a_long_na..."
    assert len(line) == 40
    assert cell_paths.first_line("# only a comment\n") == ""
