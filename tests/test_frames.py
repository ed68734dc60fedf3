"""Tests for firsttorch._frames: which code is the user's, and where it is."""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

import torch

from firsttorch import _frames


def test_library_and_user_files() -> None:
    """torch, firsttorch, the standard library and site-packages are library code."""
    assert _frames.is_library_file(torch.__file__)
    assert _frames.is_library_file(_frames.__file__)
    assert _frames.is_library_file(
        str(Path(sysconfig.get_paths()["stdlib"]) / "json" / "__init__.py")
    )
    assert _frames.is_library_file("/opt/env/lib/python3.11/site-packages/pkg/mod.py")
    assert _frames.is_library_file("/usr/lib/python3/dist-packages/pkg/mod.py")
    assert _frames.is_library_file("<frozen runpy>")
    assert not _frames.is_library_file(__file__)
    assert not _frames.is_library_file("/tmp/ipykernel_123/456.py")
    assert not _frames.is_library_file("<string>")


def test_user_frame_skips_library_frames() -> None:
    """Walking out of a library call reaches this test's frame."""
    found: list[object] = []

    def hook(_: object) -> None:
        found.append(_frames.user_location())

    here = sys._getframe().f_lineno + 1
    sorted([1], key=hook)  # a C function calling back: the callback itself is user code
    assert found == [_frames.Location(__file__, _line_in_hook())]
    assert _frames.user_frame(None) is None
    assert str(_frames.Location(__file__, here)).startswith(f"test_frames.py:{here} (`sorted(")
    assert str(_frames.Location("<nowhere>", 3)) == "<nowhere>:3"


def _line_in_hook() -> int:
    import inspect

    source, start = inspect.getsourcelines(test_user_frame_skips_library_frames)
    return start + next(i for i, line in enumerate(source) if "user_location()" in line)


def test_location_in_traceback() -> None:
    """The innermost user line of a traceback, past torch's own frames."""
    try:
        torch.ones(2).view(3)
    except RuntimeError as err:
        where = _frames.user_location_in_traceback(err.__traceback__)
    assert where is not None
    assert where.filename == __file__
    assert "torch.ones(2).view(3)" in str(where)
    assert _frames.user_location_in_traceback(None) is None
