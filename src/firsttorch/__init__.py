"""firsttorch: friendly helpers for your first PyTorch computations.

Device selection (:func:`pick_device`), broadcasting checks (:func:`broadcast_shape`,
:func:`strict_broadcasting`) and gradient inspection (:func:`inspect_grad`,
:func:`grad_graph`, :func:`explain_autograd_errors`, :func:`check_gradients`).
Importing firsttorch has no side effects.
"""

from __future__ import annotations

from firsttorch.broadcast import broadcast_shape, explain_broadcast, strict_broadcasting
from firsttorch.device import (
    AcceleratorStatus,
    DeviceReport,
    check_same_device,
    device_report,
    pick_device,
    to_device,
)
from firsttorch.errors import (
    BroadcastError,
    BroadcastWarning,
    DeviceMismatchError,
    DeviceUnavailableError,
    ExplainedAutogradError,
    FirstTorchError,
    GradientCheckError,
    SurprisingBroadcastError,
)
from firsttorch.grad import (
    GradCheckReport,
    GradCheckResult,
    GradGraph,
    GradInfo,
    check_gradients,
    explain_autograd_errors,
    grad_graph,
    inspect_grad,
)

__version__ = "0.1.0"

__all__ = [
    "AcceleratorStatus",
    "BroadcastError",
    "BroadcastWarning",
    "DeviceMismatchError",
    "DeviceReport",
    "DeviceUnavailableError",
    "ExplainedAutogradError",
    "FirstTorchError",
    "GradCheckReport",
    "GradCheckResult",
    "GradGraph",
    "GradInfo",
    "GradientCheckError",
    "SurprisingBroadcastError",
    "__version__",
    "broadcast_shape",
    "check_gradients",
    "check_same_device",
    "device_report",
    "explain_autograd_errors",
    "explain_broadcast",
    "grad_graph",
    "inspect_grad",
    "pick_device",
    "strict_broadcasting",
    "to_device",
]

#: Where each public object is defined (for the API reference's source links).
_HOMES = {name: getattr(globals()[name], "__module__", __name__) for name in __all__}


def _public_module() -> None:
    """Name the package as the module of every public object: ``firsttorch.BroadcastError``.

    Tracebacks, reprs and pickles then use the name users import, not a private module.
    """
    for name in __all__:
        obj = globals()[name]
        if isinstance(obj, type) or callable(obj):
            obj.__module__ = __name__


_public_module()
