# /// script
# requires-python = ">=3.10"
# dependencies = ["firsttorch", "torch"]
# ///
"""
=============================
Read a broadcast step by step
=============================

:func:`firsttorch.explain_broadcast` spells out the broadcasting rule for the shapes you
give it: line them up on the right, then compare sizes one dimension at a time. You will
read one broadcast that works and one that cannot, with the fix it suggests.
"""

# %%
# A broadcast that works
# ----------------------
# A ``(3, 1)`` column against a ``(4,)`` vector. The shorter shape is padded with 1s on
# the left, then each size 1 stretches to match.
import torch

import firsttorch

print(firsttorch.explain_broadcast((3, 1), (4,)))

# sphinx_gallery_start_ignore
text = firsttorch.explain_broadcast((3, 1), (4,))
assert "padded to (1, 4)" in text
assert text.endswith("The result shape is (3, 4).")
assert torch.broadcast_shapes((3, 1), (4,)) == (3, 4)
# sphinx_gallery_end_ignore

# %%
# Tensors work too
# ----------------
# Pass tensors instead of shapes and you get the same explanation. Here a batch of 2
# images, 3 channels of 4 x 4 pixels, is scaled by one number per channel.
images = torch.zeros(2, 3, 4, 4)
per_channel = torch.tensor([0.5, 1.0, 2.0]).reshape(3, 1, 1)
print(firsttorch.explain_broadcast(images, per_channel))
print(f"(images * per_channel).shape = {tuple((images * per_channel).shape)}")

# sphinx_gallery_start_ignore
assert (images * per_channel).shape == (2, 3, 4, 4)
assert "The result shape is (2, 3, 4, 4)." in firsttorch.explain_broadcast(images, per_channel)
# sphinx_gallery_end_ignore

# %%
# A broadcast that cannot work
# ----------------------------
# ``(3, 4)`` against ``(4, 3)``: at the last dimension 4 meets 3 and neither is 1.
# ``explain_broadcast`` does not raise; it says where the conflict is and how to fix it.
print(firsttorch.explain_broadcast((3, 4), (4, 3)))

# sphinx_gallery_start_ignore
text = firsttorch.explain_broadcast((3, 4), (4, 3))
assert "Conflict at dim -1: 4 (input 0, dim 1) vs 3 (input 1, dim 1)." in text
assert ".T" in text
# sphinx_gallery_end_ignore

# %%
# Compare the errors
# ------------------
# Adding such tensors makes PyTorch raise a :class:`RuntimeError`.
# :func:`firsttorch.broadcast_shape` raises :class:`firsttorch.BroadcastError` instead,
# which shows both shapes lined up; it is also a ``RuntimeError``, so existing
# ``except RuntimeError`` code still catches it.
a, b = torch.zeros(3, 4), torch.zeros(4, 3)
try:
    a + b
except RuntimeError as err:
    print(f"RuntimeError: {err}")
try:
    firsttorch.broadcast_shape(a, b)
except firsttorch.BroadcastError as err:
    print(f"BroadcastError: {err}")
print(f"fixed with .T: {tuple((a + b.T).shape)}")

# sphinx_gallery_start_ignore
assert issubclass(firsttorch.BroadcastError, RuntimeError)
assert (a + b.T).shape == (3, 4)
# sphinx_gallery_end_ignore

# %%
# Conclusion
# ----------
# The rule is short: align the shapes on the right; each pair of sizes must be equal or
# contain a 1, which stretches. Ask :func:`firsttorch.explain_broadcast` when a shape
# surprises you, and :func:`firsttorch.broadcast_shape` (or
# :func:`torch.broadcast_shapes`) when you only need the result.
