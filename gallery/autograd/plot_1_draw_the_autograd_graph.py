# /// script
# requires-python = ">=3.10"
# dependencies = ["firsttorch", "torch", "matplotlib"]
# ///
"""
=======================
Draw the autograd graph
=======================

While you compute with a tensor that has ``requires_grad=True``, PyTorch records each
operation in a graph; ``backward()`` walks it from the result back to the inputs. You
will print that graph with :func:`firsttorch.grad_graph`, draw it as boxes and arrows,
and check the gradient it produces.
"""

# %%
# Compute something
# -----------------
# ``z = sum(x * x + 3)``. Each result remembers the operation that made it in
# ``grad_fn``.
import matplotlib.pyplot as plt
import torch

import firsttorch

x = torch.tensor([2.0, 3.0], requires_grad=True)
y = x * x + 3
z = y.sum()
print(f"y = {y}")
print(f"z = {z!r}")

# sphinx_gallery_start_ignore
assert y.tolist() == [7.0, 12.0]
assert z.item() == 19.0
assert type(z.grad_fn).__name__ == "SumBackward0"
assert x.grad_fn is None  # x is a leaf: you made it, no operation did
# sphinx_gallery_end_ignore

# %%
# Print the graph
# ---------------
# :func:`firsttorch.grad_graph` walks the graph from ``z`` down; ``names`` labels the
# tensors we know. ``x`` appears twice under ``MulBackward0`` because ``x * x`` uses it
# twice; the second time is marked.
graph = firsttorch.grad_graph(z, names={"x": x, "y": y, "z": z})
print(graph)

# sphinx_gallery_start_ignore
assert [label for _, label in graph.nodes] == [
    "SumBackward0 (z)",
    "AddBackward0 (y)",
    "MulBackward0",
    "x (leaf, shape (2,))",
]
assert graph.edges.count(("n2", "n3")) == 2
assert graph.leaves == ("n3",)
# sphinx_gallery_end_ignore

# %%
# Draw the graph
# --------------
# ``graph.nodes`` holds ``(id, label)`` pairs and ``graph.edges`` holds ``(from, to)``
# pairs; gradients flow along the arrows, from the output at the top down to the leaf
# at the bottom, where they are stored in ``x.grad``.


def layout(graph):
    """Depth of each node (longest path from the output), then spread each level."""
    depth = {node: 0 for node, _ in graph.nodes}
    for _ in graph.nodes:
        for src, dst in graph.edges:
            depth[dst] = max(depth[dst], depth[src] + 1)
    levels = {}
    for node, _ in graph.nodes:
        levels.setdefault(depth[node], []).append(node)
    return {
        node: ((k + 1) / (len(level) + 1), -d)
        for d, level in levels.items()
        for k, node in enumerate(level)
    }


def draw(graph, ax):
    where = layout(graph)
    leaves = set(graph.leaves)
    for node, label in graph.nodes:
        colour = "#dbeafe" if node in leaves else "#f3f4f6"
        ax.text(
            *where[node],
            label,
            ha="center",
            va="center",
            fontsize=10,
            bbox={"boxstyle": "round,pad=0.4", "facecolor": colour},
        )
    seen = {}
    for src, dst in graph.edges:
        repeat = seen.get((src, dst), 0)
        seen[(src, dst)] = repeat + 1
        bend = 0.0 if graph.edges.count((src, dst)) == 1 else (0.5 if repeat else -0.5)
        ax.annotate(
            "",
            xy=where[dst],
            xytext=where[src],
            arrowprops={
                "arrowstyle": "-|>",
                "shrinkA": 12,
                "shrinkB": 12,
                "connectionstyle": f"arc3,rad={bend}",
            },
        )
    depth = -min(y for _, y in where.values())
    ax.set_xlim(0, 1)
    ax.set_ylim(-depth - 0.5, 0.5)
    ax.axis("off")


fig, ax = plt.subplots(figsize=(4.5, 3.6))
draw(graph, ax)
ax.set_title("backward graph of z = (x * x + 3).sum()", fontsize=10)
plt.show()

# %%
# Walk it backward
# ----------------
# ``z.backward()`` follows the arrows. The two paths into ``x`` add up:
# :math:`\partial z / \partial x_i = 2 x_i`, so ``x.grad`` is ``[4, 6]``.
z.backward()
print(f"x.grad = {x.grad}")

# sphinx_gallery_start_ignore
assert x.grad.tolist() == [4.0, 6.0]
assert torch.equal(x.grad, 2 * x.detach())
# sphinx_gallery_end_ignore

# %%
# Conclusion
# ----------
# The graph is built as your code runs, one node per operation, and ``backward()``
# walks it in reverse with the chain rule. Print it with :func:`firsttorch.grad_graph`
# (``.to_dot()`` gives Graphviz source), and see :meth:`torch.Tensor.backward` and
# :func:`torch.autograd.grad` for the two ways to run it.
