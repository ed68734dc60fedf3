"""Compare autograd's derivatives with finite differences and report in plain words."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from firsttorch._grad_check_text import describe
from firsttorch.errors import GradientCheckError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["GradCheckReport", "GradCheckResult", "check_gradients"]

_DEFAULTS = {"atol": 1e-5, "rtol": 1e-3, "eps": 1e-6}
_WIDTH = 88


@dataclass(frozen=True, eq=False)
class GradCheckResult:
    """How autograd and finite differences compare for one floating point input.

    ``analytical`` and ``numerical`` have the input's shape when ``fn`` returns one
    number, else they are Jacobians of shape ``(output.numel(), input.numel())``.
    """

    index: int
    shape: tuple[int, ...]
    ok: bool
    max_abs_error: float
    analytical: torch.Tensor
    numerical: torch.Tensor
    worst: str
    jacobian: bool


@dataclass(frozen=True, eq=False)
class GradCheckReport:
    """The outcome of :func:`check_gradients`; ``str()`` explains it in plain words."""

    name: str
    results: tuple[GradCheckResult, ...]
    atol: float
    rtol: float
    eps: float
    output_dtype: torch.dtype

    @property
    def ok(self) -> bool:
        """Whether autograd matches finite differences for every input."""
        return all(result.ok for result in self.results)

    def raise_if_failed(self) -> None:
        """Raise :class:`~firsttorch.GradientCheckError` with this report if it failed.

        Raises:
            GradientCheckError: If :attr:`ok` is False.
        """
        if not self.ok:
            raise GradientCheckError(str(self))

    def __str__(self) -> str:
        return describe(self)


def check_gradients(fn: Callable[..., Any], *inputs: Any, **tolerances: float) -> GradCheckReport:
    """Check autograd's derivatives of ``fn`` against central finite differences.

    Floating point tensor inputs are copied to float64 leaves that require grad (your
    tensors are never modified), so correct float32 code passes; other inputs are passed
    through unchanged. Each evaluation is cheap, but there are two per input element:
    keep the inputs small.

    Args:
        fn: A function of the inputs that returns one floating point tensor.
        *inputs: The arguments for ``fn``; at least one floating point tensor.
        **tolerances: ``atol`` (default 1e-5), ``rtol`` (1e-3) and ``eps`` (1e-6, the
            finite-difference step). An element passes if
            ``|autograd - numerical| <= atol + rtol * |numerical|``.

    Returns:
        A :class:`GradCheckReport`: ``.ok``, per-input ``.results``, a plain-words
        ``str()``, and ``.raise_if_failed()``.

    Raises:
        TypeError: If ``fn`` is not callable, a tolerance is unknown or not a number, or
            ``fn`` does not return a floating point tensor.
        ValueError: If a tolerance is negative (``eps`` must be positive), an input is
            complex, or no input is a floating point tensor.

    >>> report = check_gradients(lambda x: (x**2).sum(), torch.tensor([1.0, 2.0]))
    >>> report.ok
    True
    >>> print(report)
    check_gradients(<lambda>): OK. Autograd matches finite differences for 1 input (largest
    difference < 1e-8; atol=1e-05, rtol=0.001).
    """
    given: object = fn  # typed as object so that the check below is not "unreachable"
    if not callable(given):
        msg = (
            f"check_gradients(fn={given!r}): fn must be callable, got {type(given).__name__}. "
            "Fix: pass the function itself, e.g. check_gradients(torch.sin, x)."
        )
        raise TypeError(msg)
    name = _name(fn)
    tol = _tolerances(name, tolerances)
    args, diff = _prepare(name, inputs)
    with torch.enable_grad():
        out = _output(name, fn(*args))
        xs = [args[i] for i in diff]
        analytical = _analytical(out, xs)
    numerical = _numerical(fn, args, diff, tol["eps"], out.numel())
    results = [
        _compare(index, x, a, n, tol, scalar=out.numel() == 1)
        for index, x, a, n in zip(diff, xs, analytical, numerical, strict=True)
    ]
    return GradCheckReport(name, tuple(results), **tol, output_dtype=out.dtype)


def _compare(
    index: int,
    x: torch.Tensor,
    analytical: torch.Tensor,
    numerical: torch.Tensor,
    tol: dict[str, float],
    *,
    scalar: bool,
) -> GradCheckResult:
    """Compare two Jacobians elementwise and find the worst element."""
    error = (analytical - numerical).abs()
    excess = error - (tol["atol"] + tol["rtol"] * numerical.abs())
    flat = int(excess.reshape(-1).argmax()) if excess.numel() else 0
    if scalar:  # show gradients in the input's shape
        analytical, numerical = analytical.reshape(x.shape), numerical.reshape(x.shape)
        position = _unravel(flat, tuple(x.shape)) if x.numel() else ()
        worst = "" if not position else f"element {position[0] if len(position) == 1 else position}"
    else:
        row, col = divmod(flat, max(x.numel(), 1))
        worst = f"row {row}, column {col}"
    return GradCheckResult(
        index=index,
        shape=tuple(x.shape),
        ok=bool((excess <= 0).all()),
        max_abs_error=float(error.max()) if error.numel() else 0.0,
        analytical=analytical,
        numerical=numerical,
        worst=worst,
        jacobian=not scalar,
    )


def _unravel(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    position = []
    for size in reversed(shape):
        flat, rest = divmod(flat, size)
        position.append(rest)
    return tuple(reversed(position))


def _name(fn: Any) -> str:
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, type):  # e.g. MyFunction.apply
        return f"{owner.__name__}.{fn.__name__}"
    return str(getattr(fn, "__name__", type(fn).__name__))


def _tolerances(name: str, given: dict[str, Any]) -> dict[str, float]:
    tol = dict(_DEFAULTS)
    for key, value in given.items():
        if key not in _DEFAULTS:
            msg = (
                f"check_gradients({name}, ..., {key}=...): unknown keyword argument "
                f"{key!r}. Allowed: atol, rtol, eps."
            )
            raise TypeError(msg)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            msg = f"check_gradients({name}, ..., {key}={value!r}): expected a number."
            raise TypeError(msg)
        if not (value > 0 if key == "eps" else value >= 0) or not math.isfinite(value):
            bound = "> 0" if key == "eps" else ">= 0"
            msg = f"check_gradients({name}, ..., {key}={value!r}): must be finite and {bound}."
            raise ValueError(msg)
        tol[key] = float(value)
    return tol


def _prepare(name: str, inputs: tuple[Any, ...]) -> tuple[list[Any], list[int]]:
    """Copy floating inputs to float64 leaves that require grad; clone the other tensors."""
    args: list[Any] = []
    diff: list[int] = []
    for index, x in enumerate(inputs):
        if isinstance(x, torch.Tensor) and x.is_complex():
            msg = (
                f"check_gradients({name}): input {index} is complex ({x.dtype}); only real "
                "inputs are supported. Fix: check the real and imaginary parts separately."
            )
            raise ValueError(msg)
        if isinstance(x, torch.Tensor) and x.is_floating_point():
            args.append(x.detach().to(torch.float64, copy=True).requires_grad_())
            diff.append(index)
        else:
            args.append(x.detach().clone() if isinstance(x, torch.Tensor) else x)
    if not diff:
        got = ", ".join(
            str(x.dtype) if isinstance(x, torch.Tensor) else type(x).__name__ for x in inputs
        )
        msg = (
            f"check_gradients({name}): no floating point tensor among the inputs (got "
            f"{got or 'none'}), so there is nothing to differentiate. Fix: pass one, e.g. "
            "torch.tensor([1., 2.])."
        )
        raise ValueError(msg)
    return args, diff


def _output(name: str, out: Any) -> torch.Tensor:
    if not isinstance(out, torch.Tensor) or not out.is_floating_point():
        got = f"a {out.dtype} tensor" if isinstance(out, torch.Tensor) else type(out).__name__
        msg = (
            f"check_gradients({name}): fn returned {got}; expected one floating point "
            "tensor. Fix: return the tensor result itself (not .item() or a tuple)."
        )
        raise TypeError(msg)
    return out


def _analytical(out: torch.Tensor, xs: list[torch.Tensor]) -> list[torch.Tensor]:
    """Jacobians d out / d x by autograd, one (out.numel(), x.numel()) matrix per input."""
    rows: list[list[torch.Tensor]] = [[] for _ in xs]
    flat = out.reshape(-1)
    for j in range(flat.numel()):
        grads: Sequence[torch.Tensor | None] = [None] * len(xs)
        if out.requires_grad:
            onehot = torch.zeros_like(flat)
            onehot[j] = 1.0
            grads = torch.autograd.grad(
                out, xs, onehot.view_as(out), retain_graph=True, allow_unused=True
            )
        for row, x, grad in zip(rows, xs, grads, strict=True):
            row.append(x.new_zeros(x.numel()) if grad is None else grad.detach().reshape(-1))
    return [_stack(row, x.numel()) for row, x in zip(rows, xs, strict=True)]


def _numerical(
    fn: Callable[..., Any], args: list[Any], diff: list[int], eps: float, outputs: int
) -> list[torch.Tensor]:
    """Jacobians by central differences, (f(x + eps) - f(x - eps)) / (2 eps) per element."""
    base = [a.detach() if isinstance(a, torch.Tensor) else a for a in args]
    jacobians = []
    for i in diff:
        columns = []
        for k in range(base[i].numel()):
            values = []
            for step in (eps, -eps):
                shifted = base[i].clone()
                shifted.view(-1)[k] += step
                out = fn(*[shifted if j == i else a for j, a in enumerate(base)])
                values.append(out.detach().reshape(-1).to(torch.float64))
            columns.append((values[0] - values[1]) / (2 * eps))
        jacobians.append(_stack(columns, outputs).T)
    return jacobians


def _stack(vectors: list[torch.Tensor], length: int) -> torch.Tensor:
    """Stack float64 vectors into rows; an empty list gives a (0, length) matrix."""
    if not vectors:
        return torch.zeros(0, length, dtype=torch.float64)
    return torch.stack(vectors).to(torch.float64)
