"""Execution apart from rendering: two shards plus a render give the site one build gives.

A fixture site (the drill site's real configuration and extensions) with two pages (one
with a figure and an expected error), two gallery scripts and a page of ``>>>`` examples
is built once, accepting its transcripts; then executed as shards 1/2 and 2/2 (dummy
builder, separate doctree folders, as on separate CI runners) and rendered from the merged
artifacts. The render must reproduce the single build's HTML and verify against the same
transcripts, running no code; the drills show that it refuses missing, failed, stale and
changed artifacts.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import fixture_sites
from verify import shards

REPO = Path(__file__).resolve().parents[1]

FRONT = (
    "---\nfile_format: mystnb\nkernelspec:\n  name: python3\n  display_name: Python 3\n"
    "  language: python\n---\n\n"
)
PAGES = {
    "sums": FRONT
    + """# Sums

```{code-cell} ipython3
import torch

grid = torch.arange(6.0).reshape(2, 3)
print(grid.sum(dim=0))
```

```{code-cell} ipython3
---
tags: [raises-exception]
raises: RuntimeError
match: size of tensor a
---
torch.ones(2) + torch.ones(3)
```
""",
    "picture": FRONT
    + """# Picture

```{code-cell} ipython3
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(2, 2))
ax.plot([0, 1, 2], [0, 1, 4])
plt.show()
print("drawn")
```
""",
    "examples": """# Examples

```pycon
>>> 1 + 2
3
```
""",
}
SCRIPTS = {
    "plot_1_add.py": '"""\nAdd\n===\n\nAdd two tensors.\n"""\n\nimport torch\n\nprint(torch.ones(2) + 1)\n',
    "plot_2_mean.py": '"""\nMean\n====\n\nA mean.\n"""\n\nimport torch\n\nprint(torch.arange(4.0).mean())\n',
}
DOCS = {"sums", "picture", "examples", "auto_examples/plot_1_add", "auto_examples/plot_2_mean"}

pytestmark = pytest.mark.site


@dataclass(frozen=True)
class Run:
    """The fixture site built once, and executed as two shards."""

    site: Path
    single: Path  # the single build's HTML
    artifacts: Path
    shard_logs: tuple[str, ...]


def _make_site(root: Path) -> Path:
    site = root / "site"
    shutil.copytree(REPO / "tests" / "sites" / "drill", site)
    (site / "index.md").write_text(
        "# Shard site\n\n```{toctree}\nsums\npicture\nexamples\nauto_examples/index\n```\n",
        encoding="utf-8",
    )
    for name, text in PAGES.items():
        (site / f"{name}.md").write_text(text, encoding="utf-8")
    gallery = root / "gallery"
    gallery.mkdir()
    shutil.copy(REPO / "gallery" / "GALLERY_HEADER.rst", gallery)
    for name, text in SCRIPTS.items():
        (gallery / name).write_text(text, encoding="utf-8")
    return site


def _shard(site: Path, index: int, artifacts: Path) -> subprocess.CompletedProcess[str]:
    work = site.parent / f"runner-{index}"
    return fixture_sites.build(
        site,
        f"firsttorch_shard={index}/2",
        f"firsttorch_artifacts={artifacts}",
        builder="dummy",
        out=work / "out",
        doctrees=work / "doctrees",
    )


def _render(site: Path, artifacts: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return fixture_sites.build(
        site,
        "firsttorch_render=1",
        f"firsttorch_artifacts={artifacts}",
        out=out,
        doctrees=out.parent / "doctrees",
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Accept the fixture's transcripts in one build, then execute both shards."""
    site = _make_site(tmp_path_factory.mktemp("shards"))
    single = fixture_sites.build(site, "firsttorch_accept=1")
    assert single.returncode == 0, single.stdout + single.stderr
    kept = site.parent / "single"
    shutil.copytree(site / "_build" / "html", kept, ignore=shutil.ignore_patterns(".doctrees"))
    artifacts = site.parent / "artifacts"
    logs = []
    for index in (1, 2):
        result = _shard(site, index, artifacts)
        assert result.returncode == 0, result.stdout + result.stderr
        logs.append(result.stdout + result.stderr)
    return Run(site, kept, artifacts, tuple(logs))


def _copy_artifacts(run: Run, dest: Path) -> Path:
    shutil.copytree(run.artifacts, dest)
    return dest


def _manifest(html: Path) -> dict[str, dict[str, object]]:
    data = json.loads((html / "_firsttorch" / "manifest.json").read_text(encoding="utf-8"))
    return data["documents"]  # type: ignore[no-any-return]


def _files(html: Path) -> dict[str, bytes]:
    return {
        p.relative_to(html).as_posix(): p.read_bytes()
        for p in sorted(html.rglob("*"))
        if p.is_file() and ".doctrees" not in p.parts and p.name != "manifest.json"
    }


