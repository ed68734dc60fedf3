"""The plain-words explanations behind explain_autograd_errors, one per PyTorch error."""

from __future__ import annotations

import re
import textwrap
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from firsttorch._frames import Location

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Clues", "Cut", "Failure", "InplaceOp", "TensorInfo", "Where", "explain"]

Where = Location  # a place in the user's code

_WIDTH = 88
_NOT_A_FIX = (
    "Do not set loss.requires_grad = True: that silences this error, but the gradients "
    "never reach your parameters."
)
# The nn module behind each torch.nn.functional function that takes inplace=True.
_MODULES = {
    "relu": "ReLU",
    "relu6": "ReLU6",
    "leaky_relu": "LeakyReLU",
    "rrelu": "RReLU",
    "elu": "ELU",
    "celu": "CELU",
    "selu": "SELU",
    "silu": "SiLU",
    "mish": "Mish",
    "hardtanh": "Hardtanh",
    "hardswish": "Hardswish",
    "hardsigmoid": "Hardsigmoid",
    "threshold": "Threshold",
    "dropout": "Dropout",
    "dropout1d": "Dropout1d",
    "dropout2d": "Dropout2d",
    "dropout3d": "Dropout3d",
    "alpha_dropout": "AlphaDropout",
    "feature_alpha_dropout": "FeatureAlphaDropout",
}
_INPLACE = "(inplace=True)"
_BACKWARD_SUFFIX = re.compile(r"Backward\d*$")


class InplaceOp(NamedTuple):
    """One in-place operation seen inside the block."""

    name: str  # "mul_", "__setitem__", "relu(inplace=True)"
    shape: tuple[int, ...]
    version: int  # the tensor's version right after the operation
    where: Where
    owner: str | None = None  # the library method that ran it: "ReLU.forward", "SGD.step"
    made_by: str | None = None  # the changed tensor's grad_fn before the change

    def __str__(self) -> str:
        if self.owner is None:
            return f"{self.name} at {self.where}"
        return f"{self.name} in {self.owner}, called at {self.where}"


class Cut(NamedTuple):
    """A call inside the block that left autograd's graph (.detach(), .item(), ...)."""

    what: str
    where: Where


class TensorInfo(NamedTuple):
    """What an explanation may say about one tensor argument of the failing call."""

    label: str  # "argument 0", "weight"
    shape: tuple[int, ...]
    device: str
    dtype: str
    is_leaf: bool
    requires_grad: bool


@dataclass
class Failure:
    """The torch call, made by the user's code inside the block, that raised."""

    name: str  # as recorded: "linear", "relu(inplace=True)", "__isub__"
    where: Where | None
    owner: str | None = None  # "Linear.forward" when a module's forward made the call
    tensors: tuple[TensorInfo, ...] = ()
    module_devices: tuple[str, ...] = ()  # devices of the owning module's own parameters
    indices_from: tuple[str, Where] | None = None  # target holds indices from torch.max, ...


@dataclass
class Clues:
    """What the block saw before the error; everything the explanation may cite."""

    inplace: deque[InplaceOp] = field(default_factory=lambda: deque(maxlen=256))
    cuts: deque[Cut] = field(default_factory=lambda: deque(maxlen=16))
    backward_call: str = "backward()"  # or "torch.autograd.grad()"
    backward_shape: tuple[int, ...] | None = None
    backward_grad_enabled: bool = True
    graph_built: bool = False  # some op inside the block recorded a grad_fn
    tracked: bool = True
    block_grad_enabled: bool = True
    raised_at: Where | None = None
    failure: Failure | None = None


def _at(clues: Clues) -> str:
    return "" if clues.raised_at is None else f" at {clues.raised_at}"


def _called(clues: Clues) -> str:
    """'backward()' or 'torch.autograd.grad()', whichever the block called last."""
    return clues.backward_call


