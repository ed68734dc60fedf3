"""Fold the repeated layers of a backward graph and print it as an indented tree."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = ["Fold", "Tree", "build_tree", "display_label", "find_folds", "render_text"]

_MAX_PERIOD = 16  # the longest block of chained operations that is looked for
_MIN_REPEATS = 3  # a block must occur at least this often in a row to be folded
_MIN_HIDDEN = 8  # and folding it must hide at least this many lines
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def display_label(label: str) -> str:
    r"""Make a label safe for one line: newlines and other control characters are escaped.

    >>> display_label("two\nlines")
    'two\\nlines'
    """
    if label.isprintable():
        return label
    return "".join(
        ch if ch.isprintable() else _ESCAPES.get(ch, f"\\u{ord(ch):04x}") for ch in label
    )


@dataclass
class Tree:
    """The depth-first tree of a graph: each node is expanded at its first visit only.

    Attributes:
        node: The node id of each visit, in preorder.
        ref: Whether a visit refers back to a node expanded at an earlier visit.
        children: The child visits of each visit, in edge order.
        size: How many visits (lines of text) each visit's subtree holds.
        roots: The visits that start a tree (only the first, for graphs from one output).
    """

    node: list[str] = field(default_factory=list)
    ref: list[bool] = field(default_factory=list)
    children: list[list[int]] = field(default_factory=list)
    size: list[int] = field(default_factory=list)
    roots: list[int] = field(default_factory=list)

    def heavy(self, visit: int) -> int:
        """The child with the largest subtree (the first of equals), or -1 for none."""
        kids = self.children[visit]
        return max(kids, key=self.size.__getitem__) if kids else -1

    def subtree(self, visit: int, stop: int = -1) -> list[int]:
        """The visits under ``visit`` (itself included), leaving out the subtree of ``stop``."""
        found: list[int] = []
        stack = [visit]
        while stack:
            current = stack.pop()
            if current != stop:
                found.append(current)
                stack.extend(self.children[current])
        return found


def build_tree(ids: Sequence[str], edges: Sequence[tuple[str, str]]) -> Tree:
    """Walk the graph depth-first from each node not yet reached, in ``ids`` order."""
    out: dict[str, list[str]] = {node: [] for node in ids}
    for src, dst in edges:
        out[src].append(dst)
    tree = Tree()
    expanded: set[str] = set()
    for root in ids:
        if root in expanded:
            continue
        tree.roots.append(len(tree.node))
        stack: list[tuple[str, int]] = [(root, -1)]
        while stack:
            node, parent = stack.pop()
            visit = len(tree.node)
            tree.node.append(node)
            tree.ref.append(node in expanded)
            tree.children.append([])
            if parent >= 0:
                tree.children[parent].append(visit)
            if node not in expanded:
                expanded.add(node)
                stack.extend((child, visit) for child in reversed(out[node]))
    tree.size = [1] * len(tree.node)
    for visit in reversed(range(len(tree.node))):
        tree.size[visit] += sum(tree.size[child] for child in tree.children[visit])
    return tree


@dataclass(frozen=True)
class Fold:
    """A block of chained operations that repeats, shown once and then folded.

    Attributes:
        owner: The last visit of the block that is shown; its chain child is replaced.
        hidden: The visits that are folded away.
        resume: The visit where the tree goes on after the repeats, or -1.
        repeats: How many copies of the block are folded.
        block: The operations along the chain of one block.
    """

    owner: int
    hidden: tuple[int, ...]
    resume: int
    repeats: int
    block: tuple[str, ...]

    def text(self) -> str:
        """The line that stands for the folded copies."""
        ops = " → ".join(self.block)
        return f"⋯ ({ops}) {self.repeats} more times, same ops and leaf shapes as above"


def find_folds(tree: Tree, kinds: dict[str, str]) -> list[Fold]:
    """Find the runs of a repeated block along each chain of heaviest children."""
    interned: dict[tuple[object, ...], int] = {}
    shape = [0] * len(tree.node)  # equal numbers: equal kinds all the way down
    for visit in reversed(range(len(tree.node))):
        key = (kinds[tree.node[visit]], tree.ref[visit], *(shape[c] for c in tree.children[visit]))
        shape[visit] = interned.setdefault(key, len(interned))
    heavy = [tree.heavy(visit) for visit in range(len(tree.node))]
    on_chain = set(heavy)
    chain_starts = [v for v in range(len(tree.node)) if v not in on_chain]
    folds: list[Fold] = []
    for start in chain_starts:
        chain = [start]
        while heavy[chain[-1]] >= 0:
            chain.append(heavy[chain[-1]])
        local = []
        for visit in chain:
            key = (kinds[tree.node[visit]], tree.ref[visit])
            key += tuple(-1 if c == heavy[visit] else shape[c] for c in tree.children[visit])
            local.append(interned.setdefault(key, len(interned)))
        folds.extend(_chain_folds(tree, chain, local, kinds))
    return folds


def _chain_folds(
    tree: Tree, chain: list[int], local: list[int], kinds: dict[str, str]
) -> list[Fold]:
    """Greedily fold, from the top of one chain, the run that covers the most visits."""
    agree: dict[int, list[int]] = {}  # agree[p][k]: how many k, k+1, ... match k+p, k+p+1, ...
    found: list[Fold] = []
    start = 0
    while start < len(chain):
        best = (0, 0)
        for period in range(1, min(_MAX_PERIOD, (len(chain) - start) // _MIN_REPEATS) + 1):
            if period not in agree:
                agree[period] = _agreement(local, period)
            repeats = 1 + agree[period][start] // period
            if repeats >= _MIN_REPEATS and repeats * period > best[0] * best[1]:
                best = (period, repeats)
        period, repeats = best
        end = start + period * repeats
        if period:
            resume = chain[end] if end < len(chain) else -1
            hidden = tuple(tree.subtree(chain[start + period], stop=resume))
            if len(hidden) >= _MIN_HIDDEN:
                block = tuple(kinds[tree.node[v]] for v in chain[start : start + period])
                owner = chain[start + period - 1]
                found.append(Fold(owner, hidden, resume, repeats - 1, block))
                start = end
                continue
        start += 1
    return found


def _agreement(local: list[int], period: int) -> list[int]:
    """For each position, how long the sequence agrees with itself shifted by ``period``."""
    agree = [0] * (len(local) + 1)
    for k in reversed(range(len(local) - period)):
        agree[k] = agree[k + 1] + 1 if local[k] == local[k + period] else 0
    return agree


def render_text(tree: Tree, labels: dict[str, str], folds: Sequence[Fold], width: int) -> str:
    """Draw the tree with box-drawing characters, folds in place and lines cut to ``width``."""
    by_owner = {fold.owner: index for index, fold in enumerate(folds)}
    heavy = {fold.owner: tree.heavy(fold.owner) for fold in folds}
    folded_nodes = {tree.node[v] for fold in folds for v in fold.hidden if not tree.ref[v]}
    levels = max(4, (width - 40) // 4)  # indentation levels kept on a line
    lines: list[str] = []
    # an item is a visit (>= 0) or a fold (-1 - its index)
    stack: list[tuple[int, _Indent | None, str]] = [(v, None, "") for v in reversed(tree.roots)]
    while stack:
        item, prefix, connector = stack.pop()
        if item >= 0:
            label = display_label(labels[tree.node[item]])
            if tree.ref[item]:
                folded = tree.node[item] in folded_nodes
                label += " (see above, folded)" if folded else " (see above)"
            kids = list(tree.children[item])
            if item in by_owner:
                kids[kids.index(heavy[item])] = -1 - by_owner[item]
        else:
            fold = folds[-1 - item]
            label = fold.text()
            kids = [fold.resume] if fold.resume >= 0 else []
        line = _indent(prefix, connector, levels) + label
        lines.append(line if len(line) <= width else line[: width - 1] + "…")
        inner = prefix
        if connector:
            inner = _Indent("    " if connector == "└── " else "│   ", prefix, _depth(prefix) + 1)
        for index in reversed(range(len(kids))):
            stack.append((kids[index], inner, "└── " if index == len(kids) - 1 else "├── "))
    return "\n".join(lines)


class _Indent(NamedTuple):
    """One level of indentation, linked to the levels to its left."""

    piece: str
    outer: _Indent | None
    depth: int


def _depth(prefix: _Indent | None) -> int:
    return 0 if prefix is None else prefix.depth


def _indent(prefix: _Indent | None, connector: str, levels: int) -> str:
    """The indentation of one line, dropping the leftmost levels of very deep lines."""
    depth = _depth(prefix) + (1 if connector else 0)
    drop = 0
    if depth > levels:
        step = max(1, levels // 2)
        drop = ((depth - levels) // step + 1) * step
    pieces = [connector]
    current = prefix
    for _ in range(depth - 1 - drop):
        assert current is not None  # depth counts the levels of the linked list
        pieces.append(current.piece)
        current = current.outer
    marker = f"[+{drop}] " if drop else ""
    return marker + "".join(reversed(pieces))
