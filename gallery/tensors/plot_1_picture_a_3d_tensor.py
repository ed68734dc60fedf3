# /// script
# requires-python = ">=3.10"
# dependencies = ["firsttorch", "torch", "matplotlib"]
# ///
"""
==============================
Picture a 3-D tensor as layers
==============================

A 3-D tensor is a stack of 2-D tables. Here you build one with :func:`torch.arange` and
draw each layer, so the shape ``(2, 2, 3)`` becomes something you can see.
"""

# %%
# Build the tensor
# ----------------
# :func:`torch.arange` counts from 0; ``reshape`` folds the 12 numbers into 2 layers of
# 2 rows and 3 columns.
import matplotlib.pyplot as plt
import torch

t = torch.arange(1, 13).reshape(2, 2, 3)
print(f"t.shape = {t.shape}")
print(f"t = {t}")

# sphinx_gallery_start_ignore
assert t.shape == (2, 2, 3)
assert t[1, 0, 0].item() == 7
# sphinx_gallery_end_ignore

# %%
# Draw each layer
# ---------------
# Layer ``t[k]`` is an ordinary 2-D table.
fig, axes = plt.subplots(1, 2, figsize=(6, 2.4))
for k, ax in enumerate(axes):
    ax.imshow(t[k], cmap="Blues", vmin=0, vmax=13)
    for i in range(2):
        for j in range(3):
            ax.text(j, i, str(int(t[k, i, j])), ha="center", va="center")
    ax.set_title(f"t[{k}]")
    ax.set_xticks([])
    ax.set_yticks([])
plt.show()

# %%
# A block with a repr
t.sum()
