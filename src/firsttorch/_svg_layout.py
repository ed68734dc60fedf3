"""Lay out a directed acyclic graph in layers and draw it as an accessible SVG, in pure Python."""

from __future__ import annotations

import hashlib
import itertools
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

__all__ = ["Box", "draw_svg", "find_cycle", "wrap_label"]

_CHAR = 7.8  # width of one character cell of the 13px monospace font
_LINE = 17.0  # line height
_PAD_X, _PAD_Y = 10.0, 7.0
_GAP_X, _GAP_Y = 28.0, 42.0  # between boxes side by side, between layers
_MARGIN = 16.0
_SWEEPS = 8  # barycenter sweeps down and up that order each layer
_ROUNDS = 6  # rounds that pull each node toward its neighbours
_FONT = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace"
# fill, stroke, stroke width, dash: dark text (#111827) on each fill passes WCAG AA by far
_STYLES = {
    "op": ("#f3f4f6", "#4b5563", "1.2", ""),
    "leaf": ("#dbeafe", "#1d4ed8", "1.2", ""),
    "output": ("#fef3c7", "#b45309", "2", ""),
    "fold": ("#ffffff", "#4b5563", "1.2", ' stroke-dasharray="5 3"'),
}
_CAPTION = "backward: gradients flow along the arrows, from the output down to the leaves"


@dataclass(frozen=True)
class Box:
    """One node to draw: its key, its lines of text, its style and its full label (tooltip)."""

    key: str
    lines: tuple[str, ...]
    style: str
    tooltip: str


def wrap_label(label: str, width: int = 36, max_lines: int = 3) -> tuple[str, ...]:
    """Break a one-line label into at most ``max_lines`` lines of at most ``width`` cells.

    >>> wrap_label("398.weight (leaf, shape (4, 4))", width=24)
    ('398.weight', '(leaf, shape (4, 4))')
    """
    parts = [label]
    if _cells(label) > width and " (" in label:
        head, tail = label.split(" (", 1)
        parts = [head, "(" + tail]
    lines: list[str] = []
    for part in parts:
        line = ""
        for ch in part:
            if _cells(line + ch) > width:
                lines.append(line)
                line = ""
            line += ch
        lines.append(line)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while _cells(last) > width - 1:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last + "…"]
    return tuple(lines)


def _cells(text: str) -> int:
    """Character cells of monospace text: wide East Asian characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def find_cycle(keys: Sequence[str], arrows: Sequence[tuple[str, str]]) -> list[str]:
    """Return the keys left on a cycle (empty when the graph is acyclic), by Kahn's algorithm."""
    indegree = dict.fromkeys(keys, 0)
    out: dict[str, list[str]] = {key: [] for key in keys}
    for src, dst in arrows:
        out[src].append(dst)
        indegree[dst] += 1
    ready = [key for key in reversed(keys) if indegree[key] == 0]
    while ready:
        key = ready.pop()
        for dst in out[key]:
            indegree[dst] -= 1
            if indegree[dst] == 0:
                ready.append(dst)
    return [key for key in keys if indegree[key] > 0]


def _layers(count: int, arrows: Sequence[tuple[int, int]]) -> list[int]:
    """Longest-path layering from the sources: each node one layer below its lowest parent."""
    parents: list[list[int]] = [[] for _ in range(count)]
    for src, dst in arrows:
        parents[dst].append(src)
    layer = [-1] * count
    for start in range(count):
        stack = [start]
        while stack:
            node = stack[-1]
            todo = [p for p in parents[node] if layer[p] < 0]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            layer[node] = max((layer[p] + 1 for p in parents[node]), default=0)
    return layer


def _order(layer: list[int], up: list[list[int]], down: list[list[int]]) -> list[list[int]]:
    """Order each layer: barycenter sweeps and swaps from two depth-first starts (children
    left to right, then right to left), keeping the order with the fewest crossings."""
    best: list[list[int]] = []
    fewest = -1
    for flip in (False, True):
        layers = _first_order(layer, down, flip=flip)
        for _ in range(_SWEEPS):
            count = _crossings(layers, down)
            if fewest < 0 or count < fewest:
                best, fewest = [list(level) for level in layers], count
            if count == 0:
                return best
            for index in range(1, len(layers)):
                _sort_by_barycenter(layers[index], layers[index - 1], up)
            for index in reversed(range(len(layers) - 1)):
                _sort_by_barycenter(layers[index], layers[index + 1], down)
            _transpose(layers, up, down)
    return best


def _sort_by_barycenter(layer: list[int], fixed: list[int], near: list[list[int]]) -> None:
    """Sort ``layer`` by the mean position of each node's neighbours in the ``fixed`` layer."""
    pos = {node: k for k, node in enumerate(fixed)}
    own = {node: k for k, node in enumerate(layer)}
    layer.sort(key=lambda node: _mean([pos[m] for m in near[node]], own[node]))


