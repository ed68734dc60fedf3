# /// script
# requires-python = ">=3.10"
# dependencies = ["firsttorch", "torch", "matplotlib"]
# ///
"""
====================================
Time a matrix product on CPU and GPU
====================================

Is the GPU faster? Measure it. You will time ``a @ b`` for growing square matrices on
the CPU and, when :func:`firsttorch.pick_device` finds an accelerator, on it too, and
plot time against size. Timings depend on the machine, so run the script on yours.
"""

# %%
# A fair timer
# ------------
# An accelerator runs asynchronously: PyTorch queues the work and returns at once, so a
# plain stopwatch would time only the launch. :func:`torch.accelerator.synchronize` waits
# until the queued work is done. We call it twice: before starting the clock, so that
# work still pending from earlier lines is not timed, and before stopping it, so that
# the product is finished. We warm up first, because the very first product on a GPU
# also loads its math library, and keep the fastest of several runs, the one least
# disturbed by other programs.
import time

import matplotlib.pyplot as plt
import torch

import firsttorch

device = firsttorch.pick_device()
sizes = [64, 128, 256, 512, 1024]


def sync(where):
    """Wait until the work queued on an accelerator is finished (the CPU never queues)."""
    if where.type != "cpu":
        torch.accelerator.synchronize()


def time_matmul(n, where, repeats=10):
    torch.manual_seed(0)
    a = torch.randn(n, n).to(where)
    b = torch.randn(n, n).to(where)
    a @ b  # warm-up
    fastest = float("inf")
    for _ in range(repeats):
        sync(where)  # nothing pending before the clock starts
        start = time.perf_counter()
        a @ b
        sync(where)  # the product is finished before the clock stops
        fastest = min(fastest, time.perf_counter() - start)
    return fastest  # seconds


# %%
# Time it
# -------
# Every size on the CPU, and on the chosen device when it is not the CPU. The numbers
# below come from the machine that built this page.
places = [torch.device("cpu")] + ([device] if device.type != "cpu" else [])
seconds = {str(where): [time_matmul(n, where) for n in sizes] for where in places}
for where, times in seconds.items():
    for n, t in zip(sizes, times, strict=True):
        print(f"{where:<4}  n = {n:>4}: {t * 1e3:8.3f} ms")

# sphinx_gallery_start_ignore
# output-pattern: ((cpu|{device})\s+n =\s+\d+:\s+{time}(\n|$))+
assert len(seconds) == len(places)
assert all(t > 0 for times in seconds.values() for t in times)
assert all(len(times) == len(sizes) for times in seconds.values())
# sphinx_gallery_end_ignore

# %%
# Plot time against size
# ----------------------
# Both axes are logarithmic. Doubling ``n`` makes eight times the work, so once a device
# is busy its time grows about eight-fold per step to the right; a flat start means
# fixed costs (such as launching work on a GPU) dominate.
fig, ax = plt.subplots(figsize=(6, 3.2))
for where, times in seconds.items():
    ax.plot(sizes, [t * 1e3 for t in times], marker="o", label=where)
ax.set_xscale("log", base=2)
ax.set_xticks(sizes, labels=[str(n) for n in sizes])
ax.set_yscale("log")
ax.set_xlabel("n (matrices are n x n)")
ax.set_ylabel("time per a @ b (ms)")
if len(places) == 1:
    ax.set_title("Matmul time on the CPU only (pick_device() chose the CPU)", fontsize=10)
else:
    ax.set_title(f"Matmul time: CPU vs {device.type.upper()}", fontsize=10)
ax.legend()
fig.tight_layout()
plt.show()

# sphinx_gallery_start_ignore
# The timings differ on every run: the figure is checked for what it shows, not its values.
# output-pattern: \[figure\]\nfigure: 1 axes.*\naxes 1: title .Matmul time.*, x scale log, y scale log\n(  line .(cpu|{device}).: x \[64\.0, 128\.0, 256\.0, 512\.0, 1024\.0\]; y \[\d[^]]*\]\n)+  legend: \[.cpu.(, .{device}.)?\]
# sphinx_gallery_end_ignore

# %%
# Same answer on every device
# ---------------------------
# Speed must not change the result. The product on the chosen device matches the CPU's
# up to rounding in the last digits.
torch.manual_seed(0)
a = torch.randn(256, 256)
b = torch.randn(256, 256)
on_cpu = a @ b
on_device = a.to(device) @ b.to(device)
print(f"results agree: {torch.allclose(on_cpu, on_device.cpu(), rtol=1e-4, atol=1e-4)}")

# sphinx_gallery_start_ignore
assert on_device.device.type == device.type
assert torch.allclose(on_cpu, on_device.cpu(), rtol=1e-4, atol=1e-4)
# sphinx_gallery_end_ignore

# %%
# Conclusion
# ----------
# Time on your own machine before you move work to a GPU, and call
# :func:`torch.accelerator.synchronize` both before you start the stopwatch and before you
# stop it. Small problems may not gain; large ones usually do. :func:`firsttorch.device_report` tells you what this
# machine offers.
