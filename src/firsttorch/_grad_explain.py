"""Re-raise PyTorch's autograd and device errors with their cause and a fix, in plain words."""

from __future__ import annotations

import functools
import sys
import weakref
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import torch
from torch.overrides import TorchFunctionMode

from firsttorch._frames import is_library_file, location, user_frame, user_location_in_traceback
from firsttorch._grad_messages import Clues, Cut, Failure, InplaceOp, TensorInfo, Where, explain
from firsttorch.errors import ExplainedAutogradError, FirstTorchError

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType, TracebackType

__all__ = ["explain_autograd_errors"]

_P = ParamSpec("_P")
_R = TypeVar("_R")

_BACKWARD = {"backward": "backward()", "grad": "torch.autograd.grad()"}
_GETTERS = frozenset({"__get__", "__set__"})
_DATA = torch.Tensor.data  # the descriptor behind `tensor.data`
# Calls that turn a tensor into plain numbers: a graph built from those has no history.
_TO_NUMBERS = {
    "item": ".item()",
    "tolist": ".tolist()",
    "numpy": ".numpy()",
    "__array__": "a NumPy conversion (np.array, np.sum, ...)",
    "__float__": "float()",
    "__int__": "int()",
    "tensor": "torch.tensor(...) of a tensor",
}
# Functions whose integer outputs are positions, not quantities.
_INDEX_SOURCES = frozenset(
    {
        *("max", "min", "argmax", "argmin", "sort", "argsort", "topk", "kthvalue", "mode"),
        *("median", "nanmedian", "cummax", "cummin", "nonzero", "argwhere", "unique"),
        *("searchsorted", "bucketize", "multinomial"),
    }
)
_MAX_INDICES = 64