def _transpose(layers: list[list[int]], up: list[list[int]], down: list[list[int]]) -> None:
    """Swap neighbours in a layer while that removes crossings with the layers around it."""
    for _ in range(_SWEEPS):
        pos = {node: k for layer in layers for k, node in enumerate(layer)}
        swapped = False
        for layer in layers:
            for k in range(len(layer) - 1):
                left, right = layer[k], layer[k + 1]
                keep = swap = 0
                for near in (up, down):
                    for a in near[left]:
                        for b in near[right]:
                            keep += pos[a] > pos[b]
                            swap += pos[a] < pos[b]
                if swap < keep:
                    layer[k], layer[k + 1] = right, left
                    pos[left], pos[right] = k + 1, k
                    swapped = True
        if not swapped:
            break


def _mean(values: Sequence[float], default: float) -> float:
    return sum(values) / len(values) if values else default


def _crossings(layers: list[list[int]], down: list[list[int]]) -> int:
    """Count the pairs of arrows that cross between neighbouring layers."""
    total = 0
    for upper, lower in itertools.pairwise(layers):
        pos = {node: k for k, node in enumerate(lower)}
        ends = sorted((k, pos[m]) for k, node in enumerate(upper) for m in down[node])
        tree = [0] * (len(lower) + 1)  # a Fenwick tree of the lower ends seen so far
        for seen, (_, end) in enumerate(ends):
            index, below = end + 1, 0
            while index > 0:
                below += tree[index]
                index -= index & -index
            total += seen - below  # earlier arrows that end to the right of this one
            index = end + 1
            while index <= len(lower):
                tree[index] += 1
                index += index & -index
    return total


def _place(layer: list[int], width: list[float], desired: dict[int, float]) -> dict[int, float]:
    """Centres closest (least squares) to ``desired`` that keep the order and the gaps."""
    offset = [0.0]
    for left, right in itertools.pairwise(layer):
        offset.append(offset[-1] + (width[left] + width[right]) / 2 + _gap(left, right, width))
    blocks: list[list[float]] = []  # pool adjacent violators: [sum, count] per block
    for node, shift in zip(layer, offset, strict=True):
        blocks.append([desired[node] - shift, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    placed: dict[int, float] = {}
    nodes = iter(zip(layer, offset, strict=True))
    for total, count in blocks:
        for _ in range(int(count)):
            node, shift = next(nodes)
            placed[node] = total / count + shift
    return placed


def _gap(left: int, right: int, width: list[float]) -> float:
    """Room between two neighbours: less next to the bends of long arrows (zero width)."""
    return _GAP_X if width[left] and width[right] else _GAP_X / 2


def _coordinates(
    layers: list[list[int]], width: list[float], up: list[list[int]], down: list[list[int]]
) -> dict[int, float]:
    """Centre of each node: packed, then pulled toward parents and children in turn."""
    x: dict[int, float] = {}
    for layer in layers:
        x.update(_place(layer, width, dict.fromkeys(layer, 0.0)))
    for _ in range(_ROUNDS):
        for order, near in ((range(1, len(layers)), up), (reversed(range(len(layers))), down)):
            for index in order:
                wanted = {n: _mean([x[m] for m in near[n]], x[n]) for n in layers[index]}
                x.update(_place(layers[index], width, wanted))
    left = min(x[n] - width[n] / 2 for n in x)
    return {n: value - left + _MARGIN for n, value in x.items()}


def draw_svg(boxes: Sequence[Box], arrows: Sequence[tuple[str, str]], title: str, desc: str) -> str:
    """Draw ``boxes`` joined by ``arrows`` (an acyclic graph) top-down, as standalone SVG."""
    index = {box.key: k for k, box in enumerate(boxes)}
    width = [max(map(_cells, box.lines)) * _CHAR + 2 * _PAD_X for box in boxes]
    height = [len(box.lines) * _LINE + 2 * _PAD_Y for box in boxes]
    layer = _layers(len(boxes), [(index[src], index[dst]) for src, dst in arrows])
    up: list[list[int]] = [[] for _ in boxes]
    down: list[list[int]] = [[] for _ in boxes]
    routes: list[list[int]] = []
    for src, dst in arrows:
        route = [index[src]]
        for level in range(layer[index[src]] + 1, layer[index[dst]]):
            route.append(len(width))  # a bend point: a zero-width node on the way down
            width.append(0.0)
            height.append(0.0)
            layer.append(level)
            up.append([])
            down.append([])
        route.append(index[dst])
        for high, low in itertools.pairwise(route):
            down[high].append(low)
            up[low].append(high)
        routes.append(route)
    layers = _order(layer, up, down)
    x = _coordinates(layers, width, up, down)
    row_height = [max(height[n] for n in row) for row in layers]
    tops = [_MARGIN]
    for row_top in row_height:
        tops.append(tops[-1] + row_top + _GAP_Y)
    top = {n: tops[layer[n]] + (row_height[layer[n]] - height[n]) / 2 for n in x}
    span = max(x[n] + width[n] / 2 for n in x) + _MARGIN
    total_width = max(span, len(_CAPTION) * _CHAR * 0.85 + 2 * _MARGIN)
    x = {n: value + (total_width - span) / 2 for n, value in x.items()}  # centre the drawing
    total_height = tops[-1] - _GAP_Y + 28 + _MARGIN
    ident = (
        "ft"
        + hashlib.sha1(
            repr((title, desc, boxes, arrows)).encode("utf-8", "backslashreplace"),
            usedforsecurity=False,
        ).hexdigest()[:10]
    )
    out = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" '
            f'aria-labelledby="{ident}-title {ident}-desc" viewBox="0 0 {total_width:.1f} '
            f'{total_height:.1f}" width="{total_width:.1f}" height="{total_height:.1f}" '
            f'style="max-width: 100%; height: auto" font-family="{_FONT}" font-size="13">'
        ),
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(desc)}</desc>',
        (
            f'<defs><marker id="{ident}-arrow" viewBox="0 0 10 10" refX="10" refY="5" '
            'markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto">'
            '<path d="M0,0 L10,5 L0,10 z" fill="#374151"/></marker></defs>'
        ),
        '<rect class="ft-background" width="100%" height="100%" rx="6" fill="#ffffff"/>',
        '<g class="ft-edges" fill="none" stroke="#374151" stroke-width="1.4">',
    ]
    ends = _ports(routes, x, width)
    for route, (start, end) in zip(routes, ends, strict=True):
        points = [(x[route[0]] + start, top[route[0]] + height[route[0]])]
        for bend in route[1:-1]:
            points += [(x[bend], tops[layer[bend]]), (x[bend], tops[layer[bend] + 1] - _GAP_Y)]
        points.append((x[route[-1]] + end, top[route[-1]]))
        path = " L".join(f"{px:.1f},{py:.1f}" for px, py in points)
        out.append(f'<path class="ft-edge" d="M{path}" marker-end="url(#{ident}-arrow)"/>')
    out.append("</g>")
    for k, box in enumerate(boxes):
        out.append(_draw_box(box, x[k] - width[k] / 2, top[k], width[k], height[k]))
    out.append(
        f'<text x="{_MARGIN:.1f}" y="{total_height - _MARGIN:.1f}" fill="#374151" '
        f'font-size="11">{escape(_CAPTION)}</text>'
    )
    out.append("</svg>")
    return "\n".join(out)


