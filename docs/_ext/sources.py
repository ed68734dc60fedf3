"""Turn an executed page or gallery example into transcript sections, and lint its code.

Pages: the executed notebook myst-nb writes. Gallery examples: the code blocks of the
script (sphinx-gallery's own parser) paired with the outputs in the rendered doctree.
Along the way: expected-error declarations, hidden checks, seeding and device use.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import transcript
from docutils import nodes
from sphinx_gallery.directives import imgsgnode
from sphinx_gallery.py_source_parser import (
    remove_config_comments,
    remove_ignore_blocks,
    split_code_and_text_blocks,
)

MANIFEST_TAG = "FIRSTTORCH-MANIFEST "
MANIFEST_CELL = """
```{code-cell} ipython3
:tags: [remove-cell]
# firsttorch-docs: manifest (appended by docs/_ext/verify_outputs.py, never shown)
%(devices_in)s

print(%(tag)r + __import__("json").dumps({"devices": _firsttorch_devices_in(globals())}))
del _firsttorch_devices_in
```
"""
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_RANDOM = re.compile(
    r"torch\.(?:rand|randn|randint|randperm|normal|bernoulli|multinomial|rand_like|randn_like)"
    r"\(|\.(?:uniform_|normal_|random_|bernoulli_)\(|nn\.(?:Linear|Conv\dd)\("
)
_RANDOM_ON_DEVICE = re.compile(
    r"torch\.(?:rand|randn|randint|randperm|normal|rand_like|randn_like)\([^)\n]*\bdevice\s*="
)
_PATTERN_COMMENT = re.compile(r"^\s*#\s*output-pattern:\s*(.+?)\s*$", re.MULTILINE)


@dataclass
class Executed:
    """What one page or example produced, plus what is wrong with it."""

    sections: list[transcript.Section] = field(default_factory=list)
    problems: list[str | tuple[str, int]] = field(default_factory=list)
    hidden_checks: int = 0
    expected_errors: int = 0
    picks_device: bool = False
    state: dict[str, Any] | None = None


def is_mystnb(text: str) -> bool:
    """Whether *text* is a MyST notebook (front matter with ``file_format: mystnb``)."""
    match = _FRONT_MATTER.match(text)
    return bool(match and re.search(r"^file_format:\s*mystnb\s*$", match.group(1), re.MULTILINE))


def devices_in(namespace: dict[str, Any]) -> list[str]:
    """The devices of the tensors and module parameters held in *namespace*."""
    import torch  # imported here: this function's source also runs inside each page

    devices: set[str] = set()
    for value in list(namespace.values()):
        if isinstance(value, torch.Tensor):
            devices.add(str(value.device))
        elif isinstance(value, torch.nn.Module):
            devices.update(str(p.device) for p in value.parameters())
    return sorted(devices)


def title_for(index: int, code: str, flags: str = "") -> str:
    """A section header: the block number and its first line of real code."""
    lines = [ln.strip() for ln in code.splitlines()]
    first = next((ln for ln in lines if ln and not ln.startswith("#")), "(no code)")
    if len(first) > 60:
        first = first[:57] + "..."
    return f"[{index}] {first}{flags}"


def count_asserts(code: str) -> int:
    """How many ``assert`` statements *code* holds (0 if it does not parse)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return 0
    return sum(isinstance(node, ast.Assert) for node in ast.walk(tree))


def lint_code(code: str, where: str) -> list[str]:
    """Problems with randomness: it must be seeded, and drawn on the CPU then moved."""
    problems = []
    first_random = _RANDOM.search(code)
    seed = code.find("manual_seed(")
    if first_random and (seed < 0 or seed > first_random.start()):
        problems.append(
            f"{where}: draws random numbers ({first_random.group(0)}...) before any "
            "torch.manual_seed(...); seed first so every build prints the same values."
        )
    on_device = _RANDOM_ON_DEVICE.search(code)
    if on_device:
        problems.append(
            f"{where}: draws random numbers directly on a device ({on_device.group(0)}...); "
            "draw them on the CPU and move them with .to(device), so both lanes print the "
            "same values."
        )
    return problems


def _output_text(output: Any) -> tuple[str, str | None]:
    """Text of one notebook output, and the error name if it is an error."""
    kind = output.get("output_type")
    if kind == "stream":
        return str(output.get("text", "")), None
    if kind == "error":
        return f"{output['ename']}: {output['evalue']}\n", str(output["ename"])
    data = output.get("data", {})
    if any(k.startswith("image/") for k in data):
        return "[figure]\n", None
    return str(data.get("text/plain", "")) + "\n", None


def page_sections(notebook: Any, doc_path: Path, roots: tuple[str, ...] = ()) -> Executed:
    """Sections, checks and problems of an executed MyST notebook."""
    result = Executed()
    source_map = notebook.metadata.get("source_map", [])
    where_doc = doc_path.name
    all_code = []
    index = 0
    for i, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        line = source_map[i] if i < len(source_map) else 0
        if "firsttorch-docs: manifest" in cell.source:
            result.state = _manifest_state(cell)
            continue
        index += 1
        all_code.append(cell.source)
        tags = set(cell.metadata.get("tags", []))
        hidden = bool(tags & {"remove-cell", "remove-input"})
        if tags & {"remove-cell"}:
            result.hidden_checks += count_asserts(cell.source)
        texts, errors = [], []
        for output in cell.get("outputs", []):
            text, ename = _output_text(output)
            texts.append(text)
            if ename:
                errors.append((ename, text))
        pattern = cell.metadata.get("output_pattern")
        raises = cell.metadata.get("raises")
        flags = " (hidden)" if hidden else ""
        flags += f" (raises {raises})" if raises else ""
        flags += " (device-specific)" if pattern else ""
        body = transcript.normalise("".join(texts), roots)
        result.sections.append(
            transcript.Section(title_for(index, cell.source, flags), body, pattern)
        )
        where = f"{where_doc}:{line} cell [{index}]"
        result.problems += _check_errors(where, line, tags, raises, cell.metadata, errors)
        if raises:
            result.expected_errors += 1
    code = "\n".join(all_code)
    result.picks_device = "pick_device(" in code
    result.problems += lint_code(code, where_doc)
    if result.state is None and not any(isinstance(p, tuple) for p in result.problems):
        result.problems.append(f"{where_doc}: the page stopped before its end (see above).")
    return result


