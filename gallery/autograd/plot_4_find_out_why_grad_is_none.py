# /// script
# requires-python = ">=3.10"
# dependencies = ["firsttorch", "torch", "matplotlib"]
# ///
"""
==========================
Find out why .grad is None
==========================

After ``backward()``, ``.grad`` is sometimes ``None`` and PyTorch does not say why.
:func:`firsttorch.inspect_grad` reports a tensor's autograd state with a note on each
confusing part. You will meet the four usual reasons and the fix for each.
"""

# %%
# Before backward
# ---------------
# A tensor you create with ``requires_grad`` is a *leaf*. Its ``.grad`` stays ``None``
# until a ``backward()`` reaches it. We create it on the device
# :func:`firsttorch.pick_device` chooses, then switch on ``requires_grad``.
import matplotlib.pyplot as plt
import torch

import firsttorch

device = firsttorch.pick_device()
w = torch.tensor([1.0, 2.0]).to(device).requires_grad_()
print(f"w.grad = {w.grad}")
print(f"inspect_grad(w) -> {firsttorch.inspect_grad(w)}")

# sphinx_gallery_start_ignore
assert w.is_leaf
assert w.grad is None
assert "backward() has not reached this tensor yet" in str(firsttorch.inspect_grad(w))
# sphinx_gallery_end_ignore

# %%
# Intermediate results keep no ``.grad``
# --------------------------------------
# ``h = w * 2`` is made by an operation, so it is not a leaf. After ``backward()``,
# ``w.grad`` is filled but ``h``'s is not, unless you asked with ``h.retain_grad()``
# before the backward.
h = w * 2
kept = w * 3
kept.retain_grad()
loss = (h**2).sum() + kept.sum()
loss.backward()
print(f"w.grad = {w.grad}")
print(f"inspect_grad(h) -> {firsttorch.inspect_grad(h)}")
print(f"kept.grad = {kept.grad}")

# sphinx_gallery_start_ignore
assert w.grad.tolist() == [11.0, 19.0]  # d/dw of sum((2w)^2) + sum(3w) = 8w + 3
assert not h.is_leaf
assert not firsttorch.inspect_grad(h).has_grad
assert kept.grad.tolist() == [1.0, 1.0]
# sphinx_gallery_end_ignore

# %%
# Converting makes a new tensor too
# ---------------------------------
# Any operation makes a non-leaf, a change of dtype or device included. Here the
# ``float64`` copy never gets a ``.grad``; to have one, convert first and switch on
# ``requires_grad`` last, as we did for ``w``.
w64 = w.double()
print(f"inspect_grad(w64) -> {firsttorch.inspect_grad(w64)}")

# sphinx_gallery_start_ignore
assert not w64.is_leaf
assert firsttorch.inspect_grad(w64).grad_fn == "ToCopyBackward0"
# sphinx_gallery_end_ignore

# %%
# Computed under ``torch.no_grad``
# --------------------------------
# Inside :class:`torch.no_grad` nothing is recorded, so the result is cut off from
# ``w``: no gradient can flow through it.
with torch.no_grad():
    frozen = w * 3
print(f"inspect_grad(frozen) -> {firsttorch.inspect_grad(frozen)}")

# sphinx_gallery_start_ignore
assert not frozen.requires_grad
assert "does not require grad" in str(firsttorch.inspect_grad(frozen))
# sphinx_gallery_end_ignore

# %%
# Integers cannot have gradients
# ------------------------------
# Only floating point (and complex) tensors can require grad; asking for it on an
# integer tensor raises. Write ``1.0`` rather than ``1``, or call ``.float()``.
try:
    torch.tensor([1, 2], requires_grad=True)
except RuntimeError as err:
    print(f"RuntimeError: {err}")
print(f"inspect_grad(counts) -> {firsttorch.inspect_grad(torch.tensor([1, 2]))}")

# sphinx_gallery_start_ignore
assert "dtype torch.int64 cannot require grad" in str(firsttorch.inspect_grad(torch.tensor([1, 2])))
# sphinx_gallery_end_ignore

# %%
# The cases side by side
# ----------------------
# One row per tensor of this page, one column per question :func:`firsttorch.inspect_grad`
# answers. ``.grad`` is filled only where the tensor requires grad and is either a leaf
# or asked for ``retain_grad()``.
tensors = {
    "w": w,
    "h = w * 2": h,
    "kept (retain_grad)": kept,
    "w64 = w.double()": w64,
    "frozen (no_grad)": frozen,
}
columns = ["requires grad", "leaf", "retain_grad()", ".grad filled"]
rows = []
for t in tensors.values():
    info = firsttorch.inspect_grad(t)
    rows.append([info.requires_grad, info.is_leaf, t.retains_grad, info.has_grad])
fig, ax = plt.subplots(figsize=(6, 3))
for r, row in enumerate(rows):
    for c, answer in enumerate(row):
        fill = "#bfdbfe" if answer else "#f3f4f6"
        ax.add_patch(plt.Rectangle((c, -r - 1), 1, 1, facecolor=fill, edgecolor="white", lw=2))
        ax.text(c + 0.5, -r - 0.5, "yes" if answer else "no", ha="center", va="center", fontsize=10)
for r, name in enumerate(tensors):
    ax.text(-0.1, -r - 0.5, name, ha="right", va="center", fontsize=9, family="monospace")
for c, name in enumerate(columns):
    ax.text(c + 0.5, 0.25, name, ha="center", va="bottom", fontsize=9)
ax.set_xlim(-2.4, len(columns))
ax.set_ylim(-len(rows) - 0.1, 0.9)
ax.axis("off")
ax.set_title("Which tensors get a .grad after backward()", fontsize=10)
fig.tight_layout()
plt.show()

# sphinx_gallery_start_ignore
assert rows == [
    [True, True, False, True],
    [True, False, False, False],
    [True, False, True, True],
    [True, False, False, False],
    [False, True, False, False],
]
# sphinx_gallery_end_ignore

# %%
# Conclusion
# ----------
# ``.grad`` is filled only on leaf tensors that require grad, by a ``backward()`` that
# reached them. When it is ``None``, print :func:`firsttorch.inspect_grad` of the
# tensor; for errors raised inside ``backward()`` itself, wrap the code in
# :func:`firsttorch.explain_autograd_errors`. PyTorch's own reference is
# :attr:`torch.Tensor.grad` and :attr:`torch.Tensor.is_leaf`.
