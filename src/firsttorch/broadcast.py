"""Compute, explain and police broadcasting, with messages that show the shapes."""

from __future__ import annotations

import ctypes
import dataclasses
import functools
import gc
import operator
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar, cast

import torch

from firsttorch import _broadcast_site as _site
from firsttorch import _broadcast_text as _text
from firsttorch.errors import BroadcastError, BroadcastWarning, SurprisingBroadcastError

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["broadcast_shape", "explain_broadcast", "strict_broadcasting"]

_P = ParamSpec("_P")
_R = TypeVar("_R")
Policy = Literal["likely-bug", "result", "rank"] | Callable[[str, tuple[torch.Size, ...]], bool]
_POLICIES = ("likely-bug", "result", "rank")
_SHAPES = (tuple, list, torch.Size)


def _shape_of(name: str, i: int, arg: object) -> Sequence[int]:
    """The shape that argument ``i`` stands for, validated (the slow path)."""
    if isinstance(arg, torch.Tensor):
        return arg.shape
    if isinstance(arg, (float, complex)):
        msg = (
            f"{name}(): argument {i} is the number {arg!r}, which is not a shape. A Python"
            " number broadcasts as the shape (), so pass () (or the tensor itself); a bare"
            " int n means the shape (n,), as in torch.broadcast_shapes."
        )
        raise TypeError(msg)
    if isinstance(arg, _SHAPES):
        try:
            shape: tuple[int, ...] = tuple(operator.index(size) for size in arg)
        except TypeError as err:
            msg = f"{name}(): argument {i} must hold only ints, got {arg!r}."
            raise TypeError(msg) from err
    else:
        try:
            shape = (operator.index(arg),)  # type: ignore[arg-type]
        except TypeError:
            msg = (
                f"{name}(): argument {i} must be a tensor, a shape (torch.Size, tuple or list"
                f" of ints) or an int n (the shape (n,)), got {type(arg).__name__} {arg!r}."
            )
            raise TypeError(msg) from None
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
        elif kind is int and arg >= 0:  # type: ignore[operator]
            shapes.append((arg,))  # type: ignore[arg-type]
        elif (kind is tuple or kind is torch.Size or kind is list) and all(
            type(size) is int and size >= 0
            for size in arg  # type: ignore[attr-defined]
        ):
            shapes.append(arg)  # type: ignore[arg-type]
        else:
            shapes.append(_shape_of(name, i, arg))
    return shapes


def broadcast_shape(*shapes_or_tensors: object) -> torch.Size:
    """Return the shape that broadcasting the inputs together gives, or explain why not.

    Agrees with :func:`torch.broadcast_shapes` (a bare int ``n`` is the shape ``(n,)``, as
    there and in NumPy), but also takes tensors, which count by their shape (a 0-d tensor
    is ``()``), and its error shows the shapes lined up, the conflicting dims and a fix.

    Args:
        *shapes_or_tensors: Tensors, :class:`torch.Size` objects, tuples or lists of ints,
            or ints. No arguments gives ``torch.Size([])``.

    Returns:
        The broadcast shape.

    Raises:
        TypeError: An argument is none of the above (a float or complex number is not a
            shape: a scalar broadcasts as ``()``), or a shape holds a non-int.
        ValueError: A shape has a negative size.
        BroadcastError: The shapes cannot be broadcast (also a ``RuntimeError``, like
            :func:`torch.broadcast_shapes` raises).

    >>> broadcast_shape((8, 1), torch.zeros(3), torch.tensor(2.0))
    torch.Size([8, 3])
    >>> broadcast_shape(3, (1,))
    torch.Size([3])
    """
    shapes = _shapes("broadcast_shape", shapes_or_tensors)
    result = _text.broadcast(shapes)
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
        TypeError: An argument is not a tensor, a shape or an int.
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


