"""docs/_ext/take_home.py: level, reading time, and the reader's notebook of each page."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
import take_home
from docutils.core import publish_doctree
from verify.pages import FINISH_CALL

INSTALL = "# installs firsttorch when missing\nimport sys\n"


class TestReading:
    def test_counts_prose_and_shown_code_not_outputs(self) -> None:
        """Words of prose and lines of code are counted; blank lines are not."""
        doctree = publish_doctree(
            "Title\n=====\n\nFour words of prose.\n\n::\n\n  x = 1\n\n  y = 2\n"
        )
        got = take_home.reading(doctree)
        assert got == take_home.Reading(words=5, code_lines=2)  # "Title" is a word too
        assert got.minutes == 1

    def test_minutes_round_up_from_both_parts(self) -> None:
        """400 words and 24 lines of code are 2 + 2 minutes at the stated rates."""
        assert take_home.Reading(400, 24).minutes == 4
        assert take_home.Reading(401, 0).minutes == 3
        assert take_home.Reading(0, 0).minutes == 1


def _executed() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}, "source_map": [1]}
    )  # type: ignore[no-untyped-call]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A page"),  # type: ignore[no-untyped-call]
        nbformat.v4.new_code_cell(  # type: ignore[no-untyped-call]
            "print(1)",
            execution_count=3,
            outputs=[nbformat.v4.new_output("stream", name="stdout", text="1\n")],  # type: ignore[no-untyped-call]
            metadata={"tags": ["hide-output"]},
        ),
        nbformat.v4.new_code_cell(f"{FINISH_CALL}'/tmp/state.json')"),  # type: ignore[no-untyped-call]
    ]
    return nb


class TestForReader:
    def test_outputs_go_install_cell_comes_first_hidden_cell_is_dropped(self) -> None:
        """The reader's notebook runs from a clean state and keeps the page's cells and tags."""
        out = take_home.for_reader(_executed(), INSTALL)
        assert [c.cell_type for c in out.cells] == ["code", "markdown", "code"]
        assert out.cells[0].source == INSTALL
        code = out.cells[2]
        assert code.source == "print(1)"
        assert code.outputs == []
        assert code.execution_count is None
        assert code.metadata["tags"] == ["hide-output"]
        assert not any(FINISH_CALL in c.source for c in out.cells)
        assert "source_map" not in out.metadata
        assert len({c.id for c in out.cells}) == 3
        nbformat.validate(out)  # type: ignore[no-untyped-call]

    def test_the_executed_notebook_is_left_alone(self) -> None:
        """Making the copy changes nothing in the notebook the verifier reads."""
        executed = _executed()
        take_home.for_reader(executed, INSTALL)
        assert executed.cells[1].outputs[0].text == "1\n"
        assert len(executed.cells) == 3


@pytest.mark.parametrize(
    ("docname", "path"),
    [
        ("gpu", "notebooks/gpu.ipynb"),
        ("auto_examples/gpu/plot_1_x", "notebooks/auto_examples/gpu/plot_1_x.ipynb"),
    ],
)
def test_notebook_paths_and_colab_urls(docname: str, path: str) -> None:
    """The site path and the Colab address name the same file on the notebooks branch."""
    assert take_home.notebook_path(docname) == path
    pattern = "https://colab.research.google.com/github/o/r/blob/notebooks/{path}"
    url = take_home.colab_url(pattern, docname)
    assert url == "https://colab.research.google.com/github/o/r/blob/" + path


def test_notebooks_are_written_only_when_what_ran_is_newer(tmp_path: Path) -> None:
    """A rebuild that ran nothing rewrites no notebook; a page that ran again is rewritten."""
    srcdir, outdir = tmp_path / "docs", tmp_path / "docs" / "_build" / "html"
    executed = tmp_path / "docs" / "_build" / "jupyter_execute"
    executed.mkdir(parents=True)
    outdir.mkdir(parents=True)
    nbformat.write(_executed(), executed / "page.ipynb")  # type: ignore[no-untyped-call]
    app = SimpleNamespace(
        outdir=str(outdir),
        srcdir=str(srcdir),
        config=SimpleNamespace(firsttorch_first_cell=INSTALL),
    )
    first = take_home.write_notebooks(app, ["page", "no-code"])  # type: ignore[arg-type]
    assert first == [outdir / "notebooks" / "page.ipynb"]
    assert take_home.write_notebooks(app, ["page"]) == []  # type: ignore[arg-type]
    later = first[0].stat().st_mtime + 5
    os.utime(executed / "page.ipynb", (later, later))
    assert take_home.write_notebooks(app, ["page"]) == first  # type: ignore[arg-type]
