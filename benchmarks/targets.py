"""The targets the benchmark measures against, in one place, and the verdict on each."""

from __future__ import annotations

TARGETS = {
    "clean_over_floor": 1.5,
    "noop_rebuild_s": 3.0,
    "page_edit_s": 6.0,
    "script_edit_s": 6.0,
    "noop_over_import": 5.0,  # a no-op rebuild against importing the extension stack
    "page_edit_over_noop": 2.0,
    "broadcast_shape_ratio": 2.0,
    "strict_off_ratio": 1.02,
    "strict_on_ratio": 1.3,
    "import_overhead_ms": 30.0,
}


def verdict(key: str, value: float) -> str:
    target = TARGETS.get(key)
    if target is None:
        return ""
    if value <= target:
        return "met"
    return f"**missed** by {value - target:.3g} ({value / target:.2f}x the target)"
