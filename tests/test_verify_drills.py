"""Drills: each known way for wrong output to pass, planted in a real Sphinx build.

One fixture site (the real configuration and extensions) holds one small page or script
per escape. It is built once with the good code and accepted (the reviewed transcripts),
then every fault is planted and the site is built again: each plant must fail the build
with a message naming its page or script and the cell or block. Later drills build the
planted site again (rebuilds, accept).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import fixture_sites

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.site

FRONT = "---\nfile_format: mystnb\nkernelspec:\n  name: python3\n  display_name: Python 3\n---\n\n"


def cell(code: str, options: str = "") -> str:
    """A MyST code cell."""
    opts = f"---\n{options}\n---\n" if options else ""
    return f"```{{code-cell}} ipython3\n{opts}{code}\n```\n\n"


@dataclass(frozen=True)
class Plant:
    """One page (or script) before and after the fault is planted."""

    name: str
    good: str
    bad: str


HIDDEN = "tags: [remove-cell]"
PLANTS = [
    Plant(
        "grad.md",
        FRONT
        + "# g\n\n"
        + cell(
            "import torch\nx = torch.tensor([2.0, 3.0], requires_grad=True)\n(x * x).sum().backward()\nx.grad"
        ),
        FRONT
        + "# g\n\n"
        + cell(
            "import torch\nx = torch.tensor([2.0, 3.0], requires_grad=True)\n(x * x + x).sum().backward()\nx.grad"
        ),
    ),
    Plant(
        "precision.md",
        FRONT
        + "# p\n\n"
        + cell("import torch\ntorch.set_printoptions(precision=4)", HIDDEN)
        + cell("torch.tensor([4.1234, 6.0])"),
        FRONT
        + "# p\n\n"
        + cell("import torch\ntorch.set_printoptions(precision=0)", HIDDEN)
        + cell("torch.tensor([4.1234, 6.0])"),
    ),
    Plant(
        "figure.md",
        FRONT
        + "# f\n\n"
        + cell(
            "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.bar(['a', 'b'], [3, 4])\nplt.show()"
        ),
        FRONT
        + "# f\n\n"
        + cell(
            "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.bar(['a', 'b'], [3, 5])\nplt.show()"
        ),
    ),
    Plant(
        "rich.md",
        FRONT + "# r\n\n" + cell("from IPython.display import Markdown\nMarkdown('total: **7**')"),
        FRONT + "# r\n\n" + cell("from IPython.display import Markdown\nMarkdown('total: **8**')"),
    ),
    Plant(
        "quoted.md",
        FRONT.replace("mystnb", '"mystnb"') + "# q\n\n" + cell("n = 1\nprint(n + 1)"),
        FRONT.replace("mystnb", '"mystnb"') + "# q\n\n" + cell("n = 1\nprint(n + 2)"),
    ),
    Plant(
        "static.md",
        "# s\n\n```pycon\n>>> 1 + 1\n2\n```\n",
        "# s\n\n```pycon\n>>> 1 + 1\n3\n```\n",
    ),
    Plant(
        "loose.md",
        FRONT + "# l\n\n" + cell("print('device = cpu')", "output_pattern: 'device = {device}'"),
        FRONT + "# l\n\n" + cell("print('device = cpu')", "output_pattern: '(device = cpu)?'"),
    ),
    Plant(
        "accelerator.md",
        FRONT + "# a\n\n" + cell("print('Timed on: cpu')"),
        FRONT + "# a\n\n" + cell("print('Timed on: cpu and cuda')"),
    ),
    Plant(
        "timing.md",
        FRONT + "# t\n\n" + cell("took = 'took'\nprint(took, 5, 'ms')"),
        FRONT + "# t\n\n" + cell("took = 'took'\nprint(took, 6, 'ms')"),
    ),
    Plant(
        "seedless.md",
        FRONT
        + "# u\n\n"
        + cell("import torch\ntorch.manual_seed(0)\nfrom torch import rand\nprint(rand(2) > 2)"),
        FRONT + "# u\n\n" + cell("import torch\nfrom torch import rand\nprint(rand(2) > 2)"),
    ),
    Plant(
        "hidden.md",
        FRONT
        + "# h\n\n"
        + cell("x = 3")
        + cell("assert x == 3", HIDDEN)
        + cell("print(x)")
        + cell("1 / 0", "tags: [raises-exception]\nraises: ZeroDivisionError"),
        FRONT
        + "# h\n\n"
        + cell("x = 2")
        + cell("assert x == 3", HIDDEN)
        + cell("print(x)")
        + cell("1 / 0", "tags: [raises-exception]\nraises: ZeroDivisionError"),
    ),
    Plant(
        "sets.md",
        FRONT
        + "# o\n\n"
        + cell("print(sorted({'apple', 'banana', 'cherry', 'date', 'elderberry'}))"),
        FRONT + "# o\n\n" + cell("print({'apple', 'banana', 'cherry', 'date', 'elderberry'})"),
    ),
    Plant(
        "execution_off.md",
        FRONT + "# e\n\n" + cell("print(5)"),
        FRONT.replace("---\n\n", "mystnb:\n  execution_mode: 'off'\n---\n\n")
        + "# e\n\n"
        + cell("print(5)"),
    ),
]
SCRIPT_HEAD = '"""\n{title}\n=====\n\nA drill.\n"""\n\n'
SCRIPTS = [
    Plant(
        "plot_1_twins.py",
        SCRIPT_HEAD.format(title="Twins")
        + "# %%\nprint('twin')\n# sphinx_gallery_start_ignore\nx = 1\n# sphinx_gallery_end_ignore\nprint(x)\n\n# %%\nprint('twin')\n# sphinx_gallery_start_ignore\nx = 2\n# sphinx_gallery_end_ignore\nprint(x)\n",
        SCRIPT_HEAD.format(title="Twins")
        + "# %%\nprint('twin')\n# sphinx_gallery_start_ignore\nx = 1\n# sphinx_gallery_end_ignore\nprint(x)\n\n# %%\nprint('twin')\n# sphinx_gallery_start_ignore\nx = 1\n# sphinx_gallery_end_ignore\nprint(x)\n",
    ),
    Plant(
        "plot_2_hang.py",
        SCRIPT_HEAD.format(title="Hangs")
        + "# %%\nprint('start')\n\n# %%\nimport time\ntime.sleep(0.1)\nprint('done')\n",
        SCRIPT_HEAD.format(title="Hangs")
        + "# %%\nprint('start')\n\n# %%\nimport time\nwhile True:\n    time.sleep(0.1)\nprint('done')\n",
    ),
]


def _write(site: Path, which: str) -> None:
    index = (
        "# Drills\n\n```{toctree}\n"
        + "\n".join(p.name[:-3] for p in PLANTS)
        + "\nauto_examples/index\n```\n"
    )
    (site / "index.md").write_text(index, encoding="utf-8")
    for plant in PLANTS:
        (site / plant.name).write_text(getattr(plant, which), encoding="utf-8")
    for plant in SCRIPTS:
        (site.parent / "gallery" / plant.name).write_text(getattr(plant, which), encoding="utf-8")


@dataclass(frozen=True)
class Built:
    """The planted site and the log of its build."""

    site: Path
    log: str
    status: int


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """Accept the good site (hash seed 1), plant every fault, build again (hash seed 2)."""
    root = tmp_path_factory.mktemp("drills")
    site = root / "site"
    shutil.copytree(REPO / "tests" / "sites" / "drill", site)
    (site / "index.md").unlink()
    (root / "gallery").mkdir()
    shutil.copy(REPO / "gallery" / "GALLERY_HEADER.rst", root / "gallery")
    _write(site, "good")
    good = fixture_sites.build(
        site, "firsttorch_accept=1", "firsttorch_script_timeout=4", PYTHONHASHSEED="1"
    )
    assert good.returncode == 0, good.stdout + good.stderr
    shutil.rmtree(site / "_build")
    _write(site, "bad")
    bad = fixture_sites.build(site, "firsttorch_script_timeout=4", PYTHONHASHSEED="2")
    return Built(site, bad.stdout + bad.stderr, bad.returncode)


EXPECTED = {
    "wrong gradient": ("grad.md", "[1] import torch: 5. is not 4."),
    "hidden print options": (
        "precision.md",
        "[2] torch.tensor([4.1234, 6.0]): 4 is an integer where the reviewed output has a float",
    ),
    "wrong bar": ("figure.md", "5.0 is not 4.0"),
    "wrong rich output": ("rich.md", "+total: **8**"),
    "quoted front matter": ("quoted.md", "[1] n = 1: 3 is not 2"),
    "static >>> output": ("static.md", "example [1] (1 + 1) shows output it does not print"),
    "pattern accepting empty": ("loose.md", "must not accept empty or arbitrary output"),
    "accelerator on the CPU lane": ("accelerator.md", "names the accelerator device 'and cuda'"),
    "time outside a pattern": ("timing.md", "[1] took = 'took': 6 is not 5 (integers"),
    "unseeded randomness": ("seedless.md", "cell [1] draws from the unseeded torch generator"),
    "failing hidden assert": (
        "hidden.md",
        "cell [2] a hidden check failed:\nAssertionError: assert x == 3\n  where x = 2",
    ),
    "cells not reached": ("hidden.md", "cells [3] to [4] not reached, because cell [2] failed."),
    "set order": ("sets.md", "[1] print({'apple', 'banana'"),
    "execution switched off": ("execution_off.md", "myst-nb did not execute this notebook page"),
    "twin blocks": ("plot_1_twins.py", "[2] print('twin'): 1 is not 2"),
    "hanging script": (
        "plot_2_hang.py",
        "plot_2_hang.py (in the block at line 12): plot_2_hang.py ran past its 4 s limit (firsttorch_script_timeout) and was stopped",
    ),
}


@pytest.mark.parametrize("drill", sorted(EXPECTED))
def test_planted_fault_fails_the_build_and_names_its_place(planted: Built, drill: str) -> None:
    where, message = EXPECTED[drill]
    assert planted.status != 0
    hits = [chunk for chunk in planted.log.split("WARNING: ") if message in chunk]
    assert hits, f"{drill}: {message!r} not in the log:\n{planted.log[-8000:]}"
    assert any(where in chunk for chunk in hits), hits
    assert "should raise ZeroDivisionError but raised nothing" not in planted.log


def test_the_log_ends_with_a_one_line_summary(planted: Built) -> None:
    assert "Kernel is running over TCP without encryption" not in planted.log
    summary = [
        ln for ln in planted.log.splitlines() if ln.startswith("firsttorch: ") and "failed" in ln
    ]
    assert summary
    assert "pages, 2 examples and 1 doctest pages run this build" in summary[-1]


def test_a_rebuild_after_a_failure_runs_the_failures_again(planted: Built) -> None:
    again = fixture_sites.build(planted.site, "firsttorch_script_timeout=4", PYTHONHASHSEED="2")
    log = again.stdout + again.stderr
    assert again.returncode != 0
    assert "re-running what failed last time" in log
    assert "grad.md: output differs from the reviewed transcript" in log


def test_accept_refuses_what_failed_and_says_what_it_wrote(planted: Built) -> None:
    before = (planted.site / "_expected" / "seedless.txt").read_text(encoding="utf-8")
    accepted = fixture_sites.build(
        planted.site, "firsttorch_accept=1", "firsttorch_script_timeout=4", PYTHONHASHSEED="2"
    )
    log = accepted.stdout + accepted.stderr
    assert accepted.returncode != 0
    assert "seedless.md: not accepted" in log
    assert "hidden.md: not accepted" in log
    assert (planted.site / "_expected" / "seedless.txt").read_text(encoding="utf-8") == before
    assert "accepted new output: " in log
    assert "grad.txt" in log
