# /// script
# requires-python = ">=3.10"
# dependencies = ["torch", "numpy"]
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
# Conclusion
# ----------
# :func:`torch.from_numpy` and :meth:`torch.Tensor.numpy` share memory;
# :func:`torch.tensor` copies. When you want an independent tensor from an array, copy
# on purpose with :func:`torch.tensor` (or :meth:`torch.Tensor.clone`). On a GPU nothing
# is shared with NumPy: moving data there with :func:`firsttorch.to_device` always copies.
