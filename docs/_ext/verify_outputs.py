"""Sphinx extension: check every executed output against its reviewed transcript.

Pages (MyST notebooks run by myst-nb) and gallery examples (run by sphinx-gallery) are
turned into transcript sections, compared with ``docs/_expected/<name>.txt`` and any
difference is a build warning (an error under ``-W``) with a unified diff and the command
that accepts it. Expected errors, device use on the lane and the manifest of what ran
are checked here too; see ``docs/_ext/transcript.py`` for the file format.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import lanes
import nbformat
import sources
import transcript
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

logger = logging.getLogger(__name__)

ACCEPT_ENV = "FIRSTTORCH_ACCEPT"
ACCEPT_COMMAND = "nox -s accept"
GALLERY_OUT = "auto_examples"
REPO = Path(__file__).resolve().parents[2]
#: The firsttorch sources every page depends on; FIRSTTORCH_PACKAGE_DIR points elsewhere (tests).
PACKAGE_DIR = Path(os.environ.get("FIRSTTORCH_PACKAGE_DIR") or REPO / "src" / "firsttorch")
PACKAGE_SOURCES = sorted(PACKAGE_DIR.glob("*.py"))

# Filled while sphinx-gallery runs examples in this process (see the two hooks below).
_EXAMPLE_STATE: dict[str, dict[str, Any]] = {}


# -- sphinx-gallery hooks ------------------------------------------------------------
def reset_example(gallery_conf: dict[str, Any], fname: str, when: str = "before") -> None:
    """sphinx-gallery ``reset_modules`` hook: note that *fname* starts running."""
    if when == "before":
        _EXAMPLE_STATE[Path(fname).name] = {"devices": [], "started": time.time()}


def record_example_state(block: Any, block_vars: dict[str, Any], gallery_conf: Any) -> str:
    """sphinx-gallery scraper hook: record the devices of the tensors an example holds."""
    name = Path(block_vars["src_file"]).name
    state = _EXAMPLE_STATE.setdefault(name, {"devices": [], "started": time.time()})
    state["devices"] = sources.devices_in(block_vars["example_globals"])
    return ""


# -- events --------------------------------------------------------------------------
def _config_inited(app: Sphinx, config: Any) -> None:
    lane = lanes.current_lane()
    try:
        device = lanes.enter_lane(lane)
    except lanes.LaneError as err:
        logger.error(str(err))  # noqa: TRY400 - shown to the user, then stop at once
        raise SystemExit(2) from err
    app.firsttorch_lane = (lane, device)  # type: ignore[attr-defined]
    app.firsttorch_build = f"{time.time():.0f}-{os.getpid()}"  # type: ignore[attr-defined]
    app.firsttorch_date = lanes.build_date()  # type: ignore[attr-defined]


def _builder_inited(app: Sphinx) -> None:
    env = app.env
    app.firsttorch_fresh = not hasattr(env, "firsttorch_records")  # type: ignore[attr-defined]
    if not hasattr(env, "firsttorch_records"):
        env.firsttorch_records = {}  # type: ignore[attr-defined]


def _source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    if sources.is_mystnb(source[0]):
        source[0] = source[0].rstrip("\n") + "\n" + sources.MANIFEST_CELL


def _doctree_read(app: Sphinx, doctree: nodes.document) -> None:
    env = app.env
    docname = env.docname
    for path in PACKAGE_SOURCES:  # a change to firsttorch re-runs the pages
        env.note_dependency(str(path))
    if docname.startswith(f"{GALLERY_OUT}/") and Path(docname).name.startswith("plot_"):
        rel = docname[len(GALLERY_OUT) + 1 :]
        src = _gallery_root(app) / f"{rel}.py"
        state = _EXAMPLE_STATE.get(src.name)
        result = sources.example_sections(src, doctree, _roots(app))
        _verify(app, docname, src, result, state, kind="example")
        return
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{docname}.ipynb"
    doc_path = Path(env.doc2path(docname))
    if not sources.is_mystnb(doc_path.read_text(encoding="utf-8")):
        return
    if not executed.exists():
        _warn(docname, f"{_rel(doc_path)}: myst-nb wrote no executed notebook.")
        return
    notebook = nbformat.read(executed, as_version=4)
    result = sources.page_sections(notebook, doc_path, _roots(app))
    _verify(app, docname, doc_path, result, result.state, kind="page")


def _verify(
    app: Sphinx,
    docname: str,
    src: Path,
    result: sources.Executed,
    state: dict[str, Any] | None,
    kind: str,
) -> None:
    env = app.env
    lane, device = app.firsttorch_lane  # type: ignore[attr-defined]
    expected_path = expected_file(Path(app.srcdir), _gallery_root(app), src)
    env.note_dependency(str(expected_path))
    problems = list(result.problems)
    if state is None:
        problems.append(f"{_rel(src)}: did not run in this build.")
    devices = sorted(state["devices"]) if state else []
    if lane == "gpu" and result.picks_device and not any(d.startswith("cuda") for d in devices):
        problems.append(
            f"{_rel(src)} chooses its device with pick_device() but on the GPU lane it "
            f"kept tensors only on {devices or 'no device'}; it must run on CUDA there."
        )
    stray = [d for d in devices if d != "meta" and not d.startswith(device)]
    if lane == "cpu" and stray:
        problems.append(f"{_rel(src)}: the CPU lane left tensors on {stray}.")
    problems += _compare_transcript(expected_path, src, result.sections)
    for message, line in problems_with_lines(problems, result):
        _warn(docname, message, line)
    env.firsttorch_records[docname] = {  # type: ignore[attr-defined]
        "kind": kind,
        "source": _rel(src),
        "expected": _rel(expected_path),
        "lane": lane,
        "devices": devices,
        "torch": lanes.torch_version(),
        "date": app.firsttorch_date,  # type: ignore[attr-defined]
        "build": app.firsttorch_build,  # type: ignore[attr-defined]
        "sections": len(result.sections),
        "checked": sum(1 for s in result.sections if s.body or s.pattern),
        "hidden_checks": result.hidden_checks,
        "expected_errors": result.expected_errors,
        "ok": not problems,
    }


def problems_with_lines(
    problems: list[str | tuple[str, int]], result: sources.Executed
) -> list[tuple[str, int | None]]:
    """Pair each problem with the source line it points at (if any)."""
    return [(p, None) if isinstance(p, str) else (p[0], p[1]) for p in problems]


def _compare_transcript(
    expected_path: Path, src: Path, sections: list[transcript.Section]
) -> list[str | tuple[str, int]]:
    actual_text = transcript.render(sections, _rel(src), ACCEPT_COMMAND)
    if os.environ.get(ACCEPT_ENV) == "1":
        old = expected_path.read_text(encoding="utf-8") if expected_path.exists() else None
        if old != actual_text:
            expected_path.parent.mkdir(parents=True, exist_ok=True)
            expected_path.write_text(actual_text, encoding="utf-8")
            logger.info("accepted new output: %s", _rel(expected_path))
        return []
    if not expected_path.exists():
        return [
            (
                f"{_rel(src)}: no expected transcript yet ({_rel(expected_path)}). This build "
                f"produced:\n{actual_text}\nReview it, then accept it with: {ACCEPT_COMMAND}"
            )
        ]
    expected_text = expected_path.read_text(encoding="utf-8")
    expected = transcript.parse(expected_text)
    bad = transcript.compare(expected, sections)
    if not bad:
        return []
    where = ", ".join(
        (sections[i].title if i < len(sections) else expected[i].title) for i in bad[:5]
    )
    details = []
    for i in bad:
        if i < len(sections) and sections[i].pattern is not None:
            details.append(
                f"block [{sections[i].title}] must match ~ {sections[i].pattern}\n"
                f"but printed:\n{sections[i].body}"
            )
    diff = transcript.unified_diff(expected_text, actual_text, _rel(expected_path))
    return [
        f"{_rel(src)}: output differs from the reviewed transcript in {where}.\n"
        + (diff or "")
        + ("\n".join(details))
        + f"\nIf the new output is right, accept it with: {ACCEPT_COMMAND} "
        f"(then review `git diff {_rel(expected_path)}`)."
    ]


def expected_file(srcdir: Path, gallery: Path, src: Path) -> Path:
    """Where the transcript of *src* (a page or a gallery script) lives."""
    try:
        rel = src.resolve().relative_to(srcdir.resolve())
    except ValueError:
        rel = Path("gallery") / src.resolve().relative_to(gallery.resolve())
    return srcdir / "_expected" / rel.with_suffix(".txt")


def _roots(app: Sphinx) -> tuple[str, ...]:
    """Absolute paths that outputs may print; they become ``<root>`` in transcripts."""
    return tuple(sorted({str(REPO), str(Path(app.srcdir).parent)}, key=len, reverse=True))


def _gallery_root(app: Sphinx) -> Path:
    return Path(app.config.sphinx_gallery_conf["examples_dirs"]).resolve()


def _doctree_resolved(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    record = app.env.firsttorch_records.get(docname)  # type: ignore[attr-defined]
    if record is None:
        return
    para = nodes.paragraph(classes=["firsttorch-provenance"])
    para += nodes.Text(lanes.provenance_text(record))
    doctree += para


def _env_purge_doc(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    getattr(env, "firsttorch_records", {}).pop(docname, None)


def _env_merge_info(
    app: Sphinx, env: BuildEnvironment, docnames: list[str], other: BuildEnvironment
) -> None:
    env.firsttorch_records.update(  # type: ignore[attr-defined]
        {d: r for d, r in other.firsttorch_records.items() if d in docnames}  # type: ignore[attr-defined]
    )


def _build_finished(app: Sphinx, exception: BaseException | None) -> None:
    if exception is not None:
        return
    records: dict[str, dict[str, Any]] = app.env.firsttorch_records  # type: ignore[attr-defined]
    build = app.firsttorch_build  # type: ignore[attr-defined]
    expected_docs = sources.executable_docs(Path(app.srcdir), _gallery_root(app), GALLERY_OUT)
    for docname in sorted(expected_docs - records.keys()):
        _warn(docname, f"{docname}: was never executed and verified; nothing may be skipped.")
    if app.firsttorch_fresh:  # type: ignore[attr-defined]
        for docname, rec in sorted(records.items()):
            if rec["build"] != build:
                _warn(docname, f"{docname}: reused output in a clean build.")
    if os.environ.get(ACCEPT_ENV) != "1":
        expected_dir = Path(app.srcdir) / "_expected"
        known = {(REPO / r["expected"]).resolve() for r in records.values()}
        for orphan in sorted(p for p in expected_dir.rglob("*.txt") if p.resolve() not in known):
            _warn(None, f"{_rel(orphan)}: transcript of a page that no longer exists.")
    manifest = {
        "lane": app.firsttorch_lane[0],  # type: ignore[attr-defined]
        "torch": lanes.torch_version(),
        "build": build,
        "documents": {
            d: {**r, "ran_in_this_build": r["build"] == build} for d, r in records.items()
        },
    }
    out = Path(app.outdir) / "_firsttorch" / "manifest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    ran = sum(1 for r in records.values() if r["build"] == build)
    logger.info(
        "firsttorch: %d of %d documents executed and verified this build", ran, len(records)
    )


def _warn(docname: str | None, message: str, line: int | None = None) -> None:
    location = (docname, line) if docname and line else docname
    logger.warning(message, location=location, type="firsttorch", subtype="verify")


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the verification with Sphinx."""
    app.connect("config-inited", _config_inited)
    app.connect("builder-inited", _builder_inited, priority=100)
    app.connect("source-read", _source_read)
    app.connect("doctree-read", _doctree_read)
    app.connect("doctree-resolved", _doctree_resolved)
    app.connect("env-purge-doc", _env_purge_doc)
    app.connect("env-merge-info", _env_merge_info)
    app.connect("build-finished", _build_finished)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
