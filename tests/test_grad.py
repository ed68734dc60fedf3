"""Tests for firsttorch.grad: inspect_grad, grad_graph, explain_autograd_errors, check_gradients.

Every autograd error below is triggered for real; nothing is simulated.
"""

from __future__ import annotations

import functools
import inspect
import re
import shutil
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F

from firsttorch import _grad_check
from firsttorch.errors import DeviceMismatchError, ExplainedAutogradError, GradientCheckError
from firsttorch.grad import (
    GradCheckReport,
    GradGraph,
    GradInfo,
    check_gradients,
    explain_autograd_errors,
    grad_graph,
    inspect_grad,
)


def _flat(text: object) -> str:
    """Collapse line wrapping, so that a phrase can be found wherever the lines broke."""
    return " ".join(str(text).split())


def _line_of(fn: Callable[..., object], code: str) -> int:
    """Return the line number, in this file, of the line of ``fn`` that contains ``code``."""
    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, line in enumerate(lines) if code in line)


class WrongSquare(torch.autograd.Function):
    """x * x with a wrong backward: it returns g * x instead of 2 * g * x."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors  # type: ignore[attr-defined]
        return grad * x


class WrongProduct(torch.autograd.Function):
    """x * w with both gradients swapped."""

    @staticmethod
    def forward(
        ctx: torch.autograd.function.FunctionCtx, x: torch.Tensor, w: torch.Tensor
    ) -> torch.Tensor:
        ctx.save_for_backward(x, w)
        return x * w

    @staticmethod
    def backward(
        ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        x, w = ctx.saved_tensors  # type: ignore[attr-defined]
        return grad * x, (grad * w).sum()


def my_square(x: torch.Tensor) -> torch.Tensor:
    """The sum of squares, through the wrong custom Function."""
    return WrongSquare.apply(x).sum()  # type: ignore[no-any-return]


class TestInspectGrad:
    def test_fresh_leaf(self) -> None:
        """A fresh leaf that requires grad says backward has not run yet."""
        x = torch.tensor([2.0, 3.0], requires_grad=True)
        info = inspect_grad(x)
        assert isinstance(info, GradInfo)
        assert (info.requires_grad, info.is_leaf, info.grad_fn, info.has_grad) == (
            True,
            True,
            None,
            False,
        )
        assert str(info).splitlines()[0] == (
            "requires_grad=True, leaf, grad_fn=None, grad=None, version 0"
        )
        assert "backward() has not reached this tensor" in _flat(info)

    def test_leaf_after_backward(self) -> None:
        """After backward the summary shows the grad's shape and warns that it accumulates."""
        x = torch.tensor([2.0, 3.0], requires_grad=True)
        (x * x).sum().backward()
        info = inspect_grad(x)
        assert info.grad_shape == (2,)
        assert str(info).splitlines()[0] == (
            "requires_grad=True, leaf, grad_fn=None, grad=set (shape (2,)), version 0"
        )
        assert "adds up over backward() calls" in _flat(info)

    def test_non_leaf_without_warning(self) -> None:
        """A non-leaf is inspected without PyTorch's .grad UserWarning, and told to retain_grad."""
        x = torch.tensor([2.0, 3.0], requires_grad=True)
        y = x * x
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            info = inspect_grad(y)
        assert info.grad_fn == "MulBackward0"
        assert not info.is_leaf
        assert "t.retain_grad() before backward()" in _flat(info)

    def test_non_leaf_retaining(self) -> None:
        """A non-leaf that retains grad reports its grad, wrapping the long summary line."""
        x = torch.tensor([2.0, 3.0], requires_grad=True)
        y = x * x
        y.retain_grad()
        assert "backward() has not reached" in _flat(inspect_grad(y))
        y.sum().backward()
        text = str(inspect_grad(y))
        assert text.startswith("requires_grad=True, non-leaf (retains grad), grad_fn=MulBackward0")
        assert "grad=set (shape (2,))" in text
        assert all(len(line) <= 88 for line in text.splitlines())

    def test_no_grad_tensor(self) -> None:
        """A float tensor that does not require grad lists the three possible reasons."""
        with torch.no_grad():
            y = torch.tensor([1.0], requires_grad=True) * 2
        info = inspect_grad(y)
        assert not info.requires_grad
        assert "under torch.no_grad(), or by .detach()" in _flat(info)

    def test_integer_tensor(self) -> None:
        """An integer tensor is told it cannot require grad and how to make it float."""
        text = str(inspect_grad(torch.tensor([1, 2])))
        assert "dtype torch.int64 cannot require grad" in text
        assert "t.float()" in text

    def test_inference_tensor(self) -> None:
        """An inference tensor has no version counter and is told so."""
        with torch.inference_mode():
            t = torch.ones(2)
        info = inspect_grad(t)
        assert info.version is None
        assert "no version counter" in _flat(info)
        assert "inference tensor" in _flat(info)

    def test_version_counter(self) -> None:
        """In-place modifications are counted in plain words, singular and plural."""
        t = torch.zeros(2)
        t.add_(1)
        assert "modified in place 1 time (" in _flat(inspect_grad(t))
        t.mul_(2)
        info = inspect_grad(t)
        assert info.version == 2
        assert "modified in place 2 times" in _flat(info)

    def test_rejects_non_tensor(self) -> None:
        """A list is rejected with a TypeError that names the argument and the type."""
        with pytest.raises(
            TypeError, match=r"inspect_grad\(tensor\): expected a torch.Tensor, got list"
        ):
            inspect_grad([1.0, 2.0])  # type: ignore[arg-type]


