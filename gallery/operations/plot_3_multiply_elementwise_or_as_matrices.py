# /// script
# requires-python = ">=3.10"
# dependencies = ["firsttorch", "torch", "matplotlib"]
# ///
"""
====================================
Multiply element-wise or as matrices
====================================

``a * b`` multiplies matching elements; ``a @ b`` is the matrix product, where each
result is a row of ``a`` times a column of ``b``, added up. You will see both, the shape
rule each one follows, and the error you get when the inner sizes do not match.
"""

# %%
# Element-wise: ``*``
# -------------------
# ``*`` multiplies position by position, so both tensors need the same shape (or shapes
# that broadcast). We compute on the device :func:`firsttorch.pick_device` chooses.
import matplotlib.pyplot as plt
import torch

import firsttorch

device = firsttorch.pick_device()
a = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).to(device)
b = torch.tensor([[1.0, 0.0, 2.0], [0.0, 1.0, 3.0]]).to(device)
print(f"a * b = {a * b}")

# sphinx_gallery_start_ignore
assert (a * b).tolist() == [[1.0, 0.0, 6.0], [0.0, 5.0, 18.0]]
assert (a * b).shape == a.shape == (2, 3)
# sphinx_gallery_end_ignore

# %%
# Matrix product: ``@``
# ---------------------
# For ``a @ m`` the inner sizes must agree: ``(2, 3) @ (3, 2)`` gives ``(2, 2)``. The
# ``3`` in the middle is the length of the rows of ``a`` and of the columns of ``m``.
m = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]).to(device)
product = a @ m
print(f"a @ m = {product}")
print(f"shapes: {tuple(a.shape)} @ {tuple(m.shape)} -> {tuple(product.shape)}")

# sphinx_gallery_start_ignore
assert product.tolist() == [[4.0, 5.0], [10.0, 11.0]]
assert product.shape == (2, 2)
assert torch.equal(product, torch.matmul(a, m))
# sphinx_gallery_end_ignore

# %%
# One element of the product
# --------------------------
# ``product[0, 1]`` is row 0 of ``a`` times column 1 of ``m``, element by element, then
# summed: ``1*0 + 2*1 + 3*1 = 5``.
row, col = a[0], m[:, 1]
print(f"a[0] = {row}, m[:, 1] = {col}")
print(f"(a[0] * m[:, 1]).sum() = {(row * col).sum()}, product[0, 1] = {product[0, 1]}")

# sphinx_gallery_start_ignore
assert (row * col).sum().item() == product[0, 1].item() == 5.0
# sphinx_gallery_end_ignore

# %%
# Picture it
# ----------
# The highlighted row of ``a`` and column of ``m`` make the highlighted element of the
# product.


def draw(ax, t, title, rows=(), cols=(), cells=()):
    t = t.cpu()
    n_rows, n_cols = t.shape
    for i in range(n_rows):
        for j in range(n_cols):
            hot = i in rows or j in cols or (i, j) in cells
            colour = "#fdba74" if hot else "#e5e7eb"
            ax.add_patch(plt.Rectangle((j, -i), 1, 1, facecolor=colour, edgecolor="k"))
            ax.text(j + 0.5, -i + 0.5, f"{t[i, j].item():g}", ha="center", va="center")
    ax.set_xlim(-0.1, n_cols + 0.1)
    ax.set_ylim(-2.2, 1.3)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"{title} {tuple(t.shape)}", fontsize=10)


fig, axes = plt.subplots(1, 3, figsize=(7, 2.6), width_ratios=[3, 2, 2])
draw(axes[0], a, "a", rows=(0,))
draw(axes[1], m, "m", cols=(1,))
draw(axes[2], product, "a @ m", cells=((0, 1),))
plt.show()

# %%
# When the inner sizes disagree
# -----------------------------
# ``a @ b`` with two ``(2, 3)`` tensors fails: a row of ``a`` has 3 numbers but a column
# of ``b`` only 2. Often you meant ``a @ b.T``, which gives ``(2, 2)``.
try:
    a @ b
except RuntimeError as err:
    print(f"RuntimeError: {err}")
print(f"(a @ b.T).shape = {tuple((a @ b.T).shape)}")

# sphinx_gallery_start_ignore
assert (a @ b.T).shape == (2, 2)
# sphinx_gallery_end_ignore

# %%
# Conclusion
# ----------
# ``*`` (:func:`torch.mul`) needs matching or broadcastable shapes and keeps them;
# ``@`` (:func:`torch.matmul`) needs ``(n, k) @ (k, p)`` and gives ``(n, p)``. To see
# whether two shapes broadcast before you multiply, ask
# :func:`firsttorch.broadcast_shape`.
