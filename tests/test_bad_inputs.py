"""One table of bad or surprising inputs across the three areas, as a beginner would make them.

Each row is a call, the exception it must raise (a firsttorch exception is also the
built-in PyTorch raises there) and the key words of the message: what was asked, why it
fails, and the fix.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import torch

import firsttorch as ft
from firsttorch import (
    BroadcastError,
    DeviceMismatchError,
    DeviceUnavailableError,
    ExplainedAutogradError,
    SurprisingBroadcastError,
)


def _strict(op: Callable[[], object], **options: str) -> Callable[[], object]:
    def run() -> object:
        with ft.strict_broadcasting(**options):  # type: ignore[arg-type]
            return op()

    return run


def _explained(op: Callable[[], object]) -> Callable[[], object]:
    def run() -> object:
        with ft.explain_autograd_errors():
            return op()

    return run


def _leaf() -> torch.Tensor:
    return torch.tensor([1.0, 2.0], requires_grad=True)


def _non_scalar_backward() -> None:
    (_leaf() * 2).backward()


def _backward_twice() -> None:
    y = (_leaf() ** 2).sum()
    y.backward()
    y.backward()


def _saved_tensor_changed() -> None:
    y = _leaf().exp()
    y.add_(1)
    y.sum().backward()


def _made_under_no_grad() -> None:
    with torch.no_grad():
        y = _leaf() * 2
    y.sum().backward()


CPU, META = torch.ones(2), torch.ones(2, device="meta")

CASES = [
    # -- device ------------------------------------------------------------------------
    pytest.param(lambda: ft.pick_device(123), TypeError, r"preferred must be a str.*got int.*Fix: pass 'cuda:123'", id="pick_device-int"),
    pytest.param(lambda: ft.pick_device("gpu"), ValueError, r"'gpu' is not a device name.*Did you mean 'cuda'\?.*Valid choices", id="pick_device-gpu"),
    pytest.param(lambda: ft.pick_device("tpu"), ValueError, r"'tpu' is not a device name torch knows\. TPUs are used through\s+the\s+torch_xla package", id="pick_device-tpu-no-xpu-guess"),
    pytest.param(lambda: ft.pick_device("cuda:x"), ValueError, r"Valid choices", id="pick_device-bad-index"),
    pytest.param(lambda: ft.pick_device("mps"), DeviceUnavailableError, r"cannot use 'mps'.*Reason: .*Available here: cpu, meta.*Fix:", id="pick_device-mps"),
    pytest.param(lambda: ft.pick_device("xpu"), DeviceUnavailableError, r"cannot use 'xpu'.*Reason: .*Fix:", id="pick_device-xpu"),
    pytest.param(ft.check_same_device, ValueError, r"got no tensors to compare.*Fix:", id="same_device-empty"),
    pytest.param(lambda: ft.check_same_device(1, 2), TypeError, r"#0 must be a torch.Tensor, not int.*Fix: convert it", id="same_device-ints"),
    pytest.param(lambda: ft.check_same_device(CPU, META), DeviceMismatchError, r"2 different devices \(cpu, meta\).*#0  cpu.*#1  meta.*Fix:", id="same_device-positional"),
    pytest.param(lambda: ft.check_same_device(x=CPU, w=META), DeviceMismatchError, r"check_same_device\(x, w\).*x  cpu.*w  meta", id="same_device-named"),
    pytest.param(lambda: ft.to_device([CPU], 5), TypeError, r"device must be a str.*got int.*Fix: pass 'cuda:5'", id="to_device-int"),
    pytest.param(lambda: ft.to_device([CPU], "gpu"), ValueError, r"'gpu' is not a device name.*Fix:", id="to_device-gpu"),
    # -- broadcasting ------------------------------------------------------------------
    pytest.param(lambda: ft.broadcast_shape((3, 4), (4, 3)), BroadcastError, r"dim -1 is 4 vs 3.*input 0:   3   4.*input 1:   4   3", id="broadcast-transposed"),
    pytest.param(lambda: ft.broadcast_shape(torch.ones(2, 3), torch.ones(3, 2)), BroadcastError, r"conflict at dim -1: 3 \(input 0, dim 1\) vs 2 \(input 1, dim 1\)", id="broadcast-tensors"),
    pytest.param(lambda: ft.broadcast_shape((5, 3), (5,)), BroadcastError, r"dim -1 is 3 vs 5.*Fix:.*unsqueeze", id="broadcast-missing-unsqueeze"),
    pytest.param(lambda: ft.broadcast_shape("abc"), TypeError, r"argument 0 must be a tensor, a shape .* got str 'abc'", id="broadcast-str"),
    pytest.param(lambda: ft.broadcast_shape((-1, 2)), ValueError, r"argument 0 has a negative size: \(-1, 2\)", id="broadcast-negative"),
    pytest.param(lambda: ft.broadcast_shape((2.5,)), TypeError, r"argument 0 must hold only ints, got \(2.5,\)", id="broadcast-float-size"),
    pytest.param(lambda: ft.explain_broadcast(None), TypeError, r"argument 0 must be a tensor, a shape", id="explain-none"),
    pytest.param(lambda: ft.strict_broadcasting(mode="loud"), ValueError, r"mode='loud'.*expected one of \('raise', 'warn'\)", id="strict-mode"),
    pytest.param(lambda: ft.strict_broadcasting(policy="bogus"), ValueError, r"policy='bogus'.*expected one of \('likely-bug', 'result', 'rank'\)", id="strict-policy"),
    pytest.param(_strict(lambda: torch.ones(4, 1) + torch.ones(4)), SurprisingBroadcastError, r"broadcast \(4, 1\) and \(4,\) to \(4, 4\).*neither input's shape.*test_bad_inputs.py:\d+.*Fix:", id="strict-column-plus-row"),
    pytest.param(_strict(lambda: torch.ones(4, 1) * torch.ones(1, 4), policy="result"), SurprisingBroadcastError, r"\(4, 1\) and \(1, 4\) to \(4, 4\).*16 elements", id="strict-outer-product"),
    pytest.param(_strict(lambda: torch.ones(2, 3) + torch.ones(3), policy="rank"), SurprisingBroadcastError, r"from 1 to 2 dims; policy=\"rank\".*unsqueeze\(0\)", id="strict-rank"),
    pytest.param(_strict(lambda: torch.where(torch.ones(3, 1) > 0, torch.ones(3), 0.0)), SurprisingBroadcastError, r"torch.where.*\(3, 1\) and \(3,\) to \(3, 3\)", id="strict-where"),
    pytest.param(_strict(lambda: torch.ones(4, 1).sub_(torch.ones(1, 4))), RuntimeError, r"doesn't match the broadcast shape", id="strict-inplace-torch-error"),
    # -- gradients ---------------------------------------------------------------------
    pytest.param(lambda: ft.inspect_grad([1, 2]), TypeError, r"expected a torch.Tensor, got list.*Fix:", id="inspect-list"),
    pytest.param(lambda: ft.grad_graph("x"), TypeError, r"grad_graph\(tensor\): expected a torch.Tensor, got str", id="graph-str"),
    pytest.param(lambda: ft.grad_graph(_leaf() * 2, names=["x"]), TypeError, r"names=\.\.\.\): expected a mapping.*Fix: names=\{'x': x\}", id="graph-names-list"),
    pytest.param(_explained(lambda: (torch.ones(2) * 2).sum().backward()), ExplainedAutogradError, r"does not require grad.*What happened:.*requires_grad=False", id="explain-never-required"),
    pytest.param(_explained(_made_under_no_grad), ExplainedAutogradError, r"does not require grad.*no_grad", id="explain-no-grad"),
    pytest.param(_explained(_non_scalar_backward), ExplainedAutogradError, r"only for scalar outputs.*shape \(2,\)", id="explain-non-scalar"),
    pytest.param(_explained(_backward_twice), ExplainedAutogradError, r"backward through the graph a second time.*retain_graph", id="explain-twice"),
    pytest.param(_explained(lambda: _leaf().add_(1)), ExplainedAutogradError, r"leaf Variable that requires grad.*in-place operation at test_bad_inputs.py", id="explain-inplace-leaf"),
    pytest.param(_explained(_saved_tensor_changed), ExplainedAutogradError, r"modified by an inplace operation.*add_", id="explain-saved-modified"),
    pytest.param(_explained(lambda: _leaf().numpy()), ExplainedAutogradError, r"Can't call numpy\(\).*detach\(\)", id="explain-numpy"),
    pytest.param(_explained(lambda: torch.tensor([1, 2], requires_grad=True)), ExplainedAutogradError, r"floating point.*integer or bool tensor", id="explain-int-grad"),
    pytest.param(lambda: ft.explain_autograd_errors(track_ops="yes"), TypeError, r"track_ops='yes'\): expected True or False", id="explain-track-ops"),
    pytest.param(lambda: ft.check_gradients("f", torch.ones(1)), TypeError, r"fn must be callable, got str.*Fix:", id="check-not-callable"),
    pytest.param(lambda: ft.check_gradients(torch.sin, 5), ValueError, r"no floating point tensor among the inputs.*Fix:", id="check-no-tensor"),
    pytest.param(lambda: ft.check_gradients(torch.sin, _leaf(), atol=-1), ValueError, r"atol=-1\): must be finite and >= 0", id="check-negative-atol"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "error", "words"), CASES)
def test_bad_input_is_explained(
    call: Callable[[], object], error: type[Exception], words: str
) -> None:
    """The call raises the named exception, and its message says what, why and how to fix."""
    with pytest.raises(error) as info:
        call()
    assert re.search(words, str(info.value), flags=re.DOTALL), str(info.value)


def test_explicit_request_from_the_environment_never_falls_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """FIRSTTORCH_DEVICE naming an absent device raises, naming the variable."""
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the request would be met")
    monkeypatch.setenv("FIRSTTORCH_DEVICE", "cuda:0")
    with pytest.raises(DeviceUnavailableError, match=r"asked for by FIRSTTORCH_DEVICE='cuda:0'"):
        ft.pick_device()


def test_the_table_covers_the_three_areas() -> None:
    """At least 30 rows, with each area (device, broadcasting, gradients) well represented."""
    ids = [case.id or "" for case in CASES]
    assert len(ids) >= 30
    areas = {"device": ("pick_device", "same_device", "to_device"), "broadcast": ("broadcast", "explain-none", "strict"), "grad": ("inspect", "graph", "explain-", "check")}  # fmt: skip
    for prefixes in areas.values():
        assert sum(i.startswith(prefixes) for i in ids) >= 8