class TestGradGraph:
    def test_example_tree(self) -> None:
        """The documented example renders the exact tree, the shared leaf once then referenced."""
        x = torch.tensor([2.0, 3.0], requires_grad=True)
        graph = grad_graph((x * x + 3).sum(), names={"x": x})
        assert isinstance(graph, GradGraph)
        assert str(graph) == (
            "SumBackward0\n"
            "└── AddBackward0\n"
            "    └── MulBackward0\n"
            "        ├── x (leaf, shape (2,))\n"
            "        └── x (leaf, shape (2,)) (see above)"
        )

    def test_unnamed_leaves_show_shape(self) -> None:
        """Without names, leaves are labelled by shape and nothing shows a memory address."""
        model = torch.nn.Linear(3, 2)
        graph = grad_graph(model(torch.ones(4, 3)).sum())
        assert "leaf (shape (2, 3))" in str(graph)
        assert "leaf (shape (2,))" in str(graph)
        assert "0x" not in str(graph) + graph.to_dot()

    def test_named_parameters_and_diamond(self) -> None:
        """Named intermediates label their node; a shared subgraph is expanded only once."""
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        a = x * 2
        b, c = a.unbind()
        graph = grad_graph(b * c + a.sum(), names={"x": x, "a": a, "b": b, "c": c})
        assert str(graph) == (
            "AddBackward0\n"
            "├── MulBackward0\n"
            "│   ├── UnbindBackward0 (b, c)\n"
            "│   │   └── MulBackward0 (a)\n"
            "│   │       └── x (leaf, shape (2,))\n"
            "│   └── UnbindBackward0 (b, c) (see above)\n"
            "└── SumBackward0\n"
            "    └── MulBackward0 (a) (see above)"
        )
        assert graph.leaves == ("n4",)

    def test_nodes_and_edges(self) -> None:
        """Nodes and edges are plain data with deterministic ids, ready for drawing."""
        x = torch.tensor([2.0, 3.0], requires_grad=True)
        graph = grad_graph((x * x + 3).sum(), names={"x": x})
        assert graph.nodes == (
            ("n0", "SumBackward0"),
            ("n1", "AddBackward0"),
            ("n2", "MulBackward0"),
            ("n3", "x (leaf, shape (2,))"),
        )
        assert graph.edges == (("n0", "n1"), ("n1", "n2"), ("n2", "n3"), ("n2", "n3"))

    def test_deep_graph_without_recursion(self) -> None:
        """A graph deeper than Python's recursion limit is walked without error."""
        x = torch.tensor(1.0, requires_grad=True)
        y = x
        for _ in range(sys.getrecursionlimit() + 100):
            y = y * 1.0
        graph = grad_graph(y)
        assert len(graph.nodes) == sys.getrecursionlimit() + 101

    def test_leaf_alone(self) -> None:
        """A leaf that requires grad is a one-node graph."""
        x = torch.tensor([2.0, 3.0], requires_grad=True)
        graph = grad_graph(x, names={"x": x})
        assert str(graph) == "x (leaf, shape (2,))"
        assert graph.edges == ()

    def test_no_graph(self) -> None:
        """A tensor that does not require grad raises a ValueError saying why and the fix."""
        with pytest.raises(ValueError, match=r"requires_grad=False and no grad_fn.*Fix: create"):
            grad_graph(torch.ones(2) * 2)

    def test_rejects_non_tensor(self) -> None:
        """A non-tensor is rejected with a TypeError naming the argument."""
        with pytest.raises(
            TypeError, match=r"grad_graph\(tensor\): expected a torch.Tensor, got int"
        ):
            grad_graph(3)  # type: ignore[arg-type]

    def test_rejects_bad_names(self) -> None:
        """Names must be a mapping of str to tensor; each violation is named."""
        x = torch.ones(2, requires_grad=True)
        with pytest.raises(TypeError, match=r"names=\.\.\.\): expected a mapping.*got list"):
            grad_graph(x, names=[x])  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"entry 'x': float must map a str to a torch.Tensor"):
            grad_graph(x, names={"x": 1.0})  # type: ignore[dict-item]

    def test_dot_is_valid(self) -> None:
        """DOT output declares every node used by an edge, balances braces and escapes labels."""
        x = torch.tensor([2.0, 3.0], requires_grad=True)
        dot = grad_graph((x * x + 3).sum(), names={'say "hi" \\ now': x}).to_dot()
        assert dot.startswith("digraph grad_graph {")
        assert dot.count("{") == dot.count("}")
        declared = set(re.findall(r"^  (n\d+) \[", dot, flags=re.MULTILINE))
        used = re.findall(r"^  (n\d+) -> (n\d+);", dot, flags=re.MULTILINE)
        assert used
        assert {n for edge in used for n in edge} <= declared
        assert 'label="say \\"hi\\" \\\\ now (leaf, shape (2,))"' in dot

    @pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
    def test_dot_renders_with_graphviz(self) -> None:
        """Graphviz's own dot program renders the DOT output to SVG."""
        x = torch.tensor([2.0, 3.0], requires_grad=True)
        dot = grad_graph((x * x + 3).sum(), names={'"x"': x}).to_dot()
        done = subprocess.run(
            [shutil.which("dot") or "dot", "-Tsvg"],
            input=dot,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert "<svg" in done.stdout


class TestExplainAutogradErrors:
    @staticmethod
    def _explained(info: pytest.ExceptionInfo[ExplainedAutogradError]) -> str:
        """Check the invariants every explained error keeps and return its message."""
        err = info.value
        assert isinstance(err, RuntimeError)
        assert err.__cause__ is err.original
        assert isinstance(err.__cause__, RuntimeError)
        lines = str(err).splitlines()
        assert lines[0] == str(err.__cause__)
        assert [line.split(":")[0] for line in lines if not line.startswith("  ")][1:] == [
            "What happened",
            "Why",
            "Fix",
        ]
        assert all(len(line) <= 88 for line in lines[1:] if "`" not in line)
        return _flat(err)

    def test_backward_without_grad(self) -> None:
        """Backward on a tensor that never required grad names the causes and the non-fix."""
        x = torch.tensor([1.0, 2.0])
        with pytest.raises(ExplainedAutogradError) as info, explain_autograd_errors():
            (x * 2).sum().backward()
        text = self._explained(info)
        assert "does not require grad and does not have a grad_fn" in text
        assert "No torch operation inside this block recorded a graph" in text
        assert "Do not set loss.requires_grad = True" in text

    def test_backward_after_no_grad(self) -> None:
        """A forward pass under torch.no_grad() inside the block is named with its line."""
        w = torch.tensor([1.0, 2.0], requires_grad=True)

        @explain_autograd_errors()
        def step() -> None:
            with torch.no_grad():
                loss = (w * 2).sum()
            loss.backward()

        with pytest.raises(ExplainedAutogradError) as info:
            step()
        line = _line_of(step, "loss = (w * 2).sum()")
        text = self._explained(info)
        assert f"torch.no_grad() around mul at test_grad.py:{line} (`loss = (w * 2).sum()`)" in text
        assert "these calls left the graph" in text

    def test_backward_in_no_grad_block(self) -> None:
        """A block that itself runs under torch.no_grad() is told that grad mode is off."""
        w = torch.tensor([1.0, 2.0], requires_grad=True)
        with (
            torch.no_grad(),
            pytest.raises(ExplainedAutogradError) as info,
            explain_autograd_errors(),
        ):
            (w * 2).sum().backward()
        assert "grad mode is off (torch.no_grad()), so that is the cause" in self._explained(info)

    def test_backward_after_detach(self) -> None:
        """A .detach() inside the block is named with its file and line."""
        w = torch.tensor([1.0, 2.0], requires_grad=True)

        @explain_autograd_errors()
        def step() -> None:
            h = (w * 2).detach()
            torch.autograd.backward([h.sum()])

        with pytest.raises(ExplainedAutogradError) as info:
            step()
        line = _line_of(step, "h = (w * 2).detach()")
        assert f".detach() at test_grad.py:{line}" in self._explained(info)

    def test_backward_without_tracking(self) -> None:
        """With track_ops=False the explanation falls back to how to find out."""
        x = torch.tensor([1.0, 2.0])
        with (
            pytest.raises(ExplainedAutogradError) as info,
            explain_autograd_errors(track_ops=False),
        ):
            torch.autograd.grad(x.sum(), [x])
        assert "Call firsttorch.inspect_grad() on the inputs" in self._explained(info)

    def test_non_scalar_backward(self) -> None:
        """Backward on a vector names its shape and both fixes."""
        a = torch.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(ExplainedAutogradError) as info, explain_autograd_errors():
            (a * 2).backward()
        text = self._explained(info)
        assert "grad can be implicitly created only for scalar outputs" in text
        assert "tensor of shape (2,)" in text
        assert "gradient=torch.ones_like(y)" in text
        assert ".sum().backward()" in text

    def test_non_scalar_backward_untracked(self) -> None:
        """Without tracking the shape is unknown and left out."""
        a = torch.tensor([1.0, 2.0], requires_grad=True)
        with (
            pytest.raises(ExplainedAutogradError) as info,
            explain_autograd_errors(track_ops=False),
        ):
            (a * 2).backward()
        assert "on a tensor at test_grad.py" in self._explained(info)

    def test_second_backward(self) -> None:
        """A second backward through a freed graph suggests recomputing or retain_graph."""
        a = torch.tensor([1.0, 2.0], requires_grad=True)
        loss = (a * a).sum()
        loss.backward()
        with pytest.raises(ExplainedAutogradError) as info, explain_autograd_errors():
            loss.backward()
        text = self._explained(info)
        assert "Trying to backward through the graph a second time" in text
        assert "retain_graph=True" in text
        assert "recompute the forward pass" in text

    def test_inplace_on_leaf(self) -> None:
        """An in-place update of a leaf that requires grad suggests torch.no_grad()."""
        w = torch.tensor([1.0, 2.0], requires_grad=True)

        @explain_autograd_errors()
        def step() -> None:
            nonlocal w
            w -= 0.1

        with pytest.raises(ExplainedAutogradError) as info:
            step()
        line = _line_of(step, "w -= 0.1")
        text = self._explained(info)
        assert "a leaf Variable that requires grad is being used in an in-place" in text
        assert f"test_grad.py:{line} (`w -= 0.1`)" in text
        assert "cannot be changed in place while autograd records" in text
        assert "even before it has been used" in text
        assert "with torch.no_grad(): w -= lr * w.grad" in text

    def test_saved_tensor_modified(self) -> None:
        """A saved tensor changed in place names that operation's file and line."""
        b = torch.tensor([1.0, 2.0], requires_grad=True)

        @explain_autograd_errors()
        def step() -> None:
            d = (b * 1).sigmoid()
            d.mul_(2)
            d.sum().backward()

        with pytest.raises(ExplainedAutogradError) as info:
            step()
        line = _line_of(step, "d.mul_(2)")
        text = self._explained(info)
        assert "modified by an inplace operation" in text
        assert "output 0 of Sigmoid" in text
        assert f"The in-place operation: mul_ at test_grad.py:{line} (`d.mul_(2)`)." in text
        assert "out-of-place form" in text

    def test_saved_tensor_item_assignment(self) -> None:
        """Item assignment and out= writes are in-place operations too."""
        b = torch.tensor([1.0, 2.0], requires_grad=True)

        @explain_autograd_errors()
        def step() -> None:
            c = b * 1
            d = c * c
            c[0] = 5
            torch.add(torch.ones(2), 1, out=torch.empty(2))
            d.sum().backward()

        with pytest.raises(ExplainedAutogradError) as info:
            step()
        line = _line_of(step, "c[0] = 5")
        text = self._explained(info)
        assert "output 0 of CopySlices" in text
        assert f"__setitem__ at test_grad.py:{line} (`c[0] = 5`)" in text

    def test_saved_leaf_modified_by_optimizer(self) -> None:
        """A parameter changed by optimizer.step() before a later backward is pinned on step()."""
        model = torch.nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)

        @explain_autograd_errors()
        def step() -> None:
            first = model(torch.ones(2, 3)).sum()
            second = (model.weight**2).sum()
            first.backward()
            opt.step()
            second.backward()

        with pytest.raises(ExplainedAutogradError) as info:
            step()
        line = _line_of(step, "opt.step()")
        text = self._explained(info)
        assert "(shape (1, 3))" in text
        assert f"at test_grad.py:{line} (`opt.step()`)" in text
        assert "before optimizer.step()" in text
        flat = _flat(info.value)
        assert f"in SGD.step, called at test_grad.py:{line}" in flat
        assert "inplace=True" not in flat.split(" Fix: ")[1]  # the fix fits the culprit

    def test_several_candidates(self) -> None:
        """Two same-shaped tensors changed once each are both listed."""
        b = torch.tensor([1.0, 2.0], requires_grad=True)

        @explain_autograd_errors()
        def step() -> None:
            c = b * 1
            other = b * 1
            d = c * c
            c.mul_(2)
            other.mul_(3)
            d.sum().backward()

        with pytest.raises(ExplainedAutogradError) as info:
            step()
        assert "The in-place operation is one of: mul_ at" in self._explained(info)

    def test_inplace_before_block(self) -> None:
        """An in-place operation outside the block cannot be named, and the text says so."""
        b = torch.tensor([1.0, 2.0], requires_grad=True)
        d = (b * 1).sigmoid()
        d.mul_(2)
        with pytest.raises(ExplainedAutogradError) as info, explain_autograd_errors():
            d.sum().backward()
        assert "so it ran before the block started" in self._explained(info)

    def test_inplace_untracked(self) -> None:
        """With track_ops=False the text says how to see where the change happened."""
        b = torch.tensor([1.0, 2.0], requires_grad=True)

        @explain_autograd_errors(track_ops=False)
        def step() -> None:
            d = (b * 1).sigmoid()
            d.mul_(2)
            d.sum().backward()

        with pytest.raises(ExplainedAutogradError) as info:
            step()
        assert "explain_autograd_errors(track_ops=True) to see where" in self._explained(info)

    def test_numpy_on_grad_tensor(self) -> None:
        """.numpy() on a tensor that requires grad suggests .detach().numpy()."""
        w = torch.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(ExplainedAutogradError) as info, explain_autograd_errors():
            w.numpy()
        text = self._explained(info)
        assert "Can't call numpy() on Tensor that requires grad" in text
        assert "t.detach().numpy()" in text

    def test_integer_requires_grad(self) -> None:
        """Asking an integer tensor to require grad suggests making it float."""
        with pytest.raises(ExplainedAutogradError) as info, explain_autograd_errors():
            torch.tensor([1, 2], requires_grad=True)
        text = self._explained(info)
        assert re.search("only Tensors of floating point", text, re.IGNORECASE)
        assert "torch.tensor([1., 2.], requires_grad=True)" in text

    def test_item_on_many_elements(self) -> None:
        """.item() on a tensor with several elements suggests a reduction or .tolist()."""
        with pytest.raises(ExplainedAutogradError) as info, explain_autograd_errors():
            torch.tensor([1.0, 2.0]).item()
        text = self._explained(info)
        assert ".item() was called on a tensor with 2 elements" in text
        assert "t.tolist()" in text

    def test_unrecognised_error_passes_unchanged(self) -> None:
        """A RuntimeError it does not know is re-raised as the very same object."""
        original = RuntimeError("something else")
        with pytest.raises(RuntimeError) as info, explain_autograd_errors():
            raise original
        assert info.value is original

    def test_other_exceptions_pass_unchanged(self) -> None:
        """A non-RuntimeError passes through untouched."""
        original = KeyError("k")
        with pytest.raises(KeyError) as info, explain_autograd_errors():
            raise original
        assert info.value is original

    def test_nested_blocks_explain_once(self) -> None:
        """An outer block leaves an already explained error alone."""
        with (
            pytest.raises(ExplainedAutogradError) as info,
            explain_autograd_errors(),
            explain_autograd_errors(),
        ):
            torch.tensor([1.0, 2.0]).item()
        assert isinstance(info.value.__cause__, RuntimeError)
        assert not isinstance(info.value.__cause__, ExplainedAutogradError)

    def test_no_error_no_effect(self) -> None:
        """Without an error the block changes nothing and leaves no torch function mode."""
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        with explain_autograd_errors():
            _ = torch.ones(2).detach()
            torch.autograd.backward([])
            loss = (x * x).sum()
            loss.backward()
            with torch.no_grad():
                x.grad.add_(0)  # type: ignore[union-attr]
                _ = x.grad * 2
                _ = x.sum().item()
                _ = (x.detach() * 2).clone()
            torch.nn.init.zeros_(torch.empty(0))
            torch._foreach_add_([torch.zeros(1)], 1.0)
            x2 = torch.zeros(2).requires_grad_()
        assert torch.equal(x.grad, torch.tensor([2.0, 4.0]))  # type: ignore[arg-type]
        assert x2.requires_grad
        assert not torch.overrides._is_torch_function_mode_enabled()

    def test_inference_tensor_inplace(self) -> None:
        """An in-place update of an inference tensor inside the block is simply not recorded."""
        with explain_autograd_errors(), torch.inference_mode():
            t = torch.ones(2)
            t.add_(1)
        assert t.tolist() == [2.0, 2.0]

    def test_decorator(self) -> None:
        """As a decorator it explains errors in every call, including recursive ones."""

        @explain_autograd_errors()
        def countdown(n: int) -> None:
            if n == 0:
                torch.tensor([1.0, 2.0], requires_grad=True).numpy()
            else:
                countdown(n - 1)

        with pytest.raises(ExplainedAutogradError, match="Can't call numpy"):
            countdown(3)

    def test_decorator_in_threads(self) -> None:
        """A decorated function runs in several threads at once without sharing state."""
        caught: list[str] = []

        @explain_autograd_errors()
        def work() -> None:
            torch.tensor([1.0, 2.0]).item()

        def thread_main() -> None:
            try:
                work()
            except ExplainedAutogradError as err:
                caught.append(str(err).splitlines()[0])

        threads = [threading.Thread(target=thread_main) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert caught == ["a Tensor with 2 elements cannot be converted to Scalar"] * 4
        assert not torch.overrides._is_torch_function_mode_enabled()

    def test_rejects_non_bool(self) -> None:
        """track_ops must be a bool."""
        with pytest.raises(TypeError, match=r"explain_autograd_errors\(track_ops=1\): expected"):
            explain_autograd_errors(track_ops=1)  # type: ignore[arg-type]


class TestCheckGradients:
    def test_float32_square_passes(self) -> None:
        """Correct float32 code passes because the check runs in float64."""
        x = torch.tensor([1.0, 2.0, 3.0])
        report = check_gradients(lambda t: t**2, x)
        assert isinstance(report, GradCheckReport)
        assert report.ok
        report.raise_if_failed()
        assert str(report) == (
            "check_gradients(<lambda>): OK. Autograd matches finite differences for 1 input "
            "(largest\ndifference < 1e-8; atol=1e-05, rtol=0.001)."
        )

    def test_inputs_not_mutated(self) -> None:
        """The user's tensors keep their values, dtype and requires_grad."""
        x = torch.tensor([1.0, 2.0])
        n = torch.tensor([2])

        def fn(t: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
            t.data.mul_(1)  # touching the copy must not reach the caller's tensor
            k.add_(0)
            return (t**k).sum()

        assert check_gradients(fn, x, n).ok
        assert x.dtype == torch.float32
        assert not x.requires_grad
        assert x.tolist() == [1.0, 2.0]
        assert n.tolist() == [2]

    def test_wrong_custom_function_fails(self) -> None:
        """A custom Function with a wrong backward fails with autograd against numbers."""
        report = check_gradients(my_square, torch.tensor([1.0, 2.0, 3.0]))
        assert not report.ok
        result = report.results[0]
        assert result.max_abs_error == pytest.approx(3.0)
        assert torch.allclose(result.analytical, torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64))
        assert torch.allclose(result.numerical, torch.tensor([2.0, 4.0, 6.0], dtype=torch.float64))
        assert report.diagnosis == "wrong backward"
        assert str(report).splitlines()[:4] == [
            "check_gradients(my_square): FAILED for input 0 (shape (3,)).",
            "  autograd says:            [1.0000, 2.0000, 3.0000]",
            "  finite differences say:   [2.0000, 4.0000, 6.0000]",
            "  largest difference 3.0 at element 2 (atol=1e-05, rtol=0.001)",
        ]
        assert _flat("\n".join(str(report).splitlines()[4:])) == _flat(
            "Your backward (a custom autograd.Function in fn) computes a different derivative "
            "than the forward implies. Fix: check the backward formula for the input(s) above "
            "against the derivative of the forward."
        )
        with pytest.raises(GradientCheckError, match=r"FAILED for input 0 \(shape \(3,\)\)"):
            report.raise_if_failed()

    def test_agrees_with_gradcheck(self) -> None:
        """Pass or fail agrees with torch.autograd.gradcheck on the same functions."""
        x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
        for fn in (my_square, lambda t: (t**2).sum()):
            expected = torch.autograd.gradcheck(fn, (x,), raise_exception=False)
            assert check_gradients(fn, x).ok == expected

    def test_jacobian_report(self) -> None:
        """A non-scalar output is compared as a Jacobian, explained and kept within 88 columns."""
        report = check_gradients(WrongSquare.apply, torch.linspace(1.0, 2.0, 10))
        text = str(report)
        assert report.results[0].jacobian
        assert report.results[0].analytical.shape == (10, 10)
        assert "check_gradients(WrongSquare.apply): FAILED" in text
        assert "(Jacobians: row i is output element i, column j input element j)" in text
        assert "at row 9, column 9" in text
        assert "\n                             ...\n" in text
        assert all(len(line) <= 88 for line in text.splitlines())

    def test_several_failed_inputs(self) -> None:
        """Each failing input gets its own block; a 0-d input prints as a number."""
        report = check_gradients(
            lambda x, w: WrongProduct.apply(x, w).sum(), torch.tensor([1.0, 2.0]), torch.tensor(3.0)
        )
        text = str(report)
        assert "FAILED for 2 inputs." in text
        assert "  input 1 (shape ()):\n    autograd says:            6.0000\n" in text
        assert "    largest difference 3.0 (atol" in text

    def test_detached_output(self) -> None:
        """When autograd says 0 everywhere the report blames a cut in the graph."""
        report = check_gradients(
            lambda x: (x.detach() ** 2).sum() + 0 * x.sum(), torch.arange(1.0, 11.0)
        )
        text = str(report)
        assert report.diagnosis == "detached forward"
        assert "the forward is at fault, not the backward" in _flat(text)
        line = _line_of(TestCheckGradients.test_detached_output, "x.detach() ** 2")
        assert f"Inside fn the graph was left at: .detach() at test_grad.py:{line}" in _flat(text)
        assert "..." in text

    def test_float32_cast_inside(self) -> None:
        """A cast to float32 inside fn is pointed out, with the 2-d position of the worst element."""
        report = check_gradients(
            lambda m: (m.float() ** 3).sum() * 1e5, torch.full((2, 3), 1.3, dtype=torch.float64)
        )
        text = str(report)
        assert not report.ok
        assert "fn returned torch.float32, not float64" in text
        assert re.search(r"at element \(\d, \d\)", text)
        assert "e+05" in text

    def test_tiny_and_odd_numbers(self) -> None:
        """Tiny, infinite and NaN values are printed readably and never pass."""
        report = check_gradients(lambda x: (x * 1e-7).sum(), torch.ones(2), atol=0, rtol=0)
        assert "1.0000e-07" in str(report)
        nan = check_gradients(lambda x: (x * float("nan")).sum(), torch.ones(2))
        assert not nan.ok
        assert "nan" in str(nan)

    def test_passthrough_and_unused_inputs(self) -> None:
        """Python numbers and int tensors pass through; an unused float input gets zeros."""
        report = check_gradients(
            lambda x, _y, n, idx: (x**n)[idx].sum(),
            torch.tensor([1.0, 2.0]),
            torch.ones(3),
            3,
            torch.tensor([1]),
        )
        assert report.ok
        assert [r.index for r in report.results] == [0, 1]
        assert not report.results[1].analytical.any()
        assert "for 2 inputs" in str(report)

    def test_constant_and_empty_outputs(self) -> None:
        """An output that ignores the input, or has no elements, trivially passes."""
        assert check_gradients(lambda _: torch.ones(2, dtype=torch.float64), torch.ones(2)).ok
        empty = check_gradients(lambda x: x[:0], torch.ones(2))
        assert empty.ok
        assert empty.results[0].analytical.shape == (0, 2)
        assert check_gradients(lambda x: x.sum(), torch.ones(0)).ok

    def test_callable_names(self) -> None:
        """Modules and partials are named by their type."""
        assert check_gradients(torch.nn.Tanh(), torch.ones(2)).name == "Tanh"
        assert check_gradients(functools.partial(torch.sum), torch.ones(2)).name == "partial"

    def test_tolerances(self) -> None:
        """Tolerances are used; unknown names and bad values are rejected by name."""
        report = check_gradients(my_square, torch.ones(1), atol=1, rtol=1, eps=1e-3)
        assert report.ok
        assert (report.atol, report.rtol, report.eps) == (1.0, 1.0, 1e-3)
        with pytest.raises(
            TypeError, match=r"unknown keyword argument 'tol'\. Allowed: atol, rtol, eps"
        ):
            check_gradients(my_square, torch.ones(1), tol=1e-3)
        with pytest.raises(TypeError, match=r"atol=True\): expected a number"):
            check_gradients(my_square, torch.ones(1), atol=True)
        with pytest.raises(TypeError, match=r"rtol='0.1'\): expected a number"):
            check_gradients(my_square, torch.ones(1), rtol="0.1")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=r"eps=0\): must be finite and > 0"):
            check_gradients(my_square, torch.ones(1), eps=0)
        with pytest.raises(ValueError, match=r"atol=-1\.0\): must be finite and >= 0"):
            check_gradients(my_square, torch.ones(1), atol=-1.0)
        with pytest.raises(ValueError, match=r"rtol=inf\): must be finite"):
            check_gradients(my_square, torch.ones(1), rtol=float("inf"))

    def test_rejects_bad_inputs(self) -> None:
        """Missing float inputs, complex inputs and non-callables are rejected with a fix."""
        with pytest.raises(
            ValueError, match=r"no floating point tensor among the inputs \(got torch.int64, int\)"
        ):
            check_gradients(my_square, torch.tensor([1]), 2)
        with pytest.raises(ValueError, match=r"\(got none\)"):
            check_gradients(torch.rand)
        with pytest.raises(ValueError, match=r"input 0 is complex \(torch.complex64\)"):
            check_gradients(my_square, torch.ones(2, dtype=torch.complex64))
        with pytest.raises(
            TypeError, match=r"check_gradients\(fn=3\): fn must be callable, got int"
        ):
            check_gradients(3, torch.ones(2))  # type: ignore[arg-type]

    def test_rejects_bad_outputs(self) -> None:
        """fn must return one floating point tensor."""
        with pytest.raises(
            TypeError, match=r"fn returned float; expected one floating point tensor"
        ):
            check_gradients(lambda x: x.sum().item(), torch.ones(2))
        with pytest.raises(TypeError, match=r"fn returned a torch.int64 tensor"):
            check_gradients(lambda x: x.long(), torch.ones(2))


