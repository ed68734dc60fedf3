"""The built site's downloads stand alone: scripts declare their needs, notebooks install them."""

from __future__ import annotations

import ast
import json
import re
import runpy
import zipfile
from pathlib import Path

import pytest
import tomllib

REPO = Path(__file__).resolve().parents[2]
HTML = REPO / "docs" / "_build" / "html"


# PEP 723's reference regular expression, anchored at the very start of the file.
PEP723 = re.compile(r"\A# /// script\s*$\s(?P<content>(^#(| .*)$\s)+)^# ///$", re.MULTILINE)


def _served(suffix: str) -> dict[str, str]:
    """Every file with *suffix* served loose in _downloads/ or inside an archive there."""
    files = {
        p.relative_to(HTML).as_posix(): p.read_text(encoding="utf-8")
        for p in (HTML / "_downloads").rglob(f"*{suffix}")
    }
    for archive in (HTML / "_downloads").rglob("*.zip"):
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                if name.endswith(suffix):
                    files[f"{archive.name}:{name}"] = zf.read(name).decode("utf-8")
    return files


# Modules a script may import, and the distribution that its metadata must then declare.
THIRD_PARTY = {
    "firsttorch": "firsttorch",
    "torch": "torch",
    "matplotlib": "matplotlib",
    "numpy": "numpy",
}
SCRIPTS = _served(".py")
NOTEBOOKS = _served(".ipynb")


def script_metadata(text: str) -> dict[str, object] | None:
    """The PEP 723 ``script`` block that opens *text*, parsed; None if it has none."""
    match = PEP723.match(text)
    if match is None:
        return None
    content = "".join(
        line[2:] if line.startswith("# ") else line[1:]
        for line in match.group("content").splitlines(keepends=True)
    )
    return tomllib.loads(content)


def test_the_site_offers_scripts_and_notebooks() -> None:
    """There is something to check: scripts and notebooks, loose and in both download-all archives."""
    assert any(k.startswith("auto_examples_python.zip:") for k in SCRIPTS)
    assert any(k.startswith("auto_examples_jupyter.zip:") for k in NOTEBOOKS)
    assert any(":" in k for k in SCRIPTS)
    assert any(":" not in k for k in SCRIPTS)
    assert any(":" in k for k in NOTEBOOKS)
    assert any(":" not in k for k in NOTEBOOKS)


def imported(text: str) -> set[str]:
    """The top-level packages a script imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_script_opens_with_inline_metadata(name: str) -> None:
    """Each downloadable script starts with a PEP 723 block declaring what it imports."""
    text = SCRIPTS[name]
    meta = script_metadata(text)
    assert meta is not None, f"{name} does not start with a `# /// script` block"
    declared = {re.split(r"[\s<>=!~\[;]", str(d))[0] for d in meta.get("dependencies", [])}  # type: ignore[attr-defined]
    needed = {THIRD_PARTY[m] for m in imported(text) if m in THIRD_PARTY}
    assert needed <= declared, f"{name} imports {sorted(needed - declared)} without declaring it"


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_notebook_opens_with_the_install_cell(name: str) -> None:
    """Each generated notebook's first code cell is the install-if-missing cell."""
    cells = json.loads(NOTEBOOKS[name])["cells"]
    first = next(c for c in cells if c["cell_type"] == "code")
    source = first["source"] if isinstance(first["source"], str) else "".join(first["source"])
    conf = runpy.run_path(str(Path(__file__).resolve().parents[2] / "docs" / "conf.py"))
    assert source.strip() == conf["FIRST_NOTEBOOK_CELL"].strip()


class TestImported:
    def test_finds_plain_and_from_imports(self) -> None:
        """Both import forms count; relative imports do not."""
        code = "import torch.nn\nfrom firsttorch import pick_device\nfrom . import x\n"
        assert imported(code) == {"torch", "firsttorch"}


class TestScriptMetadata:
    def test_missing_block_is_caught(self) -> None:
        """A script without the block, or with it after the docstring, has no metadata."""
        assert script_metadata('"""Doc."""\nimport torch\n') is None
        assert script_metadata('"""Doc."""\n# /// script\n# dependencies = []\n# ///\n') is None

    def test_block_is_parsed(self) -> None:
        """The block's TOML is read with its comment markers removed."""
        text = '# /// script\n# requires-python = ">=3.10"\n#\n# dependencies = ["firsttorch"]\n# ///\n'
        assert script_metadata(text) == {
            "requires-python": ">=3.10",
            "dependencies": ["firsttorch"],
        }
