# /// script
# requires-python = ">=3.10"
# dependencies = ["torch", "matplotlib"]
# ///
"""
===================================
Follow a tensor's strides to memory
===================================

A tensor's numbers live in one flat row of memory, its *storage*; the shape and the
*strides* say how to find element ``[i, j]`` in it. You will see a ``(3, 4)`` tensor and
its transpose share one storage, drawn cell by cell, and why that makes ``.view`` fail
where ``.reshape`` works.
"""

# %%
# Strides of a (3, 4) tensor
# --------------------------
# :meth:`torch.Tensor.stride` gives, per dimension, how many elements to skip in storage
# to move one step along it: 4 to go down a row, 1 to go right along a row. (The values
# are tens, so you can tell them apart from storage positions.)
import matplotlib.pyplot as plt
import torch

x = torch.arange(12).reshape(3, 4) * 10
print(f"x = {x}")
print(f"x.shape = {tuple(x.shape)}, x.stride() = {x.stride()}")

# sphinx_gallery_start_ignore
assert x.shape == (3, 4)
assert x.stride() == (4, 1)
assert x.is_contiguous()
# sphinx_gallery_end_ignore

# %%
# The transpose moves nothing
# ---------------------------
# ``x.T`` is a new *view* of the same storage: the shape and strides are swapped and
# not a single number is copied.
xt = x.T
same_storage = xt.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
print(f"xt.shape = {tuple(xt.shape)}, xt.stride() = {xt.stride()}")
print(f"same storage as x: {same_storage}")
print(f"xt.is_contiguous() = {xt.is_contiguous()}")

# sphinx_gallery_start_ignore
assert xt.shape == (4, 3)
assert xt.stride() == (1, 4)
assert same_storage
assert xt.data_ptr() == x.data_ptr()
assert not xt.is_contiguous()
# sphinx_gallery_end_ignore

# %%
# Find an element by hand
# -----------------------
# Element ``[i, j]`` sits at position ``i * stride[0] + j * stride[1]`` in storage.
# ``x[1, 2]`` and ``xt[2, 1]`` land on the same position, so they are the same number.
storage = x.flatten()  # x is contiguous, so this is its storage in order
pos_x = 1 * x.stride(0) + 2 * x.stride(1)
pos_xt = 2 * xt.stride(0) + 1 * xt.stride(1)
print(f"x[1, 2] is at position {pos_x}; storage[{pos_x}] = {storage[pos_x].item()}")
print(f"xt[2, 1] is at position {pos_xt}; xt[2, 1] = {xt[2, 1].item()}")

# sphinx_gallery_start_ignore
assert pos_x == pos_xt == 6
assert x[1, 2].item() == xt[2, 1].item() == storage[6].item() == 60
# sphinx_gallery_end_ignore

# %%
# Draw the storage and both views
# -------------------------------
# Each storage slot has its own colour. Every cell of ``x`` and ``xt`` is painted with
# the colour of the slot it reads, and labelled with the position it computes.
colours = plt.get_cmap("Set3")(range(12))


def draw_grid(ax, t, title):
    rows, cols = t.shape
    s0, s1 = t.stride()
    for i in range(rows):
        for j in range(cols):
            pos = i * s0 + j * s1
            ax.add_patch(plt.Rectangle((j, -i), 1, 1, facecolor=colours[pos], edgecolor="k"))
            ax.text(j + 0.5, -i + 0.62, str(t[i, j].item()), ha="center", fontsize=11)
            ax.text(j + 0.5, -i + 0.18, f"@{pos}", ha="center", fontsize=7, color="#333")
    ax.set_xlim(-0.2, cols + 0.2)
    ax.set_ylim(-rows + 0.8, 1.2)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"{title}: shape {tuple(t.shape)}, stride {t.stride()}", fontsize=9)


fig = plt.figure(figsize=(7, 4.2))
grid = fig.add_gridspec(2, 2, height_ratios=[1, 2.2])
ax_storage = fig.add_subplot(grid[0, :])
for pos in range(12):
    ax_storage.add_patch(plt.Rectangle((pos, 0), 1, 1, facecolor=colours[pos], edgecolor="k"))
    ax_storage.text(pos + 0.5, 0.42, str(storage[pos].item()), ha="center", fontsize=11)
    ax_storage.text(pos + 0.5, -0.45, str(pos), ha="center", fontsize=7, color="#333")
ax_storage.set_xlim(-0.2, 12.2)
ax_storage.set_ylim(-0.7, 1.3)
ax_storage.set_aspect("equal")
ax_storage.axis("off")
ax_storage.set_title("one storage: 12 numbers in a row (position underneath)", fontsize=9)
draw_grid(fig.add_subplot(grid[1, 0]), x, "x")
draw_grid(fig.add_subplot(grid[1, 1]), xt, "xt = x.T")
plt.show()

# %%
# Why ``.view`` refuses the transpose
# -----------------------------------
# :meth:`torch.Tensor.view` only relabels the storage, so it needs the elements in
# storage order. Read row by row, ``xt`` is 0, 40, 80, 10, ... which is not that order,
# so ``view`` raises and :meth:`torch.Tensor.reshape` copies instead.
try:
    xt.view(12)
except RuntimeError as err:
    print(f"RuntimeError: {err}")
flat = xt.reshape(12)
print(f"xt.reshape(12) = {flat}")
print(f"reshape copied: {flat.data_ptr() != x.data_ptr()}")

# sphinx_gallery_start_ignore
assert flat.tolist() == [0, 40, 80, 10, 50, 90, 20, 60, 100, 30, 70, 110]
assert flat.data_ptr() != x.data_ptr()
assert x.reshape(12).data_ptr() == x.data_ptr()  # contiguous: reshape returns a view
# sphinx_gallery_end_ignore

# %%
# Conclusion
# ----------
# Shape and strides are the whole difference between ``x`` and ``x.T``: transposing,
# slicing and :meth:`torch.Tensor.expand` make views, never copies. When an operation
# needs storage order, :meth:`torch.Tensor.contiguous` or :meth:`torch.Tensor.reshape`
# copies for you. The same idea lets broadcasting stretch a tensor for free, with a
# stride of 0 (see :func:`firsttorch.explain_broadcast`).
