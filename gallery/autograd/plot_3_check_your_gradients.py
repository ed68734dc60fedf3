# /// script
# requires-python = ">=3.10"
# dependencies = ["firsttorch", "torch", "matplotlib"]
# ///
"""
====================
Check your gradients
====================

When you write a backward pass yourself, a wrong formula trains quietly in the wrong
direction. :func:`firsttorch.check_gradients` compares autograd's slopes with slopes
measured by nudging each input a little (finite differences). You will see it pass a
correct function, fail a buggy one, and a plot of the two disagreeing.
"""

# %%
# A correct function passes
# -------------------------
# Built-in operations have correct derivatives, so the check passes. It works in
# ``float64`` on copies of your inputs; your tensors are not changed.
import matplotlib.pyplot as plt
import torch

import firsttorch

device = firsttorch.pick_device()
x = torch.tensor([1.0, 2.0, 3.0]).to(device)
report = firsttorch.check_gradients(lambda t: (t * t).sum(), x)
print(f"report.ok = {report.ok}")
print(report)

# sphinx_gallery_start_ignore
assert report.ok
assert not x.requires_grad  # the input is untouched
assert x.dtype == torch.float32
# sphinx_gallery_end_ignore

# %%
# A custom function with a bug
# ----------------------------
# A :class:`torch.autograd.Function` pairs a forward with a hand-written backward. This
# one squares its input, but its backward forgets the factor 2 of
# :math:`d(x^2)/dx = 2x`.


class BuggySquare(torch.autograd.Function):
    @staticmethod
    def forward(ctx, t):
        ctx.save_for_backward(t)
        return t * t

    @staticmethod
    def backward(ctx, grad_output):
        (t,) = ctx.saved_tensors
        return grad_output * t  # should be grad_output * 2 * t


y = BuggySquare.apply(x)
print(f"BuggySquare.apply(x) = {y}")

# sphinx_gallery_start_ignore
assert y.tolist() == [1.0, 4.0, 9.0]  # the forward is right
# sphinx_gallery_end_ignore

# %%
# The check finds it
# ------------------
# The report shows autograd's numbers above the measured ones, the worst element, and
# where to look. The forward was right; the backward is half of what it should be.
report = firsttorch.check_gradients(lambda t: BuggySquare.apply(t).sum(), x)
print(f"report.ok = {report.ok}")
print(report)

# sphinx_gallery_start_ignore
assert not report.ok
result = report.results[0]
assert torch.allclose(result.analytical.cpu(), torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64))
assert torch.allclose(result.numerical.cpu(), torch.tensor([2.0, 4.0, 6.0], dtype=torch.float64))
# sphinx_gallery_end_ignore

# %%
# Make it fail loudly
# -------------------
# In a test, call ``raise_if_failed()``: it raises
# :class:`firsttorch.GradientCheckError` with the same report. We catch it here only to
# keep the page running.
try:
    report.raise_if_failed()
except firsttorch.GradientCheckError as err:
    print(f"GradientCheckError raised: {str(err).splitlines()[0]}")

# sphinx_gallery_start_ignore
raised = None
try:
    report.raise_if_failed()
except firsttorch.GradientCheckError as err:
    raised = err
assert raised is not None
assert str(raised) == str(report)
# sphinx_gallery_end_ignore

# %%
# Picture the disagreement
# ------------------------
# Over a range of inputs, autograd's slope for ``BuggySquare`` is ``x`` while the true
# slope, measured by finite differences, is ``2x``: two lines that meet only at 0.
xs = torch.linspace(-2, 2, 9).to(device)
wide = firsttorch.check_gradients(lambda t: BuggySquare.apply(t).sum(), xs).results[0]
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(xs.cpu(), wide.numerical.cpu(), "o-", label="finite differences (true: 2x)")
ax.plot(xs.cpu(), wide.analytical.cpu(), "s--", label="autograd (buggy backward: x)")
ax.set_xlabel("x")
ax.set_ylabel("slope of x²")
ax.set_title("BuggySquare: autograd vs finite differences", fontsize=10)
ax.legend()
fig.tight_layout()
plt.show()

# sphinx_gallery_start_ignore
assert torch.allclose(wide.numerical, 2 * xs.double(), atol=1e-6)
assert torch.allclose(wide.analytical, xs.double())
# sphinx_gallery_end_ignore

# %%
# Conclusion
# ----------
# Run :func:`firsttorch.check_gradients` on small inputs whenever you write a backward
# by hand, or a :class:`torch.autograd.Function`. It uses the same idea as PyTorch's
# :func:`torch.autograd.gradcheck.gradcheck` (finite differences in ``float64``) and
# tells you, in words, which input and which element disagree.
