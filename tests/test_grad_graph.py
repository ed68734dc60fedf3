"""Tests for the pictures and text of firsttorch.grad_graph: folding, width, SVG, Jupyter."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
import torch

from firsttorch import GradGraph, grad_graph
from firsttorch._svg_layout import _crossings, _transpose, wrap_label

SVG = "{http://www.w3.org/2000/svg}"


def _mlp(layers: int) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The output of an MLP of ``layers`` x (Linear(4, 4), Tanh) and its named parameters."""
    torch.manual_seed(0)
    parts: list[torch.nn.Module] = []
    for _ in range(layers):
        parts += [torch.nn.Linear(4, 4), torch.nn.Tanh()]
    model = torch.nn.Sequential(*parts)
    return model(torch.randn(2, 4)).sum(), dict(model.named_parameters())


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # our own output, parsed to check its structure


def _with_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if name in e.get("class", "").split()]


def _tied_weight_graph() -> tuple[GradGraph, torch.Tensor]:
    """A chain of ten multiplications whose fifth weight is used again before the chain."""
    weights = [torch.full((3,), 1.0 + k / 10, requires_grad=True) for k in range(10)]
    h = weights[5] * torch.ones(3)
    for w in weights:
        h = w * h
    return grad_graph(h.sum(), names={f"w{k}": w for k, w in enumerate(weights)}), h


class TestText:
    def test_deep_mlp_folds(self) -> None:
        """200 repeated layers print as one layer, a count and the different first layer."""
        out, names = _mlp(200)
        graph = grad_graph(out, names=names)
        text = str(graph)
        lines = text.splitlines()
        assert len(text) < 1000
        assert max(map(len, lines)) <= 120
        assert "(TanhBackward0 → AddmmBackward0) 198 more times" in text
        assert "398.bias (leaf, shape (4,))" in text  # the last layer, shown
        assert "0.weight (leaf, shape (4, 4))" in text  # the first layer, shown
        assert "200.bias" not in text  # a middle layer, folded
        assert len(graph.nodes) == 1001  # the data keeps every node

    def test_fold_off_prints_every_node(self) -> None:
        """to_text(fold=False) has one line per visit, each still within the width."""
        out, names = _mlp(30)
        graph = grad_graph(out, names=names)
        lines = graph.to_text(fold=False).splitlines()
        assert len(lines) == len(graph.edges) + 1
        assert max(map(len, lines)) <= 120
        assert any(line.startswith("[+") for line in lines)  # deep lines drop indentation
        assert "30.bias" in "\n".join(lines)

    def test_small_graphs_do_not_fold(self) -> None:
        """Three layers are drawn in full: folding starts where it saves many lines."""
        out, names = _mlp(3)
        graph = grad_graph(out, names=names)
        assert "more times" not in str(graph)
        assert str(graph) == graph.to_text(fold=False)

    def test_width_is_kept_for_deep_unrepeated_chains(self) -> None:
        """A chain with no repeated block stays within the width by dropping indentation."""
        x = torch.tensor(0.5, requires_grad=True)
        y = x
        for k in range(80):  # the Thue-Morse sequence has no block three times in a row
            y = torch.sin(y) if k.bit_count() % 2 else torch.cos(y)
        lines = str(grad_graph(y)).splitlines()
        assert len(lines) == 81
        assert max(map(len, lines)) <= 120
        markers = {int(m) for m in re.findall(r"^\[\+(\d+)\] ", "\n".join(lines), re.MULTILINE)}
        assert markers
        assert all(m % 10 == 0 for m in markers)

    def test_narrow_width_and_long_names(self) -> None:
        """Long labels are cut with an ellipsis to the width asked for."""
        x = torch.ones(2, requires_grad=True)
        graph = grad_graph((x * 2).sum(), names={"a_very_long_name_" * 10: x})
        lines = graph.to_text(width=60).splitlines()
        assert max(map(len, lines)) == 60
        assert lines[-1].endswith("…")

    def test_short_repeats_stay(self) -> None:
        """A block repeated a few times, hiding under 8 lines, is printed in full."""
        x = torch.tensor(1.0, requires_grad=True)
        text = str(grad_graph(x * 2 * 2 * 2 * 2, names={"x": x}))
        assert text.count("MulBackward0") == 4
        assert "more times" not in text

    def test_width_too_small(self) -> None:
        """A width below 60 is refused with the reason and the fix."""
        x = torch.ones(2, requires_grad=True)
        with pytest.raises(ValueError, match=r"width=20\): the width must be at least 60.*Fix"):
            grad_graph(x * 2).to_text(width=20)

    def test_newlines_in_names_are_escaped(self) -> None:
        """A name with a newline, tab or control character stays on its own line."""
        x = torch.ones(2, requires_grad=True)
        y = x * 2
        graph = grad_graph(y.sum(), names={"first\nsecond\t\x07": x, "why\r": y})
        lines = str(graph).splitlines()
        assert len(lines) == 3
        assert lines[1] == "└── MulBackward0 (why\\r)"
        assert lines[2] == "    └── first\\nsecond\\t\\u0007 (leaf, shape (2,))"

    def test_reference_into_folded_part(self) -> None:
        """A node first shown inside the folded part is marked as such where it recurs."""
        graph, _ = _tied_weight_graph()
        text = str(graph)
        assert "MulBackward0) 9 more times" in text
        assert "w5 (leaf, shape (3,)) (see above, folded)" in text

    def test_hand_made_forest(self) -> None:
        """Nodes that nothing points to each start a tree of their own."""
        graph = GradGraph(nodes=(("a", "A"), ("b", "B")), edges=(), leaves=("b",), text="")
        assert graph.to_text() == "A\nB"

    def test_kinds_must_match_nodes(self) -> None:
        """A hand-made graph with the wrong number of kinds is refused."""
        graph = GradGraph((("a", "A"),), (), (), "", kinds=("x", "y"))
        with pytest.raises(ValueError, match=r"2 kinds for 1 nodes.*Fix: pass kinds=\(\)"):
            graph.to_text()

    def test_unknown_node_in_edges(self) -> None:
        """An edge to a node that is not listed is refused, naming the edge."""
        graph = GradGraph((("a", "A"),), (("a", "zz"),), (), "")
        with pytest.raises(ValueError, match=r"the edge \('a', 'zz'\) names a node"):
            graph.to_svg()