def _check_errors(
    where: str,
    line: int,
    tags: set[str],
    raises: str | None,
    meta: dict[str, Any],
    errors: list[tuple[str, str]],
) -> list[str | tuple[str, int]]:
    if "raises-exception" in tags and not raises:
        return [
            (
                (
                    f"{where} is tagged raises-exception but does not declare what it raises; "
                    "add `raises: <ExceptionType>` and `match: <key words>` to its options."
                ),
                line,
            )
        ]
    if raises and "raises-exception" not in tags:
        return [(f"{where} declares raises: {raises} but is not tagged raises-exception.", line)]
    if raises:
        if not errors:
            return [(f"{where} should raise {raises} but raised nothing.", line)]
        ename, text = errors[0]
        if ename != raises:
            return [(f"{where} should raise {raises} but raised {text.strip()}", line)]
        match = str(meta.get("match", ""))
        if match and match not in text:
            return [(f"{where} raised {raises} without {match!r} in its message: {text}", line)]
        return []
    if errors:
        return [(f"{where} raised an unexpected {errors[0][1].strip()}", line)]
    return []


def _manifest_state(cell: Any) -> dict[str, Any] | None:
    for output in cell.get("outputs", []):
        text = output.get("text", "") if output.get("output_type") == "stream" else ""
        for line in text.splitlines():
            if line.startswith(MANIFEST_TAG):
                return dict(json.loads(line[len(MANIFEST_TAG) :]))
    return None


def example_sections(src: Path, doctree: nodes.document, roots: tuple[str, ...] = ()) -> Executed:
    """Sections, checks and problems of a gallery example, from its script and page."""
    result = Executed()
    _, blocks = split_code_and_text_blocks(str(src))
    code_blocks = [b for b in blocks if b.type == "code"]
    rendered = _rendered_blocks(doctree)
    by_code = {code.strip(): outs for code, outs in rendered}
    all_code = []
    for index, block in enumerate(code_blocks, start=1):
        shown = remove_config_comments(remove_ignore_blocks(block.content)).strip()
        all_code.append(block.content)
        ignored = block.content.count("sphinx_gallery_start_ignore")
        if ignored:
            result.hidden_checks += count_asserts(_ignored_code(block.content))
        pattern_match = _PATTERN_COMMENT.search(block.content)
        pattern = pattern_match.group(1) if pattern_match else None
        outputs = by_code.get(shown, [])
        flags = " (device-specific)" if pattern else ""
        body = transcript.normalise("".join(outputs), roots)
        result.sections.append(
            transcript.Section(title_for(index, shown or block.content, flags), body, pattern)
        )
    code = "\n".join(all_code)
    result.picks_device = "pick_device(" in code
    result.problems += lint_code(code, src.name)
    return result


def _ignored_code(content: str) -> str:
    kept, inside = [], False
    for line in content.splitlines():
        if "sphinx_gallery_start_ignore" in line:
            inside = True
        elif "sphinx_gallery_end_ignore" in line:
            inside = False
        elif inside:
            kept.append(line)
    return "\n".join(kept)


def _rendered_blocks(doctree: nodes.document) -> list[tuple[str, list[str]]]:
    """(code, outputs) pairs in page order from a sphinx-gallery page's doctree."""
    pairs: list[tuple[str, list[str]]] = []
    for node in doctree.findall(lambda n: isinstance(n, (nodes.literal_block, imgsgnode))):
        classes = node.get("classes", [])
        if isinstance(node, imgsgnode):
            if pairs:
                pairs[-1][1].append("[figure]\n")
        elif "sphx-glr-script-out" in classes:
            if pairs:
                pairs[-1][1].append(node.astext() + "\n")
        elif node.get("language", "").lower() in {"python", "default"}:
            pairs.append((node.astext(), []))
    return pairs


def executable_docs(srcdir: Path, gallery: Path, gallery_out: str) -> set[str]:
    """Docnames that must have run: every MyST notebook page and every gallery example."""
    docs = set()
    for path in srcdir.rglob("*.md"):
        rel = path.relative_to(srcdir)
        if rel.parts[0].startswith(("_", ".")) or rel.parts[0] in {gallery_out, "jupyter_execute"}:
            continue
        if is_mystnb(path.read_text(encoding="utf-8")):
            docs.add(rel.with_suffix("").as_posix())
    for path in gallery.rglob("plot_*.py"):
        docs.add(f"{gallery_out}/{path.relative_to(gallery).with_suffix('').as_posix()}")
    return docs


MANIFEST_CELL = MANIFEST_CELL % {
    "devices_in": inspect.getsource(devices_in)
    .replace(
        "def devices_in(namespace: dict[str, Any]) -> list[str]:",
        "def _firsttorch_devices_in(namespace):",
    )
    .replace("devices: set[str] = set()", "devices = set()"),
    "tag": MANIFEST_TAG,
}
