# /// script
# requires-python = ">=3.10"
# dependencies = ["firsttorch", "torch", "matplotlib"]
# ///
"""
======================
Descend a 1-D function
======================

Gradient descent repeats one step: compute the slope with autograd, then move a little
downhill. You will run it on a curve with two valleys, watch every step on a plot, and
see that where you start decides which valley you end in.
"""

# %%
# The function and its slope
# --------------------------
# :math:`f(x) = x^4/4 - x^2 + x/2` has two valleys. Autograd gives the slope at any
# point: build ``f(x)``, call ``backward()``, read ``x.grad``. We compute on the device
# :func:`firsttorch.pick_device` chooses.
import matplotlib.pyplot as plt
import torch

import firsttorch

device = firsttorch.pick_device()


def f(x):
    return x**4 / 4 - x**2 + x / 2


x = torch.tensor(2.0).to(device).requires_grad_()
f(x).backward()
print(f"f(2) = {f(x).item():.4f}, slope at 2 = {x.grad.item():.4f}")

# sphinx_gallery_start_ignore
assert x.is_leaf
assert x.device.type == device.type
assert abs(x.grad.item() - (2.0**3 - 2 * 2.0 + 0.5)) < 1e-6  # f'(x) = x^3 - 2x + 1/2
# sphinx_gallery_end_ignore

# %%
# One descent run
# ---------------
# Each step: compute ``f(x)``, ``backward()``, then move ``x`` against the slope by
# ``lr * slope`` inside :class:`torch.no_grad` (the update itself must not be recorded),
# and clear ``x.grad``, which would otherwise add up across steps.


def descend(start, lr=0.1, steps=40):
    x = torch.tensor(start).to(device).requires_grad_()
    path = []
    for _ in range(steps):
        y = f(x)
        y.backward()
        path.append((x.item(), y.item()))
        with torch.no_grad():
            x -= lr * x.grad
        x.grad = None
    path.append((x.item(), f(x).item()))
    return x, path


x, path = descend(0.5)
for step, (xi, yi) in enumerate(path[:5]):
    print(f"step {step}: x = {xi:.4f}, f(x) = {yi:.4f}")
print(f"after {len(path) - 1} steps: x = {path[-1][0]:.4f}, f(x) = {path[-1][1]:.4f}")

# sphinx_gallery_start_ignore
import itertools

values = [yi for _, yi in path]
assert all(b <= a + 1e-6 for a, b in itertools.pairwise(values))  # every step goes down
assert abs(path[-1][0] - 1.2670) < 1e-3  # the right-hand valley
assert x.device.type == device.type
# sphinx_gallery_end_ignore

# %%
# Start a little further left
# ---------------------------
# From 0.0 instead of 0.5 the slope points the other way, and the same loop ends in the
# left valley. Yet from 0.0 the right valley, near 1.27, is nearer than the left one,
# near -1.53: gradient descent goes downhill from where it starts, and that is not
# always the nearest valley. Nor is it always the lowest: here the left valley happens
# to be the deeper one, and the run from 0.5 ends in the shallower valley.
x_left, path_left = descend(0.0)
print(f"from 0.0: x = {path_left[-1][0]:.4f}, f(x) = {path_left[-1][1]:.4f}")
print(f"from 0.5: x = {path[-1][0]:.4f}, f(x) = {path[-1][1]:.4f}")

# sphinx_gallery_start_ignore
assert abs(path_left[-1][0] - (-1.5257)) < 1e-3
assert path_left[-1][1] < path[-1][1]  # the left valley is deeper
assert abs(path[-1][0]) < abs(path_left[-1][0])  # from 0.0 the right valley is nearer
assert 0.0**3 - 2 * 0.0 + 0.5 > 0  # but the slope at 0.0 is positive: downhill is to the left
# sphinx_gallery_end_ignore

# %%
# Watch the steps
# ---------------
# Every dot is one step. Both runs start near the hump at :math:`x \approx 0.26`, where
# the slope is almost flat, so the first steps are short; they lengthen on the steep
# sides and shrink again as each run settles into its valley.
grid = torch.linspace(-2.2, 2.2, 200)
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(grid, f(grid), color="#6b7280", lw=1)
for run, colour, label in [(path, "#2563eb", "start 0.5"), (path_left, "#dc2626", "start 0.0")]:
    xs = [xi for xi, _ in run]
    ys = [yi for _, yi in run]
    ax.plot(xs, ys, "o-", color=colour, ms=3, lw=0.8, label=label)
    ax.plot(xs[0], ys[0], "s", color=colour, ms=7)
ax.set_xlabel("x")
ax.set_ylabel("f(x)")
ax.set_title("40 gradient descent steps, lr = 0.1", fontsize=10)
ax.legend()
fig.tight_layout()
plt.show()

# sphinx_gallery_start_ignore
assert len(path) == len(path_left) == 41
hump = torch.tensor(0.2586)
assert abs(hump**3 - 2 * hump + 0.5) < 1e-3  # f'(0.26) is about 0: the top of the hump
for run in (path, path_left):
    lengths = [abs(b[0] - a[0]) for a, b in itertools.pairwise(run)]
    assert lengths[0] < max(lengths)  # short first steps, longer on the steep side
    assert lengths[-1] < lengths[0]  # and short again in the valley
# sphinx_gallery_end_ignore

# %%
# Conclusion
# ----------
# This loop is what every PyTorch optimiser runs, in many dimensions at once:
# :class:`torch.optim.SGD` does the ``no_grad`` update and ``zero_grad()`` the reset.
# Check the slopes autograd gives a custom function with
# :func:`firsttorch.check_gradients`, and read :meth:`torch.Tensor.backward` for how
# ``.grad`` adds up.
