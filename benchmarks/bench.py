"""Where build time goes, and what the helpers cost: run with ``nox -s bench``.

Builds a copy of the site in a temporary directory (docs/_build is never touched), times
a clean build, the floor (the same build with execution off, plus running all the code
once in one process), incremental rebuilds, per-page kernel overhead and the helpers.
Writes benchmarks/results/bench.json, bench.md and build-time.png; all figures come from
this one run on this machine. ``--only helpers`` (or ``site``, ``import``) re-measures one
part and keeps the other figures of the last run; ``--report`` only redraws the report.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

from common import RESULTS
from helper_timing import bench_helpers, bench_import
from report import write
from site_timing import bench_site

PARTS = {"site": bench_site, "helpers": bench_helpers, "import": bench_import}


def main(argv: list[str] | None = None) -> None:
    """Measure what the arguments ask for and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(PARTS),
        help="measure only this part (repeatable); the others come from the last bench.json",
    )
    parser.add_argument("--report", action="store_true", help="only redraw the report")
    args = parser.parse_args(argv)
    if args.report:
        write(json.loads((RESULTS / "bench.json").read_text()))
        return
    import torch

    r: dict[str, object] = {}
    if args.only:
        r.update(json.loads((RESULTS / "bench.json").read_text()))
    r.update(
        {
            "date": time.strftime("%Y-%m-%d"),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "torch": torch.__version__,
            "python": platform.python_version(),
            "load_before": os.getloadavg()[0],
        }
    )
    for name, measure in PARTS.items():
        if not args.only or name in args.only:
            r.update(measure())
    r["load_after"] = os.getloadavg()[0]
    write(r)


if __name__ == "__main__":
    main()
