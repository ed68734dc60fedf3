"""Tests for firsttorch.broadcast: broadcast_shape, explain_broadcast, strict_broadcasting."""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.overrides import TorchFunctionMode

from firsttorch import _broadcast_site as _site
from firsttorch.broadcast import (
    _WATCH,
    _Checker,
    _Owner,
    broadcast_shape,
    explain_broadcast,
    strict_broadcasting,
)
from firsttorch.errors import BroadcastError, BroadcastWarning, SurprisingBroadcastError

HERE = Path(__file__).name
SHOWN_PATH = __file__.removeprefix(str(Path.cwd()) + os.sep)  # as messages show it

shape = st.lists(st.integers(0, 3), max_size=4).map(tuple)
any_shapes = st.lists(shape, max_size=4)


@st.composite
def compatible_shapes(draw: st.DrawFn) -> list[tuple[int, ...]]:
    """Shapes that broadcast: suffixes of one shape, with random sizes replaced by 1."""
    full = draw(st.lists(st.integers(0, 5), max_size=5))
    shapes = []
    for _ in range(draw(st.integers(1, 4))):
        suffix = full[draw(st.integers(0, len(full))) :]
        shapes.append(tuple(1 if draw(st.booleans()) else size for size in suffix))
    return shapes


@st.composite
def incompatible_shapes(draw: st.DrawFn) -> list[tuple[int, ...]]:
    """Compatible shapes plus one that conflicts with their result at a non-1 dim."""
    shapes = draw(compatible_shapes())
    result = torch.broadcast_shapes(*shapes)
    dims = [d for d, size in enumerate(result) if size != 1]
    if not dims:
        return [*shapes, (2,), (3,)]
    d = draw(st.sampled_from(dims))
    bad = (result[d] + 2, *(1,) * (len(result) - d - 1))
    shapes.insert(draw(st.integers(0, len(shapes))), bad)
    return shapes


def torch_result(shapes: list[tuple[int, ...]]) -> torch.Size | None:
    """torch.broadcast_shapes, with None standing for its RuntimeError."""
    try:
        return torch.broadcast_shapes(*shapes)
    except RuntimeError:
        return None


def loose(text: str) -> str:
    """A regex matching ``text`` literally, except that each space may be any line break."""
    return r"\s+".join(map(re.escape, text.split(" ")))


def line_of(marker: str) -> int:
    """The line number in this file of the line ending with ``# <marker>``."""
    lines = Path(__file__).read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.endswith(f"# {marker}"))


