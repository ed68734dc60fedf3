"""sphinx-gallery's side: hooks that watch each script run, and its output by block.

sphinx-gallery runs the scripts inside the build process. Two hooks named in
``sphinx_gallery_conf`` watch each run: :func:`reset_example` (``reset_modules``, before and
after each script) starts the script's time limit and the randomness watch and writes its
:class:`~verify.probe.RunState`; :func:`scrape_example` (an image scraper, called after
each code block) records the block's figures, the devices it holds and unseeded draws.
The rendered page is then read back block by block: each block's output follows the
``GENERATED FROM PYTHON SOURCE LINES a-b`` comment sphinx-gallery writes before it, so
outputs pair with blocks by position, never by their text.
"""

from __future__ import annotations

import re
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from docutils import nodes
from sphinx_gallery import gen_rst
from sphinx_gallery.directives import imgsgnode
from sphinx_gallery.py_source_parser import (
    remove_config_comments,
    remove_ignore_blocks,
    split_code_and_text_blocks,
)

from verify import lanes, probe
from verify.pages import count_asserts, summarise_svg
from verify.records import Executed, Problem
from verify.transcript import Section, normalise, title_for

_BLOCK_MARK = re.compile(r"GENERATED FROM PYTHON SOURCE LINES (\d+)-(\d+)")


class ScriptTimeoutError(TimeoutError):
    """A gallery script ran past its time limit."""


@dataclass
class _Run:
    """The script running now."""

    src: Path | None = None
    state: probe.RunState = field(default_factory=probe.RunState)
    watch: probe.RandomWatch = field(default_factory=probe.RandomWatch)


@dataclass
class GalleryWatch:
    """Settings for the hooks (set by the extension at builder-inited) and the current run."""

    runs_dir: Path | None = None
    gallery_root: Path | None = None
    timeout: float = 120.0
    run: _Run = field(default_factory=_Run)

    def state_path(self, src: Path) -> Path:
        """Where the run state of the script *src* is written."""
        assert self.runs_dir is not None
        assert self.gallery_root is not None
        rel = src.resolve().relative_to(self.gallery_root)
        return self.runs_dir / "gallery" / rel.with_suffix(".json")


WATCH = GalleryWatch()


