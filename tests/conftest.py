"""Shared test configuration.

pytest's ``pythonpath`` (pyproject.toml) makes ``tests/support`` importable as ``support``
and the docs' own extensions (``docs/_ext``) as plain modules (``verify``, ``take_home``).
"""

from __future__ import annotations

# Fixture sites are copied and built by the tests, never imported by pytest itself.
collect_ignore_glob = ["sites/*"]
