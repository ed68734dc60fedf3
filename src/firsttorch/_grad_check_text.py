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
    """Say whether autograd matches finite differences and, if not, which part is wrong."""
    tol = f"atol={report.atol}, rtol={report.rtol}"
    notes = [_fill(f"Note: {note}") for note in report.notes]
    if report.ok:
        worst = max(result.max_abs_error for result in report.results)
        count = f"{len(report.results)} input" + ("s" if len(report.results) > 1 else "")
        head = _fill(
            f"check_gradients({report.name}): OK. Autograd matches finite differences "
            f"for {count} (largest difference {_short(worst)}; {tol})."
        )
        return "\n".join([head, *notes])
    if report.diagnosis == "nondeterministic forward":
        text = (
            f"check_gradients({report.name}): FAILED: fn is not deterministic. Two calls "
            "with the same inputs returned different outputs (largest difference "
            f"{_short(report.forward_noise)}), so finite differences measure the noise, not "
            "the derivative, and nothing can be said about the backward. Fix: remove the "
            "randomness from fn: model.eval() for dropout, no torch.rand* inside, or "
            "torch.manual_seed(...) at the start of fn."
        )
        return "\n".join([_fill(text), *notes])
    failed = [result for result in report.results if not result.ok]
    if report.diagnosis == "grad_output ignored":
        lines = [f"check_gradients({report.name}): FAILED: the backward ignores grad_output."]
        for result in failed:
            lines += _probe_block(result, tol)
    elif len(failed) == 1:
        lines = [f"check_gradients({report.name}): FAILED for {_input(failed[0])}."]
        lines += _block(failed[0], tol, "  ")
    else:
        lines = [f"check_gradients({report.name}): FAILED for {len(failed)} inputs."]
        for result in failed:
            lines += [f"  {_input(result)}:", *_block(result, tol, "    ")]
    advice = _ADVICE[report.diagnosis]
    if report.diagnosis == "detached forward" and not report.output_requires_grad:
        advice = (
            "fn's output does not require grad at all: the forward pass cut the graph. " + advice
        )
    if report.diagnosis == "detached forward" and report.graph_cuts:
        advice += f" Inside fn the graph was left at: {'; '.join(report.graph_cuts[-3:])}."
    if report.output_dtype != torch.float64:
        advice += (
            f" Note: fn returned {report.output_dtype}, not float64; finite differences "
            "need float64, so remove the cast inside fn."
        )
    return "\n".join([*lines, _fill(advice), *notes])


_ADVICE = {
    "detached forward": (
        "The forward leaves autograd's graph, so autograd misses that part of the "
        "derivative (it says 0 where that part is all there is): the forward is at "
        "fault, not the backward. Fix: "
        "keep the computation differentiable: no .detach(), .data, .item(), .numpy() or "
        "torch.no_grad() between the input and the output."
    ),
    "grad_output ignored": (
        "With grad_output = 1 autograd matches finite differences, but with other "
        "weights it does not scale: a custom backward returns its local derivative "
        "without multiplying by grad_output (fine alone, wrong once anything follows). "
        "Fix: return grad_output * (local derivative) from backward()."
    ),
    "wrong backward": (
        "Your backward (a custom autograd.Function in fn) computes a different derivative "
        "than the forward implies. Fix: check the backward formula for the input(s) "
        "above against the derivative of the forward."
    ),
    "inexact finite differences": (
        "fn uses only PyTorch's built-in derivatives, which are exact, so finite "
        "differences are the ones off: fn is not smooth at this input (relu, abs, max, "
        "round at a kink or a step) or computes in low precision. Fix: check at another "
        "input, away from kinks, or with a smaller eps."
    ),
}


def _probe_block(result: GradCheckResult, tol: str) -> list[str]:
    """Show what autograd returns for a random grad_output, next to what it should."""
    lines = [f"  {_input(result)}, grad_output = fixed random weights (not 1):"]
    grids = [_grid(result.probe_analytical), _grid(result.probe_numerical)]  # type: ignore[arg-type]
    width = max(len(cell) for grid in grids for row in grid if row for cell in row)
    labels = ("autograd says:", "finite differences say:")
    for label, grid in zip(labels, grids, strict=True):
        text = _layout(grid, width, scalar=result.analytical.dim() == 0)
        lines.append(f"    {label:<{_LABEL}}{text[0]}")
        lines += [f"    {'':<{_LABEL}}{line}" for line in text[1:]]
    lines.append(f"    ({tol})")
    return lines


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
