"""Typed records the verifier passes around and keeps between builds."""

from __future__ import annotations

from dataclasses import dataclass, field

from verify.transcript import Section


@dataclass(frozen=True)
class Problem:
    """Something wrong with a page or script, and the source line it points at."""

    message: str
    line: int | None = None


@dataclass
class Executed:
    """What one page, script or doctest page produced, and what is wrong with it."""

    sections: list[Section] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    hidden_checks: int = 0
    expected_errors: int = 0
    picks_device: bool = False
    devices: list[str] = field(default_factory=list)
    stopped: bool = False  # the run failed part-way: its output is not compared

    @property
    def checked(self) -> int:
        """How many sections have output to check."""
        return sum(1 for s in self.sections if s.body or s.pattern)


@dataclass(frozen=True)
class RunRecord:
    """What the verifier concluded about one document in one build (kept in the env)."""

    docname: str
    kind: str  # "page", "example" or "doctest"
    source: str
    expected: str
    lane: str
    devices: tuple[str, ...]
    build: str
    date: str
    torch: str
    sections: int
    checked: int
    hidden_checks: int
    expected_errors: int
    ok: bool
    problems: tuple[str, ...] = ()
    seconds: float = 0.0  # how long it ran (balances shards)
