"""The floor's second half: every page's and example's code, run once in one process.

Run as ``python benchmarks/code_once.py <site>``; prints one ``CODE-ONCE {json}`` line with
the seconds each page and example took. Pages are read the way the build reads them
(myst-nb's MyST notebook reader), their code cells listed the way the verifier lists
them (``verify.pages.code_cells``) and run by IPython, as in a kernel, so the floor runs
exactly the code the build runs, without a kernel per page.
"""

from __future__ import annotations

import json
import runpy
import sys
import time
import traceback
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from IPython.core.interactiveshell import InteractiveShell
from myst_nb.core.read import read_myst_markdown_notebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
from verify.pages import code_cells


def run_page(shell: InteractiveShell, md: Path) -> float | None:
    """Run a MyST notebook page's code cells in a fresh namespace of one IPython shell (as a
    kernel would, magics included); None if it is no notebook page."""
    text = md.read_text(encoding="utf-8")
    if not text.startswith("---") or "file_format: mystnb" not in text.split("---")[1]:
        return None
    notebook = read_myst_markdown_notebook(text)
    shell.reset(new_session=False)
    start = time.perf_counter()
    for cell in code_cells(notebook):
        result = shell.run_cell(cell.source, silent=True)
        if not result.success and "raises-exception" not in cell.tags:
            print(f"{md.name} {cell.where} failed: {result.error_in_exec!r}", file=sys.stderr)  # noqa: T201
    plt.close("all")
    return time.perf_counter() - start


def run_example(script: Path) -> float:
    """Run a gallery script as ``__main__``; report (and survive) a failure."""
    start = time.perf_counter()
    try:
        runpy.run_path(str(script), run_name="__main__")
    except (Exception, SystemExit):  # noqa: BLE001 - timing must go on; the build verifies
        traceback.print_exc()
    plt.close("all")
    return time.perf_counter() - start


def main(site: Path) -> None:
    """Time every page and example of *site* and print the ``CODE-ONCE`` line."""
    times: dict[str, float] = {}
    shell = InteractiveShell.instance()
    for md in sorted((site / "docs").glob("*.md")):
        took = run_page(shell, md)
        if took is not None:
            times["page:" + md.stem] = took
    for script in sorted((site / "gallery").rglob("plot_*.py")):
        times["example:" + script.stem] = run_example(script)
    print("CODE-ONCE " + json.dumps(times))  # noqa: T201


if __name__ == "__main__":
    main(Path(sys.argv[1]))
