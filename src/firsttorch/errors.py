"""Every exception and warning that firsttorch raises, in one place.

Each one subclasses the built-in exception that PyTorch itself raises in the same
situation, so an existing ``except RuntimeError:`` or ``except ValueError:`` keeps working.
"""

from __future__ import annotations

__all__ = [
    "BroadcastError",
    "BroadcastWarning",
    "DeviceMismatchError",
    "DeviceUnavailableError",
    "ExplainedAutogradError",
    "FirstTorchError",
    "GradientCheckError",
    "SurprisingBroadcastError",
]


class FirstTorchError(Exception):
    """Base class of every exception raised by firsttorch."""


class DeviceUnavailableError(FirstTorchError, RuntimeError):
    """An explicitly requested device cannot be used on this machine.

    PyTorch raises :class:`RuntimeError` (or :class:`AssertionError` in old
    releases) when it cannot use a device, hence the ``RuntimeError`` base.
    """


class DeviceMismatchError(FirstTorchError, RuntimeError):
    """Tensors that must share a device live on different devices.

    PyTorch reports ``Expected all tensors to be on the same device`` as a
    :class:`RuntimeError`.
    """


class BroadcastError(FirstTorchError, ValueError, RuntimeError):
    """Shapes cannot be broadcast together.

    :func:`torch.broadcast_shapes` raises :class:`RuntimeError` and NumPy raises
    :class:`ValueError`; this class is both.
    """


class SurprisingBroadcastError(BroadcastError):
    """``strict_broadcasting(mode="raise")`` caught a legal but surprising broadcast."""


class BroadcastWarning(UserWarning):
    """``strict_broadcasting(mode="warn")`` caught a legal but surprising broadcast."""


class ExplainedAutogradError(FirstTorchError, RuntimeError):
    """An autograd error from PyTorch, re-raised with its cause and fix in plain words.

    The original exception is kept as ``__cause__`` and in ``original``.
    """

    def __init__(self, message: str, original: BaseException | None = None) -> None:
        super().__init__(message)
        self.original = original


class GradientCheckError(FirstTorchError, RuntimeError):
    """Autograd and finite differences disagree (see :func:`firsttorch.check_gradients`).

    :func:`torch.autograd.gradcheck.gradcheck` raises a :class:`RuntimeError` subclass here.
    """
