"""Sphinx extension: render math to MathML during the build, so no page loads MathJax.

Sphinx's default math renderer loads MathJax from a CDN, which breaks offline reading and
sends every reader's browser to another host. Browsers render MathML themselves (MathML
Core), so the build converts each formula with latex2mathml and the page carries the
result: nothing to download, nothing to run. The LaTeX source stays in the page as the
formula's annotation, for screen readers and for copying.
"""

from __future__ import annotations

from html import escape
from typing import Any

from docutils import nodes
from latex2mathml.converter import convert
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.writers.html5 import HTML5Translator


def to_mathml(latex: str, *, block: bool) -> str:
    """MathML for *latex*, with the source kept as a TeX annotation.

    Raises:
        ExtensionError: If latex2mathml cannot convert it (the message shows the formula).
    """
    try:
        markup = convert(latex, display="block" if block else "inline")
    except Exception as exc:  # latex2mathml raises many kinds; name the formula, keep the cause
        msg = f"mathml: cannot convert the formula {latex!r} to MathML: {exc}"
        raise ExtensionError(msg) from exc
    annotation = f'<annotation encoding="application/x-tex">{escape(latex)}</annotation>'
    head, _, body = markup.partition(">")
    inner = body.removesuffix("</math>")
    return f"{head}><semantics>{inner}{annotation}</semantics></math>"


def _visit_inline(self: HTML5Translator, node: nodes.math) -> None:
    self.body.append(f'<span class="math">{to_mathml(node.astext(), block=False)}</span>')
    raise nodes.SkipNode


def _visit_block(self: HTML5Translator, node: nodes.math_block) -> None:
    if node.get("label"):
        self.body.append(f'<span class="eqno">({node["number"]})</span>')
    body = to_mathml(node.astext(), block=True)
    self.body.append(f'<div class="math notranslate nohighlight">{body}</div>\n')
    raise nodes.SkipNode


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the MathML renderer; conf.py selects it with ``html_math_renderer``."""
    app.add_html_math_renderer("mathml", (_visit_inline, None), (_visit_block, None))
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
