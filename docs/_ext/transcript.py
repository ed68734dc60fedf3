"""Expected-output transcripts: normalise executed output, compare with tolerance, diff.

A transcript is one reviewable text file per page or gallery example. Each code cell (or
gallery block) is a section that starts with a header line ``--- [n] <first code line>``
followed by the normalised output. Output that is legitimately machine-specific is
declared in the source with a regular expression and stored as ``~ <pattern>``: it is
matched, never ignored.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field

HEADER = "--- "
PATTERN_PREFIX = "~ "
FILE_BANNER = (
    "# Expected output of {source}\n"
    "# Produced by running the code; accept a reviewed change with: {accept}\n"
    "# Numbers compare with a tolerance; '~ ' lines are regular expressions.\n"
)

_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w])")
_NORMALISERS: list[tuple[re.Pattern[str], str]] = [
    # A tensor on an accelerator prints its device; the value is what we check.
    (re.compile(r",\s*device='(?:cuda|mps|xpu)(?::\d+)?'"), ""),
    (re.compile(r"\bdevice='(?:cuda|mps|xpu)(?::\d+)?',\s*"), ""),
    (re.compile(r"0x[0-9a-fA-F]{6,}"), "0x<address>"),
    (re.compile(r"/tmp/ipykernel_\d+/\d+\.py"), "<cell>"),
    (re.compile(r"\b\d+(?:\.\d+)?\s?(?:ns|µs|us|ms)\b"), "<time>"),
    (re.compile(r"[ \t]+$", re.MULTILINE), ""),
]
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class Section:
    """One cell's (or block's) output: a header and its body lines."""

    title: str
    body: str
    pattern: str | None = None
    meta: dict[str, object] = field(default_factory=dict)

    def render(self) -> str:
        """Return the section as transcript text."""
        if self.pattern is not None:
            body = f"{PATTERN_PREFIX}{self.pattern}\n"
        else:
            body = self.body if not self.body or self.body.endswith("\n") else self.body + "\n"
        return f"{HEADER}{self.title}\n{body}"


def normalise(text: str, roots: tuple[str, ...] = ()) -> str:
    """Remove what legitimately changes between runs and machines from *text*."""
    text = _ANSI.sub("", text)
    for root in roots:
        if root:
            text = text.replace(root, "<root>")
    for pattern, repl in _NORMALISERS:
        text = pattern.sub(repl, text)
    return text.strip("\n") + "\n" if text.strip() else ""


def render(sections: list[Section], source: str, accept: str) -> str:
    """Return the whole transcript file for *sections*."""
    parts = [FILE_BANNER.format(source=source, accept=accept)]
    parts += [s.render() for s in sections]
    return "\n".join(parts)


def parse(text: str) -> list[Section]:
    """Read a transcript file back into sections (the banner is skipped)."""
    sections: list[Section] = []
    current: Section | None = None
    lines: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.startswith(HEADER):
            if current is not None:
                _finish(current, lines)
                sections.append(current)
            current, lines = Section(title=line[len(HEADER) :].rstrip("\n"), body=""), []
        elif current is not None:
            lines.append(line)
    if current is not None:
        _finish(current, lines)
        sections.append(current)
    return sections


def _finish(section: Section, lines: list[str]) -> None:
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) == 1 and lines[0].startswith(PATTERN_PREFIX):
        section.pattern = lines[0][len(PATTERN_PREFIX) :].rstrip("\n")
    section.body = "".join(lines)


def numbers_close(expected: str, actual: str) -> bool:
    """Whether two printed numbers agree within a tolerance that suits printed output.

    Integers (no point, no exponent) must be equal: they are shapes, counts and indices.
    Floats agree within 0.1 % relative, or within one unit of the last printed digit, so
    float noise between CPU and GPU passes while a real change fails.
    """
    if expected == actual:
        return True
    is_float = any(c in expected + actual for c in ".eE")
    if not is_float:
        return False
    a, b = float(expected), float(actual)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    unit = max(_last_digit_unit(expected), _last_digit_unit(actual))
    return abs(a - b) <= max(1e-3 * max(abs(a), abs(b)), 1.01 * unit)


def _last_digit_unit(token: str) -> float:
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.split(".", 1)[1]) if "." in mantissa else 0
    return float(10.0 ** (-decimals + (int(exponent) if exponent else 0)))


def outputs_match(expected: str, actual: str) -> bool:
    """Compare two normalised outputs: the text exactly, the numbers with a tolerance."""
    if expected == actual:
        return True
    exp_tokens, act_tokens = _NUMBER.split(expected), _NUMBER.split(actual)
    if exp_tokens != act_tokens:
        return False
    exp_nums, act_nums = _NUMBER.findall(expected), _NUMBER.findall(actual)
    return len(exp_nums) == len(act_nums) and all(
        numbers_close(e, a) for e, a in zip(exp_nums, act_nums, strict=True)
    )


def section_matches(expected: Section, actual: Section) -> bool:
    """Whether an executed section agrees with its expected section."""
    if expected.title != actual.title:
        return False
    if expected.pattern is not None or actual.pattern is not None:
        if expected.pattern != actual.pattern or actual.pattern is None:
            return False
        return re.fullmatch(actual.pattern, actual.body.rstrip("\n"), re.DOTALL) is not None
    return outputs_match(expected.body.rstrip("\n"), actual.body.rstrip("\n"))


def compare(expected: list[Section], actual: list[Section]) -> list[int]:
    """Return the indices of the sections that differ (a length change counts)."""
    bad = [
        i
        for i, (e, a) in enumerate(zip(expected, actual, strict=False))
        if not section_matches(e, a)
    ]
    longest = max(len(expected), len(actual))
    bad += list(range(min(len(expected), len(actual)), longest))
    return bad


def unified_diff(expected_text: str, actual_text: str, path: str) -> str:
    """A unified diff from the committed transcript to the output of this build."""
    return "".join(
        difflib.unified_diff(
            expected_text.splitlines(keepends=True),
            actual_text.splitlines(keepends=True),
            fromfile=f"{path} (expected, committed)",
            tofile=f"{path} (this build)",
            n=2,
        )
    )
