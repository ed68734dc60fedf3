# /// script
# requires-python = ">=3.10"
# dependencies = ["torch", "matplotlib"]
# ///
"""
=====================
Sum along a dimension
=====================

Reductions such as :meth:`torch.Tensor.sum` and :meth:`torch.Tensor.mean` collapse a
tensor along the dimension you name with ``dim``. You will see, in numbers and in a
picture, that ``dim=0`` adds down the columns and ``dim=1`` along the rows: the
dimension you name is the one that disappears.
"""

# %%
# Sum everything
# --------------
# With no ``dim``, ``sum`` adds all the elements into a 0-d tensor.
import matplotlib.pyplot as plt
import torch

x = torch.tensor([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]])
total = x.sum()
print(f"x.shape = {tuple(x.shape)}")
print(f"x.sum() = {total}, shape {tuple(total.shape)}")

# sphinx_gallery_start_ignore
assert total.item() == 78
assert total.shape == ()
# sphinx_gallery_end_ignore

# %%
# Sum over dim 0 and over dim 1
# -----------------------------
# ``dim=0`` walks down dimension 0 (the rows), so each column is added up and the
# result has one number per column. ``dim=1`` adds along each row.
down = x.sum(dim=0)
across = x.sum(dim=1)
print(f"x.sum(dim=0) = {down}, shape {tuple(down.shape)}")
print(f"x.sum(dim=1) = {across}, shape {tuple(across.shape)}")

# sphinx_gallery_start_ignore
assert down.tolist() == [15, 18, 21, 24]
assert down.shape == (4,)
assert across.tolist() == [10, 26, 42]
assert across.shape == (3,)
# sphinx_gallery_end_ignore

# %%
# Picture both reductions
# -----------------------
# The arrows show which numbers are added together; the green cells are the result.


def draw(ax, dim):
    for i in range(3):
        for j in range(4):
            ax.add_patch(plt.Rectangle((j, -i), 1, 1, facecolor="#dbeafe", edgecolor="k"))
            ax.text(j + 0.5, -i + 0.5, str(x[i, j].item()), ha="center", va="center")
    sums = x.sum(dim=dim)
    for k, value in enumerate(sums.tolist()):
        cell = (k, -3.3) if dim == 0 else (4.3, -k)
        ax.add_patch(plt.Rectangle(cell, 1, 1, facecolor="#86efac", edgecolor="k"))
        ax.text(cell[0] + 0.5, cell[1] + 0.5, str(value), ha="center", va="center")
        if dim == 0:  # an arrow down column k, beside the numbers
            start, end = (k + 0.85, 0.95), (k + 0.85, -2.25)
        else:  # an arrow along row k, under the numbers
            start, end = (0.05, -k + 0.15), (4.25, -k + 0.15)
        ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "->", "color": "#2563eb"})
    ax.set_xlim(-0.3, 5.6)
    ax.set_ylim(-3.6, 1.3)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"x.sum(dim={dim}) -> shape {tuple(sums.shape)}", fontsize=10)


fig, axes = plt.subplots(1, 2, figsize=(7, 3))
draw(axes[0], 0)
draw(axes[1], 1)
plt.show()

# %%
# Keep the dimension with ``keepdim=True``
# ----------------------------------------
# ``keepdim=True`` leaves a size-1 dimension where the reduced one was. The result then
# broadcasts straight back against ``x``: here each row is divided by its own sum.
row_sums = x.sum(dim=1, keepdim=True)
shares = x / row_sums
print(f"row_sums.shape = {tuple(row_sums.shape)}")
print(f"shares = {shares}")
print(f"shares.sum(dim=1) = {shares.sum(dim=1)}")

# sphinx_gallery_start_ignore
assert row_sums.shape == (3, 1)
assert shares.shape == (3, 4)
assert torch.allclose(shares.sum(dim=1), torch.ones(3))
# sphinx_gallery_end_ignore

# %%
# ``mean`` needs floating point numbers
# -------------------------------------
# The mean of integers is usually not an integer, so :meth:`torch.Tensor.mean` refuses
# an integer tensor. Convert it first with ``.float()``.
try:
    x.mean(dim=1)
except RuntimeError as err:
    print(f"RuntimeError: {err}")
means = x.float().mean(dim=1)
print(f"x.float().mean(dim=1) = {means}")

# sphinx_gallery_start_ignore
assert means.tolist() == [2.5, 6.5, 10.5]
# sphinx_gallery_end_ignore

# %%
# Conclusion
# ----------
# The ``dim`` you pass is the dimension that goes away (or shrinks to 1 with
# ``keepdim=True``). The same rule holds for :func:`torch.mean`, :func:`torch.amax` and
# the other reductions, and ``keepdim=True`` results broadcast back cleanly; see
# :func:`firsttorch.explain_broadcast` for the broadcasting rules.
