"""The hosted-CI files are valid (offline, with check-jsonschema's built-in schemas) and sane."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = REPO / ".github" / "workflows"
FILES = {  # file: the built-in schema it must validate against
    WORKFLOWS / "docs.yml": "vendor.github-workflows",
    WORKFLOWS / "release.yml": "vendor.github-workflows",
    REPO / ".readthedocs.yaml": "vendor.readthedocs",
}
IDS = [p.name for p in FILES]


def _check(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)]
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


@pytest.mark.parametrize(("path", "schema"), FILES.items(), ids=IDS)
def test_config_validates(path: Path, schema: str) -> None:
    """The committed file validates against its built-in schema."""
    result = _check(schema, path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("path", "schema"), FILES.items(), ids=IDS)
def test_broken_config_fails(path: Path, schema: str, tmp_path: Path) -> None:
    """The validation can fail: a copy with a wrong type in it is rejected."""
    broken = tmp_path / path.name
    broken.write_text(path.read_text(encoding="utf-8") + "\nversion: [not, valid]\n")
    assert _check(schema, broken).returncode != 0


def _docs_workflow() -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / "docs.yml").read_text(encoding="utf-8"))
    return cast("dict[str, Any]", data["jobs"])


def test_publish_needs_the_tests_and_both_lanes() -> None:
    """Pages are published only after the tests, the CPU merge and the GPU render pass."""
    jobs = _docs_workflow()
    assert sorted(jobs["publish"]["needs"]) == ["merge", "render-gpu", "tests"]
    assert sorted(jobs["notebooks"]["needs"]) == ["merge", "render-gpu", "tests"]
    assert jobs["render-gpu"]["runs-on"] == ["self-hosted", "linux", "gpu"]
    assert "python -m nox -s render_gpu" in str(jobs["render-gpu"]["steps"])
    assert "python -m nox --reuse-venv=yes -s render" in str(jobs["merge"]["steps"])


LANES = {
    "cpu": ("execute", "ubuntu-24.04"),
    "gpu": ("execute_gpu", ["self-hosted", "linux", "gpu"]),
}


def _matrix_problems(jobs: dict[str, Any]) -> list[str]:
    """What is wrong with the shard matrix: each lane must be shards 1..n of one n, run by
    that lane's nox session on its runner, and each merge job must download exactly its
    lane's artifacts."""
    problems = []
    entries = jobs["execute"]["strategy"]["matrix"]["include"]
    noxfile = (REPO / "noxfile.py").read_text(encoding="utf-8")
    for lane, (session, runner) in LANES.items():
        mine = [e for e in entries if e["lane"] == lane]
        specs = sorted(tuple(int(x) for x in e["shard"].split("/")) for e in mine)
        counts = sorted({n for _, n in specs})
        if len(counts) != 1 or [i for i, _ in specs] != list(range(1, counts[0] + 1)):
            problems.append(f"{lane}: shards {specs} are not 1..n of one n")
        problems += [
            f"{lane} {e['shard']}: session {e['session']} on {e['runner']}"
            for e in mine
            if e["session"] != session or e["runner"] != runner
        ]
        if f"def {session}(session" not in noxfile:
            problems.append(f"{lane}: no nox session {session}")
    problems += [f"unknown lane {e['lane']}" for e in entries if e["lane"] not in LANES]
    upload = next(s for s in jobs["execute"]["steps"] if "upload-artifact" in s.get("uses", ""))
    if upload["with"]["name"] != "executed-${{ matrix.lane }}-${{ strategy.job-index }}":
        problems.append(f"upload name {upload['with']['name']}")
    for job, lane in (("merge", "cpu"), ("render-gpu", "gpu")):
        download = next(s for s in jobs[job]["steps"] if "download-artifact" in s.get("uses", ""))
        want = {
            "pattern": f"executed-{lane}-*",
            "merge-multiple": True,
            "path": upload["with"]["path"],
        }
        if download["with"] != want:
            problems.append(f"{job} downloads {download['with']}")
    return problems


def test_the_shard_matrix_covers_each_lane_once() -> None:
    """The committed workflow's matrix and merge jobs fit together."""
    assert _matrix_problems(_docs_workflow()) == []


@pytest.mark.parametrize("fault", ["drop cpu 2/2", "gpu on ubuntu", "merge takes gpu"])
def test_a_broken_matrix_is_caught(fault: str) -> None:
    """Drill: each planted fault in a copy of the workflow is reported."""
    jobs = _docs_workflow()
    entries = jobs["execute"]["strategy"]["matrix"]["include"]
    if fault == "drop cpu 2/2":
        entries.remove(next(e for e in entries if (e["lane"], e["shard"]) == ("cpu", "2/2")))
    elif fault == "gpu on ubuntu":
        next(e for e in entries if e["lane"] == "gpu")["runner"] = "ubuntu-24.04"
    else:
        step = next(s for s in jobs["merge"]["steps"] if "download-artifact" in s.get("uses", ""))
        step["with"]["pattern"] = "executed-gpu-*"
    assert _matrix_problems(jobs) != []


def test_release_publishes_from_a_tag_by_trusted_publishing() -> None:
    """A v* tag builds, checks and publishes with PyPI's trusted publishing, no token."""
    text = (WORKFLOWS / "release.yml").read_text(encoding="utf-8")
    assert 'tags: ["v*"]' in text
    assert "id-token: write" in text
    assert "pypa/gh-action-pypi-publish@release/v1" in text
    assert "password" not in text
    assert "secrets." not in text


def test_changelog_names_the_package_version() -> None:
    """CHANGELOG.md has a section for the version pyproject.toml and firsttorch declare."""
    import firsttorch

    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f'version = "{firsttorch.__version__}"' in (REPO / "pyproject.toml").read_text("utf-8")
    assert f"\n## {firsttorch.__version__} " in changelog


def test_torch_supplement_inventory_is_in_sync() -> None:
    """docs/_intersphinx/torch-supplement.inv is what supplement.py writes."""
    sys.path.insert(0, str(REPO / "docs" / "_intersphinx"))
    import supplement

    assert supplement.TARGET.read_bytes() == supplement.render()


@pytest.mark.parametrize("path", [WORKFLOWS / "docs.yml", REPO / ".readthedocs.yaml"], ids=IDS[::2])
def test_cpu_lanes_install_torch_from_the_cpu_index(path: Path) -> None:
    """Hosted CPU builds take torch's CPU wheel, not the default one with CUDA libraries."""
    assert "PIP_EXTRA_INDEX_URL" in path.read_text(encoding="utf-8")
    assert "https://download.pytorch.org/whl/cpu" in path.read_text(encoding="utf-8")


def test_hosted_cpu_jobs_reuse_cached_nox_environments() -> None:
    """Each hosted CPU job that runs nox restores .nox (keyed by the pins, the project and
    the noxfile) and lets nox reuse it; pip still installs against the pins there."""
    jobs = _docs_workflow()
    for name in ("tests", "execute", "merge"):
        steps = jobs[name]["steps"]
        caches = [s for s in steps if str(s.get("uses", "")).startswith("actions/cache@")]
        assert [c["with"]["path"] for c in caches] == [".nox"], name
        key = caches[0]["with"]["key"]
        assert "hashFiles('constraints.txt', 'pyproject.toml', 'noxfile.py')" in key, key
        runs = [str(s.get("run", "")) for s in steps if "python -m nox" in str(s.get("run", ""))]
        assert runs, name
        assert all("--reuse-venv=yes" in r for r in runs), runs
