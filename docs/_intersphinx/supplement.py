"""Write torch-supplement.inv: PyTorch names newer than the vendored 2.5 inventory.

The vendored torch.inv (see SOURCES.md) is PyTorch 2.5's. Names added later, such as
``torch.accelerator``, are listed here with their page on the hosted PyTorch docs, so
cross-references to them resolve offline and still link to the real documentation.
Run ``python docs/_intersphinx/supplement.py`` after editing ENTRIES; a test checks the
committed file matches.
"""

from __future__ import annotations

import zlib
from pathlib import Path

HERE = Path(__file__).parent
TARGET = HERE / "torch-supplement.inv"

# (name, role, relative URI) on https://docs.pytorch.org/docs/stable
ENTRIES = [
    ("torch.accelerator", "py:module", "accelerator.html#module-$"),
    ("torch.accelerator.is_available", "py:function", "generated/$.html#$"),
    ("torch.accelerator.current_accelerator", "py:function", "generated/$.html#$"),
    ("torch.accelerator.device_count", "py:function", "generated/$.html#$"),
    ("torch.accelerator.current_device_index", "py:function", "generated/$.html#$"),
    ("torch.accelerator.synchronize", "py:function", "generated/$.html#$"),
]


def render() -> bytes:
    """Return the bytes of the inventory file."""
    header = (
        "# Sphinx inventory version 2\n"
        "# Project: PyTorch (names newer than 2.5)\n"
        "# Version: 2.13\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    body = "".join(f"{name} {role} 1 {uri} -\n" for name, role, uri in ENTRIES)
    return header.encode() + zlib.compress(body.encode(), 9)


if __name__ == "__main__":
    TARGET.write_bytes(render())
    print(f"wrote {TARGET} ({len(ENTRIES)} entries)")
