# /// script
# requires-python = ">=3.10"
# dependencies = ["firsttorch", "torch", "matplotlib"]
# ///
"""
=============================
Read a broadcast step by step
=============================

:func:`firsttorch.explain_broadcast` spells out the broadcasting rule for the shapes you
give it: line them up on the right, then compare sizes one dimension at a time. You will
read one broadcast that works, see it drawn as a table of sizes, and read one that
cannot work, with the fix it suggests.
"""

# %%
# A broadcast that works
# ----------------------
# A ``(3, 1)`` column against a ``(4,)`` vector. The shorter shape is padded with 1s on
# the left, then each size 1 stretches to match.
import matplotlib.pyplot as plt
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
# Picture the alignment
# ---------------------
# The same explanation as a table of sizes, one column per dimension, counted from the
# right. The hatched cell is the 1 padded on the left of ``(3, 1, 1)``; orange cells are
# sizes 1 that stretch. Every size in the last row is one that both inputs agree on, or
# the size a 1 stretched to.
shapes = {"images": tuple(images.shape), "per_channel": tuple(per_channel.shape)}
result = tuple(torch.broadcast_shapes(*shapes.values()))
n_dims = len(result)
fills = {"kept": "#88c0e8", "stretched": "#f5b971", "padded": "#ffffff", "result": "#cdbbe8"}
rows = [*shapes.items(), ("result", result)]
fig, ax = plt.subplots(figsize=(6, 3))
cells = []  # (row name, text, kind) for every cell drawn
for r, (name, shape) in enumerate(rows):
    padded = (None,) * (n_dims - len(shape)) + shape  # None marks a padded dimension
    y = len(rows) - 1 - r
    ax.text(-0.15, y + 0.5, f"{name} {shape}", ha="right", va="center", fontsize=9)
    for d, (size, target) in enumerate(zip(padded, result, strict=True)):
        if name == "result":
            kind, text = "result", str(size)
        elif size is None:
            kind, text = "padded", f"1 → {target}"
        elif size != target:
            kind, text = "stretched", f"{size} → {target}"
        else:
            kind, text = "kept", str(size)
        is_pad = kind == "padded"
        ax.add_patch(
            plt.Rectangle(
                (d * 1.1, y + 0.1),
                1,
                0.8,
                facecolor=fills[kind],
                edgecolor="#555555" if is_pad else "black",
                hatch="///" if is_pad else None,
                linestyle="--" if is_pad else "-",
            )
        )
        box = {"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"}
        ax.text(
            d * 1.1 + 0.5, y + 0.5, text, ha="center", va="center", bbox=box if is_pad else None
        )
        cells.append((name, text, kind))
for d in range(n_dims):
    ax.text(d * 1.1 + 0.5, len(rows) + 0.1, f"dim {d - n_dims}", ha="center", fontsize=9)
ax.text(
    0.6,
    -0.35,
    "hatched: a 1 padded on the left;  orange: a size 1 that stretches",
    ha="center",
    va="top",
    fontsize=8.5,
)
ax.set_xlim(-3.3, 4.5)
ax.set_ylim(-0.8, 3.7)
ax.axis("off")
ax.set_title("Line the shapes up on the right, then stretch each 1", fontsize=10)
plt.show()

# sphinx_gallery_start_ignore
# The table matches the explanation above: padded to (1, 3, 1, 1), dims -1, -2 and -4
# stretch, dim -3 is equal, and the result row is PyTorch's broadcast shape.
assert "(3, 1, 1) padded to (1, 3, 1, 1)" in firsttorch.explain_broadcast(images, per_channel)
assert cells == [
    *[("images", str(n), "kept") for n in (2, 3, 4, 4)],
    ("per_channel", "1 → 2", "padded"),
    ("per_channel", "3", "kept"),
    ("per_channel", "1 → 4", "stretched"),
    ("per_channel", "1 → 4", "stretched"),
    *[("result", str(n), "result") for n in (2, 3, 4, 4)],
]
assert result == tuple((images * per_channel).shape)
assert [patch.get_hatch() for patch in ax.patches].count("///") == 1
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