@dataclasses.dataclass(frozen=True)
class _Checker:
    """The settings of one active :class:`strict_broadcasting` block, and its checks."""

    mode: Literal["raise", "warn"]
    policy: Policy

    def check(self, op: str, args: Sequence[Any], kwargs: dict[str, Any], frame: FrameType) -> None:
        """Raise or warn if this call, made from ``frame``, is flagged."""
        if op.startswith("F."):
            found = self._check_loss(op, args, kwargs, frame)
        else:
            found = self._check(op, args, kwargs, frame)
        if found is not None and self.mode == "raise":
            raise SurprisingBroadcastError(found[0])
        if found is not None:
            # hops count from the caller of the watched function, which warns 2 frames in
            warnings.warn(found[0], BroadcastWarning, stacklevel=found[1] + 2)

    def _check(
        self, op: str, args: Sequence[Any], kwargs: dict[str, Any], frame: FrameType
    ) -> tuple[str, int] | None:
        """The message and the caller's distance in frames, if this call is flagged."""
        shapes = [a.shape for a in args if isinstance(a, torch.Tensor)]
        if kwargs:
            shapes += [
                v.shape for k, v in kwargs.items() if k != "out" and isinstance(v, torch.Tensor)
            ]
        big = [s for s in shapes if s]
        if isinstance(self.policy, str) and (not big or big.count(big[0]) == len(big)):
            return None  # at most one shape besides scalars: nothing to flag (the usual case)
        operands: list[tuple[int | str, torch.Tensor]] = [
            (i, a) for i, a in enumerate(args) if isinstance(a, torch.Tensor)
        ]
        operands += [
            (k, v) for k, v in kwargs.items() if k != "out" and isinstance(v, torch.Tensor)
        ]
        result = _text.broadcast(shapes)
        if result is None:
            return None  # torch raises its own error
        if self.policy == "rank":
            flagged = len({len(s) for s in big}) > 1
        elif isinstance(self.policy, str):  # "result" and "likely-bug": both sides stretch
            flagged = tuple(result) not in big
            if self.policy == "likely-bug" and flagged:
                # the (N, 1) vs (N,) signature, in shapes alone: one operand is promoted to
                # more dims, and two hold as many elements; the source is read below
                flagged = len({len(s) for s in big}) > 1 and _site.same_size_pair(big)
        else:  # a callable: ask it only about the user's own calls
            caller = _site.user_frame(frame)
            flagged = caller is not None and bool(self.policy(op, tuple(shapes)))
            return self._report(caller, op, operands, result) if flagged else None
        if not flagged:
            return None
        caller = _site.user_frame(frame)
        if (
            caller is not None
            and self.policy == "likely-bug"
            and _site.explicit_axes(caller[0], op)
        ):
            return None  # `x[:, None] - x`: the writer arranged the axes on purpose
        return self._report(caller, op, operands, result)

    def _report(
        self,
        caller: tuple[FrameType, int] | None,
        op: str,
        operands: list[tuple[int | str, torch.Tensor]],
        result: list[int],
    ) -> tuple[str, int] | None:
        if caller is None:
            return None  # library code (torch's, firsttorch's, a package's): not the user's
        return _site.message(caller[0], op, operands, result, self.policy), caller[1]

    def _check_loss(
        self, loss: str, args: Sequence[Any], kwargs: dict[str, Any], frame: FrameType
    ) -> tuple[str, int] | None:
        """Flag a loss whose input and target broadcast so that values pair up wrongly."""
        input_, target = _site.loss_operands(args, kwargs)
        if not isinstance(input_, torch.Tensor) or not isinstance(target, torch.Tensor):
            return None
        if input_.shape == target.shape:
            return None
        if target.dim() == 0 and not callable(self.policy):
            return None  # a 0-d target is one constant for every value: a choice, not a mix-up
        shapes = (input_.shape, target.shape)
        if not callable(self.policy) and not _site.stretches(*shapes):
            return None
        caller = _site.user_frame(frame, through_torch=True)
        if caller is None or (callable(self.policy) and not self.policy(loss, shapes)):
            return None
        return _site.loss_message(caller[0], loss, input_, target), caller[1]


