"""``python -m firsttorch``: print the environment report (``--json`` for machines)."""

from __future__ import annotations

import argparse
import json

from firsttorch import __version__
from firsttorch.device import device_report


def main(argv: list[str] | None = None) -> int:
    """Print :func:`firsttorch.device_report` as text or JSON; the ``firsttorch`` command.

    Args:
        argv: The command-line arguments, without the program name; None reads
            ``sys.argv``.

    Returns:
        The exit status: 0. The report never fails on an unusable ``FIRSTTORCH_DEVICE``;
        it says so instead. Bad arguments make argparse exit with status 2.

    >>> main(["--json"])  # doctest: +ELLIPSIS
    {
      "firsttorch_version": "...",
    ...
    0
    """
    parser = argparse.ArgumentParser(
        prog="firsttorch",
        description="Print what torch can compute on here: the torch build, Python, each "
        "accelerator (cuda, mps, xpu) and why it is or is not available, and the device "
        "firsttorch.pick_device() chooses. Paste it into a bug report.",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--version", action="version", version=f"firsttorch {__version__}")
    args = parser.parse_args(argv)
    report = device_report()
    print(json.dumps(report.to_dict(), indent=2) if args.json else report)
    return 0


if __name__ == "__main__":  # pragma: no cover (tests/test_main.py runs this in a subprocess)
    raise SystemExit(main())
