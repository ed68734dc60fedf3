"""Draw the backward graph of a tensor as a text tree, plain data or Graphviz DOT."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch

__all__ = ["GradGraph", "grad_graph"]

_NODE_STYLE = 'shape=box, style="rounded,filled", fillcolor="#f3f4f6", fontname="Helvetica"'


@dataclass(frozen=True)
class GradGraph:
    """A backward graph as plain data, as returned by :func:`grad_graph`.

    ``str(graph)`` is an indented tree from the output down to the leaves.

    Attributes:
        nodes: ``(id, label)`` pairs, ids ``"n0"``, ``"n1"``, ... in tree order; ``n0``
            is the output.
        edges: ``(src, dst)`` id pairs; gradient flows from ``src`` into ``dst``.
        leaves: Ids of the leaf tensors (where gradients accumulate into ``.grad``).
        text: The tree that ``str()`` returns.
    """

    nodes: tuple[tuple[str, str], ...]
    edges: tuple[tuple[str, str], ...]
    leaves: tuple[str, ...]
    text: str

    def __str__(self) -> str:
        return self.text

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
        return GradGraph(nodes=(("n0", label),), edges=(), leaves=("n0",), text=label)
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
    edges: list[tuple[str, str]] = []
    leaves: list[str] = []
    lines: list[str] = []
    stack: list[tuple[Any, str, str, str | None]] = [(root, "", "", None)]
    while stack:
        node, prefix, child_prefix, parent = stack.pop()
        seen = id(node) in ids
        if not seen:
            ids[id(node)] = f"n{len(ids)}"
            alive.append(node)
            variable = getattr(node, "variable", None)
            if isinstance(variable, torch.Tensor):
                label = _leaf_label(variable, leaf_names)
                leaves.append(ids[id(node)])
            else:
                name = node_names.get(id(node))
                label = type(node).__name__ + (f" ({name})" if name else "")
            labels[ids[id(node)]] = label
        node_id = ids[id(node)]
        if parent is not None:
            edges.append((parent, node_id))
        lines.append(prefix + labels[node_id] + (" (see above)" if seen else ""))
        if seen:
            continue
        children = [fn for fn, _ in node.next_functions if fn is not None]
        for index in reversed(range(len(children))):
            last = index == len(children) - 1
            stack.append(
                (
                    children[index],
                    child_prefix + ("└── " if last else "├── "),
                    child_prefix + ("    " if last else "│   "),
                    node_id,
                )
            )
    return GradGraph(tuple(labels.items()), tuple(edges), tuple(leaves), "\n".join(lines))