class TestInplaceSeenEverywhere:
    """In-place changes made inside torch.nn.functional and modules are seen and named."""

    @pytest.mark.parametrize(
        ("make", "culprit", "module"),
        [
            (lambda y: F.relu(y, inplace=True), "relu(inplace=True) at", "nn.ReLU()"),
            (lambda y: F.dropout(y, 0.5, True, True), "dropout(inplace=True) at", "nn.Dropout()"),
            (lambda y: F.leaky_relu(y, 0.1, True), "leaky_relu(inplace=True) at", "nn.LeakyReLU()"),
            (lambda y: F.hardtanh(y, inplace=True), "hardtanh(inplace=True) at", "nn.Hardtanh()"),
            (lambda y: F.elu(y, inplace=True), "elu(inplace=True) at", "nn.ELU()"),
            (torch.nn.ReLU(inplace=True), "relu(inplace=True) in ReLU.forward", "nn.ReLU()"),
            (torch.nn.Dropout(inplace=True), "in Dropout.forward", "nn.Dropout()"),
        ],
    )
    def test_functional_and_modules(
        self, make: Callable[[torch.Tensor], object], culprit: str, module: str
    ) -> None:
        """Each culprit is named with the line, and the fix names its own module."""
        x = torch.randn(4, requires_grad=True)

        @explain_autograd_errors()
        def step() -> None:
            y = torch.sigmoid(x)
            make(y)
            y.sum().backward()

        with pytest.raises(ExplainedAutogradError) as info:
            step()
        text = _flat(info.value)
        # The user's innermost line: the lambda that calls F.*, or `make(y)` for a module.
        code = getattr(make, "__code__", None)
        line = code.co_firstlineno if code is not None else _line_of(step, "make(y)")
        assert culprit in text
        assert f"test_grad.py:{line} (`" in text
        assert "ran before the block" not in text
        fix = text.split(" Fix: ")[1]
        assert f"drop inplace=True: {module} instead of" in fix
        assert ({"nn.ReLU()", "nn.Dropout()"} - {module}).pop() not in fix

    def test_relu_inplace_on_parameter(self) -> None:
        """ReLU(inplace=True) on a parameter is told to drop inplace, not to use no_grad."""
        w = torch.nn.Parameter(torch.randn(3))
        with pytest.raises(ExplainedAutogradError) as info, explain_autograd_errors():
            torch.nn.ReLU(inplace=True)(w)
        text = _flat(info.value)
        assert "relu(inplace=True) in ReLU.forward" in text
        assert "drop inplace=True: nn.ReLU()" in text
        assert "w -= lr" not in text

    def test_saved_tensor_matched_by_its_op(self) -> None:
        """Two same-shaped changes: the one made to the tensor the error names is picked."""
        t = torch.arange(3.0, requires_grad=True)

        @explain_autograd_errors()
        def step() -> None:
            u = 2 * t
            e = u.exp()
            u[0] = 1
            e[0] = 1
            e.sum().backward()

        with pytest.raises(ExplainedAutogradError) as info:
            step()
        text = _flat(info.value)
        assert "The in-place operation: __setitem__" in text
        assert f"test_grad.py:{_line_of(step, 'e[0] = 1')}" in text

    def test_untracked_change_is_not_blamed_on_the_user(self) -> None:
        """No matching record: the text says so, without claiming where it ran."""
        b = torch.tensor([1.0, 2.0], requires_grad=True)
        d = (b * 1).sigmoid()
        d.mul_(2)

        @explain_autograd_errors()
        def step() -> None:
            (d * 1).sum()
            d.sum().backward()

        with pytest.raises(ExplainedAutogradError) as info:
            step()
        assert "No in-place operation recorded inside this block matches" in _flat(info.value)