def test_each_shard_runs_its_part_and_together_they_run_everything(run: Run) -> None:
    """The shards split the documents between them, each once, every one verified."""
    parts = [shards.Artifact.read(run.artifacts / f"shard-{i}-of-2") for i in (1, 2)]
    mine = [set(a.entries) for a in parts]
    assert mine[0], mine
    assert mine[1], mine
    assert not mine[0] & mine[1]
    assert mine[0] | mine[1] == DOCS
    assert all(e.record.ok for a in parts for e in a.entries.values())
    for log, part in zip(run.shard_logs, parts, strict=True):
        line = next(ln for ln in log.splitlines() if f"shard {part.shard} runs " in ln)
        assert all(doc in line for doc in part.entries), line


def test_render_reproduces_the_single_build_running_nothing(run: Run, tmp_path: Path) -> None:
    """Two shards plus a render: the same HTML files, byte for byte (the manifest apart),
    verified against the same transcripts, and no kernel or script run by the render."""
    out = tmp_path / "render" / "html"
    result = _render(run.site, _copy_artifacts(run, tmp_path / "artifacts"), out)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert "no code runs" in log
    assert "Executing notebook" not in log
    assert "Using cached notebook" in log
    single, rendered = _files(run.single), _files(out)
    assert sorted(single) == sorted(rendered)
    differ = [name for name in single if single[name] != rendered[name]]
    assert differ == [], differ
    want, got = _manifest(run.single), _manifest(out)
    assert set(got) == set(want) == DOCS
    for doc, record in got.items():
        assert record["ok"], doc
        assert record["ran_in_this_build"], doc  # in one of the shards of this run
        for key in ("checked", "hidden_checks", "expected_errors", "sections", "expected"):
            assert record[key] == want[doc][key], (doc, key)


def test_render_refuses_a_missing_shard(run: Run, tmp_path: Path) -> None:
    """Without shard 2's artifact the render stops before building anything."""
    artifacts = _copy_artifacts(run, tmp_path / "artifacts")
    shutil.rmtree(artifacts / "shard-2-of-2")
    result = _render(run.site, artifacts, tmp_path / "render" / "html")
    assert result.returncode != 0
    assert "are not shards 1..2 once each (missing [2]" in result.stdout + result.stderr


def test_render_refuses_a_failed_document(run: Run, tmp_path: Path) -> None:
    """A document that failed in its shard is never rendered."""
    artifacts = _copy_artifacts(run, tmp_path / "artifacts")
    shard_file = next(artifacts.glob(f"*/{shards.SHARD_FILE}"))
    data = json.loads(shard_file.read_text(encoding="utf-8"))
    doc = min(data["documents"])
    data["documents"][doc]["record"]["ok"] = False
    shard_file.write_text(json.dumps(data), encoding="utf-8")
    result = _render(run.site, artifacts, tmp_path / "render" / "html")
    assert result.returncode != 0
    assert f"failed in their shard, so nothing is rendered: {doc}" in result.stdout + result.stderr


def test_render_checks_what_it_shows_against_the_transcripts(run: Run, tmp_path: Path) -> None:
    """Drill: an artifact whose executed output was altered after its shard verified it
    is shown by the render only if it still matches the reviewed transcript: it fails."""
    artifacts = _copy_artifacts(run, tmp_path / "artifacts")
    notebook = next(artifacts.glob("*/notebooks/sums.ipynb"))
    text = notebook.read_text(encoding="utf-8")
    assert "tensor([3., 5., 7.])" in text, "fixture changed: the printed sum moved"
    notebook.write_text(text.replace("tensor([3., 5., 7.])", "tensor([3., 5., 8.])"), "utf-8")
    result = _render(run.site, artifacts, tmp_path / "render" / "html")
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "sums.md: output differs from the reviewed transcript" in log
    assert "+tensor([3., 5., 8.])" in log


def test_render_refuses_artifacts_made_with_other_code(run: Run, tmp_path: Path) -> None:
    """Artifacts whose fingerprint (firsttorch, verifier, packages) differs are stale."""
    artifacts = _copy_artifacts(run, tmp_path / "artifacts")
    shard_file = artifacts / "shard-1-of-2" / shards.SHARD_FILE
    data = json.loads(shard_file.read_text(encoding="utf-8"))
    data["fingerprint"] = "0" * 64
    shard_file.write_text(json.dumps(data), encoding="utf-8")
    result = _render(run.site, artifacts, tmp_path / "render" / "html")
    assert result.returncode != 0
    assert "its outputs would be stale" in result.stdout + result.stderr


