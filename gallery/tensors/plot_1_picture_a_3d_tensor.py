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
# ``torch.arange(1, 13)`` counts from 1 up to, but not including, 13: the numbers 1 to
# 12. ``reshape`` folds those 12 numbers into 2 layers of 2 rows and 3 columns.
import matplotlib.pyplot as plt
import torch

t = torch.arange(1, 13).reshape(2, 2, 3)
print(f"t.shape = {t.shape}")
print(f"t = {t}")

# sphinx_gallery_start_ignore
assert t.shape == (2, 2, 3)
assert t.flatten().tolist() == list(range(1, 13))
assert t[1, 0, 0].item() == 7
# sphinx_gallery_end_ignore

# %%
# Draw each layer
# ---------------
# Layer ``t[k]`` is an ordinary 2-D table. The darker the cell, the larger its number;
# numbers on dark cells are written in white so that they stay readable.
cmap = plt.get_cmap("Blues")
vmin, vmax = 0, 13


def text_colour(value):
    """Black on light fills, white on dark ones (by the fill's relative luminance)."""
    r, g, b, _ = cmap((value - vmin) / (vmax - vmin))
    channels = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    luminance = 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
    return ("black" if luminance > 0.18 else "white"), luminance


fig, axes = plt.subplots(1, 2, figsize=(6, 2.4))
for k, ax in enumerate(axes):
    ax.imshow(t[k], cmap=cmap, vmin=vmin, vmax=vmax)
    for i in range(2):
        for j in range(3):
            value = int(t[k, i, j])
            colour, _ = text_colour(value)
            ax.text(j, i, str(value), ha="center", va="center", color=colour)
    ax.set_title(f"layer t[{k}]: 2 rows, 3 columns", fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
plt.show()

# sphinx_gallery_start_ignore
# Every number passes WCAG AA (contrast 4.5:1) against its own cell's fill.
for value in t.flatten().tolist():
    colour, lum = text_colour(value)
    text_lum = 0.0 if colour == "black" else 1.0
    contrast = (max(lum, text_lum) + 0.05) / (min(lum, text_lum) + 0.05)
    assert contrast >= 4.5, (value, colour, contrast)
assert text_colour(1)[0] == "black"
assert text_colour(12)[0] == "white"
# sphinx_gallery_end_ignore

# %%
# Conclusion
# ----------
# Indexing with one number, ``t[k]``, picks a whole layer: a 2-D tensor of shape
# ``(2, 3)``. Read a shape from the outside in: layers, then rows, then columns. More in
# :func:`torch.arange` and :meth:`torch.Tensor.reshape`.
