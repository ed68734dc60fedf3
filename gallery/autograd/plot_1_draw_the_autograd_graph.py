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
# The same graph draws itself as a picture, in pure Python: no Graphviz to install.
# Gradients flow along the arrows, from the output at the top down to the leaf at the
# bottom, where they are stored in ``x.grad``. In Jupyter, showing ``graph`` is enough;
# :meth:`~firsttorch.GradGraph.to_svg` gives the SVG text to save to a file.

# sphinx_gallery_start_ignore
svg = graph.to_svg()
assert svg.startswith("<svg")
assert "MulBackward0" in svg
assert 'role="img"' in svg
assert "<title" in svg
# sphinx_gallery_end_ignore
graph

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
# See each gradient as a slope
# ----------------------------
# ``x.grad[i]`` says how fast ``z`` changes when ``x[i]`` changes: the slope of the curve
# :math:`t^2 + 3` at :math:`t = x_i`. The plot draws that curve and, at each element of
# ``x``, a short line with the slope autograd found.
ts = torch.linspace(0, 4, 81)
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(ts, ts * ts + 3, color="#6b7280", lw=1.2, label="t² + 3")
for xi, gi, colour in zip(x.tolist(), x.grad.tolist(), ["#0072b2", "#d55e00"], strict=True):
    near = [xi - 0.4, xi + 0.4]
    tangent = [xi * xi + 3 + gi * (t - xi) for t in near]
    ax.plot(near, tangent, color=colour, lw=2, label=f"slope at {xi:g}: x.grad = {gi:g}")
    ax.plot([xi], [xi * xi + 3], "o", color=colour)
ax.set_xlabel("t")
ax.set_ylabel("t² + 3")
ax.set_title("x.grad is the slope of each term of z", fontsize=10)
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# sphinx_gallery_start_ignore
slopes = []
for line in ax.lines[1::2]:  # the two short lines, after the curve
    (x0, x1), (y0, y1) = line.get_xdata(), line.get_ydata()
    slopes.append(round((y1 - y0) / (x1 - x0), 6))
assert slopes == x.grad.tolist() == [4.0, 6.0]
# sphinx_gallery_end_ignore

# %%
# Conclusion
# ----------
# The graph is built as your code runs, one node per operation, and ``backward()``
# walks it in reverse with the chain rule. Print it with :func:`firsttorch.grad_graph`
# (``.to_svg()`` gives the picture, ``.to_dot()`` Graphviz source), and see
# :meth:`torch.Tensor.backward` and :func:`torch.autograd.grad` for the two ways to run it.
