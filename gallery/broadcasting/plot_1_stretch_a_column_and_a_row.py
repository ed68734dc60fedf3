# /// script
# requires-python = ">=3.10"
# dependencies = ["firsttorch", "torch", "matplotlib"]
# ///
"""
==========================
Stretch a column and a row
==========================

Adding a ``(3, 1)`` column to a ``(1, 4)`` row gives a ``(3, 4)`` table: broadcasting
stretches every size-1 dimension to match the other tensor. You will see the two
operands stretched, drawn as grids, and that the stretching copies nothing.
"""

# %%
# Add a column and a row
# ----------------------
# The column has 3 rows and 1 column; the row has 1 row and 4 columns. Each size-1
# dimension stretches, so the result is ``(3, 4)``: every column value plus every row
# value.
import matplotlib.pyplot as plt
import torch

import firsttorch

col = torch.tensor([[0], [10], [20]])
row = torch.tensor([[1, 2, 3, 4]])
table = col + row
print(f"col.shape = {tuple(col.shape)}, row.shape = {tuple(row.shape)}")
print(f"table = {table}")
print(f"broadcast shape: {firsttorch.broadcast_shape(col, row)}")

# sphinx_gallery_start_ignore
assert table.shape == (3, 4)
assert table.tolist() == [[1, 2, 3, 4], [11, 12, 13, 14], [21, 22, 23, 24]]
assert firsttorch.broadcast_shape(col, row) == torch.broadcast_shapes(col.shape, row.shape)
# sphinx_gallery_end_ignore

# %%
# See the stretched operands
# --------------------------
# :func:`torch.broadcast_tensors` returns both operands already stretched to the
# common shape, which is exactly what the addition used.
col_big, row_big = torch.broadcast_tensors(col, row)
print(f"col stretched = {col_big}")
print(f"row stretched = {row_big}")

# sphinx_gallery_start_ignore
assert col_big.shape == row_big.shape == (3, 4)
assert torch.equal(col_big + row_big, table)
# sphinx_gallery_end_ignore

# %%
# Draw the stretch
# ----------------
# Solid cells are the numbers each tensor really holds; pale cells are the same numbers
# repeated by broadcasting.


def draw(ax, t, real, colour, title):
    for i in range(3):
        for j in range(4):
            solid = (i, j) in real
            ax.add_patch(
                plt.Rectangle(
                    (j, -i),
                    1,
                    1,
                    facecolor=colour,
                    alpha=1.0 if solid else 0.3,
                    edgecolor="k",
                    linestyle="-" if solid else ":",
                )
            )
            ax.text(j + 0.5, -i + 0.5, str(t[i, j].item()), ha="center", va="center")
    ax.set_xlim(-0.1, 4.1)
    ax.set_ylim(-2.2, 1.4)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=9)


fig, axes = plt.subplots(1, 3, figsize=(7.5, 2.4))
draw(axes[0], col_big, {(i, 0) for i in range(3)}, "#93c5fd", "col (3, 1) -> (3, 4)")
draw(axes[1], row_big, {(0, j) for j in range(4)}, "#fdba74", "row (1, 4) -> (3, 4)")
draw(axes[2], table, {(i, j) for i in range(3) for j in range(4)}, "#86efac", "col + row (3, 4)")
fig.text(0.372, 0.45, "+", fontsize=18, ha="center")
fig.text(0.655, 0.45, "=", fontsize=18, ha="center")
plt.show()

# %%
# Stretching copies nothing
# -------------------------
# The stretched column is a view with stride 0 along the stretched dimension: moving
# one column to the right moves 0 steps in memory, so the one stored value is read again.
print(f"col_big.stride() = {col_big.stride()}")
print(f"same memory as col: {col_big.data_ptr() == col.data_ptr()}")

# sphinx_gallery_start_ignore
assert col_big.stride()[1] == 0
assert row_big.stride()[0] == 0
assert col_big.data_ptr() == col.data_ptr()
# sphinx_gallery_end_ignore

# %%
# Conclusion
# ----------
# Broadcasting lines the shapes up from the right and stretches each size-1 dimension,
# for free. :func:`firsttorch.broadcast_shape` (like :func:`torch.broadcast_shapes`)
# tells you the result shape before you compute, and :func:`firsttorch.explain_broadcast`
# walks through the rule step by step.
