"""Choose a device, report what this machine offers, and keep tensors on one device."""

from __future__ import annotations

import dataclasses
import os
import platform
import textwrap
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import torch

from firsttorch import _device_probe as _probe
from firsttorch import _device_request as _request
from firsttorch import _device_tree
from firsttorch._device_probe import AcceleratorStatus
from firsttorch.errors import DeviceMismatchError, DeviceUnavailableError

__all__ = [
    "AcceleratorStatus",
    "DeviceReport",
    "check_same_device",
    "device_report",
    "pick_device",
    "to_device",
]

_T = TypeVar("_T")


def pick_device(preferred: str | torch.device | None = None) -> torch.device:
    """Return the device to compute on: the one you ask for, or the best one available.

    The order is: ``preferred``; else the environment variable ``FIRSTTORCH_DEVICE`` (read
    on every call, never written; empty means unset); else the best available accelerator
    (CUDA, MPS or XPU, via :mod:`torch.accelerator` where torch has it); else the CPU.
    An explicit request that cannot be met raises; it never falls back silently.

    You get what you asked for: ``"cuda"`` gives ``device(type='cuda')`` (the current GPU),
    ``"cuda:1"`` gives ``device(type='cuda', index=1)``. The automatic choice has no index
    either: finding the current index would initialise CUDA. Tensors do report an index
    (``x.device`` is ``cuda:0``), so compare ``x.device.type == device.type``.

    Args:
        preferred: A device name (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``, ``"xpu"``,
            ``"meta"``, ...), a :class:`torch.device`, or None to choose automatically.

    Returns:
        The chosen :class:`torch.device`. ``"cpu"`` and ``"meta"`` always work.

    Raises:
        TypeError: ``preferred`` is not a str, torch.device or None.
        ValueError: The name (argument or ``FIRSTTORCH_DEVICE``) is not a device torch knows.
        DeviceUnavailableError: The requested device cannot be used on this machine; the
            message says why (no CUDA in this torch build, no GPU visible,
            ``CUDA_VISIBLE_DEVICES`` hides it, index out of range) and how to fix it.

    >>> pick_device("cpu")
    device(type='cpu')
    >>> pick_device().type in {"cpu", "cuda", "mps", "xpu"}
    True
    """
    if preferred is None:
        return _request.default()[0]
    value: object = preferred  # typed as object so that the check below is not "unreachable"
    if not isinstance(value, (str, torch.device)):
        msg = _request.type_message(
            "pick_device(preferred=...)", "preferred", value, allow_none=True
        )
        raise TypeError(msg)
    other = "call pick_device() with no argument to choose automatically"
    return _request.explicit(value, f"pick_device({_request.show(value)})", "the argument", other)


@dataclass(frozen=True)
class DeviceReport:
    """What torch can compute on here; ``str()`` gives a block to paste into a bug report.

    Attributes:
        firsttorch_version: The version of firsttorch.
        torch_version: ``torch.__version__``.
        torch_build: ``"CPU-only build"``, ``"CUDA 12.4 build"``, ``"ROCm 6.2 build"``, ...
        python_version: The Python version, such as ``"3.11.7"``.
        platform: :func:`platform.platform`.
        accelerators: One :class:`AcceleratorStatus` per kind: cuda, mps, xpu.
        environment: ``(name, value)`` of the variables that steer the choice, where set
            (``FIRSTTORCH_DEVICE``, ``CUDA_VISIBLE_DEVICES``, ``HIP_VISIBLE_DEVICES``).
        chosen: What ``pick_device()`` returns, as a string; None when it would raise.
        reason: Why it chooses that device, or the error it would raise.
    """

    firsttorch_version: str
    torch_version: str
    torch_build: str
    python_version: str
    platform: str
    accelerators: tuple[AcceleratorStatus, ...]
    environment: tuple[tuple[str, str], ...]
    chosen: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """Return the report as plain, JSON-serialisable data (field names as keys).

        >>> import json
        >>> sorted(json.loads(json.dumps(device_report().to_dict())))[:3]
        ['accelerators', 'chosen', 'environment']
        """
        data = dataclasses.asdict(self)
        data["accelerators"] = [
            {**dataclasses.asdict(status), "devices": [
                {"name": name, "total_memory_bytes": memory} for name, memory in status.devices
            ]}
            for status in self.accelerators
        ]  # fmt: skip
        data["environment"] = dict(self.environment)
        return data

    def __str__(self) -> str:
        rows = [
            ("torch", f"{self.torch_version} ({self.torch_build})"),
            ("python", self.python_version),
            ("platform", self.platform),
        ]
        for status in self.accelerators:
            state = "available" if status.available else "not available"
            rows.append((status.kind, f"{state}: {status.reason}"))
            for index, (name, memory) in enumerate(status.devices):
                rows.append(("", f"  {status.kind}:{index}  {name}, {memory / 2**30:.1f} GiB"))
        rows += [("env", f"{name}={value!r}") for name, value in self.environment]
        chosen = (
            f"fails: {self.reason}" if self.chosen is None else f"{self.chosen} ({self.reason})"
        )
        rows.append(("pick_device", chosen))
        lines = [f"firsttorch {self.firsttorch_version} environment report"]
        for label, text in rows:
            lines.append(textwrap.fill(text, 88, initial_indent=f"  {label:<13}",
                                       subsequent_indent=" " * 17, break_long_words=False,
                                       break_on_hyphens=False))  # fmt: skip
        return "\n".join(lines)