def _versions(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[tuple[torch.Tensor, int, Any]]:
    """The tensors a call may change, with their version counters and grad_fn now.

    Those are its first argument (``self`` of a method, ``input`` of a function; a list
    of tensors for the ``_foreach_`` functions of optimizers) and its ``out=`` tensor.
    """
    first = args[0] if args else None
    found = _versions((kwargs["out"],), {}) if "out" in kwargs else []
    if isinstance(first, torch.Tensor):
        if not first.is_inference():  # inference tensors have no version counter
            found.append((first, first._version, first.grad_fn))
    elif isinstance(first, (list, tuple)):
        found += [
            (t, t._version, None)
            for t in first
            if isinstance(t, torch.Tensor) and not t.is_inference()
        ]
    return found


def _owner(frame: FrameType | None) -> tuple[str | None, object]:
    """The innermost nn.Module or optimizer method between ``frame`` and the user's code."""
    while frame is not None and is_library_file(frame.f_code.co_filename):
        code = frame.f_code
        if code.co_argcount and code.co_varnames[0] == "self":
            owner = frame.f_locals.get("self")
            if isinstance(owner, (torch.nn.Module, torch.optim.Optimizer)):
                return f"{type(owner).__name__}.{code.co_name}", owner
        frame = frame.f_back
    return None, None


def _here() -> Where | None:
    """The user's line that (directly or through library code) made the current torch call."""
    found = user_frame(sys._getframe(2))
    return None if found is None else location(found)


class _Recorder(TorchFunctionMode):
    """Remember, cheaply, the clues that explain a later autograd error.

    Every torch call inside the block passes through ``__torch_function__``. An operation
    counts as in-place when it bumps the version counter of the tensor it works on (its
    first argument) or of its ``out=`` tensor:
    that sees ``x.add_()``, ``x[i] = ...``, ``out=``, ``F.relu(x, inplace=True)``,
    ``nn.Dropout(inplace=True)`` and ``optimizer.step()`` alike. Also written down, each
    with the user's file and line: calls that leave the graph (``.detach()``, ``.data``,
    ``.item()``, torch calls under ``torch.no_grad()``), the target of ``backward()``,
    the outputs of ``argmax``-like functions, and the call that raised.
    """

    def __init__(self) -> None:
        super().__init__()
        self.clues = Clues()
        self._indices: dict[int, tuple[weakref.ref[torch.Tensor], str, Where]] = {}

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
        if name in _GETTERS:  # attribute access (x.grad, x.shape): the most frequent call
            if args and getattr(func, "__self__", None) is _DATA and _needs_grad(args[0]):
                self._note_cut(".data")
            try:
                return func(*args, **kwargs)
            except RuntimeError:  # t.requires_grad = True on an integer tensor
                self._note_failure(name, args, kwargs)
                raise
        if name in _BACKWARD and args:
            self._note_backward(name, args[0])
        elif name in _TO_NUMBERS and args and _needs_grad(args[0]) and torch.is_grad_enabled():
            self._note_cut(_TO_NUMBERS[name])
        before = _versions(args, kwargs)
        try:
            out = func(*args, **kwargs)
        except RuntimeError:
            self._note_failure(name, args, kwargs)
            raise
        self._after(name, args, kwargs, before, out)
        return out

    def _after(
        self,
        name: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        before: list[tuple[torch.Tensor, int, Any]],
        out: Any,
    ) -> None:
        """Write down what a call that returned normally did."""
        for tensor, version, grad_fn in before:
            if tensor._version != version:
                self._note_inplace(name, kwargs, tensor, grad_fn)
        if name == "detach" and args and _needs_grad(args[0]):
            self._note_cut(".detach()")
        elif name in _INDEX_SOURCES:
            self._note_indices(name, out)
        elif not self.clues.graph_built and isinstance(out, torch.Tensor):
            self.clues.graph_built = out.grad_fn is not None
        if not torch.is_grad_enabled() and args and out is not args[0]:
            self._note_no_grad(name, args, out)

    def _note_backward(self, name: str, target: Any) -> None:
        if isinstance(target, (list, tuple)) and target:
            target = target[0]
        if isinstance(target, torch.Tensor):
            self.clues.backward_call = _BACKWARD[name]
            self.clues.backward_shape = tuple(target.shape)
            self.clues.backward_grad_enabled = torch.is_grad_enabled()

    def _note_cut(self, what: str) -> None:
        where = _here()
        if where is not None:
            self.clues.cuts.append(Cut(what, where))

    def _note_no_grad(self, name: str, args: tuple[Any, ...], out: Any) -> None:
        """A new tensor computed under torch.no_grad() from one that requires grad."""
        if not isinstance(out, torch.Tensor) or not any(_needs_grad(a) for a in args):
            return
        if _in_custom_function(sys._getframe(1)):
            return  # autograd.Function.forward always runs without grad: that is no cut
        if not any(cut.what.startswith("torch.no_grad()") for cut in self.clues.cuts):
            self._note_cut(f"torch.no_grad() around {name}")

    def _note_inplace(
        self, name: str, kwargs: dict[str, Any], tensor: torch.Tensor, grad_fn: Any
    ) -> None:
        where = _here()
        if where is None:
            return  # a library's own bookkeeping, run outside any user call
        label = f"{name}(inplace=True)" if kwargs.get("inplace") is True else name
        owner, _ = _owner(sys._getframe(2))
        made_by = None if grad_fn is None else type(grad_fn).__name__
        self.clues.inplace.append(
            InplaceOp(label, tuple(tensor.shape), tensor._version, where, owner, made_by)
        )

    def _note_indices(self, name: str, out: Any) -> None:
        where = _here()
        outputs = out if isinstance(out, tuple) else (out,)
        for tensor in outputs:
            if isinstance(tensor, torch.Tensor) and not tensor.is_floating_point() and where:
                if len(self._indices) >= _MAX_INDICES:
                    self._indices.pop(next(iter(self._indices)))
                self._indices[id(tensor)] = (weakref.ref(tensor), f"torch.{name}", where)

    def _note_failure(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        label = f"{name}(inplace=True)" if kwargs.get("inplace") is True else name
        owner, module = _owner(sys._getframe(2))
        tensors = [(f"argument {i}", a) for i, a in enumerate(args) if isinstance(a, torch.Tensor)]
        tensors += [(k, v) for k, v in kwargs.items() if isinstance(v, torch.Tensor)]
        infos = tuple(
            TensorInfo(
                label,
                tuple(t.shape),
                str(t.device),
                str(t.dtype).removeprefix("torch."),
                t.is_leaf,
                t.requires_grad,
            )
            for label, t in tensors
        )
        devices: tuple[str, ...] = ()
        if isinstance(module, torch.nn.Module):
            own = [*module.parameters(recurse=False), *module.buffers(recurse=False)]
            devices = tuple(dict.fromkeys(str(t.device) for t in own))
        indices = None
        if args and isinstance(args[0], torch.Tensor) and id(args[0]) in self._indices:
            ref, source, where = self._indices[id(args[0])]
            if ref() is args[0]:
                indices = (source, where)
        self.clues.failure = Failure(label, _here(), owner, infos, devices, indices)


_APPLY = torch.autograd.Function.apply.__func__.__code__  # type: ignore[attr-defined]


def _in_custom_function(frame: FrameType | None) -> bool:
    """Whether the stack runs the forward of a custom torch.autograd.Function."""
    while frame is not None:
        if frame.f_code is _APPLY:
            return True
        frame = frame.f_back
    return False


def _needs_grad(value: Any) -> bool:
    return isinstance(value, torch.Tensor) and value.requires_grad


class _ExplainAutogradErrors:
    """The context manager and decorator returned by :func:`explain_autograd_errors`."""

    def __init__(self, *, track_ops: bool) -> None:
        self._track_ops = track_ops
        self._recorders: list[_Recorder | None] = []

    def __repr__(self) -> str:
        return f"explain_autograd_errors(track_ops={self._track_ops})"

    def __call__(self, func: Callable[_P, _R]) -> Callable[_P, _R]:
        """Run ``func`` inside a fresh block on every call (threads never share one)."""
        track_ops = self._track_ops

        @functools.wraps(func)
        def explained(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            with _ExplainAutogradErrors(track_ops=track_ops):
                return func(*args, **kwargs)

        return explained

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
        clues = Clues() if recorder is None else recorder.clues
        clues.tracked = recorder is not None
        clues.block_grad_enabled = torch.is_grad_enabled()
        clues.raised_at = user_location_in_traceback(exc.__traceback__)
        message = explain(str(exc), clues)
        if message is not None:
            raise ExplainedAutogradError(message, exc) from exc


def explain_autograd_errors(*, track_ops: bool = True) -> _ExplainAutogradErrors:
    """Explain autograd and device errors raised inside a block: what happened, why, the fix.

    Use it as ``with explain_autograd_errors():`` or as a decorator,
    ``@explain_autograd_errors()``. A recognised :class:`RuntimeError` from PyTorch is
    re-raised as :class:`~firsttorch.ExplainedAutogradError` (still a ``RuntimeError``)
    whose first line is PyTorch's message, with the original as ``__cause__``; any other
    exception passes through unchanged. Besides autograd's own errors it explains tensors
    on different devices ("Expected all tensors to be on the same device"), float32 and
    float64 mixed in one operation, and ``torch.load`` of a GPU checkpoint without a GPU.

    Args:
        track_ops: Record, inside the block, every in-place operation (any torch call
            that changes one of its tensor arguments, ``inplace=True`` in
            ``torch.nn.functional`` and modules included), calls that leave the graph
            (``.detach()``, ``.data``, ``.item()``, ``torch.no_grad()``) and the call that
            raised, via a ``torch.overrides.TorchFunctionMode``, so that the explanation
            can name the file and line responsible. This costs a few microseconds per
            torch call; pass ``False`` for zero overhead.

    Returns:
        A context manager that also works as a decorator.

    Raises:
        TypeError: If ``track_ops`` is not a bool.

    >>> x = torch.tensor([1.0, 2.0], requires_grad=True)
    >>> with explain_autograd_errors():
    ...     x.numpy()
    Traceback (most recent call last):
    ...
    firsttorch.ExplainedAutogradError: Can't call numpy() on Tensor that requires grad...
    """
    flag: object = track_ops  # typed as object so that the check below is not "unreachable"
    if not isinstance(flag, bool):
        msg = f"explain_autograd_errors(track_ops={flag!r}): expected True or False."
        raise TypeError(msg)
    return _ExplainAutogradErrors(track_ops=track_ops)
