# /// script
# requires-python = ">=3.10"
# dependencies = ["firsttorch", "torch"]
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
# Conclusion
# ----------
# The graph is built as your code runs, one node per operation, and ``backward()``
# walks it in reverse with the chain rule. Print it with :func:`firsttorch.grad_graph`
# (``.to_svg()`` gives the picture, ``.to_dot()`` Graphviz source), and see
# :meth:`torch.Tensor.backward` and :func:`torch.autograd.grad` for the two ways to run it.
