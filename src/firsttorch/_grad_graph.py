"""Draw the backward graph of a tensor as a text tree, plain data, SVG or Graphviz DOT."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from firsttorch._graph_fold import Tree, build_tree, find_folds, render_text
from firsttorch._graph_picture import draw_graph

__all__ = ["GradGraph", "grad_graph"]

_NODE_STYLE = 'shape=box, style="rounded,filled", fillcolor="#f3f4f6", fontname="Helvetica"'


@dataclass(frozen=True)
class GradGraph:
    """A backward graph as plain data, as returned by :func:`grad_graph`.

    ``str(graph)`` is an indented tree from the output down to the leaves, at most 120
    characters wide, with repeated layers folded (see :meth:`to_text`). ``to_svg()`` draws
    it as a picture, with no Graphviz needed; Jupyter shows that picture by itself.

    Attributes:
        nodes: ``(id, label)`` pairs, ids ``"n0"``, ``"n1"``, ... in tree order; ``n0``
            is the output.
        edges: ``(src, dst)`` id pairs; gradient flows from ``src`` into ``dst``.
        leaves: Ids of the leaf tensors (where gradients accumulate into ``.grad``).
        text: The tree that ``str()`` returns.
        kinds: What each node is, without your names (``"MulBackward0"``,
            ``"leaf (shape (2,))"``), in ``nodes`` order: equal kinds let repeated layers
            fold. Empty means "use the labels".
    """

    nodes: tuple[tuple[str, str], ...]
    edges: tuple[tuple[str, str], ...]
    leaves: tuple[str, ...]
    text: str
    kinds: tuple[str, ...] = field(default=(), repr=False)

    def __str__(self) -> str:
        return self.text

    def to_text(self, *, fold: bool = True, width: int = 120) -> str:
        r"""Return the graph as an indented tree, the form that ``str()`` gives.

        A block of operations that repeats along a chain (the layers of a deep model) is
        shown once, followed by one line that counts the copies folded away. Lines deeper
        than the width allows drop their leftmost indentation, marked ``[+N]``; long labels
        are cut with ``…``; newlines and other control characters in names are escaped.

        Args:
            fold: Fold repeated blocks; ``False`` prints every node.
            width: The longest line, in characters (at least 60).

        Returns:
            The tree, one node per line.

        Raises:
            ValueError: If ``width`` is below 60.

        >>> x = torch.tensor(1.0, requires_grad=True)
        >>> y = x
        >>> for _ in range(50):
        ...     y = torch.tanh(y * 2)
        >>> print(grad_graph(y, names={"x": x}))
        TanhBackward0
        └── MulBackward0
            └── ⋯ (TanhBackward0 → MulBackward0) 49 more times, same ops and leaf shapes as above
                └── x (leaf, shape ())
        """
        if width < 60:
            msg = (
                f"GradGraph.to_text(width={width}): the width must be at least 60 characters "
                "to leave room for the labels. Fix: pass width=120 (the default) or more."
            )
            raise ValueError(msg)
        tree = self._tree()
        folds = find_folds(tree, self._kinds()) if fold else []
        return render_text(tree, dict(self.nodes), folds, width)

    def to_svg(self, *, fold: bool = True) -> str:
        """Draw the graph as an SVG picture, laid out in layers, in pure Python.

        The output is at the top and the leaves at the bottom; arrows show the way the
        gradient flows. Repeated blocks are folded as in :meth:`to_text`, into one dashed
        box. The SVG has a title and a description for screen readers, its own white
        background (it reads on light and dark pages alike), and is the same text for the
        same graph.

        Args:
            fold: Fold repeated blocks; ``False`` draws every node.

        Returns:
            A standalone ``<svg>`` element: save it as a ``.svg`` file or put it in HTML.

        Raises:
            ValueError: If ``edges`` name an unknown node or form a cycle (a hand-made graph).

        >>> x = torch.tensor([2.0, 3.0], requires_grad=True)
        >>> svg = grad_graph((x * x).sum(), names={"x": x}).to_svg()
        >>> svg.startswith("<svg") and "MulBackward0" in svg
        True
        """
        return draw_graph(self, fold=fold)

    def _repr_svg_(self) -> str:
        """Jupyter shows the graph as a picture."""
        return self.to_svg()

    def _repr_html_(self) -> str:
        """The picture, inline in HTML (sphinx-gallery and notebook front ends use this)."""
        return f'<div class="firsttorch-grad-graph">{self.to_svg()}</div>'

    def _kinds(self) -> dict[str, str]:
        """Node id to kind, falling back to the labels."""
        kinds = self.kinds or tuple(label for _, label in self.nodes)
        if len(kinds) != len(self.nodes):
            msg = (
                f"GradGraph: {len(self.kinds)} kinds for {len(self.nodes)} nodes; there must be "
                "one kind per node, in the same order. Fix: pass kinds=() to use the labels."
            )
            raise ValueError(msg)
        return {node: kind for (node, _), kind in zip(self.nodes, kinds, strict=True)}

    def _tree(self) -> Tree:
        """The depth-first tree, after checking that every edge joins known nodes."""
        known = {node for node, _ in self.nodes}
        for src, dst in self.edges:
            if src not in known or dst not in known:
                msg = (
                    f"GradGraph: the edge ({src!r}, {dst!r}) names a node that is not in "
                    f"nodes ({len(known)} ids). Fix: list every node id as a (id, label) pair."
                )
                raise ValueError(msg)
        return build_tree([node for node, _ in self.nodes], self.edges)

    def to_dot(self) -> str:
        """Return Graphviz DOT source for this graph (render it with ``dot -Tsvg``).

        Returns:
            DOT source with boxes for operations and blue ellipses for leaf tensors.

        >>> x = torch.tensor([2.0, 3.0], requires_grad=True)
        >>> print(grad_graph((2 * x).sum(), names={"x": x}).to_dot())
        digraph grad_graph {
          node [shape=box, style="rounded,filled", fillcolor="#f3f4f6", fontname="Helvetica"];
          n0 [label="SumBackward0"];
          n1 [label="MulBackward0"];
          n2 [label="x (leaf, shape (2,))", shape=ellipse, fillcolor="#dbeafe"];
          n0 -> n1;
          n1 -> n2;
        }
        """
        leaves = set(self.leaves)
        lines = [
            "digraph grad_graph {",
            f"  node [{_NODE_STYLE}];",
        ]
        for node_id, label in self.nodes:
            style = ', shape=ellipse, fillcolor="#dbeafe"' if node_id in leaves else ""
            lines.append(f'  {node_id} [label="{_dot_escape(label)}"{style}];')
        lines.extend(f"  {src} -> {dst};" for src, dst in self.edges)
        lines.append("}")
        return "\n".join(lines)


def _dot_escape(label: str) -> str:
    """Escape a label for a double-quoted DOT string."""
    return label.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def grad_graph(tensor: torch.Tensor, names: Mapping[str, torch.Tensor] | None = None) -> GradGraph:
    """Describe the backward graph that ``tensor.backward()`` would walk, as plain text.

    Shared parts of the graph are shown once and then marked ``(see above)``.

    Args:
        tensor: The output, usually the loss.
        names: Labels for tensors, e.g. ``{"x": x}`` or ``dict(model.named_parameters())``.
            Leaves without a name are labelled with their shape.

    Returns:
        A :class:`GradGraph`: print it, draw ``.nodes``/``.edges``, or call ``.to_dot()``.

    Raises:
        TypeError: If ``tensor`` is not a tensor or ``names`` not a str-to-tensor mapping.
        ValueError: If ``tensor`` does not require grad, so there is no graph.

    >>> x = torch.tensor([2.0, 3.0], requires_grad=True)
    >>> print(grad_graph((x * x + 3).sum(), names={"x": x}))
    SumBackward0
    └── AddBackward0
        └── MulBackward0
            ├── x (leaf, shape (2,))
            └── x (leaf, shape (2,)) (see above)
    """
    value: object = tensor  # typed as object so that the check below is not "unreachable"
    if not isinstance(value, torch.Tensor):
        msg = f"grad_graph(tensor): expected a torch.Tensor, got {type(value).__name__}."
        raise TypeError(msg)
    leaf_names, node_names = _split_names(names)
    if tensor.grad_fn is None and not tensor.requires_grad:
        msg = (
            f"grad_graph(tensor): the tensor (shape {tuple(tensor.shape)}) has "
            "requires_grad=False and no grad_fn, so autograd recorded no graph. It was "
            "built from tensors that do not require grad, under torch.no_grad(), or with "
            ".detach(). Fix: create the inputs with requires_grad=True, e.g. "
            "torch.tensor([2., 3.], requires_grad=True), and compute outside torch.no_grad()."
        )
        raise ValueError(msg)
    if tensor.grad_fn is None:
        label = _leaf_label(tensor, leaf_names)
        return _finish((("n0", label),), (), ("n0",), (_leaf_label(tensor, {}),))
    return _walk(tensor.grad_fn, leaf_names, node_names)


def _split_names(
    names: Mapping[str, torch.Tensor] | None,
) -> tuple[dict[int, str], dict[int, str]]:
    """Map ``id(leaf)`` and ``id(grad_fn)`` to the user's names, checking types."""
    leaf_names: dict[int, str] = {}
    node_names: dict[int, str] = {}
    if names is None:
        return leaf_names, node_names
    given: object = names  # typed as object so that the checks below are not "unreachable"
    if not isinstance(given, Mapping):
        msg = (
            f"grad_graph(names=...): expected a mapping of str to tensor, got "
            f"{type(given).__name__}. Fix: names={{'x': x}}."
        )
        raise TypeError(msg)
    for key, value in given.items():
        if not isinstance(key, str) or not isinstance(value, torch.Tensor):
            msg = (
                f"grad_graph(names=...): entry {key!r}: {type(value).__name__} must map a "
                "str to a torch.Tensor. Fix: names={'x': x}."
            )
            raise TypeError(msg)
        target = leaf_names if value.grad_fn is None else node_names
        ident = id(value) if value.grad_fn is None else id(value.grad_fn)
        target[ident] = f"{target[ident]}, {key}" if ident in target else key
    return leaf_names, node_names


