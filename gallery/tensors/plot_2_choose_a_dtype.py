# /// script
# requires-python = ">=3.10"
# dependencies = ["torch", "matplotlib"]
# ///
"""
===============================
Choose a dtype for your numbers
===============================

Every tensor holds one kind of number, its *dtype*. You will see which dtype PyTorch
picks when you do not say, what happens when dtypes meet, and what each common dtype
costs in memory and gains in precision.
"""

# %%
# Let PyTorch pick
# ----------------
# Python integers become ``int64`` and Python floats become ``float32``, not the
# ``float64`` that NumPy would choose.
from fractions import Fraction

import matplotlib.pyplot as plt
import torch

ints = torch.tensor([1, 2, 3])
floats = torch.tensor([1.0, 2.0, 3.0])
flags = torch.tensor([True, False])
print(f"ints.dtype = {ints.dtype}")
print(f"floats.dtype = {floats.dtype}")
print(f"flags.dtype = {flags.dtype}")

# sphinx_gallery_start_ignore
assert ints.dtype == torch.int64
assert floats.dtype == torch.float32
assert flags.dtype == torch.bool
# sphinx_gallery_end_ignore

# %%
# Mix dtypes
# ----------
# When an integer tensor meets a floating point one, the floating point kind wins and
# the result keeps the float tensor's dtype: ``int64 + float32`` gives ``float32``.
# Dividing integers with ``/`` also gives floats (use ``//`` to stay whole).
mixed = ints + floats
halves = ints / 2
whole = ints // 2
print(f"mixed = {mixed}, dtype {mixed.dtype}")
print(f"halves = {halves}, dtype {halves.dtype}")
print(f"whole = {whole}, dtype {whole.dtype}")

# sphinx_gallery_start_ignore
assert mixed.dtype == torch.float32
assert halves.dtype == torch.float32
assert whole.dtype == torch.int64
assert halves.tolist() == [0.5, 1.0, 1.5]
assert whole.tolist() == [0, 1, 1]
# sphinx_gallery_end_ignore

# %%
# A float32 cannot hold every int64
# ---------------------------------
# That rule does not pick a dtype that holds both: ``float32`` stores integers exactly
# only up to 2**24 = 16777216. Past that it skips some, so a large ``int64`` changes
# value when it meets a ``float32``.
big = torch.tensor([2**24 + 1])
print(f"big = {big}, dtype {big.dtype}")
print(f"big + 0.0 as float32: {(big + torch.tensor([0.0])).item():.0f}")
print(f"big + 0.0 as float64: {(big + torch.tensor([0.0], dtype=torch.float64)).item():.0f}")

# sphinx_gallery_start_ignore
assert (big + torch.tensor([0.0])).dtype == torch.float32
assert (big + torch.tensor([0.0])).item() == 2**24  # 16777217 became 16777216
assert (big + torch.tensor([0.0], dtype=torch.float64)).item() == 2**24 + 1
assert (ints + torch.tensor([1.0], dtype=torch.float16)).dtype == torch.float16
# sphinx_gallery_end_ignore

# %%
# Compare the common dtypes
# -------------------------
# ``itemsize`` is the number of bytes per element. For floating point dtypes,
# ``torch.finfo`` tells the gap between 1 and the next number the dtype can store.
rows = []
for dtype in [torch.float64, torch.float32, torch.float16, torch.bfloat16]:
    info = torch.finfo(dtype)
    rows.append((str(dtype), torch.tensor([], dtype=dtype).itemsize, info.eps, info.max))
for dtype in [torch.int64, torch.int32, torch.uint8, torch.bool]:
    rows.append((str(dtype), torch.tensor([], dtype=dtype).itemsize, None, None))
print(f"{'dtype':<15} {'bytes':>5} {'step after 1':>13} {'largest':>10}")
for name, size, eps, largest in rows:
    step = "-" if eps is None else f"{eps:.1e}"
    top = "-" if largest is None else f"{largest:.1e}"
    print(f"{name:<15} {size:>5} {step:>13} {top:>10}")

