"""Render a gradient check report in plain words, numbers in aligned columns."""

from __future__ import annotations

import math
import textwrap
from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:
    from collections.abc import Sequence

    from firsttorch._grad_check import GradCheckReport, GradCheckResult

_WIDTH = 88
_LABEL = 26  # width of the 'finite differences say:' column


def describe(report: GradCheckReport) -> str:
    """Say whether autograd matches finite differences and, if not, where and by how much."""
    tol = f"atol={report.atol}, rtol={report.rtol}"
    if report.ok:
        worst = max(result.max_abs_error for result in report.results)
        count = f"{len(report.results)} input" + ("s" if len(report.results) > 1 else "")
        return _fill(
            f"check_gradients({report.name}): OK. Autograd matches finite differences "
            f"for {count} (largest difference {_short(worst)}; {tol})."
        )
    failed = [result for result in report.results if not result.ok]
    if len(failed) == 1:
        lines = [f"check_gradients({report.name}): FAILED for {_input(failed[0])}."]
        lines += _block(failed[0], tol, "  ")
    else:
        lines = [f"check_gradients({report.name}): FAILED for {len(failed)} inputs."]
        for result in failed:
            lines += [f"  {_input(result)}:", *_block(result, tol, "    ")]
    if all(not r.analytical.any() and r.numerical.any() for r in failed):
        advice = (
            "Autograd says 0 everywhere: the output does not depend on the input through "
            "autograd. Fix: keep the computation differentiable: no .detach(), .item(), "
            ".numpy() or torch.no_grad() between the input and the output."
        )
    else:
        advice = (
            "Your backward (or a custom autograd.Function) computes a different derivative "
            "than the forward implies. Fix: check the backward formula for the input(s) "
            "above against the derivative of the forward."
        )
    if report.output_dtype != torch.float64:
        advice += (
            f" Note: fn returned {report.output_dtype}, not float64; finite differences "
            "need float64, so remove the cast inside fn."
        )
    return "\n".join([*lines, _fill(advice)])


def _input(result: GradCheckResult) -> str:
    return f"input {result.index} (shape {result.shape})"


def _block(result: GradCheckResult, tol: str, indent: str) -> list[str]:
    """Lay out autograd's values above the finite differences, columns aligned."""
    grids = [_grid(result.analytical), _grid(result.numerical)]
    width = max(len(cell) for grid in grids for row in grid if row for cell in row)
    fit = max(4, (_WIDTH - len(indent) - _LABEL - 4) // (width + 2))
    lines = []
    if result.jacobian:
        lines.append(f"{indent}(Jacobians: row i is output element i, column j input element j)")
    for label, grid in zip(("autograd says:", "finite differences say:"), grids, strict=True):
        rows = [None if row is None else _elide(row, fit, "...") for row in grid]
        text = _layout(rows, width, scalar=result.analytical.dim() == 0)
        lines.append(f"{indent}{label:<{_LABEL}}{text[0]}")
        lines += [f"{indent}{'':<{_LABEL}}{line}" for line in text[1:]]
    where = f" at {result.worst}" if result.worst else ""
    lines.append(f"{indent}largest difference {_short(result.max_abs_error)}{where} ({tol})")
    return lines


def _grid(values: torch.Tensor) -> list[list[str] | None]:
    """Format a tensor as rows of cells (beyond 2 dims it is flattened); None marks a gap."""
    rows = values.reshape(1, -1) if values.dim() != 2 else values
    return [
        None if row is None else [_number(v) for v in _elide(row.tolist(), 8, None)]
        for row in _elide(list(rows), 6, None)
    ]


def _elide(items: Sequence[Any], limit: int, gap: Any) -> list[Any]:
    """Keep the first and last items, with ``gap`` in place of the middle."""
    if len(items) <= limit:
        return list(items)
    return [*items[: limit - 3], gap, *items[-2:]]


def _number(value: float | None) -> str:
    if value is None:
        return "..."
    value += 0.0  # turns -0.0 into 0.0
    if not math.isfinite(value) or value == 0 or 1e-4 <= abs(value) < 1e5:
        return f"{value:.4f}"
    return f"{value:.4e}"


def _layout(rows: list[list[str] | None], width: int, *, scalar: bool) -> list[str]:
    """Join cells into ``[a, b]`` lines, or ``[[a, b], [c, d]]`` over several lines."""
    if scalar:
        return [rows[0][0]]  # type: ignore[index]
    text = ["..." if row is None else ", ".join(c.rjust(width) for c in row) for row in rows]
    if len(rows) == 1:
        return [f"[{text[0]}]"]
    lines = [f" {t}" if row is None else f" [{t}]," for row, t in zip(rows, text, strict=True)]
    return [f"[{lines[0][1:]}", *lines[1:-1], f"{lines[-1][:-1]}]"]


def _short(value: float) -> str:
    """Round a difference; below 1e-8 it is float noise, and printing it would not be stable."""
    if value < 1e-8:
        return "< 1e-8"
    return str(float(f"{value:.4g}")) if 1e-4 <= value < 1e6 else f"{value:.2e}"


def _fill(text: str) -> str:
    return textwrap.fill(text, _WIDTH, break_long_words=False, break_on_hyphens=False)
