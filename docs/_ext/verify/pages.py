"""A page's side: the executed notebook myst-nb wrote, turned into transcript sections.

Along the way: declared errors (``raises``/``match``), hidden checks, cells not reached
after a failure, figures (by their data), rich outputs (by the content the site shows)
and lane-aware output patterns.
"""

from __future__ import annotations

import ast
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from verify import lanes, probe
from verify.records import Executed, Problem
from verify.transcript import Section, normalise, title_for

#: The mime types a page shows, best first (myst-nb's priority for HTML builders).
SHOWN = (
    "application/vnd.jupyter.widget-view+json",
    "application/javascript",
    "text/html",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "text/markdown",
    "text/latex",
    "text/plain",
)
FINISH_CALL = "finish_kernel("


def count_asserts(code: str) -> int:
    """How many ``assert`` statements *code* holds (0 if it does not parse)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return 0
    return sum(isinstance(node, ast.Assert) for node in ast.walk(tree))


_SVG = re.compile(r"<svg\b.*?</svg>", re.DOTALL)


def svg_summary(svg: str) -> str:
    """What an SVG picture says and draws: its title, description, texts and shapes."""
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as err:
        return f"[svg that does not parse: {err}]"

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    found = {
        local(e.tag): "".join(e.itertext()).strip()
        for e in root
        if local(e.tag) in {"title", "desc"}
    }
    texts = [("".join(e.itertext())).strip() for e in root.iter() if local(e.tag) == "text"]
    shapes = Counter(
        local(e.tag)
        for e in root.iter()
        if local(e.tag) in {"rect", "path", "line", "polyline", "polygon", "ellipse", "circle"}
    )
    return "\n".join(
        [
            f"svg: {found.get('title', '')!r}",
            f"  desc: {found.get('desc', '')!r}",
            f"  texts: {texts!r}",
            "  shapes: " + ", ".join(f"{n} {k}" for k, n in sorted(shapes.items())),
        ]
    )


def summarise_svg(text: str) -> str:
    """*text* with each inline SVG picture replaced by :func:`svg_summary`."""
    return _SVG.sub(lambda m: svg_summary(m.group(0)), text)


def rich_text(data: dict[str, Any], metadata: dict[str, Any]) -> tuple[str, str | None]:
    """The text a transcript keeps for one display output, and a problem if any.

    Figures keep the data they draw; other images cannot be checked and are refused;
    rich text keeps the content the site shows.
    """
    figure = metadata.get(probe.FIGURE_MIME)
    if isinstance(figure, dict) and "data" in figure:
        return f"[figure]\n{figure['data']}", None
    shown = next((m for m in SHOWN if m in data), None)
    if shown is None:
        return "", f"an output with no type the site can show ({sorted(data)})"
    content = data[shown]
    if isinstance(content, list):
        content = "".join(content)
    if shown == "text/plain":
        return f"{content}\n", None
    if shown.startswith("image/") and shown != "image/svg+xml":
        return f"[{shown}]\n", (
            f"shows a {shown} image that is not a matplotlib figure, so nothing can check it; "
            "draw it with matplotlib, or display SVG"
        )
    if not isinstance(content, str):
        return f"[{shown}]\n", f"shows {shown} output, which the verifier cannot compare"
    return f"[{shown}]\n{summarise_svg(content.strip())}\n", None


@dataclass(frozen=True)
class Cell:
    """One code cell as the verifier sees it."""

    index: int
    line: int
    source: str
    tags: frozenset[str]
    meta: dict[str, Any]
    outputs: list[Any]
    ran: bool

    @property
    def where(self) -> str:
        """How a message names this cell."""
        return f"cell [{self.index}]"


def code_cells(notebook: Any) -> list[Cell]:
    """The code cells of an executed page, numbered as messages name them (the hidden last
    cell the verifier adds is left out)."""
    source_map = notebook.metadata.get("source_map", [])
    cells: list[Cell] = []
    for i, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or FINISH_CALL in cell.source:
            continue
        cells.append(
            Cell(
                index=len(cells) + 1,
                line=source_map[i] if i < len(source_map) else 0,
                source=cell.source,
                tags=frozenset(cell.metadata.get("tags", [])),
                meta=dict(cell.metadata),
                outputs=list(cell.get("outputs", [])),
                ran=cell.get("execution_count") is not None or bool(cell.get("outputs")),
            )
        )
    return cells


def page_result(
    notebook: Any,
    doc_path: Path,
    lane: lanes.Lane,
    roots: tuple[str, ...],
    state: probe.RunState | None,
) -> Executed:
    """Sections, checks and problems of an executed MyST notebook page."""
    result = Executed()
    name = doc_path.name
    failed_at: Cell | None = None
    not_reached: list[Cell] = []
    cells = code_cells(notebook)
    for cell in cells:
        if failed_at is not None and not cell.ran:
            not_reached.append(cell)
        if "remove-cell" in cell.tags:
            result.hidden_checks += count_asserts(cell.source)
        texts, errors, problems = _outputs(cell)
        result.problems += [
            Problem(f"{name}:{cell.line} {cell.where} {p}", cell.line) for p in problems
        ]
        pattern = cell.meta.get("output_pattern")
        raises = cell.meta.get("raises")
        flags = " (hidden)" if cell.tags & {"remove-cell", "remove-input"} else ""
        flags += f" (raises {raises})" if raises else ""
        flags += " (lane-specific)" if pattern else ""
        body = lane.normalise(normalise("".join(texts), roots, cell.where))
        result.sections.append(Section(title_for(cell.index, cell.source, flags), body, pattern))
        if raises:
            result.expected_errors += 1
        if failed_at is None:
            problem = _error_problem(cell, raises, errors)
            if problem:
                result.problems.append(
                    Problem(f"{name}:{cell.line} {cell.where} {problem}", cell.line)
                )
                if errors and not raises:
                    failed_at = cell
                    result.stopped = True
    if not_reached:
        first, last = not_reached[0], not_reached[-1]
        span = first.where if first is last else f"cells [{first.index}] to [{last.index}]"
        result.problems.append(
            Problem(
                f"{name}: {span} not reached, because {failed_at.where if failed_at else 'a cell'} failed."
            )
        )
    code = "\n".join(c.source for c in cells)
    result.picks_device = "pick_device(" in code
    if state is None:
        if failed_at is None:
            result.problems.append(Problem(f"{name}: the page stopped before its end."))
    else:
        result.devices = state.devices
        result.problems += [
            Problem(
                f"{name}: {u}; seed it first (torch.manual_seed(0)) so every run prints the same."
            )
            for u in state.unseeded
        ]
    return result


def _outputs(cell: Cell) -> tuple[list[str], list[tuple[str, str]], list[str]]:
    """A cell's output texts, its errors (name, text) and problems with its outputs."""
    texts, errors, problems = [], [], []
    for output in cell.outputs:
        kind = output.get("output_type")
        if kind == "stream":
            texts.append(str(output.get("text", "")))
        elif kind == "error":
            text = f"{output['ename']}: {output['evalue']}"
            texts.append(text + "\n")
            errors.append((str(output["ename"]), text))
        else:
            shown, problem = rich_text(
                dict(output.get("data", {})), dict(output.get("metadata", {}))
            )
            texts.append(shown)
            if problem:
                problems.append(problem)
    return texts, errors, problems


def _error_problem(cell: Cell, raises: str | None, errors: list[tuple[str, str]]) -> str | None:
    if "raises-exception" in cell.tags and not raises:
        return (
            "is tagged raises-exception but does not declare what it raises; add "
            "`raises: <ExceptionType>` and `match: <key words>` to its options."
        )
    if raises and "raises-exception" not in cell.tags:
        return f"declares raises: {raises} but is not tagged raises-exception."
    if raises:
        if not errors:
            return f"should raise {raises} but raised nothing."
        ename, text = errors[0]
        if ename != raises:
            return f"should raise {raises} but raised {text.strip()}"
        match = str(cell.meta.get("match", ""))
        if match and match not in text:
            return f"raised {raises} without {match!r} in its message: {text}"
        return None
    if errors:
        ename, text = errors[0]
        if ename == "AssertionError" and "remove-cell" in cell.tags:
            return f"a hidden check failed:\n{text.strip()}"
        return f"raised an unexpected {text.strip()}"
    return None
