# /// script
# requires-python = ">=3.10"
# dependencies = ["firsttorch", "torch", "matplotlib"]
# ///
"""
==========================================
Catch a shape bug with strict broadcasting
==========================================

A model's predictions of shape ``(8, 1)`` minus targets of shape ``(8,)`` is legal
PyTorch: it broadcasts to an ``(8, 8)`` table, and the loss comes out as a plausible
but wrong number. You will see the bug, a picture of what went wrong, and
:class:`firsttorch.strict_broadcasting` stopping it at the line that causes it.
"""

# %%
# A loss that runs and is wrong
# -----------------------------
# We draw predictions and targets on the CPU after seeding, then move them to the
# device :func:`firsttorch.pick_device` chooses. Nothing complains, and the two losses
# differ.
import matplotlib.pyplot as plt
import torch

import firsttorch

device = firsttorch.pick_device()
torch.manual_seed(0)
pred = torch.randn(8, 1).to(device)  # one prediction per row, as a model returns it
target = torch.randn(8).to(device)

wrong = ((pred - target) ** 2).mean()
right = ((pred.squeeze(1) - target) ** 2).mean()
print(f"(pred - target).shape = {tuple((pred - target).shape)}")
print(f"wrong loss = {wrong.item():.4f}")
print(f"right loss = {right.item():.4f}")

# sphinx_gallery_start_ignore
assert (pred - target).shape == (8, 8)
assert abs(wrong.item() - right.item()) > 0.1
# sphinx_gallery_end_ignore

# %%
# Picture the mistake
# -------------------
# ``pred - target`` compared every prediction with every target. Only the diagonal,
# prediction ``i`` minus target ``i``, is what we meant; the mean ran over all 64 cells.
diff = (pred - target).cpu()
fig, ax = plt.subplots(figsize=(4, 3.4))
image = ax.imshow(diff, cmap="coolwarm", vmin=-4, vmax=4)
for i in range(8):
    ax.add_patch(plt.Rectangle((i - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="k", lw=2))
ax.set_xlabel("target index")
ax.set_ylabel("prediction index")
ax.set_title("pred - target: (8, 8), only the diagonal was meant", fontsize=9)
fig.colorbar(image, ax=ax)
plt.show()

# sphinx_gallery_start_ignore
assert torch.allclose(diff.diagonal(), (pred.squeeze(1) - target).cpu())
assert diff.abs().max().item() < 4  # the colour scale covers every cell
# sphinx_gallery_end_ignore

# %%
# Stop it where it happens
# ------------------------
# Inside ``with firsttorch.strict_broadcasting():`` an element-wise operation whose
# result shape matches neither operand raises
# :class:`firsttorch.SurprisingBroadcastError` before it runs, naming the line and the
# fix.
try:
    with firsttorch.strict_broadcasting():
        loss = ((pred - target) ** 2).mean()
except firsttorch.SurprisingBroadcastError as err:
    print(f"SurprisingBroadcastError: {err}")

# sphinx_gallery_start_ignore
raised = None
try:
    with firsttorch.strict_broadcasting():
        (pred - target) ** 2
except firsttorch.SurprisingBroadcastError as err:
    raised = err
assert raised is not None
assert "(8, 8)" in str(raised)
# sphinx_gallery_end_ignore

# %%
# Ordinary broadcasts still pass
# ------------------------------
# The fixed loss runs inside the block, and so does adding a bias of shape ``(3,)`` to a
# ``(8, 3)`` batch: its result has the batch's shape, so nothing is surprising.
torch.manual_seed(0)
batch = torch.randn(8, 3).to(device)
bias = torch.tensor([0.1, 0.2, 0.3]).to(device)
with firsttorch.strict_broadcasting():
    loss = ((pred.squeeze(1) - target) ** 2).mean()
    shifted = batch + bias
print(f"loss = {loss.item():.4f}")
print(f"shifted.shape = {tuple(shifted.shape)}")

# sphinx_gallery_start_ignore
assert torch.isclose(loss, right)
assert shifted.shape == (8, 3)
# sphinx_gallery_end_ignore

# %%
# Conclusion
# ----------
# Wrap a training step or a loss function in :class:`firsttorch.strict_broadcasting`
# (it also works as a decorator) while you develop. ``policy="rank"`` is stricter and
# flags every implicit change of rank. To understand a shape it flags, ask
# :func:`firsttorch.explain_broadcast`; PyTorch's own rule is
# :func:`torch.broadcast_shapes`.
