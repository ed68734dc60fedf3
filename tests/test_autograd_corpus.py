"""The explainer against real autograd and device errors, one row per public thread.

The cases live in ``autograd_corpus.py``: each runs a CPU reduction of a reported bug,
and the explanation must name the culprit, point at the user's line (marked
``# <- here``) and give the fix that the thread's answer arrived at.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from support.autograd_corpus import CASES, Case

from firsttorch import ExplainedAutogradError, explain_autograd_errors
from firsttorch._grad_messages import Clues, explain


def _flat(text: str) -> str:
    return " ".join(text.split())


def _marked_line(case: Case) -> int:
    lines, start = inspect.getsourcelines(case.fn)
    marked = [start + i for i, line in enumerate(lines) if line.rstrip().endswith("# <- here")]
    assert len(marked) == 1, f"{case.fn.__name__} must mark exactly one line"
    return marked[0]


def _id(case: Case) -> str:
    return case.fn.__name__


def test_corpus_size_and_sources() -> None:
    """At least 30 cases, each cited to a public thread, no snippet used twice."""
    assert len(CASES) >= 30
    assert len({case.fn for case in CASES}) == len(CASES)
    hosts = ("https://github.com/", "https://discuss.pytorch.org/t/", "https://stackoverflow.com/")
    assert all(case.url.startswith(hosts) for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_case_is_explained(case: Case) -> None:
    """The real error is explained: culprit named, the user's line located, fix given."""
    with pytest.raises(ExplainedAutogradError) as info, explain_autograd_errors():
        case.fn()
    err = info.value
    assert isinstance(err.__cause__, RuntimeError)
    assert not isinstance(err.__cause__, ExplainedAutogradError)
    text = str(err)
    head, _, rest = text.partition("\nWhat happened: ")
    assert head == str(err.__cause__)
    explanation, _, fix = _flat(rest).partition(" Fix: ")
    assert case.culprit in explanation
    place = f"{Path(__file__).with_name('autograd_corpus.py').name}:{_marked_line(case)} (`"
    assert place in explanation
    for words in case.fixes:
        assert words in fix


@pytest.mark.parametrize("case", [c for c in CASES if c.seen], ids=_id)
def test_gpu_message_is_explained(case: Case) -> None:
    """The text the thread's user saw on a GPU gets the same device explanation."""
    assert case.seen is not None
    text = explain(case.seen, Clues())
    assert text is not None
    flat = _flat(text)
    assert "got tensors on different devices (" in flat
    what = flat.split("What happened:")[1].split(" Why: ")[0]
    assert "cuda" in what
    assert "cpu" in what
    for words in case.fixes:
        assert words in flat.split(" Fix: ")[1]