def _first_order(layer: list[int], down: list[list[int]], *, flip: bool) -> list[list[int]]:
    """Each layer in depth-first order from the first node: a tree-like start for the sweeps."""
    layers: list[list[int]] = [[] for _ in range(max(layer) + 1)]
    seen: set[int] = set()
    for start in range(len(layer)):
        stack = [start]
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                layers[layer[node]].append(node)
                stack.extend(down[node] if flip else reversed(down[node]))
    return layers


def _ports(
    routes: list[list[int]], x: dict[int, float], width: list[float]
) -> list[tuple[float, float]]:
    """Spread the arrows that leave (or enter) one box along its bottom (or top) edge."""
    leaving: dict[int, list[int]] = {}
    entering: dict[int, list[int]] = {}
    for k, route in enumerate(routes):
        leaving.setdefault(route[0], []).append(k)
        entering.setdefault(route[-1], []).append(k)
    start = [0.0] * len(routes)
    end = [0.0] * len(routes)
    for groups, slot, step in ((leaving, start, 1), (entering, end, -2)):
        for node, ks in groups.items():
            ks.sort(key=lambda k: (x[routes[k][step]], k))
            spacing = min(16.0, 0.8 * width[node] / len(ks))
            for rank, k in enumerate(ks):
                slot[k] = (rank - (len(ks) - 1) / 2) * spacing
    return list(zip(start, end, strict=True))


def _draw_box(box: Box, left: float, top: float, width: float, height: float) -> str:
    """One node: a rounded box with its label centred, and the full label as a tooltip."""
    fill, stroke, stroke_width, dash = _STYLES[box.style]
    italic = ' font-style="italic"' if box.style == "fold" else ""
    parts = [
        f'<g class="ft-node ft-{box.style}"><title>{escape(box.tooltip)}</title>',
        (
            f'<rect x="{left:.1f}" y="{top:.1f}" width="{width:.1f}" height="{height:.1f}" '
            f'rx="8" fill="{fill}" stroke="{stroke}" stroke-width="{stroke_width}"{dash}/>'
        ),
    ]
    centre = left + width / 2
    for row, line in enumerate(box.lines):
        baseline = top + _PAD_Y + (row + 1) * _LINE - 4.5
        parts.append(
            f'<text x="{centre:.1f}" y="{baseline:.1f}" text-anchor="middle" '
            f'fill="#111827"{italic}>{escape(line)}</text>'
        )
    parts.append("</g>")
    return "".join(parts)
