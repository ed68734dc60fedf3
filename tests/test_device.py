"""Tests for firsttorch.device: pick_device, device_report, check_same_device, to_device.

This machine has no GPU. Tests of the decision logic for CUDA, ROCm, MPS and XPU use the
``machine`` fixture, which monkeypatches torch's availability functions; each such test
says "Simulation" in its docstring. Tests marked ``gpu`` run only on a real CUDA machine.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import platform
import sys
import types
from collections.abc import Callable
from typing import NamedTuple

import pytest
import torch

from firsttorch import __version__
from firsttorch.device import (
    DeviceReport,
    check_same_device,
    device_report,
    pick_device,
    to_device,
)
from firsttorch.errors import DeviceMismatchError, DeviceUnavailableError

needs_cuda = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a real CUDA GPU; this machine has none"
)
no_accelerator = pytest.mark.skipif(
    torch.cuda.is_available() or torch.backends.mps.is_available() or torch.xpu.is_available(),
    reason="checks the real behaviour of a machine without accelerators",
)
Machine = Callable[..., None]


@pytest.fixture(autouse=True)
def _no_env_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every test independent of a FIRSTTORCH_DEVICE set in the caller's shell."""
    monkeypatch.delenv("FIRSTTORCH_DEVICE", raising=False)


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch) -> Machine:
    """Simulation: make torch describe another machine (this machine has no GPU).

    ``cuda``/``xpu``: None for a torch build without that support, else the number of
    visible devices. ``hip``: a ROCm build. ``mps``: "absent", "unbuilt", "off" or "on".
    ``api``: whether torch has ``torch.accelerator`` (False simulates torch < 2.6).
    ``other``: the type of an accelerator that only ``torch.accelerator`` knows, e.g. "hpu".
    """

    def configure(
        *,
        cuda: int | None = None,
        hip: bool = False,
        mps: str = "absent",
        xpu: int | None = None,
        api: bool = True,
        other: str | None = None,
    ) -> None:
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
        monkeypatch.delenv("HIP_VISIBLE_DEVICES", raising=False)
        monkeypatch.setattr(torch.version, "cuda", "12.4" if cuda is not None and not hip else None)
        monkeypatch.setattr(torch.version, "hip", "6.2" if hip else None)
        monkeypatch.setattr(torch.cuda, "is_available", lambda: bool(cuda))
        monkeypatch.setattr(torch.cuda, "device_count", lambda: cuda or 0)
        monkeypatch.setattr(sys, "platform", "linux" if mps == "absent" else "darwin")
        monkeypatch.setattr(torch.backends.mps, "is_built", lambda: mps in ("off", "on"))
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps == "on")
        monkeypatch.setattr(torch.version, "xpu", None if xpu is None else "2025.1", raising=False)
        monkeypatch.setattr(torch.xpu, "is_available", lambda: bool(xpu))
        monkeypatch.setattr(torch.xpu, "device_count", lambda: xpu or 0)
        found = [kind for kind, on in [("cuda", cuda), ("mps", mps == "on"), ("xpu", xpu)] if on]
        found += [other] if other else []
        current = torch.device(found[0]) if found else None
        if not api:
            monkeypatch.delattr(torch, "accelerator")
            return
        monkeypatch.setattr(torch.accelerator, "is_available", lambda: current is not None)
        monkeypatch.setattr(torch.accelerator, "current_accelerator", lambda: current)
        monkeypatch.setattr(torch.accelerator, "device_count", lambda: 1 if current else 0)

    return configure


