# /// script
# requires-python = ">=3.10"
# dependencies = ["torch", "numpy", "matplotlib"]
# ///
"""
===============================
Share memory with a NumPy array
===============================

PyTorch and NumPy can look at the same numbers without copying them. You will see which
conversions share memory and which copy, because a change through one name showing up
under another is either a free speed-up or a bug, depending on whether you expected it.
"""

# %%
# ``torch.from_numpy`` shares
# ---------------------------
# :func:`torch.from_numpy` wraps the array's memory in a tensor. Change the array and
# the tensor changes too.
import matplotlib.pyplot as plt
import numpy as np
import torch

array = np.array([1.0, 2.0, 3.0])
shared = torch.from_numpy(array)
array[0] = 100.0
print(f"array = {array}")
print(f"shared = {shared}")

# sphinx_gallery_start_ignore
assert shared[0].item() == 100.0
assert shared.dtype == torch.float64  # the array's dtype is kept
# sphinx_gallery_end_ignore

# %%
# ``torch.tensor`` copies
# -----------------------
# :func:`torch.tensor` always copies its data, so the new tensor no longer follows the
# array. Note the dtype: it keeps NumPy's ``float64`` here, unlike a Python list of floats,
# which gives ``float32``.
copied = torch.tensor(array)
array[1] = 200.0
print(f"array = {array}")
print(f"copied = {copied}")

# sphinx_gallery_start_ignore
assert copied[1].item() == 2.0
assert shared[1].item() == 200.0
assert copied.dtype == torch.float64
# sphinx_gallery_end_ignore

# %%
# ``Tensor.numpy`` shares the other way
# -------------------------------------
# :meth:`torch.Tensor.numpy` gives an array over the tensor's memory (CPU tensors only;
# call ``.cpu()`` first for a tensor on a GPU). An in-place change to the tensor shows
# in the array.
t = torch.zeros(3)
view = t.numpy()
t.add_(5)
print(f"t = {t}")
print(f"view = {view}")

# sphinx_gallery_start_ignore
assert view.tolist() == [5.0, 5.0, 5.0]
assert np.shares_memory(view, t.numpy())
# sphinx_gallery_end_ignore

# %%
# An out-of-place operation breaks the link
# -----------------------------------------
# ``t = t + 1`` builds a new tensor and rebinds the name ``t``; ``view`` still looks at
# the old memory, which did not change.
t = t + 1
print(f"t = {t}")
print(f"view = {view}")

# sphinx_gallery_start_ignore
assert t.tolist() == [6.0, 6.0, 6.0]
assert view.tolist() == [5.0, 5.0, 5.0]
# sphinx_gallery_end_ignore

# %%
# Picture who shares memory
# -------------------------
# Each row of boxes is one block of memory, found from the addresses the names point
# at, and labelled with every name that reads it. Names on the same row see each other's
# changes; names on different rows never do.
names = {"array": array, "shared": shared, "copied": copied, "view": view, "t": t}


def address(obj):
    return obj.data_ptr() if isinstance(obj, torch.Tensor) else obj.ctypes.data


blocks = {}
for name, obj in names.items():
    blocks.setdefault(address(obj), []).append(name)

fig, ax = plt.subplots(figsize=(6, 3))
for row, members in enumerate(blocks.values()):
    fill = "#bfdbfe" if len(members) > 1 else "#e5e7eb"
    for k, value in enumerate(names[members[0]].tolist()):
        ax.add_patch(plt.Rectangle((k, -row), 1, 0.8, facecolor=fill, edgecolor="k"))
        ax.text(k + 0.5, -row + 0.4, f"{value:g}", ha="center", va="center")
    ax.text(-0.3, -row + 0.4, " and ".join(members), ha="right", va="center")
ax.set_xlim(-3.2, 3.2)
ax.set_ylim(-len(blocks) + 0.6, 1.0)
ax.set_aspect("equal")
ax.axis("off")
ax.set_title("One row per block of memory: a shared block is blue", fontsize=10)
plt.show()

# sphinx_gallery_start_ignore
assert list(blocks.values()) == [["array", "shared"], ["copied"], ["view"], ["t"]]
assert np.shares_memory(array, shared.numpy())
assert not np.shares_memory(array, copied.numpy())
# sphinx_gallery_end_ignore

# %%
# Conclusion
# ----------
# :func:`torch.from_numpy` and :meth:`torch.Tensor.numpy` share memory;
# :func:`torch.tensor` copies. When you want an independent tensor from an array, copy
# on purpose with :func:`torch.tensor` (or :meth:`torch.Tensor.clone`). On a GPU nothing
# is shared with NumPy: moving data there with :func:`firsttorch.to_device` always copies.
