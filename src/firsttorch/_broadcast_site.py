"""For strict_broadcasting: which ops to watch, where the user's call is, and the message."""

from __future__ import annotations

import ast
import functools
import linecache
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

import torch

from firsttorch import _broadcast_text as _text
from firsttorch import _frames

_NAMES = [
    *("add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "rsub"),
    *("floor_divide", "remainder", "fmod", "pow", "float_power", "atan2", "arctan2", "hypot"),
    *("maximum", "minimum", "fmax", "fmin", "eq", "ne", "lt", "le", "gt", "ge", "greater"),
    *("less", "greater_equal", "less_equal", "not_equal", "isclose", "where", "masked_fill"),
    *("logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor"),
    *("bitwise_left_shift", "bitwise_right_shift", "lerp", "addcmul", "addcdiv", "copysign"),
    *("xlogy", "ldexp", "nextafter", "heaviside", "logaddexp", "logaddexp2", "clamp", "clip"),
    *("gcd", "lcm", "igamma", "igammac"),
]
_LOSSES = [
    *("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div", "poisson_nll_loss"),
    *("gaussian_nll_loss", "hinge_embedding_loss", "soft_margin_loss"),
    "multilabel_soft_margin_loss",
]
_DUNDERS = ["add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "and", "or", "xor"]
_COMPARE = ["eq", "ne", "lt", "le", "gt", "ge"]
# operators named as torch names them to a torch function mode (``a - b`` is Tensor.sub)
_OPERATOR_NAMES = {"add": "add", "sub": "sub", "mul": "mul", "truediv": "div"}
_ATOMS = (ast.Name, ast.Attribute, ast.Call, ast.Subscript, ast.Constant)


@functools.cache
def watched() -> dict[tuple[Any, str], str]:
    """Every watched function, as (owner, attribute), mapped to its name.

    The names read as a user would write them: ``torch.where``, ``Tensor.add_``,
    ``Tensor.__sub__`` (the ``-`` operator), ``F.mse_loss`` (which ``nn.MSELoss`` calls).
    """
    found: dict[tuple[Any, str], str] = {}
    dunders = [f"__{p}{n}__" for n in _DUNDERS for p in ("", "r", "i")]
    for name in _NAMES:
        for owner, prefix in ((torch, "torch."), (torch.Tensor, "Tensor.")):
            for attr in (name, name + "_"):
                if callable(getattr(owner, attr, None)):
                    found[owner, attr] = prefix + attr
    for attr in [*(f"__{n}__" for n in _COMPARE), *dunders]:  # the operators
        if callable(getattr(torch.Tensor, attr, None)):
            found[torch.Tensor, attr] = "Tensor." + _operator_name(attr)
    for name in _LOSSES:
        found[torch.nn.functional, name] = f"F.{name}"
    return found


def _operator_name(attr: str) -> str:
    """``__sub__`` -> ``sub``, ``__isub__`` -> ``sub_``; others as they are."""
    for name, method in _OPERATOR_NAMES.items():
        if attr == f"__{name}__":
            return method
        if attr == f"__i{name}__":
            return method + "_"
    return attr


def loss_operands(args: Sequence[Any], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    """A loss call's ``input`` and ``target``, given by position or keyword."""
    input_ = args[0] if args else kwargs.get("input")
    target = args[1] if len(args) > 1 else kwargs.get("target")
    return input_, target


def stretches(a: Sequence[int], b: Sequence[int]) -> bool:
    """Whether broadcasting ``a`` with ``b`` repeats values of either one.

    Shapes that differ only in size-1 dims, like ``(1, 128)`` and ``(128,)``, pair every
    value with exactly one partner; ``(2, 1, 3)`` and ``(2, 3)`` give ``(2, 2, 3)``.

    >>> stretches((1, 128), (128,)), stretches((2, 1, 3), (2, 3))
    (False, True)
    """
    result = _text.broadcast([a, b])
    if result is None:
        return False  # torch raises its own error

    def core(shape: Sequence[int]) -> list[int]:
        return [x for x in shape if x != 1]

    return core(result) != core(a) or core(result) != core(b)


@functools.cache
def _torch_dir() -> str:
    return str(Path(torch.__file__).parent) + os.sep


def user_frame(
    frame: FrameType | None, *, through_torch: bool = False
) -> tuple[FrameType, int] | None:
    """The user's frame among ``frame`` and its callers, and how many hops out it is.

    ``frame`` (hop 1) is the caller of a watched function. With ``through_torch`` (for a
    loss reached through an ``nn.Module``) every frame inside torch is passed. None when
    the caller found is library code (torch, firsttorch, the standard library, any
    installed package): its broadcasts are not the user's business.
    """
    hops = 1
    while frame is not None and through_torch and frame.f_code.co_filename.startswith(_torch_dir()):
        frame, hops = frame.f_back, hops + 1
    if frame is None or _frames.is_library_file(frame.f_code.co_filename):
        return None
    return frame, hops


def _inserts_axis(expr: ast.expr) -> bool:
    """Whether an operand's source visibly gives it a new or kept axis.

    ``x[:, None]``, ``x[np.newaxis]``, ``x.unsqueeze(1)``, ``x.view(-1, 1)``,
    ``x.sum(1, keepdim=True)``: the writer arranged the axes on purpose.
    """
    for node in ast.walk(expr):
        if isinstance(node, ast.Subscript):
            index = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if any(_is_new_axis(i) for i in index):
                return True
        elif isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else ""
            if name in ("unsqueeze", "unsqueeze_", "expand", "expand_as"):
                return True
            if name in ("view", "reshape") and any(
                isinstance(a, ast.Constant) and a.value == 1 for a in node.args
            ):
                return True
            if any(k.arg == "keepdim" for k in node.keywords):
                return True
    return False


def _is_new_axis(index: ast.expr) -> bool:
    if isinstance(index, ast.Constant):
        return index.value is None
    return isinstance(index, ast.Attribute) and index.attr == "newaxis"


def explicit_axes(frame: FrameType, op: str) -> bool:
    """Whether the source of the call in ``frame`` shows an operand's axes set on purpose."""
    segment = _segment(frame)
    node = None if segment is None else _node(segment)
    args, kwargs = _operand_nodes(node, op)
    return any(_inserts_axis(e) for e in [*args, *kwargs.values()])


def _segment(frame: FrameType) -> str | None:
    """The source text of the expression the frame is executing (Python >= 3.11)."""
    code: CodeType = frame.f_code
    spans = list(code.co_positions()) if hasattr(code, "co_positions") else []
    start, end, col, end_col = spans[frame.f_lasti // 2] if spans else (None,) * 4
    if start is None or start != end or col is None or end_col is None:
        return None
    line = linecache.getline(code.co_filename, start, frame.f_globals).encode()
    return line[col:end_col].decode(errors="replace")


def _node(segment: str) -> ast.AST | None:
    """The segment parsed, or None when it is not one whole expression or statement."""
    try:
        body = ast.parse(segment).body
    except SyntaxError:
        return None
    if len(body) != 1:
        return None
    return body[0].value if isinstance(body[0], ast.Expr) else body[0]


def _operand_nodes(node: ast.AST | None, op: str) -> tuple[list[ast.expr], dict[str, ast.expr]]:
    """The source expressions for ``op``'s positional and keyword arguments, as far as known."""
    if isinstance(node, ast.BinOp):
        pair = [node.left, node.right]
    elif isinstance(node, ast.Compare) and len(node.ops) == 1:
        pair = [node.left, node.comparators[0]]
    elif isinstance(node, ast.AugAssign):
        pair = [node.target, node.value]
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == op.rsplit(".", maxsplit=1)[-1]
        and not any(isinstance(a, ast.Starred) for a in node.args)
    ):
        method = op.startswith("Tensor.") and ast.unparse(node.func.value) != "torch.Tensor"
        args = [node.func.value, *node.args] if method else list(node.args)
        return args, {k.arg: k.value for k in node.keywords if k.arg is not None}
    else:
        return [], {}
    return pair[::-1] if op.startswith("Tensor.__r") else pair, {}


def _name(expr: ast.expr | None) -> str | None:
    if expr is None:
        return None
    text = ast.unparse(expr)
    text = text if isinstance(expr, _ATOMS) else f"({text})"
    return text if len(text) <= 40 else None


def describe_site(frame: FrameType, op: str, keys: Sequence[int | str]) -> tuple[str, list[str]]:
    """The operation as written (or ``op``) and a name for each tensor operand."""
    segment = _segment(frame)
    node = None if segment is None else _node(segment)
    args, kwargs = _operand_nodes(node, op)
    names = [
        _name(args[k] if isinstance(k, int) and k < len(args) else kwargs.get(str(k))) for k in keys
    ]
    shown = segment if segment is not None and node is not None and len(segment) <= 60 else op
    if None in names:
        return shown, [f"operand {i}" for i in range(len(keys))]
    return shown, [str(n) for n in names]


def _call(name: str, method: str) -> str:
    return f".{method} on {name}" if name.startswith("operand ") else f"{name}.{method}"


def _where(frame: FrameType) -> str:
    path = frame.f_code.co_filename
    path = path.removeprefix(str(Path.cwd()) + os.sep)
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno, frame.f_globals).strip()
    return f"  at {path}:{frame.f_lineno}" + (f"\n    {line}" if line else "")


def message(
    frame: FrameType,
    op: str,
    operands: Sequence[tuple[int | str, torch.Tensor]],
    result: Sequence[int],
    policy: str | Callable[..., Any],
) -> str:
    """The message for a flagged broadcast of ``operands`` by ``op``, called in ``frame``."""
    shown, names = describe_site(frame, op, [k for k, _ in operands])
    shapes = [tuple(t.shape) for _, t in operands]
    big = [i for i, s in enumerate(shapes) if s]
    head = (
        f"strict_broadcasting: `{shown}` broadcast {_text.fmt_list(shapes)} to {_text.fmt(result)},"
    )
    where = _where(frame)
    if tuple(result) not in shapes:
        which = "neither input's shape" if len(shapes) == 2 else "none of the inputs' shapes"
        lines = [head, f"which matches {which}.", where]
        in_place = op.startswith("Tensor.__i") or (op.endswith("_") and not op.endswith("__"))
        widest = max(reversed(big), key=lambda i: _text.numel(shapes[i]))
        expand = _call(names[widest], f"expand{_text.fmt(result)}")
        if not looks_like_bug(shapes, frame, op):
            lines.append(
                f"Both sides stretch, as in an outer product; if {_text.fmt(result)} is"
                f" intended, say so explicitly: {expand}."
            )
            return "\n".join(lines)
        expected = max(_text.numel(shapes[i]) for i in big)
        if _text.numel(result) > expected:
            lines.append(
                f"This is usually a bug: the result has {_text.numel(result)} elements where you"
                f" probably expected {expected}."
            )
        fix = _elementwise_fix(shapes, names, big)
        lines.append(
            f"Fix: if you meant element-wise, make the shapes match:\n  {fix}."
            if fix
            else "Fix: if you meant element-wise, make the shapes equal (.squeeze, .unsqueeze,"
            " .reshape)."
        )
        if not in_place:
            lines.append(f"If {_text.fmt(result)} is intended, say so explicitly: {expand}.")
    elif policy == "rank":
        low = min(big, key=lambda i: len(shapes[i]))
        ndim, missing = len(result), len(result) - len(shapes[low])
        padded = _text.fmt((1,) * missing + shapes[low])
        how = "unsqueeze(0)" if missing == 1 else f"reshape{padded}"
        promoting = f"promoting {names[low]} from {len(shapes[low])} to {ndim} dims;"
        lines = [
            head,
            promoting + ' policy="rank" allows no implicit rank promotion.',
            where,
            f"Fix: make the promotion explicit: {_call(names[low], how)} gives {padded}.",
        ]
    else:
        label = getattr(policy, "__name__", type(policy).__name__)
        lines = [head, f"which your policy {label} flags.", where]
    return "\n".join(lines)


def same_size_pair(shapes: Sequence[Sequence[int]]) -> bool:
    """Whether two of the non-scalar shapes hold as many elements: one data, two layouts."""
    sizes = [_text.numel(s) for s in shapes if len(s)]
    return len(set(sizes)) < len(sizes)


def looks_like_bug(shapes: Sequence[Sequence[int]], frame: FrameType, op: str) -> bool:
    """Whether a broadcast that stretches every operand has the marks of the (N, 1) bug.

    Two operands hold as many elements (the same data laid out two ways, like a model's
    ``(N, 1)`` output and an ``(N,)`` target), and no operand's source arranges its axes
    on purpose (``x[:, None]``, ``.unsqueeze``, ``.view(-1, 1)``, ``keepdim=True``).
    """
    return same_size_pair(shapes) and not explicit_axes(frame, op)


def loss_message(frame: FrameType, loss: str, input_: torch.Tensor, target: torch.Tensor) -> str:
    """The message for a loss whose input and target broadcast to a new shape."""
    shapes = [tuple(input_.shape), tuple(target.shape)]
    result = _text.broadcast(shapes) or []
    segment = _segment(frame)
    node = None if segment is None else _node(segment)
    call = node if isinstance(node, ast.Call) else None
    given = [] if call is None else [*call.args, *(k.value for k in call.keywords)]
    found = [_name(e) for e in given[:2]]
    names = [n for n in found if n is not None] if len(given) >= 2 else []
    names = names if len(names) == 2 else []
    shown = names or ["input", "target"]
    sizes = [_text.numel(shape) for shape in shapes]
    meets = [
        f"each {side} value meets {_text.numel(result) // n} {other} values"
        for side, other, n in (("input", "target", sizes[0]), ("target", "input", sizes[1]))
        if n and _text.numel(result) > n
    ]
    head = (
        f"strict_broadcasting: {loss} got input {_text.fmt(shapes[0])} and target"
        f" {_text.fmt(shapes[1])}; broadcasting them gives {_text.fmt(result)},"
    )
    why = f"so {' and '.join(meets) or 'values pair up wrongly'}, where each should meet one."
    lines = [head, why, _where(frame)]
    fix = _elementwise_fix(shapes, names or ["operand 0", "operand 1"], [0, 1])
    if fix is not None and names:
        lines.append(f"Fix: make the shapes equal before the loss:\n  {fix}.")
    else:
        view_as = f", or {shown[1]}.view_as({shown[0]})" if sizes[0] == sizes[1] else ""
        lines.append(
            f"Fix: make the shapes equal before the loss (.squeeze, .unsqueeze, .reshape{view_as})."
        )
    return "\n".join(lines)


def _elementwise_fix(
    shapes: Sequence[tuple[int, ...]], names: list[str], big: list[int]
) -> str | None:
    """How to make the operands' shapes equal, for the common two-shape mistakes; or None."""
    groups: dict[tuple[int, ...], list[str]] = {}
    for i in big:
        groups.setdefault(shapes[i], []).append(names[i])

    def calls(group: list[str], method: str) -> str:
        return " and ".join(_call(name, method) for name in group)

    if len(groups) == 2:
        (a, names_a), (b, names_b) = groups.items()
        for (x, on_x), (y, on_y) in (((a, names_a), (b, names_b)), ((b, names_b), (a, names_a))):
            for k in range(len(x)) if len(x) == len(y) + 1 else ():
                if x[k] == 1 and x[:k] + x[k + 1 :] == y:
                    options = sorted(
                        [calls(on_x, f"squeeze({k})"), calls(on_y, f"unsqueeze({k})")],
                        key=lambda c: c.count(" and "),
                    )
                    return ", or ".join(options) if " and " in options[1] else " or ".join(options)
        if (
            len(a) == len(b) >= 2
            and a[-2:] == b[-2:][::-1]
            and _text.broadcasts(a, (*b[:-2], b[-1], b[-2]))
        ):
            return calls(names_b, "T" if len(b) == 2 else "mT")
    return None