def test_render_refuses_a_page_changed_since_its_shard_ran(run: Run, tmp_path: Path) -> None:
    """A page whose code changed after the shards ran fails, and its code is not run."""
    page = run.site / "sums.md"
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("sum(dim=0)", "sum(dim=1)"), encoding="utf-8")
    try:
        result = _render(
            run.site, _copy_artifacts(run, tmp_path / "art"), tmp_path / "out" / "html"
        )
    finally:
        page.write_text(text, encoding="utf-8")
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "sums: sums.md changed since its shard ran; re-run the shards." in log
    assert "Executing notebook" not in log
    assert "tensor([ 3., 12.])" not in log  # sum(dim=1) never ran


def test_a_shard_spec_must_be_i_of_n(tmp_path: Path) -> None:
    """firsttorch_shard = '3/2' is refused with the form it needs."""
    site = _make_site(tmp_path)
    result = fixture_sites.build(site, "firsttorch_shard=3/2", builder="dummy")
    assert result.returncode != 0
    assert "is not a shard: write 'i/n' with 1 <= i <= n" in result.stdout + result.stderr


# -- the pure parts ----------------------------------------------------------------------
def test_assign_balances_by_duration_deterministically() -> None:
    """Longest first onto the least loaded shard; unknown durations count as the median."""
    durations = {"a": 10.0, "b": 6.0, "c": 5.0, "d": 1.0}
    shard_of = shards.assign(["a", "b", "c", "d", "new"], durations, 2)
    loads = [sum(durations.get(u, 5.5) for u, k in shard_of.items() if k == i) for i in (1, 2)]
    assert shard_of["a"] != shard_of["b"]
    assert sorted(loads) == [12.5, 15.0], (shard_of, loads)  # the best split of these
    assert shards.assign(["d", "c", "b", "a", "new"], durations, 2) == shard_of
    assert set(shards.assign(["a"], {}, 3).values()) == {1}


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "a/b", "1/0", ""])
def test_shard_parse_refuses_what_is_not_i_of_n(text: str) -> None:
    """Only 'i/n' with 1 <= i <= n is a shard."""
    with pytest.raises(ValueError, match="is not a shard"):
        shards.Shard.parse(text)


def test_shard_parse_reads_i_of_n() -> None:
    """'2/3' is shard 2 of 3, whose artifact folder is named after it."""
    shard = shards.Shard.parse(" 2 / 3 ")
    assert (shard.index, shard.count, shard.folder, str(shard)) == (2, 3, "shard-2-of-3", "2/3")


def test_merge_refuses_mixed_shardings_doubles_and_other_lanes(tmp_path: Path) -> None:
    """Each way artifacts can fail to form one run is refused with its reason."""

    def write(folder: str, shard: str, lane: str = "cpu", docs: tuple[str, ...] = ()) -> None:
        parsed = shards.Shard.parse(shard)
        art = shards.Artifact(parsed, lane, "f", {}, tmp_path / folder)
        art.write({})
        if docs:
            data = json.loads((art.folder / shards.SHARD_FILE).read_text())
            record = {"docname": "x", "kind": "page", "source": "", "expected": "", "lane": lane}
            record |= {"devices": [], "build": "b", "date": "d", "torch": "t", "sections": 0}
            record |= {"checked": 0, "hidden_checks": 0, "expected_errors": 0, "ok": True}
            data["documents"] = {d: {"record": record, "source_sha256": "s"} for d in docs}
            (art.folder / shards.SHARD_FILE).write_text(json.dumps(data))

    with pytest.raises(shards.ArtifactError, match="no shard artifacts"):
        shards.merge(tmp_path, "cpu", "f")
    write("a", "1/2")
    write("b", "1/3")
    with pytest.raises(shards.ArtifactError, match="mixes shardings"):
        shards.merge(tmp_path, "cpu", "f")
    shutil.rmtree(tmp_path / "b")
    write("b", "2/2", lane="gpu")
    with pytest.raises(shards.ArtifactError, match="ran on the gpu lane"):
        shards.merge(tmp_path, "cpu", "f")
    write("a", "1/2", docs=("p",))
    write("b", "2/2", docs=("p",))
    with pytest.raises(shards.ArtifactError, match="p is in both a and b"):
        shards.merge(tmp_path, "cpu", "f")
    write("b", "2/2", docs=("q",))
    assert [a.shard.index for a in shards.merge(tmp_path, "cpu", "f")] == [1, 2]


def test_stale_artifacts_name_the_packages_that_differ(tmp_path: Path) -> None:
    """A fingerprint mismatch says which installed distributions differ, when it can."""
    art = shards.Artifact(shards.Shard(1, 1), "cpu", "old", {}, tmp_path / "s", ("a==1", "b==1"))
    art.write({})
    with pytest.raises(shards.ArtifactError, match=r"a==2 only here; a==1 only in the shard"):
        shards.merge(tmp_path, "cpu", "new", ["a==2", "b==1"])
