# /// script
# requires-python = ">=3.10"
# dependencies = ["firsttorch", "torch", "matplotlib"]
# ///
"""
==========================
Move a batch to the device
==========================

A batch of data is rarely one tensor: it is a dict of tensors, lists and labels. You
will move a whole nested batch with :func:`firsttorch.to_device` in one call, check
that the original is untouched, and see the error that names the tensor left behind.
"""

# %%
# A nested batch
# --------------
# Two images of 2 x 3 pixels, their labels, and some bookkeeping that is not a tensor.
# We seed before drawing random numbers, and draw them on the CPU.
import torch

import firsttorch

torch.manual_seed(0)
batch = {
    "images": torch.rand(2, 2, 3),
    "labels": torch.tensor([3, 7]),
    "extra": {"mask": torch.tensor([True, False]), "ids": [101, 102]},
    "split": "train",
}
print(f"labels = {batch['labels']}")
print(f"images[0] = {batch['images'][0]}")

# sphinx_gallery_start_ignore
assert batch["images"].shape == (2, 2, 3)
# sphinx_gallery_end_ignore

# %%
# Move it in one call
# -------------------
# :func:`firsttorch.to_device` walks dicts, lists, tuples and dataclasses and moves
# every tensor it finds, rebuilding the containers; anything else (numbers, strings)
# comes back as it was. The values do not change.
device = firsttorch.pick_device()
moved = firsttorch.to_device(batch, device)
images, labels = moved["images"], moved["labels"]
tensors = [images, labels, moved["extra"]["mask"]]
print(f"every tensor on the device: {all(t.device.type == device.type for t in tensors)}")
print(f"labels = {labels}")
print(f"images[0] = {images[0]}")
print(f"ids = {moved['extra']['ids']}, split = {moved['split']!r}")

# sphinx_gallery_start_ignore
assert all(t.device.type == device.type for t in tensors)
assert torch.equal(images.cpu(), batch["images"])
assert moved["extra"]["ids"] == [101, 102]
assert moved["split"] is batch["split"]
# sphinx_gallery_end_ignore

# %%
# Draw the first image before and after the move: the same pixels. To draw a tensor
# that lives on a GPU, bring it back with ``.cpu()`` first, because matplotlib reads
# CPU memory.
import matplotlib.pyplot as plt

fig, axes = plt.subplots(1, 2, figsize=(6, 2.6))
pictures = [("batch['images'][0]", batch["images"][0]), ("moved['images'][0]", images[0].cpu())]
for ax, (title, picture) in zip(axes, pictures, strict=True):
    ax.imshow(picture.numpy(), cmap="viridis", vmin=0, vmax=1)
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("The same 2 x 3 pixels before and after to_device")
fig.tight_layout()
plt.show()

# sphinx_gallery_start_ignore
assert torch.equal(images[0].cpu(), batch["images"][0])
assert [ax.get_title() for ax in axes] == ["batch['images'][0]", "moved['images'][0]"]
# sphinx_gallery_end_ignore

# %%
# The original batch is untouched
# -------------------------------
# ``to_device`` returns new containers and never changes yours: the original batch
# still holds CPU tensors.
print(f"batch['images'].device = {batch['images'].device}")
print(f"a new dict: {moved is not batch}")

# sphinx_gallery_start_ignore
assert batch["images"].device.type == "cpu"
assert moved is not batch
assert moved["extra"] is not batch["extra"]
# sphinx_gallery_end_ignore

# %%
# Find the tensor you forgot
# --------------------------
# Mixing devices in one operation fails. :func:`firsttorch.check_same_device` names
# every tensor and its device. To show the error on any machine we put the weights on
# the ``meta`` device, which holds shapes but no numbers.
weights = torch.zeros(3, device="meta")
try:
    firsttorch.check_same_device(labels=batch["labels"], weights=weights)
except firsttorch.DeviceMismatchError as err:
    print(f"DeviceMismatchError: {err}")

# sphinx_gallery_start_ignore
raised = None
try:
    firsttorch.check_same_device(labels=batch["labels"], weights=weights)
except firsttorch.DeviceMismatchError as err:
    raised = err
assert raised is not None
assert "weights  meta" in str(raised)
# sphinx_gallery_end_ignore

# %%
# Conclusion
# ----------
# Move each batch once with :func:`firsttorch.to_device` right before you compute, and
# call :func:`firsttorch.check_same_device` when an operation complains about devices.
# Models are different: move them yourself with ``model.to(device)``
# (:meth:`torch.nn.Module.to`), which ``to_device`` refuses to do behind your back.