@pytest.fixture
def gpu_properties(monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulation: give each simulated CUDA and XPU device a name and 16 GiB of memory."""

    def props(index: int) -> types.SimpleNamespace:
        return types.SimpleNamespace(name=f"Simulated GPU {index}", total_memory=16 * 2**30)

    monkeypatch.setattr(torch.cuda, "get_device_properties", props)
    monkeypatch.setattr(torch.xpu, "get_device_properties", props)


class TestPickDevice:
    """pick_device: argument, then FIRSTTORCH_DEVICE, then the best accelerator, then CPU."""

    @pytest.mark.parametrize("name", ["cpu", "meta", "cpu:0"])
    def test_cpu_and_meta_always_work(self, name: str) -> None:
        """The CPU and the meta device are returned exactly as asked, as torch.device."""
        assert pick_device(name) == torch.device(name)
        assert pick_device(torch.device(name)) == torch.device(name)

    @no_accelerator
    def test_this_machine_without_accelerator_gives_cpu(self) -> None:
        """With no accelerator and no FIRSTTORCH_DEVICE the choice is the CPU."""
        assert pick_device() == torch.device("cpu")

    @no_accelerator
    def test_this_machine_refuses_cuda_without_fallback(self) -> None:
        """Asking for CUDA on this CPU-only machine raises instead of falling back."""
        with pytest.raises(DeviceUnavailableError, match=r"cannot use 'cuda', asked for by the"):
            pick_device("cuda")

    def test_cpu_only_build_message(self, machine: Machine) -> None:
        """Simulation: a CPU-only torch build; the message gives reason, choices and fix."""
        machine()
        with pytest.raises(DeviceUnavailableError) as info:
            pick_device("cuda")
        assert str(info.value) == (
            "pick_device('cuda'): cannot use 'cuda', asked for by the argument.\n"
            "  Reason: this torch build has no CUDA support (torch.version.cuda is None).\n"
            "  Available here: cpu, meta.\n"
            "  Fix: install a CUDA build of torch (https://pytorch.org/get-started/locally/); or call\n"
            "    pick_device() with no argument to choose automatically."
        )
        assert isinstance(info.value, RuntimeError)

    @pytest.mark.parametrize(("count", "kind"), [(1, "cuda"), (0, "mps"), (0, "xpu")])
    def test_automatic_choice_prefers_an_accelerator(
        self, machine: Machine, count: int, kind: str
    ) -> None:
        """Simulation: the available accelerator wins, returned without an index."""
        machine(
            cuda=count or None, mps="on" if kind == "mps" else "absent", xpu=2 * (kind == "xpu")
        )
        assert pick_device() == torch.device(kind)
        assert pick_device().index is None

    @pytest.mark.parametrize("kind", ["cuda", "mps", "xpu", None])
    def test_fallback_without_torch_accelerator(self, machine: Machine, kind: str | None) -> None:
        """Simulation: a torch older than 2.6 (no torch.accelerator) still finds each kind."""
        on = {"cuda": kind == "cuda", "mps": kind == "mps", "xpu": kind == "xpu"}
        machine(cuda=1 if on["cuda"] else None, mps="on" if on["mps"] else "absent",
                xpu=1 if on["xpu"] else None, api=False)  # fmt: skip
        assert pick_device() == torch.device(kind or "cpu")

    def test_accelerator_only_torch_knows(self, machine: Machine) -> None:
        """Simulation: an 'hpu' reported by torch.accelerator is chosen and can be asked for."""
        machine(other="hpu")
        assert pick_device() == torch.device("hpu")
        assert pick_device("hpu:0") == torch.device("hpu:0")
        with pytest.raises(DeviceUnavailableError, match=r"Available here: hpu:0, cpu, meta"):
            pick_device("hpu:1")

    def test_unknown_accelerator_kind(self, machine: Machine) -> None:
        """Simulation: a device type torch knows but nothing here provides is refused."""
        machine()
        with pytest.raises(DeviceUnavailableError, match=r"torch reports no 'hpu' accelerator"):
            pick_device("hpu")
        with pytest.raises(DeviceUnavailableError, match=r"AMD GPUs are called 'cuda' in torch"):
            pick_device("hip")

    def test_environment_variable_is_used(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """FIRSTTORCH_DEVICE is read at call time and never written."""
        monkeypatch.setenv("FIRSTTORCH_DEVICE", " meta ")
        before = dict(os.environ)
        assert pick_device() == torch.device("meta")
        assert dict(os.environ) == before

    def test_argument_beats_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """An argument wins; a broken FIRSTTORCH_DEVICE is then not even parsed."""
        monkeypatch.setenv("FIRSTTORCH_DEVICE", "gpu")
        assert pick_device("cpu") == torch.device("cpu")

    def test_empty_environment_variable_means_unset(
        self, machine: Machine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Simulation: a machine with no accelerator; FIRSTTORCH_DEVICE='' counts as unset."""
        machine()
        monkeypatch.setenv("FIRSTTORCH_DEVICE", "  ")
        assert pick_device() == torch.device("cpu")

    def test_environment_request_that_fails(
        self, machine: Machine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Simulation: a CPU-only build; FIRSTTORCH_DEVICE=cuda raises and names the variable."""
        machine()
        monkeypatch.setenv("FIRSTTORCH_DEVICE", "cuda")
        with pytest.raises(DeviceUnavailableError, match=r"asked for by FIRSTTORCH_DEVICE='cuda'"):
            pick_device()
        with pytest.raises(DeviceUnavailableError, match=r"unset FIRSTTORCH_DEVICE to let"):
            pick_device()

    def test_cuda_build_without_gpu(self, machine: Machine) -> None:
        """Simulation: a CUDA build with no GPU visible points at nvidia-smi."""
        machine(cuda=0)
        with pytest.raises(DeviceUnavailableError, match=r"no GPU is visible: the driver reports"):
            pick_device("cuda")
        with pytest.raises(DeviceUnavailableError, match=r"check that `nvidia-smi` lists a GPU"):
            pick_device("cuda")

    @pytest.mark.parametrize("value", ["", "-1", " -1,0"])
    def test_cuda_visible_devices_hides_every_gpu(
        self, machine: Machine, monkeypatch: pytest.MonkeyPatch, value: str
    ) -> None:
        """Simulation: a CUDA build whose GPUs CUDA_VISIBLE_DEVICES hides."""
        machine(cuda=0)
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", value)
        match = rf"CUDA_VISIBLE_DEVICES is set to '{value}', which hides every GPU"
        with pytest.raises(DeviceUnavailableError, match=match):
            pick_device("cuda")
        with pytest.raises(DeviceUnavailableError, match=r"Fix: unset CUDA_VISIBLE_DEVICES"):
            pick_device("cuda")

    def test_cuda_visible_devices_names_missing_gpu(
        self, machine: Machine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Simulation: a CUDA build with CUDA_VISIBLE_DEVICES naming GPUs that are not there."""
        machine(cuda=0)
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")
        with pytest.raises(DeviceUnavailableError, match=r"visible with CUDA_VISIBLE_DEVICES set"):
            pick_device("cuda")

    def test_rocm_build(self, machine: Machine, monkeypatch: pytest.MonkeyPatch) -> None:
        """Simulation: a ROCm build uses device type 'cuda' and points at rocm-smi."""
        machine(cuda=0, hip=True)
        with pytest.raises(DeviceUnavailableError, match=r"check that `rocm-smi` lists a GPU"):
            pick_device("cuda")
        monkeypatch.setenv("HIP_VISIBLE_DEVICES", "-1")
        with pytest.raises(DeviceUnavailableError, match=r"HIP_VISIBLE_DEVICES is set to '-1'"):
            pick_device("cuda")

    def test_cuda_index_in_range(self, machine: Machine) -> None:
        """Simulation: with 2 GPUs, 'cuda:1' and torch.device('cuda', 1) come back as asked."""
        machine(cuda=2)
        assert pick_device("cuda:1") == torch.device("cuda", 1)
        assert pick_device(torch.device("cuda", 1)) == torch.device("cuda", 1)
        assert pick_device("cuda") == torch.device("cuda")

    @pytest.mark.parametrize(
        ("count", "asked", "match"),
        [
            (
                1,
                "cuda:3",
                r"(?s)torch sees 1 cuda device \(cuda:0\)\.\n.*Fix: use 'cuda:0', or plain",
            ),
            (3, "cuda:3", r"3 cuda devices \(cuda:0 to cuda:2\).*\n.*\n.*index from 0 to 2"),
        ],
    )
    def test_cuda_index_out_of_range(
        self, machine: Machine, count: int, asked: str, match: str
    ) -> None:
        """Simulation: asking for a GPU index beyond the visible GPUs says how many there are."""
        machine(cuda=count)
        with pytest.raises(DeviceUnavailableError, match=r"device index 3 is out of range"):
            pick_device(asked)
        with pytest.raises(DeviceUnavailableError, match=match):
            pick_device(asked)

    def test_mps(self, machine: Machine) -> None:
        """Simulation: an Apple silicon Mac has exactly one MPS device."""
        machine(mps="on")
        assert pick_device("mps") == torch.device("mps")
        with pytest.raises(DeviceUnavailableError, match=r"Fix: use 'mps:0', or plain 'mps'"):
            pick_device("mps:1")

    @pytest.mark.parametrize(
        ("mps", "match"),
        [
            ("absent", r"MPS exists only on Apple silicon macOS"),
            ("unbuilt", r"this torch build has no MPS support"),
            ("off", r"this Mac offers no Metal GPU to torch"),
        ],
    )
    def test_mps_unavailable(self, machine: Machine, mps: str, match: str) -> None:
        """Simulation: Linux, a Mac with a torch built without MPS, a Mac without Metal."""
        machine(mps=mps)
        with pytest.raises(DeviceUnavailableError, match=match):
            pick_device("mps")

    @pytest.mark.parametrize(
        ("xpu", "match"),
        [(None, r"this torch build has no XPU support"), (0, r"no Intel GPU is visible")],
    )
    def test_xpu_unavailable(self, machine: Machine, xpu: int | None, match: str) -> None:
        """Simulation: a torch build without XPU, and an XPU build without an Intel GPU."""
        machine(xpu=xpu)
        with pytest.raises(DeviceUnavailableError, match=match):
            pick_device("xpu")

    @pytest.mark.parametrize(
        ("name", "hint"),
        [
            ("gpu", r" Did you mean 'cuda'\?"),
            ("CUDA:1", r" Did you mean 'cuda:1'\?"),
            ("cuda:x", r" Did you mean 'cuda'\?"),
            ("banana", r"\n"),
        ],
    )
    def test_unknown_name(self, name: str, hint: str) -> None:
        """An unknown device name raises ValueError with the valid choices and a guess."""
        match = rf"^pick_device\('{name}'\): '{name}' is not a device name torch knows\.{hint}"
        with pytest.raises(ValueError, match=match):
            pick_device(name)
        with pytest.raises(ValueError, match=r"Valid choices: 'cpu', 'cuda', 'cuda:N' \(N = 0"):
            pick_device(name)

    def test_unknown_name_in_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A bad FIRSTTORCH_DEVICE is named as the source of the bad value."""
        monkeypatch.setenv("FIRSTTORCH_DEVICE", "gpu")
        with pytest.raises(ValueError, match=r"FIRSTTORCH_DEVICE='gpu' is not a device name"):
            pick_device()

    @pytest.mark.parametrize(
        ("value", "match"),
        [
            (3, r"got int\.\n  Fix: pass 'cuda:3'"),
            ([1], r"got list"),
            (True, r"got bool\.\n.*'cpu'"),
        ],
    )
    def test_wrong_type(self, value: object, match: str) -> None:
        """A preferred value of the wrong type raises TypeError naming the argument."""
        with pytest.raises(
            TypeError, match=r"preferred must be a str such as 'cuda' or 'cuda:0', a"
        ):
            pick_device(value)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=match):
            pick_device(value)  # type: ignore[arg-type]

    @pytest.mark.gpu
    @needs_cuda
    def test_real_cuda(self) -> None:
        """On a real CUDA machine pick_device() chooses CUDA and a tensor can live there."""
        device = pick_device()
        assert device == torch.device("cuda")
        assert torch.ones(2, device=device).device.type == "cuda"
        assert pick_device("cuda:0") == torch.device("cuda", 0)


class TestDeviceReport:
    """device_report: a copy-pasteable description of torch, Python and accelerators."""

    def test_real_report(self) -> None:
        """On this machine the report names the real versions and platform."""
        report = device_report()
        assert isinstance(report, DeviceReport)
        assert report.firsttorch_version == __version__
        assert report.torch_version == torch.__version__
        assert report.python_version == platform.python_version()
        assert report.platform == platform.platform()
        assert [status.kind for status in report.accelerators] == ["cuda", "mps", "xpu"]
        assert str(pick_device()) == report.chosen

    def test_layout(self) -> None:
        """Every line fits 88 columns and the values start in one column."""
        lines = str(device_report()).splitlines()
        assert lines[0] == f"firsttorch {__version__} environment report"
        assert all(len(line) <= 88 for line in lines)
        labels = [line[:15] for line in lines[1:] if line[2] != " "]
        assert labels[:3] == ["  torch        ", "  python       ", "  platform     "]
        assert labels[-1] == "  pick_device  "
        assert all(line[15] != " " for line in lines[1:] if line[2] != " ")

    def test_frozen(self) -> None:
        """A report cannot be changed after the fact."""
        with pytest.raises(dataclasses.FrozenInstanceError, match=r"cannot assign to field"):
            device_report().chosen = "cuda"  # type: ignore[misc]

    def test_to_dict_is_json(self) -> None:
        """to_dict() survives a JSON round trip and uses the field names as keys."""
        data = device_report().to_dict()
        assert json.loads(json.dumps(data)) == data
        assert list(data) == [field.name for field in dataclasses.fields(DeviceReport)]

    def test_cpu_only_build(self, machine: Machine) -> None:
        """Simulation: a CPU-only build on Linux; each kind says why it is missing."""
        machine()
        report = device_report()
        text = str(report)
        assert report.torch_build == "CPU-only build"
        assert f"  torch        {torch.__version__} (CPU-only build)\n" in text
        assert "  cuda         not available: this torch build has no CUDA support" in text
        assert "  mps          not available: MPS exists only on Apple silicon macOS\n" in text
        assert "  xpu          not available: this torch build has no XPU support" in text
        assert text.endswith("  pick_device  cpu (no accelerator is available)")

    @pytest.mark.usefixtures("gpu_properties")
    def test_cuda_machine(self, machine: Machine) -> None:
        """Simulation: a CUDA build with 2 GPUs lists their names and memory."""
        machine(cuda=2)
        report = device_report()
        text = str(report)
        assert report.torch_build == "CUDA 12.4 build"
        assert "  cuda         available: 2 devices\n" in text
        assert "\n                 cuda:1  Simulated GPU 1, 16.0 GiB\n" in text
        assert text.endswith("  pick_device  cuda (the best available accelerator)")
        devices = report.to_dict()["accelerators"][0]["devices"]
        assert devices[0] == {"name": "Simulated GPU 0", "total_memory_bytes": 16 * 2**30}

    @pytest.mark.parametrize(
        ("options", "build"),
        [
            ({"cuda": 1, "hip": True}, "ROCm 6.2 build"),
            ({"mps": "on"}, "MPS build"),
            ({"xpu": 1}, "XPU build"),
        ],
    )
    @pytest.mark.usefixtures("gpu_properties")
    def test_other_builds(self, machine: Machine, options: dict[str, object], build: str) -> None:
        """Simulation: ROCm, MPS and XPU builds are named, and XPU devices are listed."""
        machine(**options)
        report = device_report()
        assert report.torch_build == build
        assert "xpu:0  Simulated GPU 0" in str(report) or "xpu" not in options

    def test_unusable_environment_variable(
        self, machine: Machine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Simulation: a CPU-only build; FIRSTTORCH_DEVICE=cuda is reported, not raised."""
        machine()
        monkeypatch.setenv("FIRSTTORCH_DEVICE", "cuda")
        report = device_report()
        assert report.chosen is None
        assert report.environment == (("FIRSTTORCH_DEVICE", "cuda"),)
        text = str(report)
        assert "  env          FIRSTTORCH_DEVICE='cuda'\n" in text
        assert (
            "  pick_device  fails: DeviceUnavailableError: cannot use 'cuda', asked for by\n"
            in text
        )
        assert all(len(line) <= 88 for line in text.splitlines())

    @pytest.mark.parametrize(
        ("value", "chosen", "reason"),
        [
            ("meta", "meta", "asked for by FIRSTTORCH_DEVICE='meta'"),
            ("gpu", None, "ValueError: FIRSTTORCH_DEVICE='gpu' is not a device name"),
        ],
    )
    def test_environment_variable(
        self, monkeypatch: pytest.MonkeyPatch, value: str, chosen: str | None, reason: str
    ) -> None:
        """FIRSTTORCH_DEVICE shows up as the reason for the choice, or as its error."""
        monkeypatch.setenv("FIRSTTORCH_DEVICE", value)
        report = device_report()
        assert report.chosen == chosen
        assert report.reason.startswith(reason)

    @pytest.mark.gpu
    @needs_cuda
    def test_real_cuda(self) -> None:
        """On a real CUDA machine the report lists each GPU by name."""
        report = device_report()
        cuda = report.accelerators[0]
        assert cuda.available
        assert cuda.devices[0][0] == torch.cuda.get_device_name(0)


class TestCheckSameDevice:
    """check_same_device: one device for all tensors, or a list of who lives where."""

    def test_same_device(self) -> None:
        """Tensors on one device give that device, positional and named alike."""
        assert check_same_device(torch.zeros(2), torch.ones(3)) == torch.device("cpu")
        assert check_same_device(x=torch.zeros(2, device="meta")) == torch.device("meta")

    def test_mismatch_lists_every_argument(self) -> None:
        """Tensors on the CPU and the meta device: every argument is listed with its device."""
        cpu, meta = torch.zeros(2), torch.zeros(2, device="meta")
        with pytest.raises(DeviceMismatchError) as info:
            check_same_device(cpu, meta, weight=cpu)
        assert str(info.value) == (
            "check_same_device(#0, #1, weight): the tensors are on 2 different devices (cpu, meta):\n"
            "  #0      cpu\n"
            "  #1      meta\n"
            "  weight  cpu\n"
            "  Every tensor in one operation must be on the same device.\n"
            "  Fix: pick one device, e.g. `device = firsttorch.pick_device()`, then move each\n"
            "    tensor with `x = x.to(device)`, or a whole batch at once with\n"
            "    `batch = firsttorch.to_device(batch, device)`."
        )
        assert isinstance(info.value, RuntimeError)

    def test_no_tensors(self) -> None:
        """Calling it with nothing to compare raises ValueError."""
        with pytest.raises(ValueError, match=r"check_same_device\(\): got no tensors to compare"):
            check_same_device()

    def test_not_a_tensor(self) -> None:
        """A non-tensor raises TypeError naming its position or keyword and its type."""
        with pytest.raises(TypeError, match=r"\(#0, #1\): #1 must be a torch.Tensor, not list"):
            check_same_device(torch.zeros(1), [1.0])  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"bias must be a torch.Tensor, not float\.\n  Fix"):
            check_same_device(torch.zeros(1), bias=1.0)  # type: ignore[arg-type]

    @pytest.mark.gpu
    @needs_cuda
    def test_real_cuda_mismatch(self) -> None:
        """On a real CUDA machine a CPU tensor and a GPU tensor are reported apart."""
        with pytest.raises(DeviceMismatchError, match=r"#0  cpu\n  #1  cuda:0"):
            check_same_device(torch.zeros(1), torch.zeros(1, device="cuda"))


class Pair(NamedTuple):
    """A namedtuple that holds a tensor and a label."""

    x: torch.Tensor
    label: str


@dataclasses.dataclass(frozen=True)
class Sample:
    """A frozen dataclass with a tensor, a plain value and a derived field."""

    image: torch.Tensor
    name: str
    size: int = dataclasses.field(init=False, default=0)

    def __post_init__(self) -> None:
        """Derive size from the image."""
        object.__setattr__(self, "size", self.image.numel())


@dataclasses.dataclass
class Holder:
    """A mutable dataclass that holds anything."""

    item: object


class TestToDevice:
    """to_device: move every tensor in a nested structure, without side effects."""

    def test_nested_structure(self) -> None:
        """Tensors move, containers keep their types, other values stay the same objects."""
        name = "a name"
        factory = collections.defaultdict(list, {"t": torch.zeros(1)})
        batch = {
            "list": [torch.zeros(2), name],
            "tuple": (torch.zeros(2), 3),
            "pair": Pair(torch.zeros(2), name),
            "ordered": collections.OrderedDict([("b", torch.zeros(1)), ("a", 1)]),
            "factory": factory,
            "sample": Sample(torch.zeros(4), name),
            "size": torch.Size([2, 3]),
        }
        moved = to_device(batch, "meta")
        assert moved["list"][0].device.type == "meta"
        assert moved["list"][1] is name
        assert type(moved["tuple"]) is tuple
        assert moved["tuple"][0].is_meta
        assert isinstance(moved["pair"], Pair)
        assert moved["pair"].x.is_meta
        assert moved["pair"].label is name
        assert list(moved["ordered"]) == ["b", "a"]
        assert type(moved["ordered"]) is collections.OrderedDict
        assert moved["factory"].default_factory is list
        assert moved["factory"]["t"].is_meta
        assert moved["sample"].image.is_meta
        assert moved["sample"].size == 4
        assert moved["size"] == torch.Size([2, 3])
        assert type(moved["size"]) is torch.Size

    def test_input_is_not_changed(self) -> None:
        """The input structure and its tensors stay where they were."""
        batch = {"x": [torch.zeros(2)]}
        moved = to_device(batch, torch.device("meta"))
        assert moved is not batch
        assert moved["x"] is not batch["x"]
        assert batch["x"][0].device == torch.device("cpu")

    def test_plain_tensor_and_non_tensor(self) -> None:
        """A bare tensor is moved; a value without tensors comes back as is."""
        assert to_device(torch.zeros(1), "meta", non_blocking=True).is_meta
        marker = object()
        assert to_device(marker, "meta") is marker
        numbers = {1, 2}
        assert to_device(numbers, "meta") is numbers

    def test_set_of_tensors(self) -> None:
        """A set holding tensors is refused, with its path."""
        with pytest.raises(TypeError, match=r"obj\['ids'\] is a set of tensors; to_device leaves"):
            to_device({"ids": {torch.zeros(1)}}, "meta")

    @pytest.mark.parametrize(
        ("obj", "path"),
        [
            (torch.nn.Linear(2, 2), "obj"),
            ({"model": torch.nn.Linear(2, 2)}, r"obj\['model'\]"),
            ([torch.zeros(1), torch.nn.Linear(2, 2)], r"obj\[1\]"),
            (Pair(torch.nn.Linear(2, 2), "x"), r"obj\.x"),  # type: ignore[arg-type]
            (Holder(torch.nn.Linear(2, 2)), r"obj\.item"),
        ],
    )
    def test_module_is_refused(self, obj: object, path: str) -> None:
        """An nn.Module anywhere raises TypeError with its path; nothing is moved."""
        with pytest.raises(TypeError, match=rf"to_device\(obj, 'meta'\): {path} is a Linear"):
            to_device(obj, "meta")
        with pytest.raises(TypeError, match=rf"Fix: call {path}\.to\(device\) yourself"):
            to_device(obj, "meta")

    def test_module_left_untouched(self) -> None:
        """A refused module keeps its parameters on the CPU (no side effect)."""
        model = torch.nn.Linear(2, 2)
        with pytest.raises(TypeError, match=r"an nn.Module"):
            to_device([model], "meta")
        assert model.weight.device == torch.device("cpu")

    def test_unknown_device(self) -> None:
        """An unknown device name raises ValueError before anything moves."""
        with pytest.raises(ValueError, match=r"to_device\(obj, 'gpu'\): 'gpu' is not a device"):
            to_device([torch.zeros(1)], "gpu")

    def test_unavailable_device(self, machine: Machine) -> None:
        """Simulation: a CPU-only build; to_device(obj, 'cuda') explains like pick_device."""
        machine()
        with pytest.raises(DeviceUnavailableError, match=r"asked for by the device argument"):
            to_device([torch.zeros(1)], "cuda")

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            (
                {"device": None},
                r"(?s)device must be a str such as 'cuda' or 'cuda:0', or a\s+torch.device; got None",
            ),
            ({"device": "meta", "non_blocking": 1}, r"non_blocking must be True or False, not int"),
        ],
    )
    def test_wrong_types(self, kwargs: dict[str, object], match: str) -> None:
        """A device or non_blocking of the wrong type raises TypeError naming it."""
        with pytest.raises(TypeError, match=match):
            to_device([torch.zeros(1)], **kwargs)  # type: ignore[arg-type]

    @pytest.mark.gpu
    @needs_cuda
    def test_real_cuda(self) -> None:
        """On a real CUDA machine a nested batch moves to the GPU and back."""
        batch = {"x": torch.arange(3.0), "y": [torch.ones(2)]}
        on_gpu = to_device(batch, "cuda")
        assert check_same_device(on_gpu["x"], on_gpu["y"][0]).type == "cuda"
        assert torch.equal(to_device(on_gpu, "cpu")["x"], batch["x"])
