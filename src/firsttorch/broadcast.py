"""Compute, explain and police broadcasting, with messages that show the shapes."""

from __future__ import annotations

import functools
import operator
import sys
import warnings
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar

import torch
from torch.overrides import TorchFunctionMode

from firsttorch import _broadcast_site as _site
from firsttorch import _broadcast_text as _text
from firsttorch.errors import BroadcastError, BroadcastWarning, SurprisingBroadcastError

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["broadcast_shape", "explain_broadcast", "strict_broadcasting"]

_P = ParamSpec("_P")
_R = TypeVar("_R")
Policy = Literal["result", "rank"] | Callable[[str, tuple[torch.Size, ...]], bool]
_SCALARS = (int, float, complex)
_SHAPES = (tuple, list, torch.Size)


def _shape_of(name: str, i: int, arg: object) -> Sequence[int]:
    """The shape that argument ``i`` stands for, validated (the slow path)."""
    if isinstance(arg, torch.Tensor):
        return arg.shape
    if isinstance(arg, _SCALARS):
        return ()
    if not isinstance(arg, _SHAPES):
        msg = (
            f"{name}(): argument {i} must be a tensor, a shape (torch.Size, tuple or list of"
            f" ints) or a Python number, got {type(arg).__name__} {arg!r}."
        )
        raise TypeError(msg)
    try:
        shape = tuple(operator.index(size) for size in arg)
    except TypeError as err:
        msg = f"{name}(): argument {i} must hold only ints, got {arg!r}."
        raise TypeError(msg) from err
    if any(size < 0 for size in shape):
        msg = f"{name}(): argument {i} has a negative size: {arg!r}. Sizes must be >= 0."
        raise ValueError(msg)
    return shape


def _shapes(name: str, args: tuple[object, ...]) -> list[Sequence[int]]:
    """Every argument as a shape; a fast path for plain tuples, lists, sizes and tensors."""
    shapes: list[Sequence[int]] = []
    for i, arg in enumerate(args):
        kind = type(arg)
        if kind is torch.Tensor:
            shapes.append(arg.shape)  # type: ignore[attr-defined]
        elif (kind is tuple or kind is torch.Size or kind is list) and all(
            type(size) is int and size >= 0
            for size in arg  # type: ignore[attr-defined]
        ):
            shapes.append(arg)  # type: ignore[arg-type]
        else:
            shapes.append(_shape_of(name, i, arg))
    return shapes


def _broadcast(shapes: Sequence[Sequence[int]]) -> list[int] | None:
    """The broadcast shape as a list, or None when the shapes conflict."""
    ndim = max(map(len, shapes), default=0)
    out = [1] * ndim
    for shape in shapes:
        for i, size in enumerate(shape, ndim - len(shape)):
            if size != out[i]:
                if out[i] == 1:
                    out[i] = size
                elif size != 1:
                    return None
    return out


def broadcast_shape(*shapes_or_tensors: object) -> torch.Size:
    """Return the shape that broadcasting the inputs together gives, or explain why not.

    Agrees with :func:`torch.broadcast_shapes`, but also takes tensors and Python numbers
    (a number or 0-d tensor counts as shape ``()``, as in ``x + 1``; note that
    :func:`torch.broadcast_shapes` reads a bare int ``n`` as the shape ``(n,)``), and its
    error shows the shapes lined up, the conflicting dims and a fix.

    Args:
        *shapes_or_tensors: Tensors, :class:`torch.Size` objects, tuples or lists of ints,
            or Python numbers. No arguments gives ``torch.Size([])``.

    Returns:
        The broadcast shape.

    Raises:
        TypeError: An argument is none of the above, or a shape holds a non-int.
        ValueError: A shape has a negative size.
        BroadcastError: The shapes cannot be broadcast (also a ``RuntimeError``, like
            :func:`torch.broadcast_shapes` raises).

    >>> broadcast_shape((8, 1), torch.zeros(3), 2.0)
    torch.Size([8, 3])
    """
    shapes = _shapes("broadcast_shape", shapes_or_tensors)
    result = _broadcast(shapes)
    if result is None:
        msg = _text.error_message("broadcast_shape", shapes)
        raise BroadcastError(msg)
    return torch.Size(result)


def explain_broadcast(*shapes_or_tensors: object) -> str:
    """Explain, step by step, how the inputs broadcast, or where and why they cannot.

    Args:
        *shapes_or_tensors: As for :func:`broadcast_shape`.

    Returns:
        The explanation, ending with the result shape, or for shapes that cannot be
        broadcast, with the conflict and a fix. It never raises for incompatible shapes.

    Raises:
        TypeError: An argument is not a tensor, shape or Python number.
        ValueError: A shape has a negative size.

    >>> print(explain_broadcast((3, 1), (4,)))
    Broadcasting (3, 1) and (4,):
    Step 1. Align the shapes on the right, padding the shorter ones with 1s on the left:
          dim:  -2  -1
      input 0:   3   1   (3, 1)
      input 1:   1   4   (4,) padded to (1, 4)
    Step 2. Compare the sizes dim by dim, right to left; a size of 1 stretches to match:
      dim -1: 1 vs 4 -> 4; input 0 (its dim 1) stretches from 1 to 4
      dim -2: 3 vs 1 -> 3; input 1 (padded) stretches from 1 to 3
    Step 3. The result shape is (3, 4).
    """
    return _text.explanation(_shapes("explain_broadcast", shapes_or_tensors))