def _no_graph(_: re.Match[str], clues: Clues) -> tuple[str, str, str]:
    what = (
        f"{_called(clues)} was called on a tensor with requires_grad=False and no grad_fn"
        f"{_at(clues)}: autograd recorded no graph for it, so there is nothing to "
        "differentiate."
    )
    causes = (
        "the usual causes are: it was computed under torch.no_grad(); it comes from "
        ".detach() or .data; it was rebuilt from plain numbers (.item(), .tolist(), "
        ".numpy(), torch.tensor(...)); or none of its inputs had requires_grad=True."
    )
    if not (clues.block_grad_enabled and clues.backward_grad_enabled):
        evidence = "Here grad mode is off (torch.no_grad()), so that is the cause."
    elif clues.cuts:
        places = list(dict.fromkeys(f"{cut.what} at {cut.where}" for cut in clues.cuts))[-3:]
        evidence = (
            "Inside this block these calls left the graph (most recent last): "
            + "; ".join(places)
            + "."
        )
    elif clues.tracked and not clues.graph_built:
        evidence = (
            "No torch operation inside this block recorded a graph: none of their "
            "inputs required grad."
        )
    elif clues.tracked:
        evidence = (
            "Tensors that require grad were used inside this block, but this one was not "
            "computed from them: the graph was cut before the block, or the value was "
            "rebuilt without torch (e.g. by NumPy or Python arithmetic on numbers)."
        )
    else:
        evidence = "Call firsttorch.inspect_grad() on the inputs to tell which."
    fix = (
        "compute the loss from the model's output with torch operations only: no "
        ".detach(), .data, .item() or NumPy on the way, outside torch.no_grad(), and "
        f"create parameters with requires_grad=True (nn.Parameter does). {_NOT_A_FIX}"
    )
    return what, f"{causes} {evidence}", fix


def _not_scalar(_: re.Match[str], clues: Clues) -> tuple[str, str, str]:
    shape = "" if clues.backward_shape is None else f" of shape {clues.backward_shape}"
    if clues.backward_call == "torch.autograd.grad()":
        what = f"torch.autograd.grad() was given outputs{shape} and no grad_outputs{_at(clues)}."
        why = (
            "without grad_outputs, torch.autograd.grad() differentiates a single number; "
            "for many output values PyTorch would need to know how to weight each one."
        )
        fix = (
            "reduce first, torch.autograd.grad(y.sum(), x), or pass the weights, "
            "torch.autograd.grad(y, x, grad_outputs=torch.ones_like(y)); for the full "
            "Jacobian use torch.autograd.functional.jacobian."
        )
        return what, why, fix
    what = f"backward() was called without a gradient on a tensor{shape}{_at(clues)}."
    why = (
        "backward() with no argument differentiates a single number (a scalar loss); for "
        "many values PyTorch would need to know how to weight each one. A loss with one "
        "value per sample (reduction='none') or per GPU (nn.DataParallel) is such a tensor."
    )
    fix = (
        "reduce to a scalar first, e.g. loss.mean().backward() or loss.sum().backward(), "
        "or pass the weights: y.backward(gradient=torch.ones_like(y))."
    )
    return what, why, fix


def _second_backward(_: re.Match[str], clues: Clues) -> tuple[str, str, str]:
    what = f"backward(){_at(clues)} went through a graph that an earlier backward() freed."
    why = (
        "to save memory, backward() frees the values the graph saved. Usual causes: "
        "calling backward() twice on one loss, or carrying a tensor (e.g. a hidden state) "
        "from one iteration into the next."
    )
    fix = (
        "recompute the forward pass before each backward(); detach carried state "
        "(h = h.detach()); pass retain_graph=True to the first backward() only if you "
        "really need two passes through one graph."
    )
    return what, why, fix


def _leaf_inplace(match: re.Match[str], clues: Clues) -> tuple[str, str, str]:
    failure = clues.failure
    view = "a view of " if match[1] else ""
    op = "an in-place operation"
    if failure is not None:
        op = f"the in-place operation {_failed_call(failure)}"
    what = f"{op}{_at(clues)} tried to change {view}a leaf tensor that requires grad."
    why = (
        "a leaf tensor that requires grad (a parameter, or any tensor created with "
        "requires_grad=True) cannot be changed in place while autograd records "
        "operations, even before it has been used; only inside torch.no_grad() is "
        "the change allowed."
    )
    if failure is not None and failure.name.endswith(_INPLACE):
        fix = (
            f"{_drop_inplace(failure.name)}. A module's inplace=True may only overwrite "
            "intermediate results, never a parameter or an input that requires grad."
        )
    else:
        fix = (
            "if this is a manual update or an initialisation of a parameter, wrap it in "
            "torch.no_grad(): `with torch.no_grad(): w -= lr * w.grad` (or w[:, 0] = ...); "
            "inside a forward pass use the out-of-place form, y = x + 1, or change a copy, "
            "y = x.clone(); y[0] = 0."
        )
    return what, why, fix


