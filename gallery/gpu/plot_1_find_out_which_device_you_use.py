# /// script
# requires-python = ">=3.10"
# dependencies = ["firsttorch", "torch", "matplotlib"]
# ///
"""
=============================
Find out which device you use
=============================

PyTorch computes where your tensors live: on the CPU unless you move them. You will ask
:func:`firsttorch.pick_device` for the best device on this machine, read the report
that explains its choice, and put a tensor there. The printed device differs between
machines; this page was built on one of them.
"""

# %%
# Pick a device
# -------------
# :func:`firsttorch.pick_device` returns a GPU (CUDA, Apple's MPS or Intel's XPU) when
# torch can use one, and the CPU otherwise. The environment variable
# ``FIRSTTORCH_DEVICE`` overrides the choice, e.g. ``FIRSTTORCH_DEVICE=cpu``.
import torch

import firsttorch

device = firsttorch.pick_device()
print(f"device = {device}")

# sphinx_gallery_start_ignore
# output-pattern: device = {device}
assert device.type in {"cpu", "cuda", "mps", "xpu"}
# sphinx_gallery_end_ignore

# %%
# Ask torch directly
# ------------------
# Recent versions of torch (2.6 and later) answer the same question with
# :func:`torch.accelerator.is_available` and
# :func:`torch.accelerator.current_accelerator`. On a machine without a GPU the first
# says ``False`` and the second returns ``None``.
if hasattr(torch, "accelerator"):
    print(f"torch.accelerator.is_available() = {torch.accelerator.is_available()}")
    print(f"current_accelerator() = {torch.accelerator.current_accelerator()}")

# sphinx_gallery_start_ignore
# output-pattern: torch\.accelerator\.is_available\(\) = {available}\ncurrent_accelerator\(\) = {accelerator}
if hasattr(torch, "accelerator"):
    accelerator = torch.accelerator.current_accelerator()
    assert torch.accelerator.is_available() == (accelerator is not None)
    if device.type != "cpu":
        assert accelerator is not None
        assert accelerator.type == device.type
# sphinx_gallery_end_ignore

# %%
# Read the report
# ---------------
# :func:`firsttorch.device_report` lists the torch build, every kind of accelerator
# and why it can or cannot be used, and what ``pick_device()`` chooses. Paste it into a
# bug report when a GPU does not show up.
report = firsttorch.device_report()
print(report)

# sphinx_gallery_start_ignore
# output-pattern: firsttorch \S+ environment report\n  torch\s+\S+ \(.*\).*\n  pick_device\s+{device}\b.*
assert report.chosen == str(device)
assert report.torch_version == torch.__version__
# sphinx_gallery_end_ignore

# %%
# Put a tensor on the device
# --------------------------
# Create the tensor, then move it with :meth:`torch.Tensor.to`. Its values are the
# same wherever it lives; compare devices by their ``type``, because a tensor reports
# an index (``cuda:0``) where ``pick_device()`` may not.
import matplotlib.pyplot as plt

x_cpu = torch.tensor([1.0, 2.0, 3.0])
x = x_cpu.to(device)
print(f"x * 2 = {x * 2}")
print(f"x is on the chosen device: {x.device.type == device.type}")

# sphinx_gallery_start_ignore
assert x.device.type == device.type
assert (x * 2).tolist() == [2.0, 4.0, 6.0]
# sphinx_gallery_end_ignore

# %%
# The values do not change when they move: the bars of ``x`` before the move and after
# it (brought back with ``.cpu()`` to draw it, because matplotlib reads CPU memory) have
# the same heights.
positions = torch.arange(3).tolist()
fig, ax = plt.subplots(figsize=(6, 3))
before = [p - 0.4 for p in positions]  # left edges: the two bars meet at each position
ax.bar(before, x_cpu.tolist(), width=0.4, align="edge", label="x_cpu (CPU)")
after = x.cpu().tolist()
ax.bar(positions, after, width=0.4, align="edge", label="x = x_cpu.to(device)", hatch="//")
ax.set_xticks(positions, labels=[f"element {p}" for p in positions])
ax.set_ylabel("value")
ax.set_title("Moving a tensor keeps its values")
ax.legend(loc="upper left")
fig.tight_layout()
plt.show()

# sphinx_gallery_start_ignore
heights = [patch.get_height() for patch in ax.patches]
assert heights == x_cpu.tolist() + x.cpu().tolist() == [1.0, 2.0, 3.0] * 2
# sphinx_gallery_end_ignore

# %%
# A typo fails loudly
# -------------------
# Ask for a device torch does not know and you get a :class:`ValueError` with a
# suggestion, never a silent fall back to the CPU.
try:
    firsttorch.pick_device("gpu")
except ValueError as err:
    print(f"ValueError: {err}")

# sphinx_gallery_start_ignore
raised = None
try:
    firsttorch.pick_device("gpu")
except ValueError as err:
    raised = err
assert raised is not None
assert "Did you mean 'cuda'?" in str(raised)
# sphinx_gallery_end_ignore

# %%
# Conclusion
# ----------
# Choose the device once, at the top of your script, with
# :func:`firsttorch.pick_device`, and move tensors there with ``.to(device)``; for a
# whole batch use :func:`firsttorch.to_device`. To see what torch itself detects, use
# :func:`torch.accelerator.is_available` or ``python -m firsttorch``.
