"""Pages that are not notebooks may still show code with output: ``>>>`` examples.

The API reference shows the docstrings' examples. They are run here, in a fresh Python
with a time limit, and each example's printed output must be what the page shows; any
other output shown without being run (a notebook cell's stored output) fails the build.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from docutils import nodes

from verify.records import Executed, Problem
from verify.transcript import Section

TIMEOUT = 120
_RUNNER = Path(__file__).with_name("doctest_runner.py")


def blocks_in(doctree: nodes.Node) -> list[str]:
    """The ``>>>`` examples a page shows: doctest blocks and Python console code blocks."""
    found = []
    for node in doctree.findall(
        lambda n: isinstance(n, (nodes.doctest_block, nodes.literal_block))
    ):
        text = node.astext()
        is_console = isinstance(node, nodes.doctest_block) or (
            node.get("language", "") in {"pycon", "python", "default", "ipython"}
            and text.lstrip().startswith(">>> ")
        )
        if is_console:
            found.append(text)
    return found


def unverified_output(doctree: nodes.Node) -> str | None:
    """What a non-notebook page shows as code output, if anything (stored cell outputs)."""
    for node in doctree.findall(nodes.container):
        if "cell_output" in node.get("classes", []):
            return "a notebook cell's stored output"
    return None


def run(examples: list[str], name: str, setup: str) -> Executed:
    """Run *examples* in order in one fresh interpreter; one section per example."""
    payload = json.dumps({"setup": setup, "examples": examples})
    try:
        done = subprocess.run(
            [sys.executable, str(_RUNNER)],
            input=payload,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Executed(
            problems=[Problem(f"{name}: its >>> examples ran past {TIMEOUT} s and were stopped.")]
        )
    if done.returncode != 0:
        return Executed(
            problems=[Problem(f"{name}: the >>> examples could not run:\n{done.stderr.strip()}")]
        )
    reports = json.loads(done.stdout)
    result = Executed()
    for index, (example, report) in enumerate(zip(examples, reports, strict=True), start=1):
        first = example.strip().splitlines()[0][4:]
        result.sections.append(Section(f"[{index}] {first[:57]}", report["got"]))
        if report["failure"]:
            result.problems.append(
                Problem(
                    f"{name}: example [{index}] ({first[:60]}) shows output it does not print:\n{report['failure']}"
                )
            )
    return result
