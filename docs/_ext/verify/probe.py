"""What the verifier observes while code runs: in each page's kernel and in the build
process where sphinx-gallery runs the scripts. Standard library only at import time.

- :class:`RandomWatch` notices randomness drawn without a seed, at run time (however the
  generator was reached: ``torch.randn``, ``from torch import rand``, ``nn.Linear``...).
  Every run starts from an unpredictable seed, so unseeded output also changes between
  builds, as it would for a reader.
- :func:`figure_data` describes what a matplotlib figure draws (titles, labels, line and
  bar data, images) so that a transcript checks a figure's numbers, not its pixels.
- :class:`ExplainAsserts` gives each hidden ``assert`` a message with the values involved.
- :class:`RunState` is what one run leaves for the verifier, written as JSON: the same
  record, by the same route, for pages and scripts.
"""

from __future__ import annotations

import ast
import json
import random
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

#: The key under which a figure's data travels in a display output's metadata.
FIGURE_MIME = "text/x-firsttorch-figure"
_MAX_VALUES = 24
_REPR_LIMIT = 300


@dataclass
class RunState:
    """What one page or script run left behind for the verifier."""

    devices: list[str] = field(default_factory=list)
    unseeded: list[str] = field(default_factory=list)
    figures: dict[str, list[str]] = field(default_factory=dict)
    blocks_run: list[int] = field(default_factory=list)
    timed_out: str | None = None

    def write(self, path: Path) -> None:
        """Store the state as JSON at *path*."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), sort_keys=True) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> RunState | None:
        """The state stored at *path*, or None when the run left none."""
        if not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(**data)


def devices_in(namespace: dict[str, Any]) -> list[str]:
    """The devices of the tensors and module parameters held in *namespace*."""
    torch = sys.modules.get("torch")
    if torch is None:
        return []
    devices: set[str] = set()
    for value in list(namespace.values()):
        if isinstance(value, torch.Tensor):
            devices.add(str(value.device))
        elif isinstance(value, torch.nn.Module):
            devices.update(str(p.device) for p in value.parameters())
    return sorted(devices)


class RandomWatch:
    """Notice random numbers drawn without a seed, at run time.

    :meth:`start` seeds every generator unpredictably and notes torch's seed; ``seed``
    functions are wrapped to notice seeding. :meth:`check` reports each generator whose
    state moved while it had not been seeded in this run.
    """

    def __init__(self) -> None:
        self.found: list[str] = []
        self._seeded: set[str] = set()
        self._states: dict[str, object] = {}
        self._torch_seed: int | None = None

    def start(self) -> None:
        """Seed every generator unpredictably; remember where each starts."""
        import numpy
        import torch

        self._seeded.clear()
        self.found.clear()
        random.seed()
        torch.seed()
        self._torch_seed = int(torch.initial_seed())
        numpy.random.seed(None)
        self._wrap(numpy.random, "numpy")
        self._states = self._snapshot()

    def _wrap(self, module: Any, name: str) -> None:
        """Wrap ``module.seed`` so that seeding *name* is noticed."""
        original = module.seed
        original = getattr(original, "__wrapped__", original)

        def seed(*args: Any, **kwargs: Any) -> None:
            self._seeded.add(name)
            original(*args, **kwargs)

        seed.__wrapped__ = original  # type: ignore[attr-defined]
        module.seed = seed

    def _snapshot(self) -> dict[str, object]:
        states: dict[str, object] = {}
        torch, numpy = sys.modules["torch"], sys.modules["numpy"]
        states["torch"] = bytes(torch.default_generator.get_state().numpy())
        if torch.cuda.is_initialized():  # pragma: no cover - GPU lane only
            states["torch.cuda"] = bytes(torch.cuda.get_rng_state().numpy())
        _, keys, pos, *_ = numpy.random.get_state()
        states["numpy"] = (bytes(keys.tobytes()), int(pos))
        return states

    def check(self, where: str) -> None:
        """Note each generator that moved without a seed since the last check."""
        torch = sys.modules["torch"]
        if int(torch.initial_seed()) != self._torch_seed:
            self._seeded.update({"torch", "torch.cuda"})
        now = self._snapshot()
        for name, state in now.items():
            before = self._states.get(name)
            if before is not None and before != state and name not in self._seeded:
                self.found.append(f"{where} draws from the unseeded {name} generator")
        self._states = now


def _fmt(value: float) -> str:
    """A float in 4 significant digits, always printed as a float."""
    return repr(float(f"{float(value):.4g}"))


def _values(values: Any) -> str:
    data = [float(v) for v in list(values)]
    if len(data) <= _MAX_VALUES:
        return "[" + ", ".join(_fmt(v) for v in data) + "]"
    return (
        f"{len(data)} values, first {_fmt(data[0])}, last {_fmt(data[-1])}, "
        f"min {_fmt(min(data))}, max {_fmt(max(data))}, sum {_fmt(sum(data))}"
    )


def figure_data(fig: Any) -> str:
    """Describe what a matplotlib figure draws, for a transcript."""
    lines = [f"figure: {len(fig.axes)} axes, suptitle {_text(fig._suptitle)!r}"]
    for i, ax in enumerate(fig.axes, start=1):
        lines.append(
            f"axes {i}: title {ax.get_title()!r}, x label {ax.get_xlabel()!r}, "
            f"y label {ax.get_ylabel()!r}, x scale {ax.get_xscale()}, y scale {ax.get_yscale()}"
        )
        for line in ax.get_lines():
            x, y = line.get_xdata(), line.get_ydata()
            lines.append(f"  line {line.get_label()!r}: x {_values(x)}; y {_values(y)}")
        bars = [p for p in ax.patches if type(p).__name__ == "Rectangle"]
        if bars:
            lines.append(f"  bars: x {_values(b.get_x() for b in bars)}")
            lines.append(f"        heights {_values(b.get_height() for b in bars)}")
            lines.append(f"        widths {_values(b.get_width() for b in bars)}")
        others = [type(p).__name__ for p in ax.patches if type(p).__name__ != "Rectangle"]
        if others:
            lines.append(f"  patches: {', '.join(sorted(others))}")
        for coll in ax.collections:
            offsets = coll.get_offsets()
            lines.append(f"  {type(coll).__name__}: {len(offsets)} points")
            if len(offsets):
                lines.append(f"    x {_values(offsets[:, 0])}; y {_values(offsets[:, 1])}")
        for image in ax.get_images():
            arr = image.get_array()
            flat = [float(v) for v in arr.ravel()] if arr is not None else []
            shape = "x".join(str(n) for n in arr.shape) if arr is not None else "none"
            lines.append(f"  image {shape}: {_values(flat)}")
        texts = [t.get_text() for t in ax.texts if t.get_text()]
        if texts:
            lines.append(f"  texts: {texts!r}")
        legend = ax.get_legend()
        if legend is not None:
            lines.append(f"  legend: {[t.get_text() for t in legend.get_texts()]!r}")
    return "\n".join(lines) + "\n"


def figure_metadata(fig: Any) -> tuple[None, dict[str, str]]:
    """A display formatter's answer: no data to show, the figure's data as metadata."""
    return None, {"data": figure_data(fig)}


def _text(artist: Any) -> str:
    return str(artist.get_text()) if artist is not None else ""


def assert_message(source: str, parts: tuple[tuple[str, Any], ...]) -> str:
    """The message of a failing hidden assert: its source and the values involved."""
    lines = [f"assert {source}"]
    for label, get in parts:
        try:
            value = get()
        except Exception as err:  # noqa: BLE001 - reported in the message itself
            shown = f"<could not evaluate: {type(err).__name__}: {err}>"
        else:
            shown = repr(value)
            if len(shown) > _REPR_LIMIT:
                shown = shown[: _REPR_LIMIT - 3] + "..."
        lines.append(f"  where {label} = {shown}")
    return "\n".join(lines)


class ExplainAsserts(ast.NodeTransformer):
    """Give each ``assert`` without a message one that shows its operands' values."""

    def visit_Assert(self, node: ast.Assert) -> ast.Assert:
        if node.msg is not None:
            return node
        test = node.test
        operands: list[ast.expr] = []
        if isinstance(test, ast.Compare):
            operands = [test.left, *test.comparators]
        elif isinstance(test, ast.Call):
            operands = list(test.args)
        elif isinstance(test, ast.UnaryOp):
            operands = [test.operand]
        elif not isinstance(test, ast.Constant):
            operands = [test]
        parts: list[ast.expr] = [
            ast.Tuple(
                elts=[
                    ast.Constant(ast.unparse(op)),
                    ast.Lambda(
                        args=ast.arguments(
                            posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]
                        ),
                        body=op,
                    ),
                ],
                ctx=ast.Load(),
            )
            for op in operands
            if not isinstance(op, ast.Constant)
        ]
        helper = ast.Attribute(
            value=ast.Call(
                func=ast.Name("__import__", ast.Load()),
                args=[ast.Constant("verify.probe")],
                keywords=[ast.keyword("fromlist", ast.List([ast.Constant("x")], ast.Load()))],
            ),
            attr="assert_message",
            ctx=ast.Load(),
        )
        node.msg = ast.Call(
            func=helper,
            args=[ast.Constant(ast.unparse(test)), ast.Tuple(elts=parts, ctx=ast.Load())],
            keywords=[],
        )
        return ast.copy_location(node, node)


