"""Reviewed transcripts: one text file per page or gallery script, one section per cell.

A section starts with ``--- [n] <first code line><flags>`` and holds the cell's output as
the build saw it after normalisation: printed text, errors, ``[figure]`` blocks with the data
the figure draws, and rich outputs as ``[text/html]`` (etc.) blocks. Output that legitimately
depends on the lane is declared in the source with a regular expression and stored as
``~ <pattern>``; placeholders such as ``{device}`` expand per lane (see :mod:`verify.lanes`).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

HEADER = "--- "
PATTERN_PREFIX = "~ "
BANNER = (
    "# Expected output of {source}\n"
    "# Produced by running the code; accept a reviewed change with: {accept}\n"
    "# Numbers compare with a tolerance; '~ ' lines are regular expressions.\n"
)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")
_KERNEL_FILE = re.compile(r'(?:File ")?/tmp/ipykernel_\d+/\d+\.py(?:")?(?:, line |:)(\d+)')
_TRAILING = re.compile(r"[ \t]+$", re.MULTILINE)


@dataclass(frozen=True)
class Section:
    """One cell's (or gallery block's) output under its header."""

    title: str
    body: str
    pattern: str | None = None

    def render(self) -> str:
        """The section as transcript text."""
        if self.pattern is not None:
            body = f"{PATTERN_PREFIX}{self.pattern}\n"
        else:
            body = self.body if not self.body or self.body.endswith("\n") else self.body + "\n"
        return f"{HEADER}{self.title}\n{body}"


def title_for(index: int, code: str, flags: str = "") -> str:
    """A section header: the block number, its first line of real code, and flags."""
    lines = [ln.strip() for ln in code.splitlines()]
    first = next((ln for ln in lines if ln and not ln.startswith("#")), "(no code)")
    if len(first) > 60:
        first = first[:57] + "..."
    return f"[{index}] {first}{flags}"


def normalise(text: str, roots: tuple[str, ...] = (), cell: str = "this cell") -> str:
    """Remove what legitimately changes between runs and machines, and nothing else.

    ANSI colours, the checkout's absolute path (``<root>``), object addresses, trailing
    spaces; the kernel's temporary file for a cell becomes ``<cell>, line N`` so a reader
    sees where the error is rather than ``/tmp/ipykernel_<pid>/<hash>.py``.
    """
    text = _ANSI.sub("", text)
    for root in roots:
        text = text.replace(root, "<root>")
    text = _ADDRESS.sub("0x<address>", text)
    text = _KERNEL_FILE.sub(lambda m: f"{cell}, line {m.group(1)}", text)
    text = _TRAILING.sub("", text)
    return text.strip("\n") + "\n" if text.strip() else ""


def render(sections: list[Section], source: str, accept: str) -> str:
    """The whole transcript file for *sections*."""
    return "\n".join([BANNER.format(source=source, accept=accept), *(s.render() for s in sections)])


def parse(text: str) -> list[Section]:
    """Read a transcript file back into sections (the banner is skipped)."""
    sections: list[Section] = []
    title: str | None = None
    lines: list[str] = []
    for line in [*text.splitlines(keepends=True), HEADER]:
        if not line.startswith(HEADER):
            lines.append(line)
            continue
        if title is not None:
            while lines and not lines[-1].strip():
                lines.pop()
            if len(lines) == 1 and lines[0].startswith(PATTERN_PREFIX):
                pattern = lines[0][len(PATTERN_PREFIX) :].rstrip("\n")
                sections.append(Section(title, "", pattern))
            else:
                sections.append(Section(title, "".join(lines)))
        title, lines = line[len(HEADER) :].rstrip("\n"), []
    return sections


def unified_diff(expected_text: str, actual_text: str, path: str) -> str:
    """A unified diff from the committed transcript to this build's output."""
    return "".join(
        difflib.unified_diff(
            expected_text.splitlines(keepends=True),
            actual_text.splitlines(keepends=True),
            fromfile=f"{path} (expected, committed)",
            tofile=f"{path} (this build)",
            n=2,
        )
    )
