"""The firsttorch site's output verifier: every output is produced by the build and checked.

Pages (MyST notebooks run by myst-nb), gallery scripts (run by sphinx-gallery) and ``>>>``
examples on other pages are run, turned into transcript sections and compared with the
reviewed transcripts in ``docs/_expected``. See :mod:`verify.extension` for the Sphinx side,
:mod:`verify.compare` for what counts as the same output, :mod:`verify.lanes` for lanes and
patterns, :mod:`verify.probe` for what is observed while code runs.

This module stays light: the kernels import :mod:`verify.probe` without Sphinx.
"""

from __future__ import annotations

from typing import Any


def setup(app: Any) -> dict[str, Any]:
    """Sphinx entry point."""
    from verify.extension import setup as setup_extension

    return setup_extension(app)
