"""docs/_ext/mathml.py: formulas become MathML at build time, and a bad one fails loudly."""

from __future__ import annotations

import mathml
import pytest
from sphinx.errors import ExtensionError


class TestToMathml:
    def test_block_formula(self) -> None:
        """A display formula is block MathML with its fractions, and keeps its TeX source."""
        out = mathml.to_mathml(r"\frac{dz}{dx} = 2y \cdot 3", block=True)
        assert out.startswith('<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">')
        assert out.count("<mfrac>") == 1
        assert '<annotation encoding="application/x-tex">\\frac{dz}{dx} = 2y \\cdot 3' in out
        assert out.endswith("</semantics></math>")

    def test_inline_formula_escapes_its_source(self) -> None:
        """Inline MathML; the annotation escapes characters that are special in HTML."""
        out = mathml.to_mathml(r"a < b", block=False)
        assert 'display="inline"' in out
        assert "a &lt; b</annotation>" in out

    def test_unconvertible_formula_names_itself(self) -> None:
        """A formula latex2mathml cannot read stops the build, naming the formula."""
        with pytest.raises(ExtensionError, match=r"cannot convert the formula 'x\^' to MathML"):
            mathml.to_mathml("x^", block=True)
