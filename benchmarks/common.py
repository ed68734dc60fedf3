"""What the benchmark modules share: where the repository and the results are, and logging."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def log(msg: str) -> None:
    """A progress line on stdout, flushed at once (the runs take minutes)."""
    print(f"[bench] {msg}", flush=True)  # noqa: T201
