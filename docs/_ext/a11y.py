"""Sphinx extension: the accessibility fixes the theme and Sphinx leave to the site.

- Sphinx marks a toctree caption ``role="heading"`` without the ``aria-level`` that the
  role requires (axe-core: aria-required-attr, critical); the translator adds level 2.
- A code block wider than the page scrolls sideways, and keyboard users can only scroll
  what can take focus (axe-core: scrollable-region-focusable, serious);
  ``_static/tab-stops.js`` gives such blocks a tab stop once the page has laid them out.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.writers.html5 import HTML5Translator

CAPTION = '<p class="caption" role="heading">'


class AccessibleTranslator(HTML5Translator):
    """Sphinx's HTML5 translator, with toctree captions given their heading level."""

    def visit_title(self, node: nodes.title) -> None:
        """Add ``aria-level="2"`` to a toctree caption; other titles are untouched."""
        super().visit_title(node)
        if self.body and self.body[-2:-1] == [CAPTION]:
            self.body[-2] = '<p class="caption" role="heading" aria-level="2">'


def setup(app: Sphinx) -> dict[str, Any]:
    """Use the translator for HTML builds and add the tab-stop script to every page."""
    app.set_translator("html", AccessibleTranslator, override=True)
    app.set_translator("dirhtml", AccessibleTranslator, override=True)
    app.add_js_file("tab-stops.js", loading_method="defer")
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
