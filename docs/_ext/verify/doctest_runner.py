"""Run ``>>>`` examples read as JSON from stdin; write one report per example as JSON.

Used by :mod:`verify.doctests` in a fresh interpreter, so the build process never runs
the examples' code itself.
"""

from __future__ import annotations

import doctest
import io
import json
import sys


class Recording(doctest.OutputChecker):
    """Checks output as doctest does, and records what each example printed."""

    def __init__(self) -> None:
        self.printed: list[str] = []

    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        """Record *got*, then compare as doctest does."""
        self.printed.append(got)
        return super().check_output(want, got, optionflags)


def main() -> None:
    """Run the examples in one namespace, in order, like a reader pasting them."""
    payload = json.load(sys.stdin)
    namespace: dict[str, object] = {"__name__": "__main__"}
    exec(payload["setup"], namespace)  # noqa: S102 - the site's own configured setup code
    parser = doctest.DocTestParser()
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    reports = []
    for index, text in enumerate(payload["examples"], start=1):
        test = parser.get_doctest(text, namespace, f"example {index}", None, 0)
        out = io.StringIO()
        checker = Recording()
        runner = doctest.DocTestRunner(checker=checker, optionflags=flags, verbose=False)
        result = runner.run(test, out=out.write, clear_globs=False)
        namespace.update(test.globs)
        reports.append(
            {"got": "".join(checker.printed), "failure": out.getvalue() if result.failed else ""}
        )
    json.dump(reports, sys.stdout)


if __name__ == "__main__":
    main()