class TestSvg:
    def test_structure(self) -> None:
        """One group per node, one path per edge, a title, a description and a viewBox."""
        x = torch.tensor([2.0, 3.0], requires_grad=True)
        w = torch.tensor([1.0, 1.0], requires_grad=True)
        graph = grad_graph((x * w + x * x).sum(), names={"x": x, "w": w})
        root = _parse(graph.to_svg())
        assert root.tag == f"{SVG}svg"
        assert root.get("role") == "img"
        width, height = (float(v) for v in root.get("viewBox", "").split()[2:])
        assert width > 0
        assert height > 0
        title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
        assert title is not None
        assert desc is not None
        assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        assert title.text == "Backward graph of SumBackward0"
        assert desc.text is not None
        assert "4 operations and 2 leaf tensors" in desc.text
        assert len(_with_class(root, "ft-node")) == len(graph.nodes)
        assert len(_with_class(root, "ft-leaf")) == len(graph.leaves)
        assert len(_with_class(root, "ft-output")) == 1
        assert len(_with_class(root, "ft-edge")) == len(graph.edges)  # x * x: two arrows

    def test_labels_drawn(self) -> None:
        """Each node's label is drawn, and its full text is its tooltip."""
        x = torch.ones(3, requires_grad=True)
        w = torch.ones(3, requires_grad=True)
        graph = grad_graph((x * w).sum(), names={"x": x, "w": w})
        root = _parse(graph.to_svg())
        tips = [g.findtext(f"{SVG}title") for g in _with_class(root, "ft-node")]
        assert tips == [label for _, label in graph.nodes]
        texts = [t.text for t in root.iter(f"{SVG}text")]
        assert "SumBackward0" in texts
        assert "x (leaf, shape (3,))" in texts

    def test_hostile_names_are_escaped(self) -> None:
        """Markup, quotes, ampersands and newlines in names stay text and keep XML valid."""
        x = torch.ones(2, requires_grad=True)
        name = "<b>\"evil\" & 'quoted'\nnewline</b>"
        svg = grad_graph((x * 2).sum(), names={name: x}).to_svg()
        root = _parse(svg)
        assert "<b>" not in svg
        tips = [g.findtext(f"{SVG}title") for g in _with_class(root, "ft-leaf")]
        assert tips == ["<b>\"evil\" & 'quoted'\\nnewline</b> (leaf, shape (2,))"]
        drawn = [t.text or "" for t in root.iter(f"{SVG}text")]
        assert all("\n" not in line for line in drawn)
        assert any("&" in line and "<b>" in line for line in drawn)

    def test_deterministic(self) -> None:
        """The same graph gives the same bytes, also when built again from new tensors."""
        first, second = (grad_graph(_mlp(3)[0]).to_svg() for _ in range(2))
        assert first == second
        out, names = _mlp(3)
        graph = grad_graph(out, names=names)
        assert graph.to_svg() == graph.to_svg()
        assert graph.to_svg() != first  # names change the picture

    def test_deep_mlp_is_folded(self) -> None:
        """200 layers draw as a handful of boxes with one dashed box for the repeats."""
        out, names = _mlp(200)
        root = _parse(grad_graph(out, names=names).to_svg())
        assert len(_with_class(root, "ft-fold")) == 1
        assert len(_with_class(root, "ft-node")) == 12
        desc = root.findtext(f"{SVG}desc") or ""
        assert "The block TanhBackward0 → AddmmBackward0 repeats 199 times in a row" in desc

    def test_fold_off_draws_everything(self) -> None:
        """fold=False draws every node; the description lists the first arrows only."""
        out, _ = _mlp(20)
        graph = grad_graph(out)
        root = _parse(graph.to_svg(fold=False))
        assert len(_with_class(root, "ft-node")) == len(graph.nodes)
        assert len(_with_class(root, "ft-edge")) == len(graph.edges)
        assert (root.findtext(f"{SVG}desc") or "").endswith(f"and {len(graph.edges) - 60} more.")

    def test_long_edges_bend(self) -> None:
        """An arrow that skips layers is drawn through bend points, not across boxes."""
        W = torch.ones(4, 4, requires_grad=True)
        h0 = torch.ones(2, 4, requires_grad=True)
        h = h0
        for _ in range(3):
            h = h + torch.tanh(h @ W)
        graph = grad_graph((h - h0).pow(2).mean(), names={"W": W, "h0": h0})
        root = _parse(graph.to_svg())
        paths = [p.get("d", "") for p in _with_class(root, "ft-edge")]
        assert len(paths) == len(graph.edges)
        assert max(d.count(" L") for d in paths) >= 3

    def test_fold_that_would_make_a_cycle_is_drawn_in_full(self) -> None:
        """When a later node reuses a folded one, the picture unfolds rather than lie."""
        graph, _ = _tied_weight_graph()
        root = _parse(graph.to_svg())
        assert _with_class(root, "ft-fold") == []
        assert len(_with_class(root, "ft-node")) == len(graph.nodes)

    def test_cycle_in_hand_made_graph(self) -> None:
        """A hand-made graph with a cycle is refused: backward graphs have none."""
        graph = GradGraph((("a", "A"), ("b", "B")), (("a", "b"), ("b", "a")), (), "")
        with pytest.raises(ValueError, match=r"the edges form a cycle through a, b"):
            graph.to_svg()

    def test_single_leaf(self) -> None:
        """A leaf on its own is one blue box and no arrows."""
        x = torch.ones(2, requires_grad=True)
        root = _parse(grad_graph(x, names={"x": x}).to_svg())
        assert len(_with_class(root, "ft-leaf")) == 1
        assert _with_class(root, "ft-edge") == []

    def test_repr_svg_for_jupyter(self) -> None:
        """Jupyter's _repr_svg_ returns the same picture as to_svg()."""
        x = torch.ones(2, requires_grad=True)
        graph = grad_graph((x * 3).sum())
        assert graph._repr_svg_() == graph.to_svg()