class _Watch:
    """The watched functions, replaced by checking wrappers while any block is open.

    A torch function mode would see every call, but costs about 1.5x on a small training
    step even when it only forwards; wrapping just the element-wise ops and losses costs
    nothing for the rest (``nn.Linear``, ``backward``, the optimizer). The wrappers are
    installed where torch defines the functions when the first block in the process opens,
    and removed when the last closes; names in the block's own module that hold one of
    them (``from torch.nn.functional import mse_loss``, ``loss_fn = F.mse_loss``) are
    pointed at the wrapper for the block's duration. Each thread checks against its own
    open blocks only, and torch's own calls inside a watched call are not checked again.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0
        self.local = threading.local()
        self.owners: list[_Owner] = []  # made once: wrapping costs more than installing
        self.wrappers: dict[int, Callable[..., Any]] = {}  # by id of the original
        self.originals: dict[int, object] = {}  # by id of the wrapper

    def stack(self) -> list[_Checker]:
        """This thread's open blocks, outermost first."""
        stack: list[_Checker] | None = getattr(self.local, "stack", None)
        if stack is None:
            stack = self.local.stack = []
            self.local.busy = False
        return stack

    def open(self, checker: _Checker, namespace: dict[str, Any]) -> list[str]:
        """Open a block; returns the names of ``namespace`` now pointed at wrappers."""
        with self.lock:
            if self.users == 0:
                if not self.owners or any(o.changed() for o in self.owners):
                    self._make()  # the first time, or torch's attributes were replaced since
                for owner in self.owners:
                    owner.install()
            self.users += 1
            rebound = [name for name, value in namespace.items() if id(value) in self.wrappers]
            for name in rebound:
                namespace[name] = self.wrappers[id(namespace[name])]
        self.stack().append(checker)
        return rebound

    def close(self, checker: _Checker, namespace: dict[str, Any], rebound: list[str]) -> None:
        """Close a block opened with :meth:`open`, putting back what it changed."""
        stack = self.stack()
        del stack[len(stack) - 1 - stack[::-1].index(checker)]
        with self.lock:
            for name in rebound:
                original = self.originals.get(id(namespace.get(name)))
                if original is not None:  # unless the user's code rebound the name meanwhile
                    namespace[name] = original
            self.users -= 1
            if self.users == 0:
                for owner in self.owners:
                    owner.uninstall()

    def installed(self) -> list[str]:
        """The watched functions replaced right now, as ``owner.attr`` (none outside blocks)."""
        return [
            f"{owner.name}.{attr}"
            for owner in self.owners
            for attr, wrapper in owner.wrapping.items()
            if vars(owner.owner).get(attr) is wrapper
        ]

    def _make(self) -> None:
        self.wrappers.clear()
        self.originals.clear()
        grouped: dict[int, tuple[Any, dict[str, Callable[..., Any]]]] = {}
        for (owner, attr), name in _site.watched().items():
            original = getattr(owner, attr)
            wrapper = self.wrappers.get(id(original)) or self._wrap(original, name)
            self.wrappers[id(original)] = wrapper
            self.originals[id(wrapper)] = original
            grouped.setdefault(id(owner), (owner, {}))[1][attr] = wrapper
        self.owners = [_Owner(owner, wrapping) for owner, wrapping in grouped.values()]

    def _wrap(self, original: Callable[..., Any], name: str) -> Callable[..., Any]:
        local = self.local

        @functools.wraps(original)
        def watched(*args: Any, **kwargs: Any) -> Any:
            stack: list[_Checker] | None = getattr(local, "stack", None)
            if not stack or local.busy:
                return original(*args, **kwargs)  # no block in this thread, or torch's own call
            local.busy = True
            try:
                frame = sys._getframe(1)
                for checker in stack if len(stack) == 1 else reversed(dict.fromkeys(stack)):
                    checker.check(name, args, kwargs, frame)
                return original(*args, **kwargs)
            finally:
                local.busy = False

        return watched