class TestExplainEvidence:
    def test_data_and_item_cuts(self) -> None:
        """A loss rebuilt from .data or .item() names that call, not 'no input required grad'."""
        w = torch.nn.Parameter(torch.randn(3))

        @explain_autograd_errors()
        def step() -> None:
            value = (w * 2).sum().item()
            pred = w.data * 2
            loss = (pred * value).sum()
            loss.backward()

        with pytest.raises(ExplainedAutogradError) as info:
            step()
        text = _flat(info.value)
        assert f".item() at test_grad.py:{_line_of(step, 'value = ')}" in text
        assert f".data at test_grad.py:{_line_of(step, 'pred = ')}" in text
        assert "none of their inputs required grad" not in text

    def test_grad_used_but_not_connected(self) -> None:
        """Tensors requiring grad were used but the loss was built apart from them."""
        w = torch.nn.Parameter(torch.randn(3))

        @explain_autograd_errors()
        def step() -> None:
            _ = w * 2
            torch.ones(2).sum().backward()

        with pytest.raises(ExplainedAutogradError) as info:
            step()
        assert "was not computed from them" in _flat(info.value)

    def test_numpy_culprit_at_users_line(self) -> None:
        """np.sum over tensors is located at the user's line, not inside NumPy."""
        np = pytest.importorskip("numpy")
        w = torch.randn(3, requires_grad=True)

        @explain_autograd_errors()
        def step() -> None:
            np.sum([w * 2, w * 3])

        with pytest.raises(ExplainedAutogradError) as info:
            step()
        text = _flat(info.value)
        assert f"test_grad.py:{_line_of(step, 'np.sum(')}" in text
        assert "fromnumeric" not in text
        assert "torch.stack([a, b]).sum()" in text

    def test_max_indices(self) -> None:
        """Indices from torch.max are not told to 'make it float'."""
        x = torch.randn(2, 3, requires_grad=True)

        @explain_autograd_errors()
        def step() -> None:
            _, idx = torch.max(x, 1)
            idx.requires_grad_()

        with pytest.raises(ExplainedAutogradError) as info:
            step()
        text = _flat(info.value)
        assert (
            f"indices that torch.max returned at test_grad.py:{_line_of(step, 'torch.max')}" in text
        )
        assert "make it float" not in text

    def test_autograd_grad_not_scalar(self) -> None:
        """torch.autograd.grad on many values is not reported as backward()."""
        x = torch.randn(3, requires_grad=True)
        with pytest.raises(ExplainedAutogradError) as info, explain_autograd_errors():
            torch.autograd.grad(x * 2, x)
        text = _flat(info.value)
        assert "torch.autograd.grad() was given outputs of shape (3,)" in text
        assert "backward() was called" not in text
        assert "grad_outputs=torch.ones_like(y)" in text

    def test_device_mismatch(self) -> None:
        """Tensors on two devices are listed with their devices, and the module's own."""
        model = torch.nn.Linear(3, 2).to("meta")
        with pytest.raises(ExplainedAutogradError) as info, explain_autograd_errors():
            model(torch.ones(4, 3))
        text = _flat(info.value)
        assert "linear in Linear.forward" in text
        assert "argument 0 (4, 3) on cpu" in text
        assert "the Linear.forward module's own parameters on meta" in text

    @pytest.mark.parametrize(
        ("message", "kind"),
        [
            (
                (
                    "Expected all tensors to be on the same device, but got mat1 is on cuda:0, "
                    "different from other tensors on cpu (when checking argument in method "
                    "wrapper_CUDA_addmm)"
                ),
                "devices (cuda:0, cpu)",
            ),
            (
                (
                    "Input type (torch.cuda.FloatTensor) and weight type (torch.FloatTensor) "
                    "should be the same"
                ),
                "devices (cuda, cpu)",
            ),
            (
                (
                    "Input and parameter tensors are not at the same device, found input tensor "
                    "at cpu and parameter tensor at cuda:0"
                ),
                "devices (cpu, cuda:0)",
            ),
            (
                (
                    "Expected object of device type cuda but got device type cpu for argument #1 "
                    "'self' in call to _th_addmm"
                ),
                "devices (cuda, cpu)",
            ),
            (
                (
                    "Input type (torch.DoubleTensor) and weight type (torch.FloatTensor) should "
                    "be the same"
                ),
                "different dtypes",
            ),
            ("expected scalar type Double but found Float", "different dtypes"),
            (
                "mat1 and mat2 must have the same dtype, but got Double and Float",
                "different dtypes",
            ),
            ("Found dtype Double but expected Float", "different dtypes"),
        ],
    )
    def test_device_and_dtype_messages(self, message: str, kind: str) -> None:
        """GPU-only and dtype messages, as users post them, get the right explanation."""
        from firsttorch._grad_messages import Clues, explain

        text = explain(message, Clues())
        assert text is not None
        assert kind in _flat(text)

    def test_dtype_mismatch_lists_tensors(self) -> None:
        """A real float64 input to a float32 layer lists each tensor's dtype."""
        with pytest.raises(ExplainedAutogradError) as info, explain_autograd_errors():
            torch.nn.Linear(3, 1)(torch.ones(2, 3, dtype=torch.float64))
        text = _flat(info.value)
        assert "argument 0 (2, 3) float64" in text
        assert "x = x.float()" in text

    def test_decorator_keeps_name(self) -> None:
        """The decorator form keeps the function's name and docstring."""

        @explain_autograd_errors()
        def train() -> None:
            """Train."""

        assert (train.__name__, train.__doc__) == ("train", "Train.")
        assert repr(explain_autograd_errors()) == "explain_autograd_errors(track_ops=True)"


