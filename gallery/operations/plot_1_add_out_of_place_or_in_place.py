# /// script
# requires-python = ">=3.10"
# dependencies = ["firsttorch", "torch", "matplotlib"]
# ///
"""
============================
Add out of place or in place
============================

``x + y`` builds a new tensor and leaves ``x`` alone; ``x.add_(y)`` writes the result
into ``x``'s own memory. You will see the difference in the values and in the memory
addresses (:meth:`torch.Tensor.data_ptr`), which is what decides whether other names
for ``x`` see the change.
"""

# %%
# Out of place: a new tensor
# --------------------------
# We compute on the device :func:`firsttorch.pick_device` chooses. ``x + y`` returns a
# new tensor with its own memory; ``x`` still holds its old values.
import matplotlib.pyplot as plt
import torch

import firsttorch

device = firsttorch.pick_device()
x = torch.tensor([1.0, 2.0, 3.0]).to(device)
y = torch.tensor([10.0, 20.0, 30.0]).to(device)
x_address = x.data_ptr()

z = x + y
print(f"z = {z}")
print(f"x = {x}")
print(f"z has its own memory: {z.data_ptr() != x_address}")
before = {"x": x.tolist(), "y": y.tolist(), "z": z.tolist()}

# sphinx_gallery_start_ignore
assert x.tolist() == [1.0, 2.0, 3.0]
assert z.tolist() == [11.0, 22.0, 33.0]
assert z.data_ptr() != x_address
assert z.device.type == device.type
# sphinx_gallery_end_ignore

# %%
# In place: the same memory, new values
# -------------------------------------
# Methods whose name ends in an underscore, like :meth:`torch.Tensor.add_`, work in
# place: they overwrite ``x`` and return ``x`` itself. No new memory is used.
x.add_(y)
print(f"x = {x}")
print(f"x kept its memory: {x.data_ptr() == x_address}")
after = {"x": x.tolist(), "y": y.tolist()}

# sphinx_gallery_start_ignore
assert x.tolist() == [11.0, 22.0, 33.0]
assert x.data_ptr() == x_address
assert y.tolist() == [10.0, 20.0, 30.0]
# sphinx_gallery_end_ignore

# %%
# Picture the memory
# ------------------
# Each row of boxes is one block of memory. Out of place, a third block appears for
# ``z``; in place, ``x``'s block is overwritten and nothing new appears.


def draw_block(ax, row, name, values, colour):
    for k, value in enumerate(values):
        ax.add_patch(plt.Rectangle((k, -row), 1, 0.8, facecolor=colour, edgecolor="k"))
        ax.text(k + 0.5, -row + 0.4, f"{value:g}", ha="center", va="center")
    ax.text(-0.3, -row + 0.4, name, ha="right", va="center", family="monospace")


fig, (left, right) = plt.subplots(1, 2, figsize=(7, 2.6))
draw_block(left, 0, "x", before["x"], "#e5e7eb")
draw_block(left, 1, "y", before["y"], "#e5e7eb")
draw_block(left, 2, "z (new)", before["z"], "#86efac")
left.set_title("z = x + y: a third block", fontsize=10)
draw_block(right, 0, "x (same)", after["x"], "#fca5a5")
draw_block(right, 1, "y", after["y"], "#e5e7eb")
right.set_title("x.add_(y): x's block overwritten", fontsize=10)
for ax in (left, right):
    ax.set_xlim(-2.2, 3.2)
    ax.set_ylim(-2.4, 1.0)
    ax.axis("off")
fig.tight_layout()
plt.show()

# %%
# Other names see in-place changes
# --------------------------------
# ``alias = x`` does not copy: both names point at one tensor. ``x += y`` is in place, so
# ``alias`` follows; ``x = x + y`` makes a new tensor and only rebinds the name ``x``.
alias = x
x += y
print(f"after x += y:    alias = {alias}")
x = x + y
print(f"after x = x + y: alias = {alias}, x = {x}")

# sphinx_gallery_start_ignore
assert alias.tolist() == [21.0, 42.0, 63.0]
assert x.tolist() == [31.0, 62.0, 93.0]
assert alias.data_ptr() == x_address != x.data_ptr()
# sphinx_gallery_end_ignore

# %%
# Conclusion
# ----------
# Prefer out-of-place operations: they are easier to reason about and autograd always
# accepts them. Use in-place ones (:meth:`torch.Tensor.add_`, ``+=``) only to save
# memory on tensors nothing else still needs; autograd refuses some of them, and
# :func:`firsttorch.explain_autograd_errors` explains why.
