"""Build lanes (CPU, GPU) and the provenance line each page shows.

The lane is chosen with the environment variable ``FIRSTTORCH_DOCS_LANE`` (``cpu``, the
default, or ``gpu``). It sets ``FIRSTTORCH_DEVICE`` for the code the build runs, so pages
that choose their device with :func:`firsttorch.pick_device` run on that lane's device.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.metadata
import os

LANES = {"cpu": "cpu", "gpu": "cuda"}

#: First cell of every notebook sphinx-gallery generates for download: the notebook
#: then runs on a fresh Jupyter or Colab, installing firsttorch only when it is missing.
FIRST_NOTEBOOK_CELL = (
    "# This notebook needs firsttorch; this cell installs it only when it is missing.\n"
    "import importlib.util\n"
    "import subprocess\n"
    "import sys\n"
    "\n"
    'if importlib.util.find_spec("firsttorch") is None:\n'
    '    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "firsttorch"],'
    " check=True)"
)


class LaneError(RuntimeError):
    """The requested lane cannot run on this machine."""


def current_lane() -> str:
    """Return the lane named by ``FIRSTTORCH_DOCS_LANE`` (default ``cpu``)."""
    lane = os.environ.get("FIRSTTORCH_DOCS_LANE", "cpu").strip().lower() or "cpu"
    if lane not in LANES:
        msg = (
            f"FIRSTTORCH_DOCS_LANE={lane!r} is not a lane; choose one of {sorted(LANES)}. "
            "Fix: unset it for the CPU lane, or set it to 'gpu' on a machine with CUDA."
        )
        raise LaneError(msg)
    return lane


@functools.cache
def torch_version() -> str:
    """The installed torch's version (``2.13.0+cpu``), read without importing torch.

    The build process itself needs torch only to run examples and to check the GPU lane;
    a rebuild with nothing to run then starts without paying for ``import torch``.
    """
    return importlib.metadata.version("torch")


def enter_lane(lane: str) -> str:
    """Check that *lane* can run here and point the executed code at its device.

    Returns the device type the lane's pages must run on. Fails at once, before
    anything executes, when the GPU lane has no CUDA device.
    """
    if lane == "gpu":
        _require_cuda()
    device = LANES[lane]
    os.environ["FIRSTTORCH_DEVICE"] = device
    return device


def _require_cuda() -> None:
    import torch  # only the GPU lane pays for it here

    if not torch.cuda.is_available():
        build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
        msg = (
            f"GPU lane requested (FIRSTTORCH_DOCS_LANE=gpu) but torch {torch.__version__} "
            f"({build}) sees no CUDA device. The GPU lane must run every page on CUDA, so it "
            "stops here instead of silently building on the CPU. Fix: run it on a machine "
            "with an NVIDIA GPU and a CUDA build of torch (`nox -s docs_gpu`), or build the "
            "CPU lane (`nox -s docs`)."
        )
        raise LaneError(msg)


def build_date() -> str:
    """The build date, honouring ``SOURCE_DATE_EPOCH`` for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (
        dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc)
        if epoch
        else dt.datetime.now(tz=dt.timezone.utc)
    )
    return when.strftime("%Y-%m-%d")


def provenance_text(record: dict[str, object]) -> str:
    """One line saying how a page's output was produced."""
    devices = ", ".join(str(d) for d in record.get("devices", [])) or "no tensors kept"
    return (
        f"Output produced by running this page with torch {record['torch']} on the "
        f"{record['lane']} lane (devices: {devices}) on {record['date']}, "
        f"and checked against {record['checked']} reviewed outputs."
    )
