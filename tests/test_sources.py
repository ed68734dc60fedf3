"""Tests of docs/_ext/sources.py: the lints and checks applied to every page and example."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import sources


class TestLintCode:
    def test_unseeded_random_draw_fails(self) -> None:
        """Drawing random numbers before any manual_seed is reported."""
        problems = sources.lint_code("import torch\nx = torch.randn(3)\n", "p.md")
        assert len(problems) == 1
        assert "before any torch.manual_seed" in problems[0]

    def test_seed_after_draw_fails(self) -> None:
        """Seeding after the first draw does not count."""
        code = "x = torch.rand(2)\ntorch.manual_seed(0)\n"
        assert sources.lint_code(code, "p.md")

    def test_seeded_draw_passes(self) -> None:
        """A seed before the draw is enough."""
        assert sources.lint_code("torch.manual_seed(0)\nx = torch.randn(3)\n", "p.md") == []

    def test_draw_on_device_fails(self) -> None:
        """Random numbers drawn directly on a device would differ between lanes."""
        code = "torch.manual_seed(0)\nx = torch.randn(3, device=device)\n"
        problems = sources.lint_code(code, "p.md")
        assert any("draw them on the CPU" in p for p in problems)


def _notebook(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=list(cells))
    nb.metadata["source_map"] = [10 * (i + 1) for i in range(len(cells))]
    return nb


def _cell(source: str, outputs: list[dict[str, object]], **meta: object) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source, metadata=meta)
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return cell


def _error(ename: str, evalue: str) -> dict[str, object]:
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": []}


MANIFEST = _cell(
    "# firsttorch-docs: manifest",
    [
        {
            "output_type": "stream",
            "name": "stdout",
            "text": 'FIRSTTORCH-MANIFEST {"devices": ["cpu"]}\n',
        }
    ],
)


class TestPageSections:
    def test_sections_and_counts(self) -> None:
        """Outputs, hidden checks, expected errors and the manifest are all read."""
        nb = _notebook(
            _cell(
                "x = 1\nx",
                [
                    {
                        "output_type": "execute_result",
                        "data": {"text/plain": "1"},
                        "metadata": {},
                        "execution_count": 1,
                    }
                ],
            ),
            _cell("assert x == 1\nassert x > 0", [], tags=["remove-cell"]),
            _cell(
                "x + 'a'",
                [_error("TypeError", "unsupported operand")],
                tags=["raises-exception"],
                raises="TypeError",
                match="unsupported",
            ),
            MANIFEST,
        )
        result = sources.page_sections(nb, Path("p.md"))
        assert [s.title for s in result.sections] == [
            "[1] x = 1",
            "[2] assert x == 1 (hidden)",
            "[3] x + 'a' (raises TypeError)",
        ]
        assert result.hidden_checks == 2
        assert result.expected_errors == 1
        assert result.state == {"devices": ["cpu"]}
        assert result.problems == []

    @pytest.mark.parametrize(
        ("outputs", "meta", "message"),
        [
            (
                [],
                {"tags": ["raises-exception"], "raises": "TypeError"},
                "should raise TypeError but raised nothing",
            ),
            (
                [_error("ValueError", "bad")],
                {"tags": ["raises-exception"], "raises": "TypeError"},
                "should raise TypeError but raised ValueError: bad",
            ),
            (
                [_error("TypeError", "bad")],
                {"tags": ["raises-exception"], "raises": "TypeError", "match": "shape"},
                "without 'shape' in its message",
            ),
            (
                [_error("TypeError", "bad")],
                {"tags": ["raises-exception"]},
                "does not declare what it raises",
            ),
            ([_error("TypeError", "bad")], {}, "raised an unexpected TypeError: bad"),
            ([], {"raises": "TypeError"}, "is not tagged raises-exception"),
        ],
    )
    def test_error_declarations_are_enforced(
        self, outputs: list[dict[str, object]], meta: dict[str, object], message: str
    ) -> None:
        """Every way an error cell can go wrong is reported with its file and line."""
        nb = _notebook(_cell("f()", outputs, **meta), MANIFEST)
        problems = sources.page_sections(nb, Path("p.md")).problems
        assert len(problems) == 1
        text, line = problems[0]
        assert message in text
        assert text.startswith("p.md:10 cell [1]")
        assert line == 10

    def test_page_that_stopped_early_is_reported(self) -> None:
        """No manifest means the page did not reach its end."""
        nb = _notebook(_cell("x = 1", []))
        assert any(
            "stopped before its end" in str(p)
            for p in sources.page_sections(nb, Path("p.md")).problems
        )


class TestIsMystnb:
    def test_front_matter_is_required(self) -> None:
        """Only pages that declare file_format: mystnb are notebooks."""
        assert sources.is_mystnb("---\nfile_format: mystnb\n---\n# T\n")
        assert not sources.is_mystnb("# T\nfile_format: mystnb\n")
