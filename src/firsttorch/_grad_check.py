"""Compare autograd's derivatives with finite differences and report in plain words."""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import torch

from firsttorch._grad_check_text import describe
from firsttorch._grad_explain import _Recorder
from firsttorch.errors import DeviceMismatchError, GradientCheckError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["GradCheckReport", "GradCheckResult", "check_gradients"]

_DEFAULTS = {"atol": 1e-5, "rtol": 1e-3, "eps": 1e-6}
_WIDTH = 88
_PROBE_SEED = 20240601
_DTYPE_CLASH = re.compile(
    r"must have the same dtype|expected scalar type \w+ but found|Found dtype \w+ but "
    r"expected|type \([\w.]+\) should be the same|expected both vectors to have same dtype"
)
_DEVICE_CLASH = re.compile(r"same device|is not on the expected device")
# Device types that have no float64 (Apple GPUs); their tensors are checked on the CPU.
_NO_FLOAT64 = frozenset({"mps"})

Diagnosis = Literal[
    "ok",
    "nondeterministic forward",
    "detached forward",
    "grad_output ignored",
    "wrong backward",
    "inexact finite differences",
]


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
    jacobian_ok: bool = True
    probe_ok: bool = True
    probe_analytical: torch.Tensor | None = None
    probe_numerical: torch.Tensor | None = None