def explain_asserts(tree: ast.Module) -> ast.Module:
    """*tree* with :class:`ExplainAsserts` applied (locations kept for tracebacks)."""
    explained: ast.Module = ExplainAsserts().visit(tree)
    return ast.fix_missing_locations(explained)


# -- inside a page's kernel ------------------------------------------------------------
class KernelProbe:
    """Installed by the kernel's startup file: watches randomness, explains asserts,
    gives figures a data description, and writes the run state at the end of the page."""

    def __init__(self, shell: Any, runs: str) -> None:
        self.shell = shell
        self.runs = Path(runs)
        self.watch = RandomWatch()
        self.cell = 0

    def install(self) -> None:
        """Hook into IPython: cell events, the AST and the display formatter."""
        from IPython.core.formatters import BaseFormatter

        class FigureFormatter(BaseFormatter):
            """Puts a figure's data into the output's metadata (never into what is shown)."""

            format_type = FIGURE_MIME
            print_method = "_repr_firsttorch_figure_"
            _return_type = (str, type(None))

        self.formatter = FigureFormatter(parent=self.shell.display_formatter)
        self.shell.display_formatter.formatters[FIGURE_MIME] = self.formatter
        self.shell.ast_transformers.append(ExplainAsserts())
        # The inline backend drops every Figure printer when it starts, so figures carry
        # the method the formatter looks for instead.
        from matplotlib.figure import Figure

        Figure._repr_firsttorch_figure_ = figure_metadata  # type: ignore[attr-defined]
        self.shell.events.register("post_run_cell", self._post_run_cell)
        self.watch.start()

    def _post_run_cell(self, result: Any) -> None:
        del result
        self.cell += 1
        self.watch.check(f"cell [{self.cell}]")

    def finish(self, path: str) -> None:
        """Write the run state for the verifier (the page's last, hidden cell).

        *path* is relative to the build's runs folder: the hidden cell's code is the same
        on every machine, so an executed notebook matches its page wherever it ran.
        """
        self.watch.check(f"cell [{self.cell + 1}]")
        state = RunState(
            devices=devices_in(self.shell.user_ns),
            unseeded=list(self.watch.found),
        )
        state.write(self.runs / path)


_KERNEL: list[KernelProbe] = []


def install_in_kernel(shell: Any, runs: str) -> None:
    """Entry point of the kernel's startup file; *runs* is the build's runs folder."""
    probe = KernelProbe(shell, runs)
    probe.install()
    _KERNEL[:] = [probe]


def finish_kernel(path: str) -> None:
    """Entry point of the page's last, hidden cell."""
    _KERNEL[0].finish(path)