class TestBroadcastShape:
    """broadcast_shape agrees with torch and explains failures."""

    @settings(deadline=None)  # torch's first call imports its symbolic-shape machinery
    @given(any_shapes)
    def test_agrees_with_torch_on_random_shapes(self, shapes: list[tuple[int, ...]]) -> None:
        """On any shapes, both succeed with the same result or both fail."""
        expected = torch_result(shapes)
        if expected is None:
            with pytest.raises(BroadcastError, match="cannot broadcast"):
                broadcast_shape(*shapes)
        else:
            assert broadcast_shape(*shapes) == expected

    @settings(deadline=None)  # torch's first call imports its symbolic-shape machinery
    @given(compatible_shapes())
    def test_agrees_with_torch_on_compatible_shapes(self, shapes: list[tuple[int, ...]]) -> None:
        """On shapes that broadcast, the result equals torch.broadcast_shapes."""
        result = broadcast_shape(*shapes)
        assert type(result) is torch.Size
        assert result == torch.broadcast_shapes(*shapes)

    @settings(deadline=None)  # torch's first call imports its symbolic-shape machinery
    @given(incompatible_shapes())
    def test_fails_where_torch_fails(self, shapes: list[tuple[int, ...]]) -> None:
        """On conflicting shapes, torch raises and so do we, with an error that is both."""
        assert torch_result(shapes) is None
        with pytest.raises(BroadcastError) as info:
            broadcast_shape(*shapes)
        assert isinstance(info.value, RuntimeError)
        assert isinstance(info.value, ValueError)

    def test_no_inputs_give_an_empty_size(self) -> None:
        """Like torch, no arguments broadcast to torch.Size([])."""
        assert broadcast_shape() == torch.Size([]) == torch.broadcast_shapes()

    def test_accepts_tensors_sizes_lists_and_ints(self) -> None:
        """Tensors count by their shape (a 0-d tensor as ()); a bare int n is the shape (n,)."""
        result = broadcast_shape(torch.zeros(8, 1), torch.Size([3]), [1, 1, 3], True, 3)
        assert result == torch.Size([1, 8, 3])
        assert broadcast_shape(torch.tensor(1.0), ()) == torch.Size([])

    @pytest.mark.parametrize(
        "args",
        [(3, 5), (3, (1,)), (3,), (torch.Size([2]), 2), ((1,), 4), (0,), (True,), (1, 0), (0, 5)],
    )
    def test_ints_read_as_torch_reads_them(self, args: tuple[object, ...]) -> None:
        """broadcast_shape(3, 5) raises and broadcast_shape(3, (1,)) is (3,), as in torch."""
        expected = torch_result(list(args))  # type: ignore[arg-type]
        if expected is None:
            with pytest.raises(BroadcastError, match=r"broadcast_shape\(\(\d+,\), \(\d+,\)\)"):
                broadcast_shape(*args)
        else:
            assert broadcast_shape(*args) == expected

    @settings(deadline=None)
    @given(st.lists(st.one_of(st.integers(0, 4), shape, shape.map(torch.Size)), max_size=4))
    def test_agrees_with_torch_on_mixed_ints_and_shapes(self, args: list[object]) -> None:
        """Ints, tuples and sizes mixed: the same result as torch.broadcast_shapes, or both fail."""
        expected = torch_result(args)  # type: ignore[arg-type]
        if expected is None:
            with pytest.raises(BroadcastError):
                broadcast_shape(*args)
        else:
            assert broadcast_shape(*args) == expected

    @pytest.mark.parametrize("number", [2.0, 1j])
    def test_floats_are_not_shapes(self, number: object) -> None:
        """A float or complex number is a TypeError that says how to write a scalar's shape."""
        with pytest.raises(TypeError, match=r"argument 1 is the number .* not a shape.* pass \(\)"):
            broadcast_shape((2,), number)

    def test_negative_int_is_a_value_error(self) -> None:
        """A negative bare int is a negative size, as in torch."""
        with pytest.raises(ValueError, match=r"argument 0 has a negative size: -2"):
            broadcast_shape(-2, (1,))

    def test_accepts_tuple_subclasses_and_index_ints(self) -> None:
        """A NamedTuple shape and ints that implement __index__ take the slow path and work."""

        class HW(NamedTuple):
            h: int
            w: int

        assert broadcast_shape(HW(4, 1), (torch.tensor(3),)) == torch.Size([4, 3])

    def test_accepts_tensor_subclasses(self) -> None:
        """A Parameter (a Tensor subclass) counts by its shape."""
        weight = torch.nn.Parameter(torch.zeros(3, 1))
        assert broadcast_shape(weight, (4,)) == torch.Size([3, 4])

    def test_negative_size_names_the_argument(self) -> None:
        """A negative size is a ValueError naming the argument and showing it."""
        with pytest.raises(ValueError, match=r"argument 1 has a negative size: \(2, -1\)"):
            broadcast_shape((2,), (2, -1))

    def test_wrong_type_names_the_argument(self) -> None:
        """Something that is not a shape is a TypeError naming the argument and its type."""
        with pytest.raises(TypeError, match=r"argument 0 must be a tensor, a shape .* got str"):
            broadcast_shape("3, 4")

    def test_non_int_size_is_a_type_error(self) -> None:
        """A float inside a shape is a TypeError that shows the shape."""
        with pytest.raises(TypeError, match=r"argument 1 must hold only ints, got \(2\.0,\)"):
            broadcast_shape((2,), (2.0,))

    def test_transposed_message_in_full(self) -> None:
        """The message shows the call, a right-aligned table, the conflicts, the rule and a fix."""
        with pytest.raises(BroadcastError) as info:
            broadcast_shape((3, 4), (4, 3))
        assert str(info.value) == (
            "broadcast_shape((3, 4), (4, 3)): cannot broadcast; dim -1 is 4 vs 3.\n"
            "      dim:  -2  -1\n"
            "  input 0:   3   4\n"
            "  input 1:   4   3\n"
            "             ^   ^\n"
            "  conflict at dim -1: 4 (input 0, dim 1) vs 3 (input 1, dim 1)\n"
            "  conflict at dim -2: 3 (input 0, dim 0) vs 4 (input 1, dim 0)\n"
            "Rule: aligned from the right, each pair of sizes must be equal or one of them must"
            " be 1.\n"
            "Fix: input 1 looks like input 0 transposed; use .T (or .mT for batches) on one of"
            " them."
        )

    def test_conflict_uses_each_inputs_own_dims(self) -> None:
        """The conflict names each input's own dim, and the table leaves missing dims blank."""
        with pytest.raises(BroadcastError) as info:
            broadcast_shape((3, 4), (2, 1, 3))
        message = str(info.value)
        assert "conflict at dim -1: 4 (input 0, dim 1) vs 3 (input 1, dim 2)" in message
        assert "  input 0:       3   4\n" in message
        assert "Fix:" not in message

    def test_batched_transpose_suggests_mT(self) -> None:
        """Batches whose last two dims are swapped get the .mT fix."""
        with pytest.raises(BroadcastError, match=r"transposed; use \.mT on one of them"):
            broadcast_shape((5, 3, 4), (5, 4, 3))

    def test_dropped_reduction_dim_suggests_keepdim(self) -> None:
        """(4, 3) vs (4,) looks like a sum over dim 1: suggest keepdim=True or unsqueeze(-1)."""
        with pytest.raises(BroadcastError) as info:
            broadcast_shape((4, 3), (4,))
        assert str(info.value).endswith(
            "Fix: input 1 looks like input 0 reduced over dim 1 with the dim dropped.\n"
            "     Reduce with keepdim=True (e.g. x.sum(dim=1, keepdim=True)),\n"
            "     or restore the dim with .unsqueeze(-1) on input 1."
        )

    def test_dropped_middle_dim_when_shorter_comes_first(self) -> None:
        """The shorter input may come first; the unsqueeze dim counts from the right."""
        with pytest.raises(BroadcastError, match=r"input 0 looks like input 1 reduced over dim 1"):
            broadcast_shape((2, 4), (2, 3, 4))
        with pytest.raises(BroadcastError, match=r"\.unsqueeze\(-2\) on input 0"):
            broadcast_shape((2, 4), (2, 3, 4))

    def test_missing_size_one_dim_suggests_unsqueeze(self) -> None:
        """When one inserted size-1 dim fixes it, but no reduction fits, suggest unsqueeze."""
        with pytest.raises(BroadcastError, match=r"Fix: insert the missing size-1 dim with"):
            broadcast_shape((5, 3, 4), (5, 1))

    def test_same_numel_suggests_reshape(self) -> None:
        """Shapes with as many elements get the reshape fix, with the target shape."""
        with pytest.raises(BroadcastError, match=r"use \.reshape\(2, 6\) on input 1\."):
            broadcast_shape((2, 6), (3, 4))

    def test_three_inputs_mark_the_conflicting_pair(self) -> None:
        """With three inputs the message names the two that conflict."""
        with pytest.raises(BroadcastError, match=r"3 \(input 1, dim 0\) vs 5 \(input 2, dim 0\)"):
            broadcast_shape((1,), (3,), (5,))


