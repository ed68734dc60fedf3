"""The site checkers can fail: each one is run on a planted bad page."""

from __future__ import annotations

from support import site_checks


class TestExternalLoads:
    def test_cdn_script_and_style_are_caught(self) -> None:
        """A script or stylesheet from another host is reported."""
        html = (
            '<link rel="stylesheet" href="https://cdn.example.org/x.css">'
            '<script src="//code.jquery.com/jquery.js"></script>'
            '<img src="_images/local.png">'
        )
        assert site_checks.external_loads(html) == [
            "https://cdn.example.org/x.css",
            "//code.jquery.com/jquery.js",
        ]

    def test_links_to_other_sites_are_not_loads(self) -> None:
        """A hyperlink to the PyTorch docs is fine: the page does not load it."""
        html = '<a href="https://docs.pytorch.org/docs/stable/">docs</a><link rel="canonical" href="https://x.org">'
        assert site_checks.external_loads(html) == []
