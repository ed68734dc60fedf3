"""Private helpers for firsttorch.device: check an explicit device request, word the errors."""

from __future__ import annotations

import os
import textwrap

import torch

from firsttorch import _device_probe as _probe
from firsttorch.errors import DeviceUnavailableError

ENV_VAR = "FIRSTTORCH_DEVICE"
_CHOICES = "'cpu', 'cuda', 'cuda:N' (N = 0, 1, ...), 'mps', 'xpu', 'xpu:N', 'meta'"
_ALIASES = {"gpu": "cuda", "nvidia": "cuda", "amd": "cuda", "rocm": "cuda", "apple": "mps"}


def message(*parts: str) -> str:
    """Join message parts into lines that fit an 88-column terminal."""
    first, *rest = parts
    lines = [textwrap.fill(first, 88, subsequent_indent="  ", break_long_words=False)]
    for part in rest:
        lines.append(textwrap.fill(part, 88, initial_indent="  ", subsequent_indent="    ",
                                   break_long_words=False, break_on_hyphens=False))  # fmt: skip
    return "\n".join(lines)


def mismatch_message(call: str, devices: list[tuple[str, str]]) -> str:
    """Word the DeviceMismatchError: every argument with its device, then the fix."""
    distinct = list(dict.fromkeys(device for _, device in devices))
    head = f"{call}: the tensors are on {len(distinct)} different devices ({', '.join(distinct)}):"
    width = max(len(name) for name, _ in devices)
    return "\n".join([
        message(head),
        *(f"  {name:<{width}}  {device}" for name, device in devices),
        "  Every tensor in one operation must be on the same device.",
        "  Fix: pick one device, e.g. `device = firsttorch.pick_device()`, then move each",
        "    tensor with `x = x.to(device)`, or a whole batch at once with",
        "    `batch = firsttorch.to_device(batch, device)`.",
    ])  # fmt: skip


def show(device: str | torch.device) -> str:
    """Return a device request as the user would type it."""
    return repr(device) if isinstance(device, str) else f"torch.device({str(device)!r})"


#: Names that are no torch device, with what to say instead of guessing.
_NO_GUESS = {
    "tpu": (
        "TPUs are used through the torch_xla package (`import torch_xla; "
        "device = torch_xla.device()`), not through a torch.device name."
    ),
}


def _did_you_mean(text: str) -> str:
    import difflib

    base, _, index = text.strip().lower().partition(":")
    if base in _NO_GUESS:
        return f" {_NO_GUESS[base]}"
    kinds = ["cpu", "cuda", "mps", "xpu", "meta"]
    # A one-letter change turns any three-letter name into another ('tpu' -> 'xpu'), so
    # only close matches count.
    guess = _ALIASES.get(base) or next(
        iter(difflib.get_close_matches(base, kinds, n=1, cutoff=0.75)), None
    )
    if guess is None:
        return ""
    return f" Did you mean {guess + (':' + index if index.isdigit() else '')!r}?"


def type_message(call: str, name: str, value: object, *, allow_none: bool) -> str:
    """Word the TypeError for a device argument of the wrong type."""
    expected = "a str such as 'cuda' or 'cuda:0', " + (
        "a torch.device or None" if allow_none else "or a torch.device"
    )
    fix = "pass a device name such as 'cpu' or 'cuda'"
    if isinstance(value, int) and not isinstance(value, bool):
        fix = f"pass 'cuda:{value}' for GPU number {value}"
    got = "None" if value is None else type(value).__name__
    return message(f"{call}: {name} must be {expected}; got {got}.", f"Fix: {fix}.")


def explicit(value: str | torch.device, call: str, source: str, other: str) -> torch.device:
    """Parse an explicit device request and check that it can be met, or raise."""
    try:
        device = value if isinstance(value, torch.device) else torch.device(value)
    except RuntimeError as err:
        shown = source if source.startswith(ENV_VAR) else repr(value)
        head = f"{call}: {shown} is not a device name torch knows.{_did_you_mean(str(value))}"
        fix = f"Fix: use one of them, or {other}."
        raise ValueError(message(head, f"Valid choices: {_CHOICES}.", fix)) from err
    if device.type in ("cpu", "meta"):
        return device
    status = _probe.probe(device.type)
    reason, fix = status.reason, status.fix
    if status.available and (device.index is None or device.index < status.count):
        return device
    if status.available:
        reason = (
            f"device index {device.index} is out of range: torch sees "
            f"{_probe.plural(status.count, device.type + ' device')} ({_probe.listing(status)})"
        )
        last = status.count - 1
        fix = f"use an index from 0 to {last}" if last else f"use {device.type + ':0'!r}"
        fix += f", or plain {device.type!r}"
    msg = message(
        f"{call}: cannot use {str(device)!r}, asked for by {source}.",
        f"Reason: {reason}.",
        f"Available here: {', '.join(_probe.usable())}.",
        f"Fix: {fix}; or {other}.",
    )
    raise DeviceUnavailableError(msg)


def default() -> tuple[torch.device, str]:
    """Return what pick_device() chooses with no argument, and why."""
    raw = os.environ.get(ENV_VAR, "").strip()
    if raw:
        other = f"unset {ENV_VAR} to let pick_device() choose"
        device = explicit(raw, "pick_device()", f"{ENV_VAR}={raw!r}", other)
        return device, f"asked for by {ENV_VAR}={raw!r}"
    best = _probe.best_accelerator()
    if best is None:
        return torch.device("cpu"), "no accelerator is available"
    return best, "the best available accelerator"
