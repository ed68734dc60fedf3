"""Private helpers for firsttorch.device: which accelerators torch can use here, and why not."""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass

import torch

INSTALL_URL = "https://pytorch.org/get-started/locally/"


@dataclass(frozen=True)
class AcceleratorStatus:
    """Whether torch can use one kind of accelerator on this machine, and why (not).

    Attributes:
        kind: The device type: ``"cuda"`` (NVIDIA, and AMD under ROCm), ``"mps"`` or ``"xpu"``.
        available: True when torch sees at least one device of this kind.
        count: How many devices of this kind torch sees.
        reason: Why the kind is unavailable, or a summary such as ``"2 devices"``.
        fix: What to do to make it available (empty when it is available).
        devices: ``(name, total memory in bytes)`` per device; filled in by
            :func:`firsttorch.device_report` only, empty elsewhere.
    """

    kind: str
    available: bool
    count: int
    reason: str
    fix: str = ""
    devices: tuple[tuple[str, int], ...] = ()


def plural(count: int, noun: str) -> str:
    """Return ``"1 device"`` or ``"2 devices"``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _ready(kind: str, count: int) -> AcceleratorStatus:
    return AcceleratorStatus(kind, available=True, count=count, reason=plural(count, "device"))


def _missing(kind: str, reason: str, fix: str) -> AcceleratorStatus:
    return AcceleratorStatus(kind, available=False, count=0, reason=reason, fix=fix)


def probe_cuda() -> AcceleratorStatus:
    """Return the CUDA status (ROCm builds count as CUDA: their device type is ``cuda``)."""
    hip = torch.version.hip
    if torch.version.cuda is None and hip is None:
        reason = "this torch build has no CUDA support (torch.version.cuda is None)"
        return _missing("cuda", reason, f"install a CUDA build of torch ({INSTALL_URL})")
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if count > 0:
        return _ready("cuda", count)
    smi = "rocm-smi" if hip else "nvidia-smi"
    for var in ("CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES"):
        value = os.environ.get(var)
        if value is None:
            continue
        if value.strip() in ("", "-1") or value.strip().startswith("-"):
            reason = f"{var} is set to {value!r}, which hides every GPU from this process"
            return _missing("cuda", reason, f"unset {var} before starting Python")
        reason = f"no GPU is visible with {var} set to {value!r}"
        fix = f"check that `{smi}` lists those GPU indices, or unset {var}"
        return _missing("cuda", reason, fix)
    reason = "no GPU is visible: the driver reports no CUDA device"
    return _missing("cuda", reason, f"check that `{smi}` lists a GPU and its driver works")


def probe_mps() -> AcceleratorStatus:
    """Return the MPS (Apple GPU) status."""
    if torch.backends.mps.is_available():
        return _ready("mps", 1)
    system: str = sys.platform  # a variable, so that mypy checks every branch on any system
    if system != "darwin":
        return _missing("mps", "MPS exists only on Apple silicon macOS", "use a Mac for MPS")
    if not torch.backends.mps.is_built():
        reason = "this torch build has no MPS support"
        return _missing("mps", reason, f"install the macOS arm64 build of torch ({INSTALL_URL})")
    reason = "this Mac offers no Metal GPU to torch (MPS needs macOS 12.3+)"
    return _missing("mps", reason, "update macOS, or use a Mac with Apple silicon")


def probe_xpu() -> AcceleratorStatus:
    """Return the XPU (Intel GPU) status; torch releases before 2.4 have no XPU support."""
    if getattr(torch.version, "xpu", None) is None:
        reason = "this torch build has no XPU support (torch.version.xpu is None)"
        return _missing("xpu", reason, f"install an XPU build of torch ({INSTALL_URL})")
    count = torch.xpu.device_count() if torch.xpu.is_available() else 0
    if count > 0:
        return _ready("xpu", count)
    reason = "no Intel GPU is visible to torch"
    return _missing("xpu", reason, "check the Intel GPU driver with `xpu-smi discovery`")


PROBES = {"cuda": probe_cuda, "mps": probe_mps, "xpu": probe_xpu}


def probe_all() -> tuple[AcceleratorStatus, ...]:
    """Return the status of every accelerator kind firsttorch knows, CUDA first."""
    return tuple(probe() for probe in PROBES.values())


def torch_build() -> str:
    """Return what this torch was built for: ``"CUDA 12.4 build"``, ``"CPU-only build"``, ..."""
    version = torch.version
    built = [f"CUDA {version.cuda}"] if version.cuda else []
    built += [f"ROCm {version.hip}"] if version.hip else []
    built += ["XPU"] if getattr(version, "xpu", None) else []
    built += ["MPS"] if torch.backends.mps.is_built() else []
    return (" + ".join(built) or "CPU-only") + " build"


def best_accelerator() -> torch.device | None:
    """Return the best available accelerator as an index-free device, or None.

    Uses :mod:`torch.accelerator` where this torch has it, else tries CUDA, MPS, XPU in turn.
    """
    if hasattr(torch, "accelerator"):
        found = (
            torch.accelerator.current_accelerator() if torch.accelerator.is_available() else None
        )
        return None if found is None else torch.device(found.type)
    for status in probe_all():
        if status.available:
            return torch.device(status.kind)
    return None


def probe(kind: str) -> AcceleratorStatus:
    """Return the status of any accelerator kind, including ones firsttorch has no probe for."""
    if kind in PROBES:
        return PROBES[kind]()
    best = best_accelerator()
    if best is not None and best.type == kind:
        return _ready(kind, torch.accelerator.device_count())
    hint = " (AMD GPUs are called 'cuda' in torch)" if kind == "hip" else ""
    return _missing(kind, f"torch reports no {kind!r} accelerator here{hint}", "ask for 'cpu'")


def usable() -> list[str]:
    """Return the names of every device torch can use here, accelerators first."""
    statuses = [status for status in probe_all() if status.available]
    best = best_accelerator()
    if best is not None and best.type not in PROBES:
        statuses.append(probe(best.type))
    return [*map(listing, statuses), "cpu", "meta"]


def listing(status: AcceleratorStatus) -> str:
    """Return the usable device names of one status, such as ``cuda:0, cuda:1``."""
    if status.kind == "mps":
        return "mps"
    names = [f"{status.kind}:{index}" for index in range(status.count)]
    return ", ".join(names) if len(names) <= 2 else f"{names[0]} to {names[-1]}"


def with_devices(status: AcceleratorStatus) -> AcceleratorStatus:
    """Add each device's name and total memory (queries the GPU, which initialises CUDA)."""
    if not status.available or status.kind not in ("cuda", "xpu"):
        return status
    module = torch.cuda if status.kind == "cuda" else torch.xpu
    props = [module.get_device_properties(index) for index in range(status.count)]
    devices = tuple((str(p.name), int(p.total_memory)) for p in props)
    return dataclasses.replace(status, devices=devices)