def device_report() -> DeviceReport:
    """Describe torch, Python and every accelerator kind, and what pick_device() chooses.

    Never raises for an unusable ``FIRSTTORCH_DEVICE``: the report says so instead.
    Where a GPU is available it reads each GPU's name and memory, which initialises CUDA in
    this process (as any first CUDA call does); :func:`pick_device` does not.
    ``python -m firsttorch`` prints this report (``--json`` for :meth:`DeviceReport.to_dict`).

    Returns:
        A frozen :class:`DeviceReport`.

    >>> report = device_report()
    >>> report.torch_version == torch.__version__
    True
    >>> str(report).splitlines()[1].split()[0]
    'torch'
    """
    from firsttorch import __version__

    names = (_request.ENV_VAR, "CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES")
    try:
        device, reason = _request.default()
        chosen: str | None = str(device)
    except (ValueError, DeviceUnavailableError) as err:
        text = str(err).removeprefix("pick_device(): ")
        chosen, reason = None, " ".join(f"{type(err).__name__}: {text}".split())
    return DeviceReport(
        firsttorch_version=__version__,
        torch_version=torch.__version__,
        torch_build=_probe.torch_build(),
        python_version=platform.python_version(),
        platform=platform.platform(),
        accelerators=tuple(_probe.with_devices(status) for status in _probe.probe_all()),
        environment=tuple((name, os.environ[name]) for name in names if name in os.environ),
        chosen=chosen,
        reason=reason,
    )


def check_same_device(*tensors: torch.Tensor, **named_tensors: torch.Tensor) -> torch.device:
    """Return the one device that all the tensors live on, or raise listing each device.

    Args:
        *tensors: Tensors, named ``#0``, ``#1``, ... in messages.
        **named_tensors: Tensors, named by their keyword in messages.

    Returns:
        The common device, as the tensors report it (for example ``cuda:0``).

    Raises:
        ValueError: No tensors were given.
        TypeError: An argument is not a :class:`torch.Tensor`.
        DeviceMismatchError: The tensors live on different devices.

    >>> check_same_device(torch.zeros(2), bias=torch.ones(2))
    device(type='cpu')
    """
    named: list[tuple[str, object]] = [(f"#{i}", t) for i, t in enumerate(tensors)]
    named += named_tensors.items()
    call = f"check_same_device({', '.join(name for name, _ in named)})"
    if not named:
        head = f"{call}: got no tensors to compare."
        fix = "Fix: pass the tensors, e.g. check_same_device(x, y) or check_same_device(x=x, w=w)."
        raise ValueError(_request.message(head, fix))
    items: list[tuple[str, torch.Tensor]] = []
    for name, value in named:
        if not isinstance(value, torch.Tensor):
            head = f"{call}: {name} must be a torch.Tensor, not {type(value).__name__}."
            fix = "Fix: convert it with torch.as_tensor(...) first, or leave it out."
            raise TypeError(_request.message(head, fix))
        items.append((name, value))
    first = items[0][1].device
    if all(tensor.device == first for _, tensor in items):
        return first
    msg = _request.mismatch_message(call, [(name, str(t.device)) for name, t in items])
    raise DeviceMismatchError(msg)


def to_device(obj: _T, device: str | torch.device, *, non_blocking: bool = False) -> _T:
    """Return a copy of ``obj`` with every tensor inside moved to ``device``.

    Walks lists, tuples, namedtuples, dicts (keeping their type: ``OrderedDict``,
    ``defaultdict``, ...) and dataclass instances (rebuilt with :func:`dataclasses.replace`,
    so ``__post_init__`` runs again; fields with ``init=False`` are not walked), and returns
    new containers; the input is never changed. Anything else comes back as the same
    object, and so does a tensor already on ``device`` (as :meth:`torch.Tensor.to` does).
    Sets are left alone too; a set that holds tensors is refused, because a set hashes
    tensors by identity and moved copies would be new members.

    ``device`` is checked like :func:`pick_device` checks its argument, so an unknown or
    unusable device fails with a clear message before anything moves.

    Modules are refused: ``model.to(device)`` moves an ``nn.Module`` in place, and firsttorch
    never changes your objects behind your back. Call ``model.to(device)`` yourself.

    Args:
        obj: A tensor or a nested structure holding tensors (a batch, a sample, ...).
        device: Where to move the tensors: a device name or a :class:`torch.device`.
        non_blocking: Passed to :meth:`torch.Tensor.to` (asynchronous copies from pinned
            memory); it must be True or False.

    Returns:
        A structure of the same shape and types, its tensors on ``device``.

    Raises:
        TypeError: ``device`` or ``non_blocking`` has the wrong type, or ``obj`` holds an
            ``nn.Module`` or a set of tensors (the message names its path, e.g.
            ``obj['model']``).
        ValueError: ``device`` is not a device name torch knows.
        DeviceUnavailableError: ``device`` cannot be used on this machine.

    >>> batch = {"x": torch.zeros(2), "label": "cat"}
    >>> moved = to_device(batch, "meta")
    >>> moved["x"].device, moved["label"]
    (device(type='meta'), 'cat')
    """
    value: object = device  # typed as object so that the check below is not "unreachable"
    if not isinstance(value, (str, torch.device)):
        msg = _request.type_message("to_device(obj, device=...)", "device", value, allow_none=False)
        raise TypeError(msg)
    call = f"to_device(obj, {_request.show(value)})"
    flag: object = non_blocking
    if not isinstance(flag, bool):
        msg = f"{call}: non_blocking must be True or False, not {type(flag).__name__}."
        raise TypeError(msg)
    other = "pass pick_device() to use the best available device"
    target = _request.explicit(value, call, "the device argument", other)

    def move(tensor: torch.Tensor) -> torch.Tensor:
        return tensor.to(target, non_blocking=non_blocking)

    return cast("_T", _device_tree.map_tensors(obj, "obj", move, call))