def _failed_call(failure: Failure) -> str:
    if failure.owner is not None:
        return f"{failure.name} in {failure.owner}"
    return failure.name


def _drop_inplace(name: str) -> str:
    """The fix for an ``inplace=True`` culprit, naming its own module and function."""
    function = name.removesuffix(_INPLACE)
    module = _MODULES.get(function)
    how = f"F.{function}(x) without inplace=True"
    if module is not None:
        how = f"nn.{module}() instead of nn.{module}(inplace=True), or {how}"
    return f"drop inplace=True: {how}"


def _saved_modified(match: re.Match[str], clues: Clues) -> tuple[str, str, str]:
    shape = tuple(int(s) for s in match["shape"].split(",") if s.strip())
    expected, now = int(match["expected"]), int(match["now"])
    source = f", output {match['output']} of {match['op']}" if match["op"] else ""
    found = _culprits(shape, expected, now, clues, match["op"])
    what = (
        f"backward() needed a tensor saved in the forward pass (shape {shape}{source}), "
        f"but an in-place operation changed it later: version {now}, expected {expected}. "
        + _where_culprits(found, clues)
    )
    why = (
        "autograd keeps some forward values to compute gradients (sigmoid and relu keep "
        "their output, mul its inputs); changing one in place would make gradients wrong."
    )
    return what, why, _fix_culprits(found)


def _culprits(
    shape: tuple[int, ...], expected: int, now: int, clues: Clues, op_name: str | None
) -> list[InplaceOp]:
    """The recorded in-place operation(s) that most likely bumped the version."""
    found = [op for op in clues.inplace if expected < op.version <= now]
    found = [op for op in found if op.shape == shape] or found
    if op_name:  # "output 0 of Exp": the changed tensor was made by ExpBackward0
        made_by = _BACKWARD_SUFFIX.sub("", op_name.rsplit("::", 1)[-1])
        found = [
            op for op in found if op.made_by and _BACKWARD_SUFFIX.sub("", op.made_by) == made_by
        ] or found
    found = [op for op in found if op.version == expected + 1] or found
    unique = {str(op): op for op in found}
    return list(unique.values())[-3:]


def _where_culprits(found: list[InplaceOp], clues: Clues) -> str:
    if not clues.tracked:
        return "Use explain_autograd_errors(track_ops=True) to see where."
    if not found:
        return (
            "No in-place operation recorded inside this block matches, so it ran before "
            "the block started (put the forward pass inside explain_autograd_errors() "
            "too) or inside a library call on a tensor that was not passed to it."
        )
    if len(found) == 1:
        return f"The in-place operation: {found[0]}."
    return f"The in-place operation is one of: {'; '.join(str(op) for op in found)}."


def _fix_culprits(found: list[InplaceOp]) -> str:
    """A fix that fits the culprits that were found, and only them."""
    fixes = []
    names = [op.name for op in found]
    for name in dict.fromkeys(n for n in names if n.endswith(_INPLACE)):
        fixes.append(_drop_inplace(name))
    if any(op.owner is not None and op.owner.endswith(".step") for op in found):
        fixes.append(
            "call every backward() before optimizer.step(), which updates the parameters "
            "in place (or recompute the forward pass after step())"
        )
    if any(not n.endswith(_INPLACE) for n in names) and len(fixes) < len(found):
        fixes.append(
            "use the out-of-place form (y = y * 2, not y *= 2 or y.mul_(2); "
            "y = torch.cat(...) rather than y[i] = ...), or change a copy: y = y.clone()"
        )
    if not fixes:
        fixes.append(
            "use out-of-place operations (y = y * 2, not y *= 2, y.mul_(2) or y[i] = ...; "
            "no inplace=True in nn.ReLU, nn.Dropout, ...), or change a copy: y = "
            "y.clone(). Call every backward() before optimizer.step(), which updates the "
            "parameters in place"
        )
    return "; ".join(fixes) + "."


def _numpy(_: re.Match[str], clues: Clues) -> tuple[str, str, str]:
    failure = clues.failure
    if failure is not None and failure.name == "__array__":
        what = (
            "NumPy converted a tensor that requires grad to an array (np.sum, np.array, "
            f"np.asarray, ... call tensor.numpy()){_at(clues)}."
        )
        fix = (
            "stay in torch to keep the gradients: torch.stack([a, b]).sum() instead of "
            "np.sum([a, b]), torch.sum, torch.mean, ...; if you only need the values, "
            "pass t.detach().numpy() (for a GPU tensor: t.detach().cpu().numpy())."
        )
    else:
        what = f".numpy() was called on a tensor that requires grad{_at(clues)}."
        fix = "t.detach().numpy() (for a GPU tensor: t.detach().cpu().numpy())."
    why = "a NumPy array cannot carry autograd's graph, and PyTorch will not drop it silently."
    return what, why, fix