class TestExplainBroadcast:
    """explain_broadcast walks through the rule, for good and bad shapes alike."""

    def test_compatible_walkthrough(self) -> None:
        """The steps pad, stretch (naming input and dim) and end with the result shape."""
        text = explain_broadcast((2, 1, 3), torch.zeros(4, 3), (), (1,))
        assert text.startswith("Broadcasting (2, 1, 3), (4, 3), () and (1,):\n")
        assert "  input 1:   1   4   3   (4, 3) padded to (1, 4, 3)\n" in text
        assert "  input 2:   1   1   1   () padded to (1, 1, 1)\n" in text
        assert re.search(
            loose("dim -1: 3 vs 3 vs 1 vs 1 -> 3; input 2 (padded) and input 3 (its dim 0)")
            + r"\s+stretch from 1\s+to 3\n",
            text,
        )
        assert re.search(loose("dim -2: 1 vs 4 vs 1 vs 1 -> 4; input 0 (its dim 1), input 2"), text)
        assert text.endswith("Step 3. The result shape is (2, 4, 3).")

    def test_one_stretched_input_stretches(self) -> None:
        """A single stretched input gets the singular verb."""
        text = explain_broadcast((3, 1), (4,))
        assert "  dim -1: 1 vs 4 -> 4; input 0 (its dim 1) stretches from 1 to 4\n" in text

    def test_equal_sizes_are_called_equal(self) -> None:
        """A dim where every size is the same is marked as equal, with nothing stretched."""
        text = explain_broadcast((5, 3), (5, 3))
        assert "  dim -1: 3 vs 3 -> 3 (equal)" in text

    def test_incompatible_ends_with_conflict_and_fix(self) -> None:
        """For shapes that conflict it returns text that stops at the conflict and fixes it."""
        text = explain_broadcast((2, 3, 4), (2, 4))
        assert "  dim -1: 4 vs 4 -> 4 (equal)\n  dim -2: 3 vs 2 -> conflict, neither is 1." in text
        assert "Conflict at dim -2: 3 (input 0, dim 1) vs 2 (input 1, dim 0)." in text
        assert "Step 3" not in text
        assert text.endswith("     or restore the dim with .unsqueeze(-2) on input 1.")

    def test_incompatible_without_fix_ends_with_rule(self) -> None:
        """Where no fix exists, the explanation ends with the rule."""
        assert explain_broadcast((5,), (3,)).endswith("or one of them must be 1.")

    def test_no_inputs_and_scalars(self) -> None:
        """No inputs, or only scalars, give the empty shape in one sentence."""
        assert explain_broadcast() == "Broadcasting: no shapes given; the result shape is ()."
        assert explain_broadcast((), torch.tensor(1.0)) == (
            "Broadcasting: every input is a scalar (shape ()); the result shape is ()."
        )

    @settings(deadline=None)  # torch's first call imports its symbolic-shape machinery
    @given(any_shapes.filter(bool))
    def test_agrees_with_broadcast_shape(self, shapes: list[tuple[int, ...]]) -> None:
        """The explanation ends in broadcast_shape's result, or in a conflict where it fails."""
        text = explain_broadcast(*shapes)
        expected = torch_result(shapes)
        if expected is None:
            assert "conflict, neither is 1." in text
        elif len(expected):
            result = ", ".join(map(str, expected)) + ("," if len(expected) == 1 else "")
            assert text.endswith(f"The result shape is ({result}).")

    def test_wrong_type_is_rejected(self) -> None:
        """A non-shape argument is a TypeError naming explain_broadcast."""
        with pytest.raises(TypeError, match=r"explain_broadcast\(\): argument 1 must be"):
            explain_broadcast((2,), None)


def mode_stack() -> list[Any]:
    """The blocks open in this thread now; none may leave a wrapper installed behind them."""
    stack = list(_WATCH.stack())
    assert bool(stack) == bool(_WATCH.installed()), _WATCH.installed()
    return stack


