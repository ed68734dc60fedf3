"""strict_broadcasting's default policy against the corpus of real bugs and idioms."""

from __future__ import annotations

import warnings

import pytest
from support.broadcast_corpus import CASES, Case

from firsttorch.broadcast import strict_broadcasting
from firsttorch.errors import SurprisingBroadcastError


def caught(case: Case) -> bool:
    """Whether the default strict_broadcasting stops the case's snippet."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # torch's own target-size warning
            with strict_broadcasting():
                case.run()
    except SurprisingBroadcastError:
        return True
    return False


def test_corpus_has_its_sources() -> None:
    """Every row cites a public thread or a file of a public repository."""
    assert all(case.source.startswith("https://github.com/") for case in CASES)
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", [c for c in CASES if c.bug], ids=lambda c: c.name)
def test_real_bug_is_caught(case: Case) -> None:
    """Each real bug raises SurprisingBroadcastError under the default policy."""
    assert caught(case), f"missed {case.name} ({case.source})"


# Intended broadcasts the default policy flags today; the corpus counts them against
# precision. A loss fed (N, K, 1) against (N, 1, K) on purpose (IQN's quantile Huber
# loss), and a loss against a 0-d target (FairDARTS pulls every weight away from 0.5).
KNOWN_FALSE_POSITIVES = {"iqn-quantile-huber"}


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if not c.bug and c.name not in KNOWN_FALSE_POSITIVES],
    ids=lambda c: c.name,
)
def test_real_idiom_passes(case: Case) -> None:
    """Each intended broadcast from a well-known codebase runs under the default policy."""
    assert not caught(case), f"flagged {case.name} ({case.source})"


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.name in KNOWN_FALSE_POSITIVES], ids=lambda c: c.name
)
def test_known_false_positive_is_flagged(case: Case) -> None:
    """Each known false positive is an idiom, and strict mode still asks for its pairing to
    be spelled out."""
    assert not case.bug
    assert caught(case), f"{case.name} now passes: drop it from KNOWN_FALSE_POSITIVES"


def test_precision_and_recall(capsys: pytest.CaptureFixture[str]) -> None:
    """Precision and recall of the default policy over the whole corpus, printed."""
    outcomes = [(case.bug, caught(case)) for case in CASES]
    true_pos = sum(bug and hit for bug, hit in outcomes)
    false_pos = sum(hit and not bug for bug, hit in outcomes)
    bugs = sum(bug for bug, _ in outcomes)
    precision = true_pos / (true_pos + false_pos)
    recall = true_pos / bugs
    with capsys.disabled():
        print(
            f"\nstrict_broadcasting corpus: {bugs} bugs, {len(CASES) - bugs} idioms;"
            f" precision {precision:.3f}, recall {recall:.3f}"
        )
    assert recall == 1.0
    assert false_pos == len(KNOWN_FALSE_POSITIVES)  # those above, and nothing else
