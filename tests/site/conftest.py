"""Checks of the built site in docs/_build/html: one guard for the whole folder.

Without a built site these modules are not collected (run ``nox -s docs`` first); where
FIRSTTORCH_REQUIRE_SITE=1, as in the nox sessions that build the site, a missing site is
an error instead, so the checks can never be skipped silently.
"""

from __future__ import annotations

from support import site_checks

collect_ignore_glob: list[str] = []
if not site_checks.site_built():
    site_checks.fail_if_required()
    collect_ignore_glob = ["test_*.py"]


def pytest_report_header() -> str | None:
    """Say so at the top of the run when the site checks were left out."""
    return None if site_checks.site_built() else "site checks: no built site, not collected"
