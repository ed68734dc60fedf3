"""Turn a backward graph into boxes and arrows (repeats folded) and draw it as SVG."""

from __future__ import annotations

from typing import TYPE_CHECKING

from firsttorch._graph_fold import Fold, Tree, display_label, find_folds
from firsttorch._svg_layout import Box, draw_svg, find_cycle, wrap_label

if TYPE_CHECKING:
    from firsttorch._grad_graph import GradGraph

__all__ = ["draw_graph"]

_DESCRIBED_ARROWS = 60  # the text alternative lists at most this many arrows


def draw_graph(graph: GradGraph, *, fold: bool) -> str:
    """Draw the graph, folded where that leaves it acyclic (else less folded)."""
    tree = graph._tree()
    folds = find_folds(tree, graph._kinds()) if fold else []
    boxes, arrows = _contract(graph, tree, folds)
    while folds and find_cycle([box.key for box in boxes], arrows):
        folds = folds[:-1]  # a later layer reuses a folded node: draw that run in full
        boxes, arrows = _contract(graph, tree, folds)
    cycle = find_cycle([box.key for box in boxes], arrows)
    if cycle:
        msg = (
            f"GradGraph.to_svg(): the edges form a cycle through {', '.join(cycle[:5])}, "
            "and a backward graph has none. Fix: build the graph with grad_graph(tensor)."
        )
        raise ValueError(msg)
    tips = {box.key: box.tooltip for box in boxes}
    title = f"Backward graph of {tips[boxes[0].key]}"
    return draw_svg(boxes, arrows, title, _describe(graph, folds, arrows, tips))


def _contract(
    graph: GradGraph, tree: Tree, folds: list[Fold]
) -> tuple[list[Box], list[tuple[str, str]]]:
    """The boxes and arrows to draw: each fold's hidden nodes become one dashed box."""
    hidden_in: dict[str, str] = {}
    after: dict[str, list[Box]] = {}
    for index, fold in enumerate(folds):
        key = f"\x00fold{index}"
        hidden_in.update((tree.node[v], key) for v in fold.hidden if not tree.ref[v])
        lines = (f"⋯ {fold.repeats} more of:", *wrap_label(" → ".join(fold.block), 36, 2))
        box = Box(key, (*lines, "same ops and leaf shapes"), "fold", display_label(fold.text()))
        after.setdefault(tree.node[fold.owner], []).append(box)
    leaves = set(graph.leaves)
    outputs = {tree.node[root] for root in tree.roots}
    boxes: list[Box] = []
    for node, label in graph.nodes:
        if node not in hidden_in:
            style = "leaf" if node in leaves else "output" if node in outputs else "op"
            shown = display_label(label)
            boxes.append(Box(node, wrap_label(shown), style, shown))
        boxes.extend(after.get(node, []))
    arrows: list[tuple[str, str]] = []
    once: set[tuple[str, str]] = set()
    for src, dst in graph.edges:
        arrow = (hidden_in.get(src, src), hidden_in.get(dst, dst))
        if src in hidden_in or dst in hidden_in:
            if arrow[0] == arrow[1] or arrow in once:
                continue
            once.add(arrow)
        arrows.append(arrow)
    return boxes, arrows


def _describe(
    graph: GradGraph, folds: list[Fold], arrows: list[tuple[str, str]], tips: dict[str, str]
) -> str:
    """The text alternative of the picture: what it shows, then its arrows."""
    ops = len(graph.nodes) - len(graph.leaves)
    parts = [
        (
            f"{len(graph.nodes)} nodes: {ops} operations and {len(graph.leaves)} leaf tensors. "
            f"The output, {tips[next(iter(tips))]}, is at the top. Each arrow leads from an "
            "operation to one of its inputs, the way backward() sends the gradient, down to "
            "the leaves, whose gradients are stored in .grad."
        )
    ]
    parts.extend(
        f"The block {' → '.join(fold.block)} repeats {fold.repeats + 1} times in a row; "
        f"{fold.repeats} of the copies are drawn as one dashed box."
        for fold in folds
    )
    listed = [f"{tips[src]} → {tips[dst]}" for src, dst in arrows[:_DESCRIBED_ARROWS]]
    more = len(arrows) - len(listed)
    parts.append("Arrows: " + "; ".join(listed) + (f"; and {more} more." if more else "."))
    return " ".join(parts)