def _int_grad(_: re.Match[str], clues: Clues) -> tuple[str, str, str]:
    failure = clues.failure
    if failure is not None and failure.indices_from is not None:
        source, where = failure.indices_from
        what = (
            f"requires_grad was asked{_at(clues)} of the integer indices that {source} "
            f"returned at {where}."
        )
        why = (
            "indices (from argmax, max(dim), topk, sort, ...) are positions, not "
            "quantities: no gradient exists for them, and making them float does not "
            "create one."
        )
        fix = (
            "differentiate through the values instead: torch.max(x, dim).values, "
            "torch.topk(x, k).values, or x.gather(dim, indices); for a differentiable "
            "choice use a soft version, e.g. torch.softmax(x, dim)."
        )
        return what, why, fix
    what = f"requires_grad was asked of an integer or bool tensor{_at(clues)}."
    why = (
        "gradients exist only for continuous values, so only floating point and complex "
        "tensors can require grad; torch.tensor([1, 2]) is int64."
    )
    fix = (
        "if it holds measured values, make it float: torch.tensor([1., 2.], "
        "requires_grad=True), or t.float().requires_grad_(); labels and indices need "
        "no gradient at all."
    )
    return what, why, fix


def _item(match: re.Match[str], clues: Clues) -> tuple[str, str, str]:
    what = f".item() was called on a tensor with {match[1]} elements{_at(clues)}."
    why = ".item() returns one Python number, so the tensor must hold exactly one element."
    fix = "reduce first (t.sum().item(), t.mean().item()), pick one (t[0].item()), or t.tolist()."
    return what, why, fix


def _devices(match: re.Match[str], clues: Clues) -> tuple[str, str, str]:
    named = [d for d in match.groups() if d]
    failure = clues.failure
    call = "an operation"
    listing = ""
    if failure is not None:
        call = _failed_call(failure)
        parts = [f"{t.label} {t.shape} on {t.device}" for t in failure.tensors]
        if failure.module_devices:
            parts.append(
                f"the {failure.owner} module's own parameters on "
                f"{', '.join(failure.module_devices)}"
            )
        listing = f": {'; '.join(parts)}" if parts else ""
    devices = ", ".join(dict.fromkeys(_device_name(d) for d in named))
    what = f"{call}{_at(clues)} got tensors on different devices ({devices}){listing}."
    why = (
        "an operation runs on one device and reads all its inputs there; PyTorch never "
        "copies between devices on its own. The usual causes: the model was moved with "
        "model.to(device) but a batch, a label or a tensor made in forward() was not; a "
        "layer created inside forward() or kept in a plain list (not nn.ModuleList) was "
        "left behind; a tensor attribute that is not a registered buffer."
    )
    fix = (
        "choose one device (device = firsttorch.pick_device()) and move everything to it: "
        "model.to(device), x = x.to(device) for every input and target, new tensors with "
        "torch.zeros(..., device=x.device); create layers in __init__ (nn.ModuleList for "
        "lists) and constant tensors with self.register_buffer(...). "
        "firsttorch.check_same_device(x, w) names the odd one out."
    )
    return what, why, fix


def _input_type(match: re.Match[str], clues: Clues) -> tuple[str, str, str]:
    """Convolutions name both tensor types: a device mismatch or a dtype mismatch."""
    if _device_name(match[1]) != _device_name(match[2]):
        return _devices(match, clues)
    return _dtypes(match, clues)


def _dtypes(_: re.Match[str], clues: Clues) -> tuple[str, str, str]:
    failure = clues.failure
    call, listing = "an operation", ""
    if failure is not None:
        call = _failed_call(failure)
        parts = [f"{t.label} {t.shape} {t.dtype}" for t in failure.tensors]
        listing = f": {'; '.join(parts)}" if parts else ""
    what = f"{call}{_at(clues)} got floating point tensors of different dtypes{listing}."
    why = (
        "PyTorch does not convert between float32 and float64 inside an operation. "
        "Layers are float32, but NumPy arrays are float64 and torch.from_numpy (or "
        "torch.tensor on an array) keeps that."
    )
    fix = (
        "convert the data once, where it enters: x = x.float() (or "
        "torch.tensor(array, dtype=torch.float32)), targets included; or run the whole "
        "model in float64 with model.double()."
    )
    return what, why, fix