class TestWrapLabel:
    def test_wide_characters_count_double(self) -> None:
        """East Asian wide characters take two cells when lines are broken."""
        assert wrap_label("重み" * 10, width=10) == ("重み重み重", "み重み重み", "重み重み…")

    def test_long_label_is_cut(self) -> None:
        """At most max_lines lines; the last one ends with an ellipsis when cut."""
        lines = wrap_label("x" * 200, width=20, max_lines=3)
        assert len(lines) == 3
        assert lines[-1] == "x" * 19 + "…"

    def test_short_label(self) -> None:
        """A label that fits is one line."""
        assert wrap_label("MulBackward0 (a)") == ("MulBackward0 (a)",)


class TestLayout:
    def test_swaps_remove_a_crossing(self) -> None:
        """Swapping neighbours in a layer removes a crossing that a swap can remove."""
        layers = [[0, 1], [2, 3]]
        down: list[list[int]] = [[3], [2], [], []]
        up: list[list[int]] = [[], [], [1], [0]]
        assert _crossings(layers, down) == 1
        _transpose(layers, up, down)
        assert _crossings(layers, down) == 0
        assert layers in ([[1, 0], [2, 3]], [[0, 1], [3, 2]])

    def test_swaps_are_bounded(self) -> None:
        """A fully reversed layer needs many passes; the passes stop at a bound, fewer crossings."""
        layers = [list(range(40)), list(range(40, 80))]
        down: list[list[int]] = [[79 - k] for k in range(40)] + [[] for _ in range(40)]
        up: list[list[int]] = [[] for _ in range(40)] + [[79 - k] for k in range(40, 80)]
        assert _crossings(layers, down) == 40 * 39 // 2
        _transpose(layers, up, down)
        assert 0 < _crossings(layers, down) < 40 * 39 // 2
