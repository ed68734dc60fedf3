"""docs/_ext/merged_streams.py: myst-nb's stream merge no longer edits the notebook."""

from __future__ import annotations

import merged_streams
import nbformat
from myst_nb.core import utils


def _outputs() -> list[nbformat.NotebookNode]:
    """A cell whose two prints reached the notebook as two stream messages."""
    return [
        nbformat.v4.new_output("stream", name="stdout", text="a = 1\n"),
        nbformat.v4.new_output("stream", name="stdout", text="b = 2\nc = 3\n"),
    ]


class TestMergingACopy:
    def test_unwrapped_merge_edits_the_notebook(self) -> None:
        """The failure this extension exists for: myst-nb's merge rewrites the first output."""
        outputs = _outputs()
        utils.coalesce_streams(outputs)
        assert outputs[0]["text"] == "a = 1\nb = 2\nc = 3\n"
        assert "".join(o["text"] for o in outputs).count("b = 2") == 2

    def test_wrapped_merge_leaves_the_notebook_alone(self) -> None:
        """The wrapped merge shows the same merged block and keeps the outputs as sent."""
        outputs = _outputs()
        merged = merged_streams.merging_a_copy(utils.coalesce_streams)(outputs)
        assert [o["text"] for o in merged] == ["a = 1\nb = 2\nc = 3\n"]
        assert [o["text"] for o in outputs] == ["a = 1\n", "b = 2\nc = 3\n"]

    def test_wrapping_twice_wraps_once(self) -> None:
        """Loading the extension again in the same process does not stack copies."""
        once = merged_streams.merging_a_copy(utils.coalesce_streams)
        assert merged_streams.merging_a_copy(once) is once