def _device_name(text: str) -> str:
    """'cpu' from 'cpu', 'torch.FloatTensor' or 'CPUFloatType'; 'cuda' from CUDA types."""
    lowered = text.lower()
    if "cuda" in lowered:
        return lowered if lowered.startswith("cuda") else "cuda"
    if "tensor" in lowered or lowered.endswith("type"):
        return "cpu"
    return lowered


def _deserialize(_: re.Match[str], clues: Clues) -> tuple[str, str, str]:
    what = (
        f"torch.load(){_at(clues)} read a file whose tensors were saved on a CUDA GPU, "
        "but this machine has no usable CUDA."
    )
    why = (
        "torch.save records each tensor's device, and torch.load puts it back there "
        "unless told otherwise."
    )
    fix = (
        "torch.load(path, map_location='cpu') (or map_location=firsttorch.pick_device()), "
        "then model.load_state_dict(...) and model.to(device)."
    )
    return what, why, fix


_Explainer = tuple[re.Pattern[str], "Callable[[re.Match[str], Clues], tuple[str, str, str]]"]
_EXPLAINERS: tuple[_Explainer, ...] = (
    (re.compile(r"does not require grad and does not have a grad_fn"), _no_graph),
    (re.compile(r"grad can be implicitly created only for (?:real )?scalar outputs"), _not_scalar),
    (re.compile(r"backward through the graph a second time"), _second_backward),
    (
        re.compile(r"(view of )?a leaf Variable that requires grad is being used in an in-place"),
        _leaf_inplace,
    ),
    (
        re.compile(
            r"modified by an inplace operation: \[[\w.]+ \[(?P<shape>[\d, ]*)\]\]"
            r"(?:, which is output (?P<output>\d+) of (?:torch::autograd::)?(?P<op>[\w:]+),)? is at version "
            r"(?P<now>\d+); expected version (?P<expected>\d+) instead"
        ),
        _saved_modified,
    ),
    (re.compile(r"Can't call numpy\(\) on Tensor that requires grad"), _numpy),
    (
        re.compile(
            r"only Tensors of floating point (?:and complex )?dtype can require", re.IGNORECASE
        ),
        _int_grad,
    ),
    (re.compile(r"a Tensor with (\d+) elements cannot be converted to Scalar"), _item),
    (
        re.compile(
            r"Expected all tensors to be on the same device, but "
            r"(?:found at least two devices, ([\w:]+) and ([\w:]+)"
            r"|got \w+ is on ([\w:]+), different from other tensors on ([\w:]+))"
        ),
        _devices,
    ),
    (re.compile(r"Tensor on device (\S+) is not on the expected device ([\w:]+)"), _devices),
    (
        re.compile(
            r"Input and parameter tensors are not at the same device, found input tensor "
            r"at ([\w:]+) and parameter tensor at ([\w:]+)"
        ),
        _devices,
    ),
    (
        re.compile(
            r"Input type \(([\w.]+)\) and (?:weight|bias) type \(([\w.]+)\) should be the same"
        ),
        _input_type,
    ),
    (
        re.compile(r"Expected object of device type (\w+) but got device type (\w+) for argument"),
        _devices,
    ),
    (re.compile(r"expected scalar type (\w+) but found (\w+)"), _dtypes),
    (re.compile(r"mat1 and mat2 must have the same dtype"), _dtypes),
    (re.compile(r"Found dtype (\w+) but expected (\w+)"), _dtypes),
    (
        re.compile(r"Attempting to deserialize object on a CUDA device but "),
        _deserialize,
    ),
)


def _fill(text: str) -> str:
    return textwrap.fill(
        text, _WIDTH, subsequent_indent="  ", break_long_words=False, break_on_hyphens=False
    )


def explain(message: str, clues: Clues) -> str | None:
    """Return PyTorch's message plus What happened / Why / Fix, or None if unknown."""
    for pattern, explainer in _EXPLAINERS:
        match = pattern.search(message)
        if match is not None:
            what, why, fix = explainer(match, clues)
            sections = [("What happened: ", what), ("Why: ", why), ("Fix: ", fix)]
            return "\n".join([message] + [_fill(head + text) for head, text in sections])
    return None
