"""Look inside autograd: a tensor's gradient state, its backward graph, and its errors."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import torch

from firsttorch._grad_check import GradCheckReport, GradCheckResult, check_gradients
from firsttorch._grad_explain import explain_autograd_errors
from firsttorch._grad_graph import GradGraph, grad_graph

__all__ = [
    "GradCheckReport",
    "GradCheckResult",
    "GradGraph",
    "GradInfo",
    "check_gradients",
    "explain_autograd_errors",
    "grad_graph",
    "inspect_grad",
]

_WIDTH = 88


@dataclass(frozen=True)
class GradInfo:
    """What autograd knows about one tensor, as returned by :func:`inspect_grad`.

    ``str(info)`` gives one summary line, then one ``note:`` line per confusing state.
    """

    requires_grad: bool
    is_leaf: bool
    grad_fn: str | None
    has_grad: bool
    grad_shape: tuple[int, ...] | None
    retains_grad: bool
    version: int | None
    dtype: torch.dtype
    notes: tuple[str, ...]

    def __str__(self) -> str:
        kind = "leaf" if self.is_leaf else "non-leaf"
        if self.retains_grad:
            kind += " (retains grad)"
        grad = f"set (shape {self.grad_shape})" if self.has_grad else "None"
        version = "no version counter" if self.version is None else f"version {self.version}"
        parts = [
            f"requires_grad={self.requires_grad}",
            kind,
            f"grad_fn={self.grad_fn}",
            f"grad={grad}",
            version,
        ]
        head = [parts[0]]
        for part in parts[1:]:  # wrap only between parts, never inside one
            if len(head[-1]) + len(part) + 3 > _WIDTH:  # ", " now, maybe "," later
                head[-1] += ","
                head.append("  " + part)
            else:
                head[-1] += ", " + part
        notes = [
            textwrap.fill(note, _WIDTH, initial_indent="  note: ", subsequent_indent=" " * 8)
            for note in self.notes
        ]
        return "\n".join([*head, *notes])


def inspect_grad(tensor: torch.Tensor) -> GradInfo:
    """Report a tensor's autograd state, with plain-words notes for the confusing parts.

    Reading ``.grad`` of a non-leaf tensor makes PyTorch warn; this function never does.

    Args:
        tensor: Any tensor.

    Returns:
        A :class:`GradInfo`; print it for a one-line summary plus notes.

    Raises:
        TypeError: If ``tensor`` is not a :class:`torch.Tensor`.

    >>> x = torch.tensor([2.0, 3.0], requires_grad=True)
    >>> print(inspect_grad(x))  # doctest: +NORMALIZE_WHITESPACE
    requires_grad=True, leaf, grad_fn=None, grad=None, version 0
      note: .grad is None: backward() has not reached this tensor yet. Call backward() on
            a loss computed from it.
    """
    value: object = tensor  # typed as object so that the check below is not "unreachable"
    if not isinstance(value, torch.Tensor):
        msg = (
            f"inspect_grad(tensor): expected a torch.Tensor, got {type(value).__name__}. "
            "Fix: pass a tensor, e.g. torch.tensor([1.0, 2.0])."
        )
        raise TypeError(msg)
    is_leaf, retains = tensor.is_leaf, tensor.retains_grad
    # Reading .grad of a non-leaf that does not retain it emits a UserWarning.
    grad = tensor.grad if is_leaf or retains else None
    version = None if tensor.is_inference() else tensor._version
    grad_fn = None if tensor.grad_fn is None else type(tensor.grad_fn).__name__
    notes = _notes(tensor, grad, version)
    return GradInfo(
        requires_grad=tensor.requires_grad,
        is_leaf=is_leaf,
        grad_fn=grad_fn,
        has_grad=grad is not None,
        grad_shape=None if grad is None else tuple(grad.shape),
        retains_grad=retains,
        version=version,
        dtype=tensor.dtype,
        notes=tuple(notes),
    )


def _notes(tensor: torch.Tensor, grad: torch.Tensor | None, version: int | None) -> list[str]:
    """Explain each confusing state of ``tensor`` in one sentence plus a fix."""
    notes: list[str] = []
    if version is None:
        notes.append(
            "inference tensor (made under torch.inference_mode()): it can never require grad. "
            "Fix: t.clone() outside inference mode, or use torch.no_grad() instead."
        )
    elif not (tensor.is_floating_point() or tensor.is_complex()):
        notes.append(
            f"dtype {tensor.dtype} cannot require grad: only floating point and complex "
            "tensors can. Fix: make it float, e.g. torch.tensor([1., 2.]) or t.float()."
        )
    elif not tensor.requires_grad:
        notes.append(
            "does not require grad: created from tensors that do not require grad, under "
            "torch.no_grad(), or by .detach(), so no gradient flows into it. Fix: create "
            "parameters with requires_grad=True and compute outside torch.no_grad()."
        )
    elif not tensor.is_leaf and not tensor.retains_grad:
        notes.append(
            ".grad stays None for non-leaf tensors: PyTorch fills .grad only on leaves. "
            "Call t.retain_grad() before backward() to keep it."
        )
    elif grad is None:
        notes.append(
            ".grad is None: backward() has not reached this tensor yet. Call backward() on a "
            "loss computed from it."
        )
    else:
        notes.append(
            ".grad adds up over backward() calls; reset it between steps "
            "(optimizer.zero_grad() or t.grad = None)."
        )
    if version:
        notes.append(
            f"modified in place {version} time{'s' if version > 1 else ''} (tensor._version "
            f"== {version}). Harmless, "
            "unless autograd saved it for a backward() still to come: that backward() then "
            "fails with 'modified by an inplace operation'."
        )
    return notes
