"""The hosted-CI files are valid (offline, with check-jsonschema's built-in schemas) and sane."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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


def test_publish_needs_both_lanes() -> None:
    """Pages are published only after the CPU and the GPU lane both pass."""
    text = (WORKFLOWS / "docs.yml").read_text(encoding="utf-8")
    assert "needs: [cpu-lane, gpu-lane]" in text
    assert "runs-on: [self-hosted, linux, gpu]" in text
    assert "python -m nox -s docs_gpu" in text


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
