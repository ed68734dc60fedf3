"""The plain-words explanations behind explain_autograd_errors, one per PyTorch error."""

from __future__ import annotations

import re
import textwrap
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Callable

    import torch

_WIDTH = 88
_NOT_A_FIX = (
    "Do not set loss.requires_grad = True: that silences this error, but the gradients "
    "never reach your parameters."
)


class Where(NamedTuple):
    """A place in the user's code (a named tuple: cheap to record)."""

    filename: str
    lineno: int

    def __str__(self) -> str:
        import linecache

        code = linecache.getline(self.filename, self.lineno).strip()
        place = f"{Path(self.filename).name}:{self.lineno}"
        return f"{place} (`{code}`)" if code else place


class InplaceOp(NamedTuple):
    """One in-place operation seen inside the block."""

    name: str
    shape: torch.Size
    version: int  # the tensor's version right after the operation
    where: Where


@dataclass
class Clues:
    """What the block saw before the error; everything the explanation may cite."""

    inplace: deque[InplaceOp]
    detach: Where | None = None
    no_grad: tuple[str, Where] | None = None
    backward_shape: tuple[int, ...] | None = None
    backward_grad_enabled: bool = True
    tracked: bool = True
    block_grad_enabled: bool = True
    raised_at: Where | None = None


def _at(clues: Clues) -> str:
    return "" if clues.raised_at is None else f" at {clues.raised_at}"


def _no_graph(_: re.Match[str], clues: Clues) -> tuple[str, str, str]:
    what = (
        "backward() was called on a tensor with requires_grad=False and no grad_fn"
        f"{_at(clues)}: autograd recorded no graph for it, so there is nothing to "
        "differentiate."
    )
    causes = (
        "the usual causes are: it was computed under torch.no_grad(); it comes from .detach() "
        "(or was rebuilt from .item()/.numpy()); or none of its inputs had "
        "requires_grad=True."
    )
    if not (clues.block_grad_enabled and clues.backward_grad_enabled):
        evidence = "Here grad mode is off (torch.no_grad()), so that is the cause."
    elif clues.no_grad is not None:
        evidence = (
            f"Inside this block, {clues.no_grad[0]} at {clues.no_grad[1]} ran under "
            "torch.no_grad() on a tensor that requires grad: its result has no graph."
        )
    elif clues.detach is not None:
        evidence = f"Inside this block, .detach() was called at {clues.detach}."
    elif clues.tracked:
        evidence = (
            "Nothing in this block ran under torch.no_grad() or detached a tensor, so "
            "most likely no input required grad."
        )
    else:
        evidence = "Call firsttorch.inspect_grad() on the inputs to tell which."
    fix = (
        "create parameters with requires_grad=True (nn.Parameter does), compute the loss "
        f"outside torch.no_grad() and without .detach(). {_NOT_A_FIX}"
    )
    return what, f"{causes} {evidence}", fix


def _not_scalar(_: re.Match[str], clues: Clues) -> tuple[str, str, str]:
    shape = "" if clues.backward_shape is None else f" of shape {clues.backward_shape}"
    what = f"backward() was called without a gradient on a tensor{shape}{_at(clues)}."
    why = (
        "backward() with no argument differentiates a single number (a scalar loss); for "
        "many values PyTorch would need to know how to weight each one."
    )
    fix = (
        "reduce to a scalar first, e.g. y.sum().backward() or y.mean().backward(), or "
        "pass the weights: y.backward(gradient=torch.ones_like(y))."
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


def _leaf_inplace(_: re.Match[str], clues: Clues) -> tuple[str, str, str]:
    what = f"an in-place operation{_at(clues)} changed a leaf tensor that requires grad."
    why = (
        "autograd needs the value a parameter had when it was used, so while gradients "
        "are tracked PyTorch refuses to change it in place (+=, -=, .add_(), x[i] = ...)."
    )
    fix = (
        "wrap manual updates in torch.no_grad(): `with torch.no_grad(): w -= lr * w.grad`; "
        "elsewhere use the out-of-place form, w = w + 1."
    )
    return what, why, fix


def _saved_modified(match: re.Match[str], clues: Clues) -> tuple[str, str, str]:
    shape = tuple(int(s) for s in match["shape"].split(",") if s.strip())
    expected, now = int(match["expected"]), int(match["now"])
    source = f", output {match['output']} of {match['op']}" if match["op"] else ""
    what = (
        f"backward() needed a tensor saved in the forward pass (shape {shape}{source}), "
        f"but an in-place operation changed it later: version {now}, expected {expected}. "
        + _culprits(shape, expected, now, clues)
    )
    why = (
        "autograd keeps some forward values to compute gradients (sigmoid keeps its "
        "output, mul its inputs); changing one in place would make gradients wrong."
    )
    fix = (
        "use the out-of-place form (y = y * 2, not y *= 2 or y.mul_(2); no "
        "inplace=True in nn.ReLU), or change a copy: y = y.clone(). Call every backward() "
        "before optimizer.step(), which updates the parameters in place."
    )
    return what, why, fix


def _culprits(shape: tuple[int, ...], expected: int, now: int, clues: Clues) -> str:
    """Name the recorded in-place operation(s) that most likely bumped the version."""
    if not clues.tracked:
        return "Use explain_autograd_errors(track_ops=True) to see where."
    found = [op for op in clues.inplace if expected < op.version <= now]
    found = [op for op in found if op.shape == shape] or found
    found = [op for op in found if op.version == expected + 1] or found
    places = list(dict.fromkeys(f"{op.name} at {op.where}" for op in found))[-3:]
    if not places:
        return (
            "It ran before this block, so it was not recorded: put the forward pass "
            "inside explain_autograd_errors() too."
        )
    if len(places) == 1:
        return f"The in-place operation: {places[0]}."
    return f"The in-place operation is one of: {'; '.join(places)}."


def _numpy(_: re.Match[str], clues: Clues) -> tuple[str, str, str]:
    what = f".numpy() was called on a tensor that requires grad{_at(clues)}."
    why = "a NumPy array cannot carry autograd's graph, and PyTorch will not drop it silently."
    fix = "t.detach().numpy() (for a GPU tensor: t.detach().cpu().numpy())."
    return what, why, fix


def _int_grad(_: re.Match[str], clues: Clues) -> tuple[str, str, str]:
    what = f"requires_grad was asked of an integer or bool tensor{_at(clues)}."
    why = (
        "gradients exist only for continuous values, so only floating point and complex "
        "tensors can require grad; torch.tensor([1, 2]) is int64."
    )
    fix = (
        "make it float: torch.tensor([1., 2.], requires_grad=True), or t.float().requires_grad_()."
    )
    return what, why, fix


def _item(match: re.Match[str], clues: Clues) -> tuple[str, str, str]:
    what = f".item() was called on a tensor with {match[1]} elements{_at(clues)}."
    why = ".item() returns one Python number, so the tensor must hold exactly one element."
    fix = "reduce first (t.sum().item(), t.mean().item()), pick one (t[0].item()), or t.tolist()."
    return what, why, fix


_Explainer = tuple[re.Pattern[str], "Callable[[re.Match[str], Clues], tuple[str, str, str]]"]
_EXPLAINERS: tuple[_Explainer, ...] = (
    (re.compile(r"does not require grad and does not have a grad_fn"), _no_graph),
    (re.compile(r"grad can be implicitly created only for (?:real )?scalar outputs"), _not_scalar),
    (re.compile(r"backward through the graph a second time"), _second_backward),
    (re.compile(r"leaf Variable that requires grad is being used in an in-place"), _leaf_inplace),
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
