"""Find the user's own code on the call stack: the first frame outside any library.

A frame is *library* code when its file lies in firsttorch, torch or NumPy, in the
standard library, or in any installed package (every ``site-packages`` and
``dist-packages`` directory), or when it is a frozen module (``<frozen runpy>``). Every
other frame is the user's: a script, a notebook cell (``/tmp/ipykernel_.../1.py``),
``<stdin>``, ``<string>`` from ``exec``, a doctest.
"""

from __future__ import annotations

import functools
import linecache
import os
import site
import sys
import sysconfig
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import torch

if TYPE_CHECKING:
    from types import FrameType, TracebackType

__all__ = [
    "Location",
    "is_library_file",
    "location",
    "user_frame",
    "user_location",
    "user_location_in_traceback",
]


class Location(NamedTuple):
    """A line in the user's code (a named tuple, cheap to record).

    ``str()`` gives ``file.py:12 (`the code on that line`)``, or ``file.py:12`` when the
    source is not available.
    """

    filename: str
    lineno: int

    def __str__(self) -> str:
        code = linecache.getline(self.filename, self.lineno).strip()
        place = f"{Path(self.filename).name}:{self.lineno}"
        return f"{place} (`{code}`)" if code else place


@functools.cache
def _library_dirs() -> tuple[str, ...]:
    """Directories whose files are never the user's code, each ending in a separator."""
    dirs = {str(Path(torch.__file__).parent), str(Path(__file__).parent)}
    numpy = sys.modules.get("numpy")
    if numpy is not None and getattr(numpy, "__file__", None):
        dirs.add(str(Path(numpy.__file__).parent))  # type: ignore[arg-type]
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            dirs.add(path)
    dirs.update(getattr(site, "getsitepackages", list)())
    user_site = getattr(site, "getusersitepackages", str)()
    if user_site:
        dirs.add(user_site)
    dirs |= {os.path.realpath(d) for d in dirs}  # a symlinked venv is found either way
    return tuple(sorted(str(Path(d)) + os.sep for d in dirs))


@functools.lru_cache(maxsize=4096)
def is_library_file(filename: str) -> bool:
    """Whether code in ``filename`` belongs to a library rather than to the user.

    >>> is_library_file(torch.__file__)
    True
    >>> is_library_file("/home/me/train.py"), is_library_file("<stdin>")
    (False, False)
    >>> is_library_file("<frozen runpy>")
    True
    """
    if filename.startswith("<"):
        return filename.startswith("<frozen ")
    return filename.startswith(_library_dirs()) or any(
        part in ("site-packages", "dist-packages") for part in Path(filename).parts
    )


def user_frame(frame: FrameType | None) -> FrameType | None:
    """Walk outwards from ``frame`` (itself included) to the first frame of user code.

    Returns None when every frame on the way is library code.

    >>> import sys
    >>> user_frame(sys._getframe()) is sys._getframe()  # a doctest is user code
    True
    """
    while frame is not None and is_library_file(frame.f_code.co_filename):
        frame = frame.f_back
    return frame


def location(frame: FrameType) -> Location:
    """The file and the line that ``frame`` is executing."""
    return Location(frame.f_code.co_filename, frame.f_lineno)


def user_location(depth: int = 1) -> Location | None:
    """Where the user's code is, seen from ``depth`` frames above the caller of this function.

    ``user_location()`` starts at the function that calls it; library frames (that one
    included, when it lives in a library) are skipped.
    """
    found = user_frame(sys._getframe(depth))
    return None if found is None else location(found)


def user_location_in_traceback(tb: TracebackType | None) -> Location | None:
    """The innermost line of user code in a traceback: where the user's call raised."""
    found = None
    while tb is not None:
        if not is_library_file(tb.tb_frame.f_code.co_filename):
            found = Location(tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found
