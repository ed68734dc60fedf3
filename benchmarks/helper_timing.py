"""What the helpers cost: micro-benchmarks as ratios within one run, and import time."""

from __future__ import annotations

import compileall
import statistics
import subprocess
import sys
import time
import timeit
from pathlib import Path
from typing import Any


# -- the helpers ---------------------------------------------------------------------
def best(stmt: object, number: int, repeat: int = 7) -> float:
    """Best-of-*repeat* seconds per call."""
    return min(timeit.repeat(stmt, number=number, repeat=repeat)) / number  # type: ignore[arg-type]


def in_turns(variants: dict[str, Any], per_run: int, rounds: int = 15) -> dict[str, float]:
    """Best seconds per step of each variant (each run does *per_run* steps), timed in turns.

    Many rounds, best of each, so that drift on a busy machine hits all variants alike.
    """
    times: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            times[name].append(timeit.timeit(fn, number=1) / per_run)
    return {name: min(t) for name, t in times.items()}


def bench_helpers() -> dict[str, float]:
    import torch
    from torch.overrides import TorchFunctionMode

    import firsttorch

    res: dict[str, float] = {}
    a, b = (8, 1, 6, 1), (7, 1, 5)
    res["broadcast_shape_us"] = best(lambda: firsttorch.broadcast_shape(a, b), 20000) * 1e6
    res["torch_broadcast_shapes_us"] = best(lambda: torch.broadcast_shapes(a, b), 20000) * 1e6
    res["broadcast_shape_ratio"] = res["broadcast_shape_us"] / res["torch_broadcast_shapes_us"]

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(64, 64), torch.randint(0, 10, (64,))

    def step() -> None:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    def strict_step() -> None:
        with firsttorch.strict_broadcasting():
            step()

    def explained_step() -> None:
        with firsttorch.explain_autograd_errors():
            step()

    def untracked_step() -> None:
        with firsttorch.explain_autograd_errors(track_ops=False):
            step()

    class Bare(TorchFunctionMode):
        """What a torch function mode costs when it only forwards every call."""

        def __torch_function__(
            self, func: Any, types: object, args: Any = (), kwargs: Any = None
        ) -> Any:
            return func(*args, **(kwargs or {}))

    def bare_step() -> None:
        with Bare():
            step()

    def steps(fn: Any, n: int = 100) -> Any:
        def run() -> None:
            for _ in range(n):
                fn()

        return run

    def held(n: int = 100) -> None:
        with firsttorch.strict_broadcasting():  # one block around the loop, as in training
            for _ in range(n):
                step()

    for _ in range(50):
        step()
    # "off": firsttorch imported and a block created but never entered
    firsttorch.strict_broadcasting()
    variants = {
        "plain": steps(step),
        "off": steps(step),
        "on": held,
        "per_step": steps(strict_step),
        "bare": steps(bare_step),
        "explain": steps(explained_step),
        "untracked": steps(untracked_step),
    }
    times = in_turns(variants, per_run=100)
    plain = times["plain"]
    res["train_step_us"] = plain * 1e6
    res["strict_off_ratio"] = times["off"] / plain
    res["strict_on_ratio"] = times["on"] / plain
    res["strict_per_step_ratio"] = times["per_step"] / plain
    res["strict_enter_exit_us"] = (times["per_step"] - times["on"]) * 1e6
    res["bare_mode_ratio"] = times["bare"] / plain
    res["explain_autograd_ratio"] = times["explain"] / plain
    res["explain_untracked_ratio"] = times["untracked"] / plain
    res["pick_device_us"] = best(firsttorch.pick_device, 5000) * 1e6
    return res


# The cost of `import firsttorch` once torch is loaded, timed inside a fresh interpreter.
MARGINAL_IMPORT = (
    "import time, torch; t = time.perf_counter(); import firsttorch; print(time.perf_counter() - t)"
)


def bench_import(runs: int = 9) -> dict[str, float]:
    def once(code: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - start

    def marginal() -> float:
        out = subprocess.run(
            [sys.executable, "-c", MARGINAL_IMPORT], capture_output=True, text=True, check=True
        )
        return float(out.stdout)

    # An installed wheel has its bytecode compiled by pip; an editable checkout run with
    # PYTHONDONTWRITEBYTECODE (as CI machines often are) would re-compile on every import.
    import firsttorch

    compileall.compile_dir(Path(firsttorch.__file__).parent, quiet=1)
    torch_t, ft_t, extra = [], [], []
    for _ in range(runs):  # interleaved, so drift hits both alike
        torch_t.append(once("import torch"))
        ft_t.append(once("import torch; import firsttorch"))
        extra.append(marginal())
    res = {
        "import_torch_ms": statistics.median(torch_t) * 1e3,
        "import_firsttorch_ms": statistics.median(ft_t) * 1e3,
        # Whole-process wall times differ by more than this from run to run (noise).
        "import_process_diff_ms": (statistics.median(ft_t) - statistics.median(torch_t)) * 1e3,
        "import_overhead_ms": statistics.median(extra) * 1e3,
    }
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import torch; import firsttorch"],
        capture_output=True,
        text=True,
        check=True,
    )
    # The slowest modules firsttorch itself pulls in (cumulative microseconds).
    after = proc.stderr.split("| torch\n", 1)[-1]
    rows = [ln.split("|") for ln in after.splitlines() if ln.count("|") == 2]
    rows = [(int(r[1]), r[2].strip()) for r in rows if r[1].strip().isdigit()]
    res["import_top"] = sorted(rows, reverse=True)[:5]  # type: ignore[assignment]
    return res
