"""The hosted-CI files are valid (offline, with check-jsonschema's built-in schemas) and sane."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FILES = {
    "vendor.github-workflows": REPO / ".github" / "workflows" / "docs.yml",
    "vendor.readthedocs": REPO / ".readthedocs.yaml",
}


def _check(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)]
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


@pytest.mark.parametrize(("schema", "path"), FILES.items(), ids=list(FILES))
def test_config_validates(schema: str, path: Path) -> None:
    """The committed file validates against its built-in schema."""
    result = _check(schema, path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("schema", "path"), FILES.items(), ids=list(FILES))
def test_broken_config_fails(schema: str, path: Path, tmp_path: Path) -> None:
    """The validation can fail: a copy with a wrong type in it is rejected."""
    broken = tmp_path / path.name
    broken.write_text(path.read_text(encoding="utf-8") + "\nversion: [not, valid]\n")
    assert _check(schema, broken).returncode != 0


def test_publish_needs_both_lanes() -> None:
    """Pages are published only after the CPU and the GPU lane both pass."""
    text = FILES["vendor.github-workflows"].read_text(encoding="utf-8")
    assert "needs: [cpu-lane, gpu-lane]" in text
    assert "runs-on: [self-hosted, linux, gpu]" in text
    assert "python -m nox -s docs_gpu" in text


def test_torch_supplement_inventory_is_in_sync() -> None:
    """docs/_intersphinx/torch-supplement.inv is what supplement.py writes."""
    sys.path.insert(0, str(REPO / "docs" / "_intersphinx"))
    import supplement

    assert supplement.TARGET.read_bytes() == supplement.render()