class _Owner:
    """Where watched functions live (torch, torch.Tensor, torch.nn.functional), and the swap.

    For a class the wrappers are written into its attribute dict and the type's lookup
    cache is then invalidated once (``PyType_Modified``, the C API's documented step after
    changing a type's attributes directly): 144 ``setattr`` calls on ``torch.Tensor`` would
    cost about 0.2 ms per block, because each operator update walks every subclass. A
    one-time probe checks that the operators of ``torch.Tensor`` find their methods through
    that dict (so they see the swap); where they would not, ``setattr`` is used instead.
    """

    def __init__(self, owner: Any, wrapping: dict[str, Callable[..., Any]]) -> None:
        self.owner = owner
        self.name = getattr(owner, "__name__", repr(owner))
        self.wrapping = wrapping
        self.held = {attr: vars(owner).get(attr, _MISSING) for attr in wrapping}
        self.direct = not isinstance(owner, type) or _operators_follow_dict(owner)
        self.ns: dict[str, Any] = _writable_dict(owner) if self.direct else {}

    def changed(self) -> bool:
        """Whether something replaced these attributes since the wrappers were made."""
        now = vars(self.owner)
        return any(now.get(attr, _MISSING) is not held for attr, held in self.held.items())

    def install(self) -> None:
        if self.direct:
            self.ns.update(self.wrapping)
            _types_modified(self.owner)
        else:
            for attr, wrapper in self.wrapping.items():
                setattr(self.owner, attr, wrapper)

    def uninstall(self) -> None:
        for attr, held in self.held.items():
            if not self.direct and held is _MISSING:
                delattr(self.owner, attr)  # it was inherited (from torch._C.TensorBase)
            elif not self.direct:
                setattr(self.owner, attr, held)
            elif held is _MISSING:
                del self.ns[attr]
            else:
                self.ns[attr] = held
        if self.direct:
            _types_modified(self.owner)


def _writable_dict(owner: Any) -> dict[str, Any]:
    """A module's namespace, or the dict behind a class's read-only ``__dict__`` view."""
    if not isinstance(owner, type):
        return cast("dict[str, Any]", vars(owner))
    ns: object = gc.get_referents(owner.__dict__)[0]
    if not isinstance(ns, dict):
        msg = f"strict_broadcasting: cannot reach the attributes of {owner!r} ({type(ns)})."
        raise TypeError(msg)
    return cast("dict[str, Any]", ns)


def _types_modified(owner: Any) -> None:
    if isinstance(owner, type):
        ctypes.pythonapi.PyType_Modified(ctypes.py_object(owner))


@functools.cache
def _operators_follow_dict(cls: type) -> bool:
    """Whether ``a - b`` on ``cls`` instances calls what its dict holds under ``__sub__``."""
    if "__sub__" in vars(cls) or not issubclass(cls, torch.Tensor):
        return False
    ns = _writable_dict(cls)
    marker = object()
    ns["__sub__"] = lambda *_: marker
    _types_modified(cls)
    try:
        zero = torch.zeros(())
        return (zero - zero) is marker
    finally:
        del ns["__sub__"]
        _types_modified(cls)


@dataclasses.dataclass(frozen=True)
class _Block:
    """One open block: its checker, and the names it pointed at wrappers in ``namespace``."""

    checker: _Checker
    namespace: dict[str, Any]
    rebound: list[str]


_MISSING = object()
_WATCH = _Watch()


