"""Failure drills for the verified build, on a small fixture site built with real Sphinx.

The fixture reuses the real configuration, extension, one real page and one real gallery
example with their committed transcripts; each test plants one fault and checks that the
build fails and says where and how to fix it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from support import fixture_sites

REPO = Path(__file__).resolve().parents[1]
PAGE = "tensor-basics"
EXAMPLE = Path("tensors") / "plot_1_picture_a_3d_tensor.py"

pytestmark = pytest.mark.site


def _site(tmp_path: Path) -> Path:
    """Copy the fixture site, the real page, the real example and their transcripts."""
    site = tmp_path / "site"
    shutil.copytree(REPO / "tests" / "sites" / "drill", site)
    # The fixture has one page: links to the site's other pages become plain text.
    text = (REPO / "docs" / f"{PAGE}.md").read_text(encoding="utf-8")
    text = re.sub(r"\{doc\}`(?:([^`<]*?)\s*<[^`>]+>|([^`]+))`", r"`\1\2`", text)
    (site / "page.md").write_text(text, encoding="utf-8")
    gallery = tmp_path / "gallery"
    gallery.mkdir()
    shutil.copy(REPO / "gallery" / "GALLERY_HEADER.rst", gallery)
    shutil.copy(REPO / "gallery" / EXAMPLE, gallery / EXAMPLE.name)
    expected = site / "_expected"
    (expected / "gallery").mkdir(parents=True)
    shutil.copy(REPO / "docs" / "_expected" / f"{PAGE}.txt", expected / "page.txt")
    shutil.copy(
        REPO / "docs" / "_expected" / "gallery" / EXAMPLE.with_suffix(".txt"),
        expected / "gallery" / EXAMPLE.with_suffix(".txt").name,
    )
    return site


def _build(site: Path, *defines: str) -> subprocess.CompletedProcess[str]:
    """Run a real Sphinx build of *site* the way nox does (-n -W --keep-going)."""
    return fixture_sites.build(site, *defines)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture changed: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_unchanged_fixture_builds_clean(tmp_path: Path) -> None:
    """The copied page and example build with zero warnings, so each drill's failure is its plant."""
    result = _build(_site(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "run this build (2 of 2 documents)" in result.stdout
    assert "0 failed" in result.stdout


def test_planted_output_change_fails_with_a_diff(tmp_path: Path) -> None:
    """A changed number in a copied example's output fails the build with a unified diff."""
    site = _site(tmp_path)
    _edit(site.parent / "gallery" / EXAMPLE.name, 'print(f"t = {t}")', 'print(f"t = {t + 1}")')
    result = _build(site)
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert (
        f"{EXAMPLE.name}: output differs from the reviewed transcript:\n"
        "  [1] import matplotlib.pyplot as plt: 2 is not 1 (integers must be equal)" in log
    )
    assert "(expected, committed)" in log
    assert "(this build)" in log
    assert "\n-t = tensor([[[ 1,  2,  3],\n" in log
    assert "\n+t = tensor([[[ 2,  3,  4],\n" in log
    assert "nox -s accept" in log


def test_planted_exception_in_page_names_file_and_line(tmp_path: Path) -> None:
    """An exception in a page cell fails the build and names the page, the line and the error."""
    site = _site(tmp_path)
    page = site / "page.md"
    text = page.read_text(encoding="utf-8")
    marker = "```{code-cell} ipython3\n"
    cut = text.index(marker)
    planted = marker + 'raise ZeroDivisionError("planted fault")\n```\n\n'
    page.write_text(text[:cut] + planted + text[cut:], encoding="utf-8")
    line = text[:cut].count("\n") + 1
    result = _build(site)
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"page.md:{line} cell [1] raised an unexpected ZeroDivisionError: planted fault" in log
    assert "not reached, because cell [1] failed" in log


def test_hidden_check_that_fails_names_file_and_line(tmp_path: Path) -> None:
    """A claim backed by a hidden assertion fails the build when the code stops meeting it."""
    site = _site(tmp_path)
    _edit(
        site.parent / "gallery" / EXAMPLE.name, "t = torch.arange(1, 13)", "t = torch.arange(0, 12)"
    )
    result = _build(site)
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "the block at line 19 failed (a hidden check failed)" in log
    assert "the blocks at lines [37] were not reached" in log
    assert "output differs" not in log  # the failure is the report, not a diff of its output
    assert (
        "AssertionError: assert t.flatten().tolist() == list(range(1, 13))\n"
        "  where t.flatten().tolist() = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]" in log
    )


def test_planted_exception_in_example_names_file_and_line(tmp_path: Path) -> None:
    """An exception in a gallery example fails the build with its file and line."""
    site = _site(tmp_path)
    example = site.parent / "gallery" / EXAMPLE.name
    _edit(example, "import torch\n", 'import torch\n\nraise KeyError("planted fault")\n')
    line = example.read_text(encoding="utf-8").splitlines().index('raise KeyError("planted fault")')
    result = _build(site)
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert f'{EXAMPLE.name}", line {line + 1}' in log
    assert "KeyError: 'planted fault'" in log


def test_expected_error_cell_that_stops_raising_fails(tmp_path: Path) -> None:
    """A cell declared to raise that no longer raises fails the build."""
    site = _site(tmp_path)
    _edit(site / "page.md", "x + torch.tensor([1, 2])", "x + torch.tensor([1, 2, 3])")
    result = _build(site)
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "should raise RuntimeError but raised nothing" in log


def test_gpu_lane_without_cuda_fails_fast(tmp_path: Path) -> None:
    """The GPU lane on a machine without CUDA stops within seconds with a clear message."""
    pytest.importorskip("torch")
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA; the drill is for machines without it")
    start = time.monotonic()
    result = _build(_site(tmp_path), "firsttorch_lane=gpu")
    elapsed = time.monotonic() - start
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "GPU lane requested (firsttorch_lane = 'gpu')" in log
    assert "sees no CUDA device" in log
    assert "Executing notebook" not in log
    assert elapsed < 30, f"took {elapsed:.1f} s"


def test_accept_writes_the_new_output_then_the_build_passes(tmp_path: Path) -> None:
    """Accepting a reviewed change rewrites the transcript, and the next build is clean."""
    site = _site(tmp_path)
    _edit(site.parent / "gallery" / EXAMPLE.name, 'print(f"t = {t}")', 'print(f"t = {t + 1}")')
    accepted = _build(site, "firsttorch_accept=1")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    transcript = site / "_expected" / "gallery" / EXAMPLE.with_suffix(".txt").name
    assert "[[ 8,  9, 10],\n         [11, 12, 13]]]" in transcript.read_text(encoding="utf-8")
    shutil.rmtree(site / "_build")
    again = _build(site)
    assert again.returncode == 0, again.stdout + again.stderr


def test_figures_show_whatever_backend_the_build_starts_with(tmp_path: Path) -> None:
    """MPLBACKEND=Agg (common on headless machines) in the build's environment hides no figure."""
    result = fixture_sites.build(_site(tmp_path), MPLBACKEND="Agg")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failed" in result.stdout