class _StrictMode(TorchFunctionMode):
    """The torch function mode behind one active :class:`strict_broadcasting` block."""

    def __init__(self, mode: str, policy: Policy) -> None:
        super().__init__()
        self.mode = mode
        self.policy = policy
        self.ops = _site.elementwise_ops()

    def __torch_function__(
        self,
        func: Callable[..., Any],
        types: object,
        args: Sequence[Any] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        kwargs = kwargs or {}
        op = self.ops.get(func)
        if op is not None:
            found = self._check(func, op, args, kwargs)
            if found is not None and self.mode == "raise":
                raise SurprisingBroadcastError(found[0])
            if found is not None:
                warnings.warn(found[0], BroadcastWarning, stacklevel=found[1] + 1)
        return func(*args, **kwargs)

    def _check(
        self, func: object, op: str, args: Sequence[Any], kwargs: dict[str, Any]
    ) -> tuple[str, int] | None:
        """The message and the caller's distance in frames, if this call is flagged."""
        operands: list[tuple[int | str, torch.Tensor]] = [
            (i, a) for i, a in enumerate(args) if isinstance(a, torch.Tensor)
        ]
        operands += [
            (k, v) for k, v in kwargs.items() if k != "out" and isinstance(v, torch.Tensor)
        ]
        shapes = [t.shape for _, t in operands]
        big = [s for s in shapes if s]
        if isinstance(self.policy, str) and (not big or big.count(big[0]) == len(big)):
            return None  # at most one shape besides scalars: nothing to flag
        result = _broadcast(shapes)
        if result is None:
            return None  # torch raises its own error
        caller = None
        if self.policy == "result":
            flagged = tuple(result) not in big
        elif self.policy == "rank":
            flagged = len({len(s) for s in big}) > 1
        else:  # a callable: ask it only about the user's own calls
            caller = _site.user_frame(sys._getframe(2), func)
            flagged = caller is not None and bool(self.policy(op, tuple(shapes)))
        if not flagged:
            return None
        caller = caller or _site.user_frame(sys._getframe(2), func)
        if caller is None:
            return None  # torch's or firsttorch's own code: not the user's business
        return _site.message(caller[0], op, operands, result, self.policy), caller[1]


class strict_broadcasting:
    """Flag surprising broadcasts in element-wise operations, as a ``with`` block or decorator.

    While active, every element-wise operation (``+ - * / // % **``, comparisons, their
    in-place forms, ``torch.add``, ``torch.where``, ``Tensor.add_``, ...) that your own code
    calls is checked before it runs; operations that torch or firsttorch run internally are
    not. Nothing is installed outside the block, and blocks nest.

    Args:
        mode: ``"raise"`` raises :class:`~firsttorch.SurprisingBroadcastError` before the
            operation runs (nothing is computed or modified); ``"warn"`` emits a
            :class:`~firsttorch.BroadcastWarning` pointing at your line and lets it run.
        policy: ``"result"`` flags a broadcast whose result shape matches none of the
            operands' shapes, as in ``(N, 1) - (N,) -> (N, N)``; a bias ``(B, F) + (F,)``
            and Python numbers or 0-d tensors pass. ``"rank"`` (like JAX's
            ``jax_numpy_rank_promotion``) flags every implicit rank promotion between
            non-scalar operands, the bias add included. A callable
            ``policy(op_name, shapes) -> bool`` gets the op's name (``"Tensor.add"``,
            ``"torch.where"``) and the shapes of its tensor operands, and returns True (truthy) to flag.

    Raises:
        TypeError: ``mode`` is not a str, or ``policy`` is neither a str nor callable.
        ValueError: ``mode`` or ``policy`` is not one of the choices.

    >>> pred, target = torch.zeros(8, 1), torch.zeros(8)
    >>> with strict_broadcasting():
    ...     loss = ((pred - target) ** 2).mean()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    firsttorch.errors.SurprisingBroadcastError: strict_broadcasting: `pred - target` broadcast ...
    """

    def __init__(self, mode: Literal["raise", "warn"] = "raise", policy: Policy = "result") -> None:
        for arg, value, choices in (
            ("mode", mode, ("raise", "warn")),
            ("policy", policy, ("result", "rank")),
        ):
            if arg == "policy" and callable(value):
                continue
            if not isinstance(value, str):
                also = " or a callable" if arg == "policy" else ""
                msg = f"strict_broadcasting({arg}=...): expected a str{also}, got {type(value).__name__} {value!r}."
                raise TypeError(msg)
            if value not in choices:
                msg = f"strict_broadcasting({arg}={value!r}): expected one of {choices}."
                raise ValueError(msg)
        self.mode = mode
        self.policy = policy
        self._active: list[_StrictMode] = []

    def __repr__(self) -> str:
        return f"strict_broadcasting(mode={self.mode!r}, policy={self.policy!r})"

    def __enter__(self) -> Self:
        mode = _StrictMode(self.mode, self.policy)
        mode.__enter__()  # type: ignore[no-untyped-call]
        self._active.append(mode)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._active.pop().__exit__(exc_type, exc, tb)  # type: ignore[no-untyped-call]

    def __call__(self, func: Callable[_P, _R]) -> Callable[_P, _R]:
        """Run ``func`` under a fresh copy of these settings on every call."""

        @functools.wraps(func)
        def strict(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            with strict_broadcasting(self.mode, self.policy):
                return func(*args, **kwargs)

        return strict
