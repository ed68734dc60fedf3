"""Compare printed output: exact about meaning, blind to layout.

Output is split into numbers and the text between them. Text must match exactly, except
that whitespace touching a number is layout (NumPy and torch pad their columns, and re-pad
them when one value gains a digit). Integers must be equal, and an integer never matches a
float. A float matches within a tolerance set by how precisely the *expected* side was
printed, never looser than :data:`MAX_REL` of its value, never tighter than float32 noise.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

#: A number as Python, NumPy and torch print it (not part of a name, a version or a path).
NUMBER = re.compile(
    r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w]|\.\d)",
)
#: The loosest a float comparison may ever be: one part in a thousand of the value.
MAX_REL = 1e-3
#: Rounding noise tolerated below the printed precision (float32 differs in its last bits
#: between CPU kernels, BLAS paths, thread counts and GPUs): a few float32 ulps.
NOISE_REL = 1e-5


@dataclass(frozen=True)
class Number:
    """One printed number: its text, its value and whether it was printed as an integer."""

    text: str
    value: float
    is_int: bool

    @classmethod
    def parse(cls, text: str) -> Number:
        """Read a token matched by :data:`NUMBER`."""
        is_int = not any(c in text for c in ".eE")
        return cls(text, float(text), is_int)

    def unit(self) -> float:
        """One unit of the last printed digit (``0.1234`` -> 1e-4, ``4.`` -> 1)."""
        mantissa, _, exponent = self.text.lower().partition("e")
        decimals = len(mantissa.split(".", 1)[1]) if "." in mantissa else 0
        return float(10.0 ** (-decimals + (int(exponent) if exponent else 0)))


def tolerance(expected: Number) -> float:
    """How far a float may be from *expected* and still mean the same printed value."""
    size = abs(expected.value)
    by_precision = max(expected.unit(), NOISE_REL * size)
    return min(by_precision, MAX_REL * size)


def numbers_match(expected: Number, actual: Number) -> bool:
    """Integers exactly; floats within :func:`tolerance` of the expected side."""
    if expected.is_int or actual.is_int:
        return expected.is_int == actual.is_int and expected.text.lstrip("+") == actual.text.lstrip(
            "+"
        )
    if math.isnan(expected.value) or math.isnan(actual.value):  # pragma: no cover - NaN is text
        return False
    return abs(expected.value - actual.value) <= tolerance(expected) * (1 + 1e-9)


@dataclass(frozen=True)
class Tokens:
    """Output split into text pieces and the numbers between them."""

    texts: tuple[str, ...]
    numbers: tuple[Number, ...]

    @classmethod
    def of(cls, output: str) -> Tokens:
        """Split *output*; whitespace that touches a number is dropped as layout."""
        texts = NUMBER.split(output)
        numbers = tuple(Number.parse(m.group(0)) for m in NUMBER.finditer(output))
        last = len(texts) - 1
        trimmed = []
        for i, piece in enumerate(texts):
            kept = piece.lstrip(" \t\n") if i > 0 else piece  # a number precedes it
            trimmed.append(kept.rstrip(" \t\n") if i < last else kept)  # a number follows
        return cls(tuple(trimmed), numbers)


def outputs_match(expected: str, actual: str) -> bool:
    """Whether two normalised outputs say the same thing (see the module docstring)."""
    if expected == actual:
        return True
    exp, act = Tokens.of(expected), Tokens.of(actual)
    return (
        exp.texts == act.texts
        and len(exp.numbers) == len(act.numbers)
        and all(numbers_match(e, a) for e, a in zip(exp.numbers, act.numbers, strict=True))
    )


def first_difference(expected: str, actual: str) -> str:
    """A one-line reason why two outputs differ, for the build log."""
    exp, act = Tokens.of(expected), Tokens.of(actual)
    if exp.texts != act.texts:
        for want, got in zip(exp.texts, act.texts, strict=False):
            if want != got:
                return f"text differs: expected {want.strip()[:60]!r}, got {got.strip()[:60]!r}"
        return "the outputs have a different number of values"
    if len(exp.numbers) != len(act.numbers):  # pragma: no cover - texts differ first
        return "the outputs have a different number of values"
    for e, a in zip(exp.numbers, act.numbers, strict=True):
        if not numbers_match(e, a):
            if e.is_int != a.is_int:
                kinds = ("an integer", "a float")
                return (
                    f"{a.text} is {kinds[a.is_int is False]} where the reviewed output has "
                    f"{kinds[e.is_int is False]} ({e.text})"
                )
            if e.is_int:
                return f"{a.text} is not {e.text} (integers must be equal)"
            return f"{a.text} is not {e.text} (allowed difference {tolerance(e):.3g})"
    return "outputs differ"  # pragma: no cover - only called when they do
