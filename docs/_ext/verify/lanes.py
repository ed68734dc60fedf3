"""Lanes (CPU, GPU): what each may print, and output patterns that know their lane.

The CPU lane hides every CUDA device from the code it runs (``CUDA_VISIBLE_DEVICES=""``),
so a CPU-lane page prints the same on a laptop and on a GPU server. Its outputs may not
name an accelerator device. The GPU lane must run on CUDA; tensors print their device
there, which is the only thing normalised away on that lane.

Patterns declared for lane-dependent output use placeholders instead of alternatives, so
a pattern can never accept a GPU answer on the CPU lane: ``{device}`` (``cpu`` /
``cuda:N``), ``{device_type}`` (``cpu`` / ``cuda``), ``{accelerator}`` (``None`` / ``cuda``),
``{available}`` (``False`` / ``True``), ``{time}`` (a duration such as ``0.123 ms``) and
``{devices}`` (``cpu`` / ``cpu and cuda``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TIME = r"\d+(?:\.\d+)? ?(?:ns|µs|us|ms|s)"


@dataclass(frozen=True)
class Lane:
    """One lane: its name, the device type its pages run on, and its placeholders."""

    name: str
    device_type: str
    placeholders: tuple[tuple[str, str], ...]

    def expand(self, pattern: str) -> str:
        """*pattern* with this lane's placeholders filled in."""
        for key, value in self.placeholders:
            pattern = pattern.replace("{" + key + "}", value)
        return pattern

    def normalise(self, text: str) -> str:
        """Lane-specific normalisation: on the GPU lane, drop the device tensors print."""
        if self.device_type == "cpu":
            return text
        text = re.sub(r",\s*device='cuda(?::\d+)?'", "", text)
        return re.sub(r"\bdevice='cuda(?::\d+)?',\s*", "", text)


CPU = Lane(
    "cpu",
    "cpu",
    (
        ("device_type", "cpu"),
        ("device", "cpu"),
        ("accelerator", "None"),
        ("available", "False"),
        ("devices", "cpu"),
        ("time", _TIME),
    ),
)
GPU = Lane(
    "gpu",
    "cuda",
    (
        ("device_type", "cuda"),
        ("device", r"cuda(?::\d+)?"),
        ("accelerator", "cuda"),
        ("available", "True"),
        ("devices", "cpu and cuda"),
        ("time", _TIME),
    ),
)
LANES = {lane.name: lane for lane in (CPU, GPU)}

#: An accelerator device as tensors and devices print it: ``cuda:0``, ``device='mps'``,
#: ``device(type='xpu')``, ``device = cuda``, ``cpu and cuda``.
ACCELERATOR_DEVICE = re.compile(
    r"device\(type='(?:cuda|mps|xpu|hpu|mtia)'|device='(?:cuda|mps|xpu|hpu|mtia)"
    r"|(?<![\w.'])(?:cuda|mps|xpu|hpu|mtia):\d+|(?:=|\band|\bon)\s+(?:cuda|mps|xpu)\b(?!')"
)
#: Strings no honest pattern accepts: a pattern that matches one of them matches anything.
_PROBES = ("", "\n", "x", "firsttorch", "0", "anything at all\nover two lines", " ")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_RAW_ACCELERATOR = re.compile(r"\b(?:cuda|mps|xpu)\b")


def lane_named(name: str) -> Lane:
    """The lane called *name*; a clear error for anything else."""
    try:
        return LANES[name]
    except KeyError:
        msg = (
            f"firsttorch_lane = {name!r} is not a lane; choose one of {sorted(LANES)}. "
            "Fix: leave it unset for the CPU lane (nox -s docs), or build the GPU lane "
            "with nox -s docs_gpu on a machine with CUDA."
        )
        raise ValueError(msg) from None


def pattern_problems(pattern: str) -> list[str]:
    """Why *pattern* is not acceptable as a declared output pattern (empty if it is)."""
    problems = []
    unknown = sorted(set(_PLACEHOLDER.findall(pattern)) - {k for k, _ in CPU.placeholders})
    if unknown:
        problems.append(f"unknown placeholder(s) {unknown} in the output pattern")
    if _RAW_ACCELERATOR.search(pattern):
        problems.append(
            "the pattern spells out accelerator names; use {device}, {device_type}, "
            "{accelerator} or {devices} so that each lane accepts only its own device"
        )
    for lane in LANES.values():
        try:
            regex = re.compile(lane.expand(pattern), re.DOTALL)
        except re.error as err:
            problems.append(f"not a regular expression on the {lane.name} lane: {err}")
            continue
        loose = [p for p in _PROBES if regex.fullmatch(p)]
        if loose:
            problems.append(
                f"on the {lane.name} lane it accepts {loose[0]!r}: a pattern must not accept "
                "empty or arbitrary output"
            )
    return problems


def pattern_matches(lane: Lane, pattern: str, output: str) -> bool:
    """Whether *output* (without its final newline) is accepted by *pattern* on *lane*."""
    return re.fullmatch(lane.expand(pattern), output.rstrip("\n"), re.DOTALL) is not None


def accelerator_named(lane: Lane, output: str) -> str | None:
    """The accelerator device a CPU-lane *output* names, if any."""
    if lane.device_type != "cpu":
        return None
    found = ACCELERATOR_DEVICE.search(output)
    return found.group(0) if found else None