@dataclass(frozen=True, eq=False)
class GradCheckReport:
    """The outcome of :func:`check_gradients`; ``str()`` explains it in plain words."""

    name: str
    results: tuple[GradCheckResult, ...]
    atol: float
    rtol: float
    eps: float
    output_dtype: torch.dtype
    diagnosis: Diagnosis = "ok"
    forward_noise: float = 0.0
    output_requires_grad: bool = True
    notes: tuple[str, ...] = ()
    graph_cuts: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether autograd matches finite differences for every input."""
        return self.diagnosis == "ok"

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
    through unchanged. A device without float64 (Apple's ``mps``) cannot hold those
    copies: its tensors, and a module passed as ``fn``, are checked as float64 copies on
    the CPU, and the report says so. Each evaluation is cheap, but there are two per
    input element: keep the inputs small.

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
        DeviceMismatchError: If inputs on a device without float64 were copied to the
            CPU but ``fn`` uses tensors that stay on that device.

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
    args, diff, moved = _prepare(name, inputs)
    fn, notes = _float64_module(fn)
    if moved:
        devices = " and ".join(moved)
        note = (
            f"Inputs on {devices} were checked as float64 copies on the CPU, because "
            f"{devices} has no float64 (your tensors are unchanged)."
        )
        notes += (note,)
    with torch.random.fork_rng(devices=[]):  # the caller's random state is left as it was
        with torch.enable_grad(), _Recorder() as recorder:
            out = _output(name, _call(name, fn, args, moved))
        cuts = tuple(dict.fromkeys(f"{cut.what} at {cut.where}" for cut in recorder.clues.cuts))
        with torch.enable_grad():
            xs = [args[i] for i in diff]
            analytical = _analytical(out, xs)
            probe = _probe(out)
            probed = _vjp(out, xs, probe)
        detached = [a.detach() if isinstance(a, torch.Tensor) else a for a in args]
        again = _call(name, fn, detached, moved)
        noise = _difference(out.detach(), again)
        numerical = _numerical(fn, args, diff, tol["eps"], out.numel())
    results = [
        _compare(index, x, a, n, tol, scalar=out.numel() == 1, probe=(probe, p))
        for index, x, a, n, p in zip(diff, xs, analytical, numerical, probed, strict=True)
    ]
    diagnosis = _diagnose(results, out, cuts, noisy=noise / (2 * tol["eps"]) > tol["atol"])
    return GradCheckReport(
        name,
        tuple(results),
        **tol,
        output_dtype=out.dtype,
        diagnosis=diagnosis,
        forward_noise=noise,
        output_requires_grad=out.requires_grad,
        notes=notes,
        graph_cuts=cuts,
    )


def _float64_home(device: torch.device) -> torch.device:
    """Where a float64 copy of a tensor on ``device`` can live: the CPU if it has no float64."""
    return torch.device("cpu") if device.type in _NO_FLOAT64 else device


def _float64_module(fn: Callable[..., Any]) -> tuple[Callable[..., Any], tuple[str, ...]]:
    """A float64 copy of a module (or of the module behind a bound method) that is not."""
    module = fn if isinstance(fn, torch.nn.Module) else getattr(fn, "__self__", None)
    if not isinstance(module, torch.nn.Module):
        return fn, ()
    tensors = [*module.parameters(), *module.buffers()]
    dtypes = sorted({str(t.dtype) for t in tensors if t.is_floating_point()} - {"torch.float64"})
    if not dtypes:
        return fn, ()
    homeless = sorted({t.device.type for t in tensors} & _NO_FLOAT64)
    twin = copy.deepcopy(module)
    twin = twin.to("cpu", torch.float64) if homeless else twin.to(torch.float64)
    where = f" on the CPU ({', '.join(homeless)} has no float64)" if homeless else ""
    note = (
        f"{type(module).__name__} holds {', '.join(dtypes)} parameters or buffers: the check "
        f"ran on a float64 copy of it{where} (your module is unchanged)."
    )
    return (twin if fn is module else getattr(twin, fn.__name__)), (note,)


def _call(name: str, fn: Callable[..., Any], args: list[Any], moved: list[str]) -> Any:
    """Call fn, turning a float32/float64 or a device clash into an error that says what to do."""
    try:
        return fn(*args)
    except RuntimeError as err:
        if moved and _DEVICE_CLASH.search(str(err)) is not None:
            devices = " and ".join(moved)
            msg = (
                f"check_gradients({name}): inputs on {devices} were copied to the CPU, "
                f"because {devices} has no float64, but fn uses tensors that stay on "
                f"{devices} ({err}). Fix: pass the module itself, check_gradients(model, x), "
                "which checks a float64 copy on the CPU; or move what fn uses to the CPU "
                "first, e.g. model.cpu()."
            )
            raise DeviceMismatchError(msg) from err
        if _DTYPE_CLASH.search(str(err)) is None:
            raise
        msg = (
            f"check_gradients({name}): fn mixes the float64 copies of your inputs with "
            f"lower-precision tensors it holds ({err}). Finite differences need float64 "
            "throughout. Fix: pass the module itself, check_gradients(model, x), which "
            "checks a float64 copy; or check a float64 copy yourself: "
            "m = copy.deepcopy(model).double()."
        )
        raise TypeError(msg) from err


def _probe(out: torch.Tensor) -> torch.Tensor:
    """A fixed random grad_output, never 1 and never 0 (so a backward that ignores it shows)."""
    generator = torch.Generator().manual_seed(_PROBE_SEED)
    size = torch.rand(out.shape, generator=generator, dtype=torch.float64) * 0.5 + 0.25
    sign = torch.randint(0, 2, out.shape, generator=generator) * 2 - 1
    return (size * sign).to(out.dtype)


def _vjp(out: torch.Tensor, xs: list[torch.Tensor], probe: torch.Tensor) -> list[torch.Tensor]:
    """The gradient autograd returns for grad_output = probe, flattened, per input."""
    grads: Sequence[torch.Tensor | None] = [None] * len(xs)
    if out.requires_grad and out.numel():
        grads = torch.autograd.grad(out, xs, probe, retain_graph=True, allow_unused=True)
    return [
        x.new_zeros(x.numel()) if g is None else g.detach().reshape(-1).to(torch.float64)
        for x, g in zip(xs, grads, strict=True)
    ]


def _difference(first: torch.Tensor, second: Any) -> float:
    """The largest difference between two outputs of fn for the same inputs."""
    if not isinstance(second, torch.Tensor) or second.shape != first.shape:
        return math.inf
    if torch.equal(first, second):
        return 0.0
    gap = (first.to(torch.float64) - second.detach().to(torch.float64)).abs()
    gap = torch.where(torch.isnan(first) & torch.isnan(second), 0.0, gap)
    return float(gap.max()) if gap.numel() else 0.0


def _diagnose(
    results: list[GradCheckResult], out: torch.Tensor, cuts: tuple[str, ...], *, noisy: bool
) -> Diagnosis:
    """Say which part is wrong: the forward, the graph, or the backward."""
    failed = [r for r in results if not r.ok]
    if noisy:
        return "nondeterministic forward"
    if not failed:
        return "ok"
    if cuts or all(_zero_where_wrong(r) for r in failed):
        return "detached forward"
    if all(r.jacobian_ok for r in failed):
        return "grad_output ignored"
    return "wrong backward" if _custom_backward(out) else "inexact finite differences"


def _zero_where_wrong(result: GradCheckResult) -> bool:
    """Autograd says exactly 0 wherever it disagrees, and finite differences do not."""
    wrong = (result.analytical - result.numerical).abs() > 0
    return (
        bool(wrong.any())
        and not result.analytical[wrong].any()
        and bool(result.numerical[wrong].any())
    )


_CUSTOM: tuple[type, ...] = (torch.autograd.function.BackwardCFunction,)


def _custom_backward(out: torch.Tensor) -> bool:
    """Whether the graph behind ``out`` runs a custom autograd.Function's backward."""
    seen: set[object] = set()
    stack = [out.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if isinstance(node, _CUSTOM):
            return True
        stack += [child for child, _ in node.next_functions]
    return False


def _compare(
    index: int,
    x: torch.Tensor,
    analytical: torch.Tensor,
    numerical: torch.Tensor,
    tol: dict[str, float],
    *,
    scalar: bool,
    probe: tuple[torch.Tensor, torch.Tensor],
) -> GradCheckResult:
    """Compare two Jacobians elementwise and find the worst element; check the probe too."""
    error = (analytical - numerical).abs()
    excess = error - (tol["atol"] + tol["rtol"] * numerical.abs())
    flat = int(excess.reshape(-1).argmax()) if excess.numel() else 0
    weights, probed = probe
    expected = weights.reshape(-1).to(torch.float64) @ numerical
    probe_ok = bool(((probed - expected).abs() <= tol["atol"] + tol["rtol"] * expected.abs()).all())
    if scalar:  # show gradients in the input's shape
        analytical, numerical = analytical.reshape(x.shape), numerical.reshape(x.shape)
        position = _unravel(flat, tuple(x.shape)) if x.numel() else ()
        worst = "" if not position else f"element {position[0] if len(position) == 1 else position}"
    else:
        row, col = divmod(flat, max(x.numel(), 1))
        worst = f"row {row}, column {col}"
    jacobian_ok = bool((excess <= 0).all())
    return GradCheckResult(
        index=index,
        shape=tuple(x.shape),
        ok=jacobian_ok and probe_ok,
        max_abs_error=float(error.max()) if error.numel() else 0.0,
        analytical=analytical,
        numerical=numerical,
        worst=worst,
        jacobian=not scalar,
        jacobian_ok=jacobian_ok,
        probe_ok=probe_ok,
        probe_analytical=probed.reshape(x.shape),
        probe_numerical=expected.reshape(x.shape),
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


def _prepare(name: str, inputs: tuple[Any, ...]) -> tuple[list[Any], list[int], list[str]]:
    """Copy floating inputs to float64 leaves that require grad; clone the other tensors.

    Also returns the device types of the inputs whose copies went to the CPU, because
    those devices have no float64.
    """
    args: list[Any] = []
    diff: list[int] = []
    moved: set[str] = set()
    for index, x in enumerate(inputs):
        if isinstance(x, torch.Tensor) and x.is_complex():
            msg = (
                f"check_gradients({name}): input {index} is complex ({x.dtype}); only real "
                "inputs are supported. Fix: check the real and imaginary parts separately."
            )
            raise ValueError(msg)
        if isinstance(x, torch.Tensor) and x.is_floating_point():
            if x.device.type in _NO_FLOAT64:
                moved.add(x.device.type)
            home = _float64_home(x.device)
            args.append(x.detach().to(home, torch.float64, copy=True).requires_grad_())
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
    return args, diff, sorted(moved)


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
