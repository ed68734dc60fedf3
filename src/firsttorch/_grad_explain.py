"""Re-raise PyTorch's autograd errors with their cause and a fix, in plain words."""

from __future__ import annotations

import os
import sys
from collections import deque
from contextlib import AbstractContextManager, ContextDecorator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import torch
from torch.overrides import TorchFunctionMode

from firsttorch._grad_messages import Clues, InplaceOp, Where, explain
from firsttorch.errors import ExplainedAutogradError, FirstTorchError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["explain_autograd_errors"]

# Frames inside torch or firsttorch are never "your code".
_LIBRARY_DIRS = tuple(str(Path(f).parent) + os.sep for f in (torch.__file__, __file__))
_INPLACE_DUNDERS = frozenset(
    f"__{op}__"
    for op in [
        "setitem",
        "iadd",
        "isub",
        "imul",
        "itruediv",
        "ifloordiv",
        "imod",
        "ipow",
        "imatmul",
        "iand",
        "ior",
        "ixor",
        "ilshift",
        "irshift",
    ]
)
_NOT_INPLACE = frozenset({"requires_grad_", "share_memory_", "detach_"})
_BACKWARD = frozenset({"backward", "grad"})
_GETTERS = frozenset({"__get__", "__set__"})
_MAX_RECORDED = 256


def _caller() -> Where:
    """Find the innermost frame of the user's code on the current call stack."""
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_LIBRARY_DIRS):
        frame = frame.f_back
    return Where(frame.f_code.co_filename, frame.f_lineno)


def _where_raised(exc: BaseException) -> Where | None:
    """Find the innermost frame of the user's code in an exception's traceback."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(_LIBRARY_DIRS):
            found = Where(tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


class _Recorder(TorchFunctionMode):
    """Remember, cheaply, the clues that explain a later autograd error.

    Every torch call inside the block passes through ``__torch_function__``; only
    in-place operations, ``.detach()``, ``backward()`` and graph-cutting operations
    under ``torch.no_grad()`` are written down, each with the user's file and line.
    """

    def __init__(self) -> None:
        super().__init__()
        self.clues = Clues(inplace=deque(maxlen=_MAX_RECORDED))

    def __torch_function__(
        self,
        func: Callable[..., Any],
        types: Any,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        if kwargs is None:
            kwargs = {}
        name = getattr(func, "__name__", "")
        if name in _BACKWARD and args:
            self._note_backward(args[0])
        out = func(*args, **kwargs)
        if name in _GETTERS:  # attribute access (x.grad, x.shape): the most frequent call
            return out
        if "out" in kwargs or (name[-1:] == "_" and name[-2:] != "__") or name in _INPLACE_DUNDERS:
            self._note_inplace(name, kwargs["out"] if "out" in kwargs else args[:1])
        elif name == "detach":
            self._note_detach(args[:1])
        elif self.clues.no_grad is None and not torch.is_grad_enabled():
            self._note_no_grad(name, args, out)
        return out

    def _note_backward(self, target: Any) -> None:
        if isinstance(target, (list, tuple)) and target:
            target = target[0]
        if isinstance(target, torch.Tensor):
            self.clues.backward_shape = tuple(target.shape)
            self.clues.backward_grad_enabled = torch.is_grad_enabled()

    def _note_detach(self, target: tuple[Any, ...]) -> None:
        if (
            self.clues.detach is None
            and target
            and isinstance(target[0], torch.Tensor)
            and target[0].requires_grad
        ):
            self.clues.detach = _caller()

    def _note_inplace(self, name: str, target: Any) -> None:
        if isinstance(target, tuple):
            target = target[0] if target else None
        if name in _NOT_INPLACE or not isinstance(target, torch.Tensor) or target.is_inference():
            return
        self.clues.inplace.append(InplaceOp(name, target.shape, target._version, _caller()))

    def _note_no_grad(self, name: str, args: tuple[Any, ...], out: Any) -> None:
        if not isinstance(out, torch.Tensor):
            return
        if any(isinstance(a, torch.Tensor) and a.requires_grad for a in args):
            self.clues.no_grad = (name, _caller())


class _ExplainAutogradErrors(ContextDecorator, AbstractContextManager[None]):
    """The context manager and decorator returned by :func:`explain_autograd_errors`."""

    def __init__(self, *, track_ops: bool) -> None:
        self._track_ops = track_ops
        self._recorders: list[_Recorder | None] = []

    def _recreate_cm(self) -> _ExplainAutogradErrors:
        # A fresh instance per decorated call, so threads and recursion never share state.
        return _ExplainAutogradErrors(track_ops=self._track_ops)

    def __enter__(self) -> None:
        recorder = _Recorder() if self._track_ops else None
        if recorder is not None:
            recorder.__enter__()  # type: ignore[no-untyped-call]
        self._recorders.append(recorder)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        recorder = self._recorders.pop()
        if recorder is not None:
            recorder.__exit__(None, None, None)  # type: ignore[no-untyped-call]
        if not isinstance(exc, RuntimeError) or isinstance(exc, FirstTorchError):
            return
        clues = Clues(inplace=deque()) if recorder is None else recorder.clues
        clues.tracked = recorder is not None
        clues.block_grad_enabled = torch.is_grad_enabled()
        clues.raised_at = _where_raised(exc)
        message = explain(str(exc), clues)
        if message is not None:
            raise ExplainedAutogradError(message, exc) from exc


def explain_autograd_errors(*, track_ops: bool = True) -> _ExplainAutogradErrors:
    """Explain autograd errors raised inside a block: what happened, why, and the fix.

    Use it as ``with explain_autograd_errors():`` or as a decorator,
    ``@explain_autograd_errors()``. A recognised :class:`RuntimeError` from PyTorch is
    re-raised as :class:`~firsttorch.ExplainedAutogradError` (still a ``RuntimeError``)
    whose first line is PyTorch's message, with the original as ``__cause__``; any other
    exception passes through unchanged.

    Args:
        track_ops: Record in-place operations, ``.detach()`` and ``torch.no_grad()``
            cuts inside the block (via a ``torch.overrides.TorchFunctionMode``)
            so that the explanation can name the file and line responsible. This costs
            a few microseconds per torch call; pass ``False`` for zero overhead.

    Returns:
        A context manager that also works as a decorator.

    Raises:
        TypeError: If ``track_ops`` is not a bool.

    >>> x = torch.tensor([1.0, 2.0], requires_grad=True)
    >>> with explain_autograd_errors():
    ...     x.numpy()
    Traceback (most recent call last):
    ...
    firsttorch.errors.ExplainedAutogradError: Can't call numpy() on Tensor that requires grad...
    """
    flag: object = track_ops  # typed as object so that the check below is not "unreachable"
    if not isinstance(flag, bool):
        msg = f"explain_autograd_errors(track_ops={flag!r}): expected True or False."
        raise TypeError(msg)
    return _ExplainAutogradErrors(track_ops=track_ops)