def _on_alarm(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001 - signal API
    run = WATCH.run
    msg = (
        f"{run.src.name if run.src else 'the script'} ran past its {WATCH.timeout:g} s limit "
        "(firsttorch_script_timeout) and was stopped. Make it faster, or raise the limit in "
        "conf.py if it really needs longer."
    )
    run.state.timed_out = msg
    raise ScriptTimeoutError(msg)


def reset_example(gallery_conf: dict[str, Any], fname: str | None, when: str = "before") -> None:
    """``reset_modules`` hook: start (``before``) and finish (``after``) one script's run."""
    del gallery_conf
    if fname is None:
        return
    in_main = threading.current_thread() is threading.main_thread()
    if when == "before":
        WATCH.run = _Run()
        WATCH.run.watch.start()
        if in_main:
            signal.signal(signal.SIGALRM, _on_alarm)
            signal.setitimer(signal.ITIMER_REAL, WATCH.timeout)
        return
    if in_main:
        signal.setitimer(signal.ITIMER_REAL, 0)
    run = WATCH.run
    if run.src is not None:
        run.watch.check("the end of the script")
        run.state.unseeded = list(run.watch.found)
        run.state.write(WATCH.state_path(run.src))


def scrape_example(block: Any, block_vars: dict[str, Any], gallery_conf: Any) -> str:
    """Image-scraper hook, after each code block: figures, devices, randomness."""
    del gallery_conf
    run = WATCH.run
    run.src = Path(block_vars["src_file"])
    run.state.blocks_run.append(int(block.lineno))
    run.watch.check(f"the block at line {block.lineno}")
    run.state.devices = sorted(
        set(run.state.devices) | set(probe.devices_in(block_vars["example_globals"]))
    )
    import matplotlib.pyplot as plt

    figures = [probe.figure_data(plt.figure(num)) for num in plt.get_fignums()]
    if figures:
        run.state.figures[str(block.lineno)] = figures
    return ""


def explain_asserts_in_examples() -> None:
    """Make sphinx-gallery's block execution explain failing hidden asserts.

    sphinx-gallery compiles each block to an AST and executes it through the private
    ``_exec_and_get_memory``; it has no hook for AST transforms, so this wraps that one
    function (pinned sphinx-gallery; a drill fails if the wrap stops taking effect).
    """
    original = gen_rst._exec_and_get_memory
    if getattr(original, "_firsttorch", False):
        return

    def run(compiler: Any, *, code_ast: Any, gallery_conf: Any, script_vars: Any) -> Any:
        return original(
            compiler,
            code_ast=probe.explain_asserts(code_ast),
            gallery_conf=gallery_conf,
            script_vars=script_vars,
        )

    run._firsttorch = True  # type: ignore[attr-defined]
    gen_rst._exec_and_get_memory = run


@dataclass(frozen=True)
class Block:
    """One code block of a script: where it starts, its code, and what it printed."""

    lineno: int
    code: str
    outputs: tuple[str, ...]


def script_blocks(src: Path, doctree: nodes.document) -> list[Block]:
    """The script's code blocks, each with the outputs rendered after it (by position)."""
    _, blocks = split_code_and_text_blocks(str(src))
    code_blocks = [b for b in blocks if b.type == "code"]
    outputs: dict[int, list[str]] = {b.lineno: [] for b in code_blocks}
    current: int | None = None
    wanted = (nodes.comment, nodes.literal_block, nodes.raw, imgsgnode)
    for node in doctree.findall(lambda n: isinstance(n, wanted)):
        if isinstance(node, nodes.comment):
            mark = _BLOCK_MARK.search(node.astext())
            if mark:
                start = int(mark.group(1))
                current = start if start in outputs else None
        elif current is None:
            continue
        elif isinstance(node, imgsgnode):
            outputs[current].append("[image]\n")
        elif isinstance(node, nodes.raw) and "html" in node.get("format", ""):
            outputs[current].append(f"[text/html]\n{summarise_svg(node.astext().strip())}\n")
        elif isinstance(node, nodes.literal_block) and "sphx-glr-script-out" in node.get(
            "classes", []
        ):
            outputs[current].append(node.astext() + "\n")
    return [Block(b.lineno, b.content, tuple(outputs[b.lineno])) for b in code_blocks]


_PATTERN_COMMENT = re.compile(r"^\s*#\s*output-pattern:\s*(.+?)\s*$", re.MULTILINE)
_TRACEBACK = "Traceback (most recent call last)"


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


def example_result(
    src: Path,
    doctree: nodes.document,
    lane: lanes.Lane,
    roots: tuple[str, ...],
    state: probe.RunState | None,
) -> Executed:
    """Sections, checks and problems of a gallery script, from its run and its page."""
    result = Executed()
    name = src.name
    blocks = script_blocks(src, doctree)
    ran = set(state.blocks_run) if state else set()
    failed: Block | None = None
    for index, block in enumerate(blocks, start=1):
        shown = remove_config_comments(remove_ignore_blocks(block.code)).strip()
        result.hidden_checks += count_asserts(_ignored_code(block.code))
        found = _PATTERN_COMMENT.search(block.code)
        pattern = found.group(1) if found else None
        figures = iter(state.figures.get(str(block.lineno), []) if state else [])
        texts = []
        for output in block.outputs:
            if output == "[image]\n":
                data = next(figures, None)
                if data is None:
                    result.problems.append(
                        Problem(
                            f"{name}: the block at line {block.lineno} shows an image "
                            "that is not a matplotlib figure, so nothing can check it."
                        )
                    )
                texts.append(f"[figure]\n{data or ''}")
            else:
                texts.append(output)
        body = lane.normalise(normalise("".join(texts), roots, f"line {block.lineno}"))
        flags = " (lane-specific)" if pattern else ""
        result.sections.append(Section(title_for(index, shown or block.code, flags), body, pattern))
        if failed is None and _TRACEBACK in body:
            failed = block
            result.stopped = True
            hidden = any(ln.startswith("AssertionError") for ln in body.splitlines())
            what = "a hidden check failed" if hidden else "it raised"
            detail = body[body.index(_TRACEBACK) :].strip().splitlines()
            tail = "\n".join(ln for ln in detail if not ln.startswith("  File"))
            result.problems.append(
                Problem(f"{name}: the block at line {block.lineno} failed ({what}):\n{tail}")
            )
    missing = [b.lineno for b in blocks if b.lineno not in ran]
    if state is None:
        result.problems.append(Problem(f"{name}: did not run in this build."))
    else:
        result.devices = state.devices
        if state.timed_out:
            at = f" (in the block at line {state.blocks_run[-1]})" if state.blocks_run else ""
            result.problems.append(Problem(f"{name}{at}: {state.timed_out}"))
        if missing:
            cause = f"the block at line {failed.lineno} failed" if failed else "the script stopped"
            result.problems.append(
                Problem(f"{name}: the blocks at lines {missing} were not reached, because {cause}.")
            )
        result.problems += [
            Problem(
                f"{name}: {u}; seed it first (torch.manual_seed(0)) so every run prints the same."
            )
            for u in state.unseeded
        ]
    result.picks_device = "pick_device(" in src.read_text(encoding="utf-8")
    return result