# sphinx_gallery_start_ignore
sizes = {name: size for name, size, _, _ in rows}
assert sizes == {
    "torch.float64": 8,
    "torch.float32": 4,
    "torch.float16": 2,
    "torch.bfloat16": 2,
    "torch.int64": 8,
    "torch.int32": 4,
    "torch.uint8": 1,
    "torch.bool": 1,
}
# float16 and bfloat16 take the same memory; bfloat16 reaches as far as float32
assert torch.finfo(torch.bfloat16).max > 1e38 > torch.finfo(torch.float16).max
assert torch.finfo(torch.bfloat16).eps > torch.finfo(torch.float16).eps
# sphinx_gallery_end_ignore

# %%
# See the precision
# -----------------
# Store 1/3 in each floating point dtype and measure, exactly, how far the stored value
# is from 1/3. Each step up in bytes buys many more correct digits.
float_dtypes = [torch.bfloat16, torch.float16, torch.float32, torch.float64]
errors = [
    float(abs(Fraction(torch.tensor(1 / 3, dtype=dt).item()) - Fraction(1, 3)))
    for dt in float_dtypes
]
for dt, err in zip(float_dtypes, errors, strict=True):
    print(f"{dt!s:<15} stores 1/3 off by {err:.1e}")

# sphinx_gallery_start_ignore
assert errors == sorted(errors, reverse=True)  # more bytes, smaller error
assert errors[2] < 1e-7 < errors[1]  # float32 keeps about 7 digits, float16 about 3
assert 0 < errors[3] < 1e-16
# sphinx_gallery_end_ignore

# %%
# Draw the errors
# ---------------
# On a logarithmic scale each gridline is ten times smaller: ``float32`` is about ten
# thousand times closer than ``float16``, and ``float64`` hundreds of millions of times
# closer still.
fig, ax = plt.subplots(figsize=(6, 3))
labels = [str(dt).removeprefix("torch.") for dt in float_dtypes]
ax.bar(labels, errors, color=["#fca5a5", "#fdba74", "#93c5fd", "#86efac"])
ax.set_yscale("log")
ax.set_ylabel("|stored - 1/3|")
ax.set_title("How far each dtype stores 1/3 from the truth")
fig.tight_layout()
plt.show()

# sphinx_gallery_start_ignore
assert 5e3 < errors[1] / errors[2] < 5e4  # float32 about ten thousand times closer
assert 1e8 < errors[2] / errors[3] < 1e9  # float64 hundreds of millions of times closer
# sphinx_gallery_end_ignore

# %%
# Convert between dtypes
# ----------------------
# :meth:`torch.Tensor.to` converts. Converting floats to integers cuts off the fraction,
# towards zero; to round, call :meth:`torch.Tensor.round` first (it rounds halves to
# the even neighbour, so 2.5 becomes 2).
values = torch.tensor([1.7, -1.7, 2.5])
print(f"values.to(torch.int64) = {values.to(torch.int64)}")
print(f"values.round() = {values.round()}")
print(f"values.to(torch.float16) = {values.to(torch.float16)}")

# sphinx_gallery_start_ignore
assert values.to(torch.int64).tolist() == [1, -1, 2]
assert values.round().tolist() == [2.0, -2.0, 2.0]  # round half to even: 2.5 -> 2
assert values.to(torch.float16).dtype == torch.float16
# sphinx_gallery_end_ignore

# %%
# Conclusion
# ----------
# Leave integers as ``int64`` for counts and indices, and use ``float32`` for the numbers
# you compute with; reach for ``float16`` or ``bfloat16`` to save memory and time on a
# GPU, once your code works.
# Gradients exist only for floating point tensors (see
# :func:`firsttorch.inspect_grad`). More in :class:`torch.dtype` and
# :meth:`torch.Tensor.to`.