class TestStrictBroadcasting:
    """strict_broadcasting flags surprising broadcasts in the user's own element-wise calls."""

    def setup_method(self) -> None:
        """Fresh operands: a column of predictions and a vector of targets."""
        self.pred, self.target = torch.zeros(8, 1), torch.zeros(8)
        self.h, self.bias = torch.zeros(4, 3), torch.ones(3)

    def test_raises_with_the_expression_place_and_fix(self) -> None:
        """(8, 1) - (8,) raises before running, naming the code, the shapes, the line, the fix."""
        pred, target = self.pred, self.target
        with pytest.raises(SurprisingBroadcastError) as info, strict_broadcasting():
            _loss = ((pred - target) ** 2).mean()  # pred-target
        assert str(info.value) == (
            "strict_broadcasting: `pred - target` broadcast (8, 1) and (8,) to (8, 8),\n"
            "which matches neither input's shape.\n"
            f"  at {SHOWN_PATH}:{line_of('pred-target')}\n"
            "    _loss = ((pred - target) ** 2).mean()  # pred-target\n"
            "This is usually a bug: the result has 64 elements where you probably expected 8.\n"
            "Fix: if you meant element-wise, make the shapes match:\n"
            "  pred.squeeze(1) or target.unsqueeze(1).\n"
            "If (8, 8) is intended, say so explicitly: target.expand(8, 8)."
        )
        assert isinstance(info.value, RuntimeError)

    def test_warn_mode_points_at_the_users_line_and_runs(self) -> None:
        """mode="warn" warns at the caller's file and line, then computes the result."""
        with (
            pytest.warns(BroadcastWarning, match=r"`self.pred - self.target`") as record,
            strict_broadcasting(mode="warn"),
        ):
            out = self.pred - self.target  # warn-here
        assert out.shape == (8, 8)
        assert Path(record[0].filename).name == HERE
        assert record[0].lineno == line_of("warn-here")

    def test_in_place_op_is_stopped_before_it_mutates(self) -> None:
        """An in-place op under policy="rank" raises and leaves its target untouched."""
        h, bias = self.h, self.bias
        with (
            pytest.raises(SurprisingBroadcastError, match=r"`h.add_\(bias\)`"),
            strict_broadcasting(policy="rank"),
        ):
            h.add_(bias)
        with (
            pytest.raises(SurprisingBroadcastError, match=r"`h \+= bias`"),
            strict_broadcasting(policy="rank"),
        ):
            h += bias
        assert torch.equal(h, torch.zeros(4, 3))

    def test_in_place_result_mismatch_has_no_expand_advice(self) -> None:
        """An in-place (8, 1) += (8,) is flagged; the advice does not suggest expanding."""
        pred, target = self.pred, self.target
        with pytest.raises(SurprisingBroadcastError) as info, strict_broadcasting():
            pred += target
        assert "`pred += target`" in str(info.value)
        assert "expand" not in str(info.value)

    def test_torch_where_and_keyword_operands(self) -> None:
        """torch.where and keyword operands are watched and named from the source."""
        pred, target = self.pred, self.target
        with pytest.raises(SurprisingBroadcastError) as info, strict_broadcasting():
            torch.where(pred > 0, pred, target)
        assert re.search(
            loose("broadcast (8, 1), (8, 1) and (8,) to (8, 8), which matches none of"),
            str(info.value),
        )
        assert re.search(r"target\.unsqueeze\(1\), or\s+\(pred > 0\)\.squeeze", str(info.value))
        with (
            pytest.raises(SurprisingBroadcastError, match=r"`torch.add\(pred, other=target\)`"),
            strict_broadcasting(),
        ):
            torch.add(pred, other=target)

    @pytest.mark.parametrize(
        ("op", "shown"),
        [
            (lambda a, b: a == b, "a == b"),
            (lambda a, b: a < b, "a < b"),
            (lambda a, b: a // b, "a // b"),
            (lambda a, b: a**b, "a**b"),
            (lambda a, b: torch.maximum(a, b), "torch.maximum(a, b)"),  # noqa: PLW0108
            (lambda a, b: a.sub(b), "a.sub(b)"),
            (lambda a, b: torch.Tensor.mul(a, b), "torch.Tensor.mul(a, b)"),  # noqa: PLW0108
        ],
    )
    def test_comparisons_and_other_ops(self, op: Callable[..., Any], shown: str) -> None:
        """Comparisons, Python-level dunders and torch functions are all watched."""
        with (
            pytest.raises(SurprisingBroadcastError, match=re.escape(f"`{shown}` broadcast")),
            strict_broadcasting(),
        ):
            op(self.pred, self.target)

    def test_scalars_and_bias_add_pass_under_result(self) -> None:
        """Python numbers, 0-d tensors, equal shapes and a bias add are not flagged."""
        h, bias = self.h, self.bias
        with strict_broadcasting():
            out = (h + bias) * 2 + torch.tensor(3.0) - h
            out = 1 - out**2 / h.sum(dim=1, keepdim=True)
        assert out.shape == (4, 3)

    def test_bias_add_is_flagged_under_rank(self) -> None:
        """policy="rank" flags the rank promotion in a bias add and says how to spell it out."""
        h, bias = self.h, self.bias
        expected = (
            loose(
                "`h + bias` broadcast (4, 3) and (3,) to (4, 3), promoting bias from 1 to 2 dims;"
            )
            + loose(' policy="rank" allows no implicit rank promotion.')
            + r"[\s\S]*"
            + re.escape("Fix: make the promotion explicit: bias.unsqueeze(0) gives (1, 3).")
        )
        with (
            pytest.raises(SurprisingBroadcastError, match=expected),
            strict_broadcasting(policy="rank"),
        ):
            h + bias

    def test_rank_promotion_by_two_dims_suggests_reshape(self) -> None:
        """Two missing dims are spelled out with reshape."""
        with (
            pytest.raises(SurprisingBroadcastError, match=r"bias.reshape\(1, 1, 3\) gives"),
            strict_broadcasting(policy="rank"),
        ):
            torch.zeros(2, 4, 3) * self.bias

    def test_outer_broadcast_suggests_transpose(self) -> None:
        """(8, 1) + (1, 8) is flagged, and the fix transposes the second operand."""
        col, row = self.pred, torch.zeros(1, 8)
        with (
            pytest.raises(SurprisingBroadcastError, match=r"make the shapes match:\n  row\.T\."),
            strict_broadcasting(policy="result"),
        ):
            col + row
        batch_col, batch_row = torch.zeros(2, 8, 1), torch.zeros(2, 1, 8)
        with (
            pytest.raises(SurprisingBroadcastError, match=r"batch_row\.mT\."),
            strict_broadcasting(policy="result"),
        ):
            batch_col + batch_row
        with strict_broadcasting():  # the default lets an outer broadcast of equal ranks pass
            assert (col + row).shape == (8, 8)

    def test_other_mismatches_get_general_advice(self) -> None:
        """Shapes with no one-step fix get the general advice."""
        with (
            pytest.raises(
                SurprisingBroadcastError,
                match=re.escape("make the shapes equal (.squeeze, .unsqueeze, .reshape)."),
            ),
            strict_broadcasting(),
        ):
            torch.zeros(2, 1, 3) + torch.zeros(6, 1)

    def test_three_different_shapes_get_general_advice(self) -> None:
        """torch.where over three different shapes is flagged with the general advice."""
        cond, x, y = torch.ones(2, 1, 1, dtype=torch.bool), torch.zeros(3, 1), torch.zeros(4)
        with (
            pytest.raises(
                SurprisingBroadcastError, match=loose("to (2, 3, 4), which matches none")
            ),
            strict_broadcasting(policy="result"),
        ):
            torch.where(cond, x, y)

    def test_empty_tensors_skip_the_element_count(self) -> None:
        """With zero-size tensors the message leaves out the element count."""
        with pytest.raises(SurprisingBroadcastError) as info, strict_broadcasting():
            torch.zeros(0, 1) - torch.zeros(0)
        assert re.search(loose("to (0, 0), which matches neither"), str(info.value))
        assert "elements" not in str(info.value)

    def test_incompatible_shapes_raise_torchs_own_error(self) -> None:
        """Shapes that cannot broadcast at all are left to torch's RuntimeError."""
        with (
            pytest.raises(RuntimeError, match="must match the size") as info,
            strict_broadcasting(),
        ):
            torch.zeros(3, 4) + torch.zeros(4, 3)
        assert not isinstance(info.value, BroadcastError)

    def test_torch_internals_are_not_flagged(self) -> None:
        """Broadcasts inside torch (Linear, distributions) pass, even under "rank"."""
        with strict_broadcasting(policy="rank"):
            torch.nn.Linear(3, 2)(self.h)
            normal = torch.distributions.Normal(torch.zeros(3), torch.ones(3))
            log_prob = normal.log_prob(torch.zeros(4, 1))  # (4, 1) - (3,) inside torch
        assert log_prob.shape == (4, 3)

    def test_callable_policy(self) -> None:
        """A callable policy sees the op name and shapes, and only for the user's own calls."""
        seen: list[tuple[str, tuple[torch.Size, ...]]] = []

        def no_mul(op: str, shapes: tuple[torch.Size, ...]) -> bool:
            seen.append((op, shapes))
            return op == "Tensor.mul"

        with strict_broadcasting(policy=no_mul):
            torch.distributions.Normal(0.0, 1.0).log_prob(self.bias)
            self.h + 1
            with pytest.raises(
                SurprisingBroadcastError, match=loose("which your policy no_mul flags.")
            ):
                self.h * 2
        assert seen == [
            ("Tensor.add", (torch.Size([4, 3]),)),
            ("Tensor.mul", (torch.Size([4, 3]),)),
        ]

    def test_callable_policy_result_counts_by_truth(self) -> None:
        """A policy's answer counts by its truth value, like a filter predicate's."""
        with (
            pytest.raises(SurprisingBroadcastError, match=loose("policy <lambda> flags.")),
            strict_broadcasting(policy=lambda _op, _shapes: "yes"),
        ):
            self.h + 1

    def test_unknown_source_falls_back_to_positions(self) -> None:
        """Without source text the op is named by function and the operands by position."""
        code = compile("pred - target", "<no source>", "eval")
        with pytest.raises(SurprisingBroadcastError) as info, strict_broadcasting():
            eval(code, {"pred": self.pred, "target": self.target})
        message = str(info.value)
        assert message.startswith("strict_broadcasting: `Tensor.sub` broadcast")
        assert "  at <no source>:1\nThis is" in message
        assert re.search(r"\.squeeze\(1\) on operand 0 or\s+\.unsqueeze\(1\) on operand 1", message)

    def test_stale_source_falls_back_to_positions(self, tmp_path: Path) -> None:
        """When the file on disk no longer matches the code, the source is not trusted."""
        path = tmp_path / "edited.py"
        path.write_text("((((((((((((((((((((\n")
        code = compile("pred - target", str(path), "eval")
        with (
            pytest.raises(SurprisingBroadcastError, match=r"`Tensor.sub` broadcast"),
            strict_broadcasting(),
        ):
            eval(code, {"pred": self.pred, "target": self.target})

    def test_long_and_multiline_expressions(self) -> None:
        """Long operand expressions and calls spanning lines still get a readable message."""
        long_name_for_the_predictions_tensor_here = self.pred
        with pytest.raises(SurprisingBroadcastError, match=r"on operand 0"), strict_broadcasting():
            long_name_for_the_predictions_tensor_here.sub(self.target)
        with (
            pytest.raises(SurprisingBroadcastError, match=r"`Tensor.sub` broadcast"),
            strict_broadcasting(),
        ):
            self.pred.sub(
                self.target,
            )

    def test_decorator_form(self) -> None:
        """As a decorator it checks each call and is inactive outside of it."""

        @strict_broadcasting()
        def residual(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
            """Subtract."""
            return a - b

        assert residual.__name__ == "residual"
        assert residual(self.h, self.bias).shape == (4, 3)
        with pytest.raises(SurprisingBroadcastError, match=r"`a - b` broadcast"):
            residual(self.pred, self.target)
        assert (self.pred - self.target).shape == (8, 8)
        assert mode_stack() == []

    def test_nesting_and_reentry(self) -> None:
        """Nested blocks each check; the same object can be entered twice; all unwind."""
        outer = strict_broadcasting()
        with outer, strict_broadcasting(mode="warn", policy="rank"), outer:
            assert len(mode_stack()) == 3
            with pytest.warns(BroadcastWarning, match=loose("promoting self.bias")):
                self.h + self.bias
        assert mode_stack() == []

    def test_sees_through_other_modes(self) -> None:
        """A torch.device block or another mode opened inside still lets the check see the call."""

        class Passthrough(TorchFunctionMode):
            def __torch_function__(
                self, func: Any, types: Any, args: Any = (), kwargs: Any = None
            ) -> Any:
                return func(*args, **(kwargs or {}))

        with (
            pytest.raises(SurprisingBroadcastError, match=r"`self.pred - self.target`"),
            strict_broadcasting(),
            torch.device("cpu"),
            Passthrough(),
        ):
            self.pred - self.target

    def test_state_is_restored_after_an_exception(self) -> None:
        """Nothing stays installed after the block, even when it exits with an exception."""
        assert mode_stack() == []
        with pytest.raises(KeyError), strict_broadcasting():
            raise KeyError(self.pred.shape)
        with pytest.raises(SurprisingBroadcastError), strict_broadcasting():
            self.pred - self.target
        assert mode_stack() == []
        assert (self.pred - self.target).shape == (8, 8)

    def test_importing_installs_nothing(self) -> None:
        """Outside a block torch is exactly as it was: no wrapper, no torch function mode."""
        assert "firsttorch.broadcast" in sys.modules
        assert mode_stack() == []
        assert not torch._C._is_torch_function_mode_enabled()
        assert "__sub__" not in torch.Tensor.__dict__  # inherited from torch._C.TensorBase
        before = {key: getattr(*key) for key in _site.watched()}
        assert len(before) > 150
        with strict_broadcasting(), strict_broadcasting(mode="warn"):
            assert torch.Tensor.__sub__ is not before[torch.Tensor, "__sub__"]
            assert torch.nn.functional.mse_loss is not before[torch.nn.functional, "mse_loss"]
        assert all(getattr(*key) is func for key, func in before.items())
        assert "__sub__" not in torch.Tensor.__dict__

    def test_other_threads_are_not_checked(self) -> None:
        """A block open in one thread checks that thread's calls only."""
        seen: list[torch.Size] = []

        def other() -> None:
            seen.append((self.pred - self.target).shape)

        with strict_broadcasting():
            thread = threading.Thread(target=other)
            thread.start()
            thread.join()
            with pytest.raises(SurprisingBroadcastError):
                self.pred - self.target
        assert seen == [torch.Size([8, 8])]

    def test_parameters_and_subclasses_are_checked(self) -> None:
        """The swap reaches operators of torch.Tensor's subclasses (nn.Parameter)."""
        weight = torch.nn.Parameter(torch.zeros(8, 1))
        with (
            pytest.raises(SurprisingBroadcastError, match=r"`weight - self.target`"),
            strict_broadcasting(),
        ):
            weight - self.target

    def test_replaced_torch_functions_are_wrapped_and_given_back(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """If something replaces a torch function between blocks, the next block wraps the
        replacement and puts the replacement back afterwards."""
        with strict_broadcasting():
            pass
        original = torch.where

        def where(*args: Any, **kwargs: Any) -> Any:
            return original(*args, **kwargs)

        monkeypatch.setattr(torch, "where", where)
        with pytest.raises(SurprisingBroadcastError, match=r"torch.where"), strict_broadcasting():
            torch.where(self.pred > 0, self.pred, self.target)
        assert torch.where is where

    def test_a_name_rebound_inside_the_block_is_kept(self) -> None:
        """Closing a block leaves a name alone that the user's code rebound meanwhile."""
        original = torch.nn.functional.mse_loss
        namespace: dict[str, Any] = {"mse": original}
        block = strict_broadcasting()
        block._open(namespace)
        assert namespace["mse"] is torch.nn.functional.mse_loss  # both the wrapper now
        assert namespace["mse"] is not original
        namespace["mse"] = print
        block.__exit__(None, None, None)
        assert namespace["mse"] is print

    def test_setattr_is_used_where_operators_do_not_follow_the_dict(self) -> None:
        """A class whose operators would not see a direct swap gets setattr (and delattr)."""

        class Own(torch.Tensor):
            def __sub__(self, other: Any) -> Any:
                return super().__sub__(other)

        owner = _Owner(Own, {"__sub__": lambda *_: "wrapped", "__add__": lambda *_: "wrapped"})
        assert not owner.direct
        owner.install()
        plain = torch.zeros(2).as_subclass(Own)
        assert plain - plain == "wrapped"
        assert plain + plain == "wrapped"
        owner.uninstall()
        assert "__add__" not in vars(Own)
        assert (plain - plain).shape == (2,)

    def test_torch_inside_a_watched_call_is_not_checked(self) -> None:
        """What a watched function calls inside torch is not checked a second time."""
        calls: list[str] = []

        def policy(op: str, shapes: tuple[torch.Size, ...]) -> bool:
            calls.append(op)
            return not shapes

        with strict_broadcasting(policy=policy):
            torch.nn.functional.gaussian_nll_loss(
                torch.zeros(4, 2), torch.zeros(4, 1), torch.ones(4, 2)
            )
        assert calls == ["F.gaussian_nll_loss"]

    @pytest.mark.parametrize(
        ("kwargs", "error", "message"),
        [
            ({"mode": "loud"}, ValueError, r"mode='loud'\): expected one of \('raise', 'warn'\)"),
            ({"mode": 1}, TypeError, r"mode=\.\.\.\): expected a str, got int 1"),
            ({"policy": "strict"}, ValueError, r"policy='strict'\): expected one of"),
            ({"policy": 3}, TypeError, r"policy=\.\.\.\): expected a str or a callable, got int"),
        ],
    )
    def test_rejects_bad_arguments(
        self, kwargs: dict[str, Any], error: type[Exception], message: str
    ) -> None:
        """Bad mode or policy values are rejected with the argument and the choices."""
        with pytest.raises(error, match=message):
            strict_broadcasting(**kwargs)

    def test_repr(self) -> None:
        """The repr shows the settings."""
        assert repr(strict_broadcasting("warn")) == (
            "strict_broadcasting(mode='warn', policy='likely-bug')"
        )


class TestLikelyBugPolicy:
    """The default policy flags the (N, 1) vs (N,) signature and lets intended outer broadcasts pass."""

    @pytest.mark.parametrize(
        "intended",
        [
            lambda ar: ar[:, None] >= ar[None, :],  # causal mask
            lambda ar: ar[:, None] >= ar,  # the same, one side promoted
            lambda ar: ar[:, np.newaxis] * ar,  # NumPy's spelling of None
            lambda ar: ar.unsqueeze(1) - ar,  # pairwise differences
            lambda ar: ar.view(-1, 1) < ar,  # a view that inserts the axis
            lambda ar: ar.float().sum(0, keepdim=True).expand(5).view(5, 1) + ar,
            # codebook distances with as many codes as inputs (VQ-VAE's keepdim idiom)
            lambda ar: (ar[:5] * 1.0).view(5, 1).pow(2).sum(1, keepdim=True) + ar.float(),
            lambda ar: ar.reshape(5, 1) == torch.arange(5),  # one-hot against C == N classes
            lambda ar: torch.where(ar[:, None] > 2, ar[:, None], ar),
        ],
    )
    def test_explicit_axes_pass(self, intended: Callable[[torch.Tensor], torch.Tensor]) -> None:
        """An operand whose source inserts or keeps an axis marks the broadcast as intended."""
        with strict_broadcasting():
            out = intended(torch.arange(5))
        assert out.shape[-1] == 5

    def test_promotion_with_equal_sizes_and_no_intent_is_flagged(self) -> None:
        """(N,) against an (N, 1) operand written without axis syntax is the bug."""
        col, vec = torch.zeros(5, 1), torch.zeros(5)
        with (
            pytest.raises(SurprisingBroadcastError, match=loose("usually a bug")),
            strict_broadcasting(),
        ):
            vec == col  # noqa: B015

    def test_outer_message_under_result_does_not_call_it_a_bug(self) -> None:
        """policy="result" flags an intended outer broadcast with advice that fits it."""
        ar = torch.arange(4)
        with pytest.raises(SurprisingBroadcastError) as info, strict_broadcasting(policy="result"):
            ar[:, None] >= ar[None, :]  # noqa: B015
        message = str(info.value)
        assert "usually a bug" not in message
        assert "Fix:" not in message
        assert message.endswith(
            "Both sides stretch, as in an outer product; if (4, 4) is intended, say so"
            " explicitly: ar[None, :].expand(4, 4)."
        )

    def test_library_code_is_not_the_users(self, tmp_path: Path) -> None:
        """A broadcast or loss inside an installed package is not flagged."""
        package = tmp_path / "site-packages"
        package.mkdir()
        (package / "thirdparty_loss.py").write_text(
            "import torch.nn.functional as F\n"
            "def cross(a, b):\n    return a - b\n"
            "def loss(a, b):\n    return F.mse_loss(a, b)\n"
        )
        sys.path.insert(0, str(package))
        try:
            import thirdparty_loss  # type: ignore[import-not-found]

            with strict_broadcasting():
                cross = thirdparty_loss.cross(torch.zeros(4, 1), torch.zeros(4))
            with strict_broadcasting(), pytest.warns(UserWarning, match="target size"):
                thirdparty_loss.loss(torch.zeros(4, 1), torch.zeros(4))
            assert cross.shape == (4, 4)
        finally:
            sys.path.remove(str(package))
            sys.modules.pop("thirdparty_loss", None)


def functional(name: str, **kwargs: Any) -> Callable[..., Any]:
    """``F.<name>(a, b, **kwargs)``, looked up when called (as user code does)."""

    def call(a: torch.Tensor, b: torch.Tensor) -> Any:
        return getattr(torch.nn.functional, name)(a, b, **kwargs)

    call.__name__ = name
    return call


LOSSES = [
    torch.nn.MSELoss(),
    functional("mse_loss"),
    torch.nn.L1Loss(),
    functional("l1_loss"),
    torch.nn.SmoothL1Loss(),
    functional("smooth_l1_loss"),
    torch.nn.HuberLoss(),
    functional("huber_loss"),
    functional("kl_div", reduction="none"),
    functional("poisson_nll_loss", reduction="none"),
    functional("gaussian_nll_loss", var=torch.ones(8, 1), reduction="none"),
    functional("hinge_embedding_loss", reduction="none"),
    functional("soft_margin_loss"),
    functional("multilabel_soft_margin_loss"),
]
# a name imported from torch before the block, in the module that opens it
mse_loss_imported = torch.nn.functional.mse_loss


class TestLosses:
    """Losses are checked where input and target meet."""

    @pytest.mark.parametrize("loss", LOSSES)
    def test_column_against_vector_is_caught(self, loss: Callable[..., Any]) -> None:
        """(8, 1) predictions against (8,) targets raise before the loss runs."""
        with (
            pytest.raises(
                SurprisingBroadcastError, match=loose("got input (8, 1) and target (8,);")
            ),
            strict_broadcasting(),
        ):
            loss(torch.rand(8, 1), torch.rand(8))

    def test_names_bound_before_the_block(self) -> None:
        """A module-level alias (`from torch.nn.functional import mse_loss`) is checked too,
        in a block and in a decorated function, and is the original again afterwards."""
        original = mse_loss_imported

        @strict_broadcasting()
        def decorated(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
            return mse_loss_imported(a, b)

        for run in (decorated, self.in_block):
            with pytest.raises(SurprisingBroadcastError, match=loose("F.mse_loss got input")):
                run(torch.zeros(8, 1), torch.zeros(8))
            assert mse_loss_imported is original

    @staticmethod
    def in_block(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        with strict_broadcasting():
            return mse_loss_imported(a, b)

    def test_message_in_full(self) -> None:
        """The message names the loss, the shapes, the pairs, the user's line and the fix."""
        pred, target = torch.zeros(8, 1), torch.zeros(8)
        criterion = torch.nn.MSELoss()
        with pytest.raises(SurprisingBroadcastError) as info, strict_broadcasting():
            criterion(pred, target)  # loss-line
        assert str(info.value) == (
            "strict_broadcasting: F.mse_loss got input (8, 1) and target (8,); broadcasting"
            " them gives (8, 8),\n"
            "so each input value meets 8 target values and each target value meets 8 input"
            " values, where each should meet one.\n"
            f"  at {SHOWN_PATH}:{line_of('loss-line')}\n"
            "    criterion(pred, target)  # loss-line\n"
            "Fix: make the shapes equal before the loss:\n"
            "  pred.squeeze(1) or target.unsqueeze(1)."
        )

    def test_keywords_warn_mode_and_general_fix(self) -> None:
        """Keyword operands are read; warn mode points at the user's line; no one-step fix."""
        outputs, targets = torch.zeros(1, 18), torch.zeros(8, 18)
        with (
            pytest.warns(
                BroadcastWarning, match=r"each input value meets 8 target values,"
            ) as record,
            pytest.warns(UserWarning, match="target size"),
            strict_broadcasting(mode="warn"),
        ):
            torch.nn.functional.l1_loss(input=outputs, target=targets)  # warn-loss
        assert record[0].lineno == line_of("warn-loss")
        message = str(record[0].message)
        assert message.endswith("(.squeeze, .unsqueeze, .reshape).")

    def test_same_values_suggest_view_as(self) -> None:
        """When the shapes hold as many values, view_as is offered, under the source's names."""
        a, b = torch.zeros(2, 1, 3), torch.zeros(6, 1)
        with (
            pytest.raises(SurprisingBroadcastError, match=r"or b\.view_as\(a\)\)\."),
            strict_broadcasting(),
        ):
            torch.nn.functional.mse_loss(a, b)

    def test_shapes_that_cannot_broadcast_are_left_to_torch(self) -> None:
        """Input and target that cannot broadcast get torch's own error."""
        with (
            pytest.raises(RuntimeError, match="must match the size") as info,
            pytest.warns(UserWarning, match="target size"),
            strict_broadcasting(),
        ):
            torch.nn.functional.l1_loss(torch.zeros(3), torch.zeros(4))
        assert not isinstance(info.value, SurprisingBroadcastError)

    def test_harmless_and_equal_shapes_pass(self) -> None:
        """Shapes that differ only by size-1 dims pair values one to one, so they pass."""
        with strict_broadcasting(), pytest.warns(UserWarning, match="target size"):
            torch.nn.functional.mse_loss(torch.zeros(1, 4), torch.zeros(4))
        with strict_broadcasting():
            torch.nn.functional.mse_loss(torch.zeros(4), torch.zeros(4))

    def test_callable_policy_sees_losses(self) -> None:
        """A callable policy is asked about losses, with the input and target shapes."""
        seen: list[tuple[str, tuple[torch.Size, ...]]] = []

        def record(op: str, shapes: tuple[torch.Size, ...]) -> bool:
            seen.append((op, shapes))
            return False

        with strict_broadcasting(policy=record), pytest.warns(UserWarning, match="target size"):
            torch.nn.functional.mse_loss(torch.zeros(1, 4), torch.zeros(4))
        assert seen == [("F.mse_loss", (torch.Size([1, 4]), torch.Size([4])))]

    def test_unknown_source_names_input_and_target(self) -> None:
        """Without source text the fix speaks of input and target."""
        code = compile("F.mse_loss(p, t)", "<no source>", "eval")
        names = {"F": torch.nn.functional, "p": torch.zeros(3, 1), "t": torch.zeros(3)}
        with (
            pytest.raises(
                SurprisingBroadcastError, match=r"\.reshape, or target\.view_as\(input\)\)\."
            ),
            strict_broadcasting(),
        ):
            eval(code, names)

    def test_operands_that_are_not_tensors_are_left_to_torch(self) -> None:
        """A loss called with a non-tensor operand is not checked here."""
        checker = _Checker("raise", "likely-bug")
        frame = sys._getframe()
        assert checker._check_loss("F.mse_loss", (1.0, torch.zeros(2)), {}, frame) is None
