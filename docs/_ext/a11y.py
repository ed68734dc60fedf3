"""Sphinx extension: the accessibility fixes the theme and Sphinx leave to the site.

- Sphinx marks a toctree caption ``role="heading"`` without the ``aria-level`` that the
  role requires (axe-core: aria-required-attr, critical); the translator adds level 2.
- A code block wider than the page scrolls sideways, and keyboard users can only scroll
  what can take focus (axe-core: scrollable-region-focusable, serious);
  ``_static/tab-stops.js`` gives such blocks a tab stop once the page has laid them out.
- sphinx.ext.graphviz embeds an SVG diagram as an ``<object>`` whose ``:alt:`` text is
  only fallback content, which assistive technology does not read (axe-core: object-alt,
  serious); the object gets ``role="img"`` and the alt text as its ``aria-label``.
"""

from __future__ import annotations

from html import escape
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.ext import graphviz
from sphinx.writers.html5 import HTML5Translator

CAPTION = '<p class="caption" role="heading">'


class AccessibleTranslator(HTML5Translator):
    """Sphinx's HTML5 translator, with toctree captions given their heading level."""

    def visit_title(self, node: nodes.title) -> None:
        """Add ``aria-level="2"`` to a toctree caption; other titles are untouched."""
        super().visit_title(node)
        if self.body and self.body[-2:-1] == [CAPTION]:
            self.body[-2] = '<p class="caption" role="heading" aria-level="2">'


SVG_OBJECT = 'type="image/svg+xml"'


def visit_graphviz(self: HTML5Translator, node: graphviz.graphviz) -> None:
    """Sphinx's graphviz HTML, with the diagram's alt text as the object's accessible name."""
    start = len(self.body)
    try:
        graphviz.html_visit_graphviz(self, node)
    finally:
        label = escape(node.get("alt") or "diagram", quote=True)
        named = f'{SVG_OBJECT} role="img" aria-label="{label}"'
        self.body[start:] = [part.replace(SVG_OBJECT, named, 1) for part in self.body[start:]]


def setup(app: Sphinx) -> dict[str, Any]:
    """Use the translator for HTML builds and add the tab-stop script to every page."""
    app.setup_extension("sphinx.ext.graphviz")
    app.add_node(graphviz.graphviz, override=True, html=(visit_graphviz, None))
    app.set_translator("html", AccessibleTranslator, override=True)
    app.set_translator("dirhtml", AccessibleTranslator, override=True)
    app.add_js_file("tab-stops.js", loading_method="defer")
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