class IgnoresGradOutput(torch.autograd.Function):
    """x * x whose backward returns 2x, forgetting to multiply by grad_output."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, _grad: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors  # type: ignore[attr-defined]
        return 2 * x


class TestCheckGradientsDiagnosis:
    def test_ignored_grad_output_behind_sum(self) -> None:
        """A backward that ignores grad_output fails even behind .sum(), like gradcheck."""

        def fn(x: torch.Tensor) -> torch.Tensor:
            return IgnoresGradOutput.apply(x).sum()  # type: ignore[no-any-return]

        x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
        assert not torch.autograd.gradcheck(fn, (x,), raise_exception=False)
        report = check_gradients(fn, x)
        assert not report.ok
        assert report.diagnosis == "grad_output ignored"
        assert report.results[0].jacobian_ok
        text = str(report)
        assert "FAILED: the backward ignores grad_output" in text
        assert "return grad_output * (local derivative)" in _flat(text)

    def test_float32_module(self) -> None:
        """A float32 module is checked on a float64 copy and left unchanged."""
        torch.manual_seed(0)
        model = torch.nn.Linear(3, 1)
        before = model.weight.detach().clone()
        report = check_gradients(model, torch.randn(2, 3))
        assert report.ok
        assert model.weight.dtype == torch.float32
        assert torch.equal(model.weight.detach(), before)
        assert "ran on a float64 copy" in _flat(report)
        assert check_gradients(model.forward, torch.randn(2, 3)).notes == report.notes
        assert check_gradients(model.double(), torch.randn(2, 3)).notes == ()

    def test_float32_closure_is_explained(self) -> None:
        """A float32 module hidden in a lambda gets a clear TypeError, not a raw mismatch."""
        model = torch.nn.Linear(3, 1)
        with pytest.raises(
            TypeError, match=r"fn mixes the float64 copies.*check_gradients\(model, x\)"
        ):
            check_gradients(lambda x: model(x).sum(), torch.randn(2, 3))
        with pytest.raises(RuntimeError, match="boom"):
            check_gradients(lambda _: (_ for _ in ()).throw(RuntimeError("boom")), torch.ones(1))

    def test_float64_home(self) -> None:
        """Only a device without float64 (Apple's mps) sends float64 copies to the CPU."""
        # torch.device objects are plain names, so this runs on any machine.
        assert _grad_check._float64_home(torch.device("mps")) == torch.device("cpu")
        assert _grad_check._float64_home(torch.device("cuda:1")) == torch.device("cuda:1")
        assert _grad_check._float64_home(torch.device("cpu")) == torch.device("cpu")

    def test_simulated_device_without_float64(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """SIMULATES MPS: the CPU plays a device without float64 (this machine has no MPS)."""
        monkeypatch.setattr(_grad_check, "_NO_FLOAT64", frozenset({"cpu"}))
        report = check_gradients(lambda x: (x**2).sum(), torch.ones(2))
        assert report.ok
        expected = (
            "Inputs on cpu were checked as float64 copies on the CPU, because cpu has no "
            "float64 (your tensors are unchanged)."
        )
        assert expected in _flat(report)
        model = torch.nn.Linear(3, 1)
        module_report = check_gradients(model, torch.randn(2, 3))
        assert module_report.ok
        assert model.weight.dtype == torch.float32
        assert "float64 copy of it on the CPU (cpu has no float64)" in _flat(module_report)
        stays = torch.ones(2, device="meta")  # a tensor fn holds that is not moved
        with pytest.raises(
            DeviceMismatchError, match=r"inputs on cpu were copied to the CPU.*model\.cpu\(\)"
        ):
            check_gradients(lambda x: (x * stays).sum(), torch.ones(2))

    def test_device_clash_without_a_move_is_not_rewritten(self) -> None:
        """Where nothing was moved to the CPU, fn's own device clash propagates unchanged."""
        stays = torch.ones(2, device="meta")
        with pytest.raises(RuntimeError) as caught:
            check_gradients(lambda x: (x * stays).sum(), torch.ones(2))
        assert not isinstance(caught.value, DeviceMismatchError)

    def test_random_forward(self) -> None:
        """Dropout in fn is reported as a non-deterministic forward, not a wrong backward."""
        state = torch.random.get_rng_state()
        report = check_gradients(lambda x: torch.nn.functional.dropout(x, 0.5).sum(), torch.ones(4))
        assert torch.equal(torch.random.get_rng_state(), state)
        assert report.diagnosis == "nondeterministic forward"
        assert not report.ok
        assert "fn is not deterministic" in _flat(report)
        assert "backward formula" not in _flat(report)

    def test_forward_losing_requires_grad(self) -> None:
        """A forward rebuilt from .tolist() is blamed, with the place the graph was left."""

        def fn(x: torch.Tensor) -> torch.Tensor:
            return torch.tensor(x.tolist(), dtype=torch.float64).pow(2).sum()

        report = check_gradients(fn, torch.tensor([1.0, 2.0]))
        text = _flat(report)
        assert report.diagnosis == "detached forward"
        assert not report.output_requires_grad
        assert "fn's output does not require grad at all" in text
        assert f".tolist() at test_grad.py:{_line_of(fn, 'x.tolist()')}" in text

    def test_builtin_mismatch_is_not_blamed_on_a_backward(self) -> None:
        """Without a custom Function a mismatch is put on the input (a kink), not a backward."""
        report = check_gradients(lambda x: x.round().sum() + x.sum(), torch.tensor([0.5]), eps=0.01)
        assert report.diagnosis == "inexact finite differences"
        assert "not smooth at this input" in _flat(report)

    def test_detached_with_zero_where_wrong(self) -> None:
        """A cut outside torch's reach (a Python number) still reads as a detached forward."""
        report = check_gradients(lambda x: x * 0 + float(x.sum().detach()), torch.tensor([1.0]))
        assert report.diagnosis == "detached forward"

    def test_output_with_nan_is_deterministic(self) -> None:
        """NaN in both runs is not mistaken for randomness; shapes that change are."""
        report = check_gradients(lambda x: x * float("nan"), torch.ones(2))
        assert report.diagnosis != "nondeterministic forward"
        calls = iter(range(100))
        changing = check_gradients(
            lambda x: x.sum() * 0 + torch.ones(next(calls) % 2 + 1).sum(), torch.ones(1)
        )
        assert changing.diagnosis in {"nondeterministic forward", "ok"}
