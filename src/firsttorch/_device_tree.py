"""Private helper for firsttorch.to_device: rebuild nested containers around moved tensors."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import torch

from firsttorch._device_request import message


def map_tensors(
    obj: object, path: str, move: Callable[[torch.Tensor], torch.Tensor], call: str
) -> object:
    """Return ``obj`` with ``move`` applied to every tensor inside; containers are rebuilt.

    ``path`` names ``obj`` in error messages (``obj['model']``); ``call`` is the public call.
    """
    if isinstance(obj, torch.Tensor):
        return move(obj)
    if isinstance(obj, torch.nn.Module):
        head = (
            f"{call}: {path} is a {type(obj).__name__}, an nn.Module. firsttorch never moves "
            "modules: model.to(device) changes the module in place, behind your back."
        )
        fix = f"Fix: call {path}.to(device) yourself, and pass only the data to to_device."
        raise TypeError(message(head, fix))
    if isinstance(obj, dict):
        out = copy.copy(obj)  # keeps the type, the order and a defaultdict's default_factory
        for key, value in obj.items():
            out[key] = map_tensors(value, f"{path}[{key!r}]", move, call)
        return out
    rebuild: Any = type(obj)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # a namedtuple
        fields = zip(obj._fields, obj, strict=True)
        return rebuild(
            *(map_tensors(value, f"{path}.{name}", move, call) for name, value in fields)
        )
    if isinstance(obj, (list, tuple)):
        return rebuild(
            map_tensors(value, f"{path}[{i}]", move, call) for i, value in enumerate(obj)
        )
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        values = ((f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.init)
        changes = {name: map_tensors(value, f"{path}.{name}", move, call) for name, value in values}
        return dataclasses.replace(obj, **changes)
    if isinstance(obj, (set, frozenset)) and any(isinstance(v, torch.Tensor) for v in obj):
        head = f"{call}: {path} is a {type(obj).__name__} of tensors; to_device leaves sets alone."
        fix = "Fix: keep the tensors in a list or tuple (a set hashes tensors by identity)."
        raise TypeError(message(head, fix))
    return obj