class strict_broadcasting:
    """Flag broadcasts that are likely bugs, as a ``with`` block or decorator.

    While active, every element-wise operation (``+ - * / // % **``, comparisons, their
    in-place forms, ``torch.add``, ``torch.where``, ``Tensor.add_``, ...) and every
    element-wise loss (``F.mse_loss``, ``F.l1_loss``, ``F.smooth_l1_loss``,
    ``F.huber_loss``, ``F.kl_div``, ... and the ``nn`` modules that call them, such as
    ``nn.MSELoss``) that your own code calls is checked before it runs. What torch,
    firsttorch or an installed package does internally is not. Nothing is installed
    outside the block, and blocks nest.

    The block replaces the watched functions where torch defines them (``torch.add``,
    ``Tensor.__sub__``, ``F.mse_loss``) for its duration, and names in your module that hold
    them (``from torch.nn.functional import mse_loss``); a reference kept elsewhere from
    before the block (a ``functools.partial`` of a loss, an alias in another module) calls
    torch unchecked. Only the calls of the thread that opened the block are checked. Open
    it around a loop rather than inside: the outermost block costs about 0.05 ms to open
    and close, and then only the watched calls pay, a few microseconds each.

    A loss is flagged when its input and target shapes broadcast so that values pair up
    with several partners, as ``(N, 1)`` predictions against ``(N,)`` targets do (shapes
    that differ only by size-1 dims, like ``(1, N)`` and ``(N,)``, pass).

    Args:
        mode: ``"raise"`` raises :class:`~firsttorch.SurprisingBroadcastError` before the
            operation runs (nothing is computed or modified); ``"warn"`` emits a
            :class:`~firsttorch.BroadcastWarning` pointing at your line and lets it run.
        policy: Which element-wise broadcasts to flag. ``"likely-bug"`` (the default)
            flags the signature of the ``(N, 1) - (N,) -> (N, N)`` bug: both operands
            stretch, one is promoted to more dims, two of them hold as many elements, and
            the source does not arrange the axes on purpose. So a bias add, masks such as
            ``ar[:, None] >= ar[None, :]``, pairwise differences ``x[:, None] - x[None]``,
            outer products and one-hot ``y[:, None] == torch.arange(C)`` pass.
            ``"result"`` flags every broadcast whose result shape matches none of the
            operands' shapes, outer products included. ``"rank"`` (like JAX's
            ``jax_numpy_rank_promotion``) flags every implicit rank promotion between
            non-scalar operands, the bias add included. A callable
            ``policy(op_name, shapes) -> bool`` gets the op's name (``"Tensor.add"``,
            ``"torch.where"``, ``"F.mse_loss"``) and the shapes of its tensor operands (a
            loss's input and target), and returns True (truthy) to flag.

    Raises:
        TypeError: ``mode`` is not a str, or ``policy`` is neither a str nor callable.
        ValueError: ``mode`` or ``policy`` is not one of the choices.

    >>> pred, target = torch.zeros(8, 1), torch.zeros(8)
    >>> with strict_broadcasting():
    ...     loss = ((pred - target) ** 2).mean()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    firsttorch.SurprisingBroadcastError: strict_broadcasting: `pred - target` broadcast ...
    >>> with strict_broadcasting():
    ...     loss = torch.nn.MSELoss()(pred, target)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    firsttorch.SurprisingBroadcastError: strict_broadcasting: F.mse_loss got input (8, 1) ...
    """

    def __init__(
        self, mode: Literal["raise", "warn"] = "raise", policy: Policy = "likely-bug"
    ) -> None:
        for arg, value, choices in (
            ("mode", mode, ("raise", "warn")),
            ("policy", policy, _POLICIES),
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
        self._active: list[_Block] = []

    def __repr__(self) -> str:
        return f"strict_broadcasting(mode={self.mode!r}, policy={self.policy!r})"

    def __enter__(self) -> Self:
        self._open(sys._getframe(1).f_globals)
        return self

    def _open(self, namespace: dict[str, Any]) -> None:
        checker = _Checker(self.mode, self.policy)
        rebound = _WATCH.open(checker, namespace)
        self._active.append(_Block(checker, namespace, rebound))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        block = self._active.pop()
        _WATCH.close(block.checker, block.namespace, block.rebound)

    def __call__(self, func: Callable[_P, _R]) -> Callable[_P, _R]:
        """Run ``func`` under a fresh copy of these settings on every call."""

        namespace = getattr(func, "__globals__", {})  # the module the function reads names in

        @functools.wraps(func)
        def strict(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            block = strict_broadcasting(self.mode, self.policy)
            block._open(namespace)
            try:
                return func(*args, **kwargs)
            finally:
                block.__exit__(None, None, None)

        return strict