def _leaf_label(tensor: torch.Tensor, leaf_names: dict[int, str]) -> str:
    """Label a leaf with its name (if given) and its shape."""
    shape = tuple(tensor.shape)
    name = leaf_names.get(id(tensor))
    return f"{name} (leaf, shape {shape})" if name else f"leaf (shape {shape})"


def _walk(root: Any, leaf_names: dict[int, str], node_names: dict[int, str]) -> GradGraph:
    """Walk ``grad_fn.next_functions`` depth-first, without recursion."""
    ids: dict[int, str] = {}
    alive: list[Any] = []  # keeps visited nodes alive so that their ids stay unique
    labels: dict[str, str] = {}
    kinds: list[str] = []
    edges: list[tuple[str, str]] = []
    leaves: list[str] = []
    stack: list[tuple[Any, str | None]] = [(root, None)]
    while stack:
        node, parent = stack.pop()
        seen = id(node) in ids
        if not seen:
            ids[id(node)] = f"n{len(ids)}"
            alive.append(node)
            variable = getattr(node, "variable", None)
            if isinstance(variable, torch.Tensor):
                labels[ids[id(node)]] = _leaf_label(variable, leaf_names)
                kinds.append(_leaf_label(variable, {}))
                leaves.append(ids[id(node)])
            else:
                name = node_names.get(id(node))
                kinds.append(type(node).__name__)
                labels[ids[id(node)]] = kinds[-1] + (f" ({name})" if name else "")
        if parent is not None:
            edges.append((parent, ids[id(node)]))
        if not seen:
            children = [fn for fn, _ in node.next_functions if fn is not None]
            stack.extend((child, ids[id(node)]) for child in reversed(children))
    return _finish(tuple(labels.items()), tuple(edges), tuple(leaves), tuple(kinds))


def _finish(
    nodes: tuple[tuple[str, str], ...],
    edges: tuple[tuple[str, str], ...],
    leaves: tuple[str, ...],
    kinds: tuple[str, ...],
) -> GradGraph:
    """Build the graph and its text form."""
    graph = GradGraph(nodes, edges, leaves, "", kinds)
    return dataclasses.replace(graph, text=graph.to_text())
