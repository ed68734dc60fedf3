"""The Sphinx side: configuration, events, records, transcripts, accept and the summary."""

from __future__ import annotations

import atexit
import glob
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import nbformat
from docutils import nodes
from myst_nb.core.read import create_nb_reader
from myst_nb.sphinx_ import NbMetadataCollector
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.domains import Domain
from sphinx.environment import BuildEnvironment
from sphinx.errors import ConfigError
from sphinx.project import Project
from sphinx.util import logging

from verify import doctests, gallery, lanes, pages, probe, shards, transcript, warm
from verify.compare import first_difference, outputs_match
from verify.records import Executed, Problem, RunRecord

logger = logging.getLogger(__name__)

ACCEPT_COMMAND = "nox -s accept"
GALLERY_OUT = "auto_examples"
FINGERPRINT_FILE = ".firsttorch-fingerprint"
HERE = Path(__file__).resolve().parent
FINISH_CELL = """
```{{code-cell}} ipython3
:tags: [remove-cell]
# firsttorch-docs: run state (appended by the verifier, never shown)
__import__("verify.probe", fromlist=["x"]).finish_kernel({rel!r})
```
"""
KERNEL_STARTUP = """\
# The verifier's probe in every page's kernel (docs/_ext/verify/probe.py); no names leak.
# Figures are shown inline whatever MPLBACKEND the build was started with (Agg on many
# headless machines would hide every figure): what ipykernel sets when MPLBACKEND is unset.
__import__("os").environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
__import__("sys").path.insert(0, {ext!r})
__import__("verify.probe", fromlist=["x"]).install_in_kernel(get_ipython(), {runs!r})
"""
# Kernels on TCP warn about it once each; the build log is for the pages' own problems.
KERNEL_CONFIG = "c.IPKernelApp.log_level = 'ERROR'\n"


class VerifyDomain(Domain):
    """Keeps one :class:`RunRecord` per document in the environment (merged in parallel builds)."""

    name = "firsttorch"
    label = "firsttorch verification"
    initial_data = {"records": {}}  # noqa: RUF012 - Sphinx's API

    @property
    def records(self) -> dict[str, RunRecord]:
        """The record of each verified document."""
        return cast("dict[str, RunRecord]", self.data["records"])

    def clear_doc(self, docname: str) -> None:
        """Forget a document that is about to be re-read or was removed."""
        self.records.pop(docname, None)

    def merge_domaindata(self, docnames: Any, otherdata: dict[str, Any]) -> None:
        """Take the records of a parallel reader's documents."""
        for docname, record in otherdata["records"].items():
            if docname in docnames:
                self.records[docname] = record

    def resolve_any_xref(self, *args: Any) -> list[Any]:  # noqa: ARG002 - no cross-references
        """This domain has no cross-references."""
        return []


@dataclass(frozen=True)
class Settings:
    """The verifier's settings for one build, read from the Sphinx configuration."""

    lane: lanes.Lane
    accept: bool
    script_timeout: float
    expected_dir: Path
    gallery_root: Path
    watched: tuple[Path, ...]
    work: Path
    build: str
    date: str
    repo: Path
    torch: str
    roots: tuple[str, ...]
    shard: shards.Shard | None  # an execute build: run and verify only this shard
    render: bool  # a render build: outputs from the artifacts, no code run
    artifacts: Path  # where shards leave their artifacts and render reads them
    durations: Path  # recorded seconds per document, for balancing shards
    fingerprint: str  # of everything outputs depend on besides the sources (computed once)

    @property
    def runs(self) -> Path:
        """Where each run leaves its :class:`~verify.probe.RunState`."""
        return self.work / "runs"


_SETTINGS: dict[int, Settings] = {}


def settings(app: Sphinx) -> Settings:
    """This build's settings (made at config-inited)."""
    return _SETTINGS[id(app)]


def _domain(env: BuildEnvironment) -> VerifyDomain:
    return cast("VerifyDomain", env.get_domain("firsttorch"))


def _rel(path: Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _build_date() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = time.gmtime(int(epoch)) if epoch else time.gmtime()
    return time.strftime("%Y-%m-%d", when)


# -- configuration -----------------------------------------------------------------------
def _config_inited(app: Sphinx, config: Config) -> None:
    try:
        lane = lanes.lane_named(str(config.firsttorch_lane).strip().lower())
    except ValueError as err:
        raise ConfigError(str(err)) from None
    if lane.device_type == "cuda":
        _require_cuda()
    shard = None
    if config.firsttorch_shard:
        try:
            shard = shards.Shard.parse(str(config.firsttorch_shard))
        except ValueError as err:
            raise ConfigError(str(err)) from None
    render = bool(config.firsttorch_render)
    if sum([shard is not None, render, bool(config.firsttorch_accept)]) > 1:
        msg = (
            "firsttorch_shard, firsttorch_render and firsttorch_accept are separate steps: "
            "set one of them (accept runs everything in one build)."
        )
        raise ConfigError(msg)
    srcdir = Path(app.srcdir).resolve()
    repo = Path(config.firsttorch_repo or srcdir.parent).resolve()
    gallery_root = Path(config.sphinx_gallery_conf["examples_dirs"]).resolve()
    watched = watched_dirs(config.firsttorch_watch)
    work = Path(app.doctreedir).resolve() / "firsttorch"  # never inside the served site
    s = Settings(
        lane=lane,
        accept=bool(config.firsttorch_accept),
        script_timeout=float(config.firsttorch_script_timeout),
        expected_dir=srcdir / config.firsttorch_expected_dir,
        gallery_root=gallery_root,
        watched=watched,
        work=work,
        build=f"{time.time():.0f}-{os.getpid()}",
        date=_build_date(),
        repo=repo,
        torch=importlib.metadata.version("torch"),  # read from metadata: no import torch
        roots=tuple(sorted({str(repo), str(srcdir.parent)}, key=len, reverse=True)),
        shard=shard,
        render=render,
        artifacts=Path(config.firsttorch_artifacts or Path(app.doctreedir).parent / "artifacts"),
        durations=srcdir / config.firsttorch_durations,
        fingerprint=fingerprint(watched, lane.name),
    )
    _SETTINGS[id(app)] = s
    # What the code the build runs sees: the lane's device, and on the CPU lane no GPU.
    os.environ["FIRSTTORCH_DEVICE"] = lane.device_type
    if lane.device_type == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
    ipython = work / "ipython"
    startup = ipython / "profile_default" / "startup" / "00-firsttorch-verify.py"
    startup.parent.mkdir(parents=True, exist_ok=True)
    startup.write_text(
        KERNEL_STARTUP.format(ext=str(HERE.parent), runs=str(s.runs)), encoding="utf-8"
    )
    (ipython / "profile_default" / "ipython_kernel_config.py").write_text(KERNEL_CONFIG)
    os.environ["IPYTHONDIR"] = str(ipython)
    hooks = config.sphinx_gallery_conf
    if (
        "verify.gallery.reset_example" not in hooks.get("reset_modules", ())
        or ("verify.gallery.scrape_example" not in hooks.get("image_scrapers", ()))
        or hooks.get("reset_modules_order") != "both"
    ):
        msg = (
            "the verifier needs sphinx_gallery_conf to include "
            "'reset_modules': (..., 'verify.gallery.reset_example'), "
            "'reset_modules_order': 'both' and "
            "'image_scrapers': ('verify.gallery.scrape_example', 'matplotlib')."
        )
        raise ConfigError(msg)
    if config.firsttorch_warm_kernels and not render and _pages_likely_to_run(app, s):
        _start_zygote(app)
    gallery.WATCH.runs_dir = s.runs
    gallery.WATCH.gallery_root = gallery_root
    gallery.WATCH.timeout = s.script_timeout
    gallery.explain_asserts_in_examples()


def watched_dirs(configured: list[str]) -> tuple[Path, ...]:
    """The directories whose Python files outputs depend on: the configured ones and this
    verifier itself (a change to how outputs are checked re-runs everything)."""
    return (*(Path(p).resolve() for p in configured), HERE)


def _require_cuda() -> None:
    import torch

    if not torch.cuda.is_available():
        build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
        msg = (
            f"GPU lane requested (firsttorch_lane = 'gpu') but torch {torch.__version__} "
            f"({build}) sees no CUDA device. The GPU lane must run every page on CUDA, so it "
            "stops here instead of silently building on the CPU. Fix: run it on a machine "
            "with an NVIDIA GPU and a CUDA build of torch (`nox -s docs_gpu`), or build the "
            "CPU lane (`nox -s docs`)."
        )
        raise ConfigError(msg)


# -- what a build must re-run ----------------------------------------------------------------
def distributions() -> list[str]:
    """Every installed distribution with its version, sorted (``name-version``, as the
    folders of their metadata on ``sys.path`` are named: no metadata file is parsed)."""
    found = set()
    for entry in sys.path:
        folder = Path(entry or ".")
        if folder.is_dir():
            found |= {
                p.name.rpartition(".")[0]
                for p in folder.iterdir()
                if p.name.endswith((".dist-info", ".egg-info"))
            }
    return sorted(found)


def fingerprint(watched: tuple[Path, ...], lane: str) -> str:
    """Hash of everything outputs depend on besides the sources Sphinx tracks itself.

    The watched directories' Python files (firsttorch, this verifier), every installed
    distribution with its version, the Python version and the lane.
    """
    digest = hashlib.sha256()
    for root in watched:
        for path in sorted(root.rglob("*.py")):
            digest.update(f"{path.relative_to(root)}\0".encode() + path.read_bytes() + b"\0")
    digest.update("\n".join(distributions()).encode())
    digest.update(f"\0python={sys.version}\0lane={lane}".encode())
    return digest.hexdigest()


def _stored_fingerprints(app: Sphinx) -> tuple[Path, Path]:
    return (
        Path(app.srcdir) / GALLERY_OUT / FINGERPRINT_FILE,
        Path(app.doctreedir) / FINGERPRINT_FILE,
    )


@dataclass
class _Rerun:
    """What this build runs: everything, what changed or failed, one shard, or nothing."""

    everything: bool
    failed: frozenset[str]
    mine: frozenset[str] | None = None  # an execute build's shard (None: every document)
    artifacts: tuple[shards.Artifact, ...] = ()  # a render build's merged artifacts
    entries: dict[str, shards.Entry] = field(default_factory=dict)

    def runs(self, docname: str) -> bool:
        """Whether this build runs and verifies *docname* (if it has code)."""
        return self.mine is None or docname in self.mine


_RERUN: dict[int, _Rerun] = {}
_ZYGOTES: dict[int, warm.Zygote] = {}  # one warm process per build that runs pages


def _builder_inited(app: Sphinx) -> None:
    s = settings(app)
    records = _domain(app.env).records
    if not records or s.render:  # a clean build: no run state from an earlier one may be read
        shutil.rmtree(s.runs, ignore_errors=True)
    if s.render:
        _RERUN[id(app)] = _plan_render(app)
        return
    stored = {
        p.read_text(encoding="utf-8").strip() if p.exists() else None
        for p in _stored_fingerprints(app)
    }
    failed = frozenset(d for d, r in records.items() if not r.ok)
    everything = stored != {s.fingerprint}
    _RERUN[id(app)] = _Rerun(everything, failed)
    if s.shard is not None:
        _plan_shard(app, s.shard)
    if everything or any(d.startswith(f"{GALLERY_OUT}/") for d in failed):
        # Before sphinx-gallery runs the scripts (priority 500), after its defaults (10).
        app.config.sphinx_gallery_conf["run_stale_examples"] = True
    if everything:
        why = "no complete fingerprint from an earlier build" if None in stored else "it changed"
        logger.info("firsttorch: re-running every page and example (%s)", why)
    elif failed:
        logger.info("firsttorch: re-running what failed last time: %s", ", ".join(sorted(failed)))


NEVER = r"(?!)"  # a filename_pattern no script matches: sphinx-gallery runs none


def runnable(app: Sphinx) -> dict[str, Path]:
    """Every document that may run code, with its source: pages (Sphinx's own discovery,
    before any is read) and gallery scripts (as their generated documents)."""
    s = settings(app)
    config = app.config
    project = Project(app.srcdir, config.source_suffix)
    exclude = [*config.exclude_patterns, *config.templates_path, f"{GALLERY_OUT}/**"]
    docs = project.discover(exclude, config.include_patterns)
    units = {d: Path(project.doc2path(d, absolute=True)) for d in sorted(docs)}
    for path in sorted(s.gallery_root.rglob("plot_*.py")):
        units[f"{GALLERY_OUT}/{path.relative_to(s.gallery_root).with_suffix('').as_posix()}"] = path
    return units


def _plan_shard(app: Sphinx, shard: shards.Shard) -> None:
    """Run only *shard*: other pages are excluded from myst-nb's execution (its own
    ``nb_execution_excludepatterns``), other scripts from sphinx-gallery's
    (``filename_pattern``); myst-nb and sphinx-gallery read both after this."""
    s = settings(app)
    units = runnable(app)
    shard_of = shards.assign(units, shards.read_durations(s.durations), shard.count)
    mine = frozenset(d for d, k in shard_of.items() if k == shard.index)
    _RERUN[id(app)].mine = mine
    others = [units[d].as_posix() for d in units if d not in mine]
    app.config.nb_execution_excludepatterns = [
        *app.config.nb_execution_excludepatterns,
        *(glob.escape(p) for p in others if not p.endswith(".py")),
    ]
    scripts = [
        units[d].relative_to(s.gallery_root).as_posix()
        for d in sorted(mine)
        if d.startswith(f"{GALLERY_OUT}/")
    ]
    conf = app.config.sphinx_gallery_conf
    conf["filename_pattern"] = (
        "(?:^|/)(?:" + "|".join(re.escape(p) for p in scripts) + ")$" if scripts else NEVER
    )
    logger.info(
        "firsttorch: shard %s runs %d of %d documents: %s",
        shard,
        len(mine),
        len(units),
        ", ".join(sorted(mine)) or "none",
    )


def _plan_render(app: Sphinx) -> _Rerun:
    """Render from the artifacts: myst-nb takes outputs from a cache filled with the
    executed notebooks (``nb_execution_mode = "cache"``), sphinx-gallery finds every
    script's generated files current, and a kernel that refuses to start stands in for
    Python, so that a page without executed output fails instead of running."""
    s = settings(app)
    try:
        artifacts = shards.merge(s.artifacts, s.lane.name, s.fingerprint, distributions())
    except shards.ArtifactError as err:
        raise ConfigError(str(err)) from None
    entries = {d: e for a in artifacts for d, e in a.entries.items()}
    failed = sorted(d for d, e in entries.items() if not e.record.ok)
    if failed:
        msg = f"render: these documents failed in their shard, so nothing is rendered: {', '.join(failed)}."
        raise ConfigError(msg)
    from jupyter_cache import get_cache  # type: ignore[import-untyped]

    cache_dir = s.work / "render-cache"
    shutil.rmtree(cache_dir, ignore_errors=True)
    cache = get_cache(str(cache_dir))
    auto = Path(app.srcdir) / GALLERY_OUT
    shutil.rmtree(auto, ignore_errors=True)
    for artifact in artifacts:
        for notebook in sorted((artifact.folder / "notebooks").rglob("*.ipynb")):
            cache.cache_notebook_file(str(notebook), check_validity=False, overwrite=True)
        for name, dest in (("runs", s.runs), ("gallery", auto)):
            if (artifact.folder / name).is_dir():
                shutil.copytree(artifact.folder / name, dest, dirs_exist_ok=True)
    app.config.nb_execution_mode = "cache"
    app.config.nb_execution_cache_path = str(cache_dir)
    # A page with no artifact, or changed since its shard ran, is not even offered to
    # myst-nb's executor (the verifier then reports it); the refusing kernel is the backstop.
    unusable = [
        path.as_posix()
        for doc, path in runnable(app).items()
        if path.suffix != ".py"
        and (doc not in entries or entries[doc].source_sha256 != shards.sha256(path))
    ]
    app.config.nb_execution_excludepatterns = [
        *app.config.nb_execution_excludepatterns,
        *(glob.escape(p) for p in unusable),
    ]
    app.config.sphinx_gallery_conf["filename_pattern"] = NEVER
    spec = s.work / "render" / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    refusal = (
        "render: this build runs no code, and this page has no executed output in the "
        "artifacts (or its code changed since its shard ran). Re-run the shards."
    )
    argv = [sys.executable, "-c", f"import sys; sys.exit({refusal!r})", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "language": "python"}))
    paths = [
        str(spec.parents[1]),
        *filter(None, os.environ.get("JUPYTER_PATH", "").split(os.pathsep)),
    ]
    os.environ["JUPYTER_PATH"] = os.pathsep.join(paths)
    logger.info(
        "firsttorch: rendering %d documents from %d shard artifacts in %s; no code runs",
        len(entries),
        len(artifacts),
        s.artifacts,
    )
    return _Rerun(everything=False, failed=frozenset(), artifacts=tuple(artifacts), entries=entries)


def _env_get_outdated(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    rerun = _RERUN[id(app)]
    if rerun.everything or settings(app).render:  # a render reads every page's artifact
        extra = sorted(env.found_docs - added - changed - removed)
    else:
        extra = sorted((rerun.failed & env.found_docs) - added - changed - removed)
    pages = [
        d
        for d in {*added, *changed, *extra}
        if not d.startswith(f"{GALLERY_OUT}/") and rerun.runs(d)
    ]
    if (
        pages
        and not settings(app).render
        and app.config.firsttorch_warm_kernels
        and id(app) not in _ZYGOTES
    ):
        _start_zygote(app)
    return extra


def _start_zygote(app: Sphinx) -> None:
    """Pages will run: their kernels fork from one warm process (verify/warm.py).

    With ``firsttorch_warm_linger`` > 0 the process waits that long for the next build and
    serves it if that build has the same code, packages and environment (the key).
    """
    s = settings(app)
    linger = float(app.config.firsttorch_warm_linger)
    ours = (warm.SOCKET_ENV, warm.PID_ENV, "JUPYTER_PATH")
    shell = {"_", "OLDPWD", "SHLVL"}  # what a shell changes between two identical commands
    env = sorted((k, v) for k, v in os.environ.items() if not k.startswith(ours) and k not in shell)
    key = hashlib.sha256(json.dumps([s.fingerprint, sys.executable, env]).encode()).hexdigest()
    zygote = warm.start(s.work / "warm", linger, key)
    warm.use(zygote)
    _ZYGOTES[id(app)] = zygote
    atexit.register(warm.stop_using, zygote)


def _pages_likely_to_run(app: Sphinx, s: Settings) -> bool:
    """Whether pages will run, judged as soon as the configuration is read (so that the
    warm process imports while Sphinx loads its environment and sphinx-gallery runs the
    scripts): no earlier build here, other code or packages than its, or a page newer than
    its environment. Sphinx's own answer (env-get-outdated) still starts it if this guessed
    wrong; a wrong guess the other way costs an idle process until the build ends."""
    doctrees = Path(app.doctreedir)
    pickled = doctrees / "environment.pickle"
    stored = doctrees / FINGERPRINT_FILE
    if not pickled.exists() or not stored.exists():
        return True
    if stored.read_text(encoding="utf-8").strip() != s.fingerprint:
        return True
    built = pickled.stat().st_mtime
    srcdir = Path(app.srcdir)
    return any(
        p.stat().st_mtime > built
        for p in srcdir.rglob("*.md")
        if not p.relative_to(srcdir).parts[0].startswith(("_", "."))
    )


# -- reading documents ---------------------------------------------------------------------
def is_notebook(app: Sphinx, docname: str, text: str) -> bool:
    """Whether myst-nb reads this document as a notebook (its own decision)."""
    env = app.env
    path = str(env.doc2path(docname))
    return create_nb_reader(path, env.myst_config, env.mystnb_config, text) is not None  # type: ignore[attr-defined]


def _run_state_path(s: Settings, docname: str) -> Path:
    return s.runs / "pages" / f"{docname}.json"


def _source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    if docname.startswith(f"{GALLERY_OUT}/") or not is_notebook(app, docname, source[0]):
        return
    s = settings(app)
    path = _run_state_path(s, docname)
    if not s.render:  # a render build reads the state its shard left
        path.unlink(missing_ok=True)
    rel = path.relative_to(s.runs).as_posix()  # the same code on every machine
    source[0] = source[0].rstrip("\n") + "\n" + FINISH_CELL.format(rel=rel)


def _doctree_read(app: Sphinx, doctree: nodes.document) -> None:
    env = app.env
    docname = env.docname
    s = settings(app)
    if not _RERUN[id(app)].runs(docname):
        return  # another shard runs it
    doc_path = Path(env.doc2path(docname))
    if docname.startswith(f"{GALLERY_OUT}/") and Path(docname).name.startswith("plot_"):
        src = s.gallery_root / f"{docname[len(GALLERY_OUT) + 1 :]}.py"
        state = probe.RunState.read(gallery.WATCH.state_path(src))
        result = gallery.example_result(src, doctree, s.lane, s.roots, state)
        cost = Path(app.srcdir) / f"{docname}.cost.json"
        seconds = float(json.loads(cost.read_text())["time"]) if cost.exists() else 0.0
        _verify(app, docname, src, result, "example", seconds)
    elif is_notebook(app, docname, doc_path.read_text(encoding="utf-8")):
        executed = _executed_notebook(app, docname)
        if NbMetadataCollector.get_exec_data(env, docname) is None or not executed.exists():
            result = Executed(
                problems=[
                    Problem(
                        f"{doc_path.name}: myst-nb did not execute this notebook page (is "
                        "execution switched off in its metadata?); every page that shows "
                        "code must run in the build."
                    )
                ]
            )
        else:
            notebook = nbformat.read(executed, as_version=4)  # type: ignore[no-untyped-call]
            state = probe.RunState.read(_run_state_path(s, docname))
            result = pages.page_result(notebook, doc_path, s.lane, s.roots, state)
        exec_data = NbMetadataCollector.get_exec_data(env, docname) or {}
        _verify(app, docname, doc_path, result, "page", float(exec_data.get("runtime") or 0.0))
    else:
        examples = doctests.blocks_in(doctree)
        if examples and s.render:
            _adopt(app, docname, doc_path, None)
        elif examples:
            began = time.perf_counter()
            result = doctests.run(examples, doc_path.name, app.config.firsttorch_doctest_setup)
            _verify(app, docname, doc_path, result, "doctest", time.perf_counter() - began)
        shown = doctests.unverified_output(doctree)
        if shown:
            _warn(
                docname,
                f"{doc_path.name}: shows code output ({shown}) that no build runs or checks; make it a MyST notebook page (file_format: mystnb).",
            )


def _executed_notebook(app: Sphinx, docname: str) -> Path:
    """The notebook myst-nb executed for *docname* (in jupyter_execute).

    A render build's myst-nb shows the outputs it merged from its cache but writes the
    notebook it read, without them; the artifact's notebook, which holds what it shows,
    is put in its place so that everything after reads what the page shows.
    """
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{docname}.ipynb"
    for artifact in _RERUN[id(app)].artifacts:
        if docname in artifact.entries:
            shutil.copyfile(artifact.folder / "notebooks" / f"{docname}.ipynb", executed)
    return executed


def expected_file(s: Settings, srcdir: Path, src: Path) -> Path:
    """Where the transcript of *src* (a page or a gallery script) lives."""
    try:
        rel = src.resolve().relative_to(srcdir.resolve())
    except ValueError:
        rel = Path("gallery") / src.resolve().relative_to(s.gallery_root)
    return s.expected_dir / rel.with_suffix(".txt")


def _adopt(app: Sphinx, docname: str, src: Path, verified: RunRecord | None) -> None:
    """Render build: keep *docname*'s record from its shard's artifact (with what this
    build *verified* again from the executed output, if any); missing or changed fails."""
    s = settings(app)
    records = _domain(app.env).records
    entry = _RERUN[id(app)].entries.get(docname)
    base = verified if verified is not None else (entry.record if entry else None)
    problem = None
    if entry is None:
        problem = f"{docname}: no executed record for it in the artifacts ({s.artifacts}); run every shard of this checkout."
    elif entry.source_sha256 != shards.sha256(src):
        problem = f"{docname}: {src.name} changed since its shard ran; re-run the shards."
    if problem is not None:
        _warn(docname, problem)
        if base is not None:
            records[docname] = replace(base, ok=False, problems=(*base.problems, problem))
        return
    assert entry is not None
    assert base is not None
    records[docname] = replace(base, build=entry.record.build, seconds=entry.record.seconds)


def _verify(
    app: Sphinx, docname: str, src: Path, result: Executed, kind: str, seconds: float
) -> None:
    s = settings(app)
    srcdir = Path(app.srcdir)
    repo = s.repo
    expected_path = expected_file(s, srcdir, src)
    app.env.note_dependency(str(expected_path))
    problems = list(result.problems)
    devices = sorted(result.devices)
    if (
        s.lane.device_type == "cuda"
        and result.picks_device
        and not any(d.startswith("cuda") for d in devices)
    ):
        problems.append(
            Problem(
                f"{src.name} chooses its device with pick_device() but on the GPU lane it kept tensors only on {devices or 'no device'}; it must run on CUDA there."
            )
        )
    stray = [d for d in devices if d != "meta" and not d.startswith(s.lane.device_type)]
    if s.lane.device_type == "cpu" and stray:
        problems.append(Problem(f"{src.name}: the CPU lane left tensors on {stray}."))
    for section in result.sections:
        if section.pattern is not None:
            problems += [
                Problem(f"{src.name} {section.title}: {p}")
                for p in lanes.pattern_problems(section.pattern)
            ]
        named = lanes.accelerator_named(s.lane, section.body)
        if named:
            problems.append(
                Problem(
                    f"{src.name} {section.title}: the CPU lane's output names the accelerator device {named!r}."
                )
            )
    source = _rel(src, repo)
    actual_text = transcript.render(result.sections, source, ACCEPT_COMMAND)
    if s.accept:
        if problems:
            problems.append(
                Problem(
                    f"{source}: not accepted, because the run has the problems above; fix them first."
                )
            )
        else:
            _accept(expected_path, actual_text, repo)
    elif not result.stopped:  # a run that failed part-way is reported above, not diffed
        problems += _compare(s.lane, expected_path, actual_text, result, repo, src.name)
    for problem in problems:
        _warn(docname, problem.message, problem.line)
    _domain(app.env).records[docname] = RunRecord(
        docname=docname,
        kind=kind,
        source=source,
        expected=_rel(expected_path, repo),
        lane=s.lane.name,
        devices=tuple(devices),
        build=s.build,
        date=s.date,
        torch=s.torch,
        sections=len(result.sections),
        checked=result.checked,
        hidden_checks=result.hidden_checks,
        expected_errors=result.expected_errors,
        ok=not problems,
        problems=tuple(p.message.splitlines()[0] for p in problems),
        seconds=seconds,
    )
    if s.render:
        _adopt(app, docname, src, _domain(app.env).records[docname])


def _accept(expected_path: Path, actual_text: str, repo: Path) -> None:
    old = expected_path.read_text(encoding="utf-8") if expected_path.exists() else None
    if old == actual_text:
        return
    expected_path.parent.mkdir(parents=True, exist_ok=True)
    expected_path.write_text(actual_text, encoding="utf-8")
    logger.info("firsttorch: accepted new output: %s", _rel(expected_path, repo))


def section_matches(
    lane: lanes.Lane, expected: transcript.Section, actual: transcript.Section
) -> bool:
    """Whether an executed section agrees with its reviewed section."""
    if expected.title != actual.title or expected.pattern != actual.pattern:
        return False
    if actual.pattern is not None:
        return lanes.pattern_matches(lane, actual.pattern, actual.body)
    return outputs_match(expected.body.rstrip("\n"), actual.body.rstrip("\n"))


def _compare(
    lane: lanes.Lane, expected_path: Path, actual_text: str, result: Executed, repo: Path, name: str
) -> list[Problem]:
    rel = _rel(expected_path, repo)
    if not expected_path.exists():
        return [
            Problem(
                f"{name}: no reviewed transcript yet ({rel}). This build produced:\n{actual_text}\nReview it, then accept it with: {ACCEPT_COMMAND}"
            )
        ]
    expected_text = expected_path.read_text(encoding="utf-8")
    expected = transcript.parse(expected_text)
    actual = result.sections
    bad = [
        i
        for i, (e, a) in enumerate(zip(expected, actual, strict=False))
        if not section_matches(lane, e, a)
    ]
    bad += list(range(min(len(expected), len(actual)), max(len(expected), len(actual))))
    if not bad:
        return []
    reasons = [_reason(lane, expected, actual, i) for i in bad[:5]]
    diff = transcript.unified_diff(expected_text, actual_text, rel)
    return [
        Problem(
            f"{name}: output differs from the reviewed transcript:\n"
            + "\n".join(reasons)
            + "\n"
            + diff
            + f"\nIf the new output is right, accept it with: {ACCEPT_COMMAND} (then review `git diff {rel}`)."
        )
    ]


def _reason(
    lane: lanes.Lane, expected: list[transcript.Section], actual: list[transcript.Section], i: int
) -> str:
    """Why section *i* differs, in one line (or a few, for a pattern)."""
    if i >= len(actual):
        return f"  {expected[i].title}: no longer produced (cells removed?)"
    if i >= len(expected):
        return f"  {actual[i].title}: new, not in the reviewed transcript (cells added?)"
    want, got = expected[i], actual[i]
    code = "" if want.title == got.title else f" (its code changed; reviewed as {want.title})"
    if want.pattern != got.pattern:
        return f"  {got.title}: the declared output pattern changed{code}"
    if got.pattern is not None:
        shown = lane.expand(got.pattern)
        return f"  {got.title}: must match ~ {shown}\n  but printed:\n{got.body}"
    if outputs_match(want.body.rstrip("\n"), got.body.rstrip("\n")):
        return f"  {got.title}: same output{code}"
    return f"  {got.title}: {first_difference(want.body, got.body)}{code}"


def _doctree_resolved(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    record = _domain(app.env).records.get(docname)
    if record is None:
        return
    devices = ", ".join(record.devices) or "no tensors kept"
    para = nodes.paragraph(classes=["firsttorch-provenance"])
    para += nodes.Text(
        f"Output produced by running this page with torch {record.torch} on the "
        f"{record.lane} lane (devices: {devices}) on {record.date}, "
        f"and checked against {record.checked} reviewed outputs."
    )
    doctree += para


# -- the end of the build ------------------------------------------------------------------
def _build_finished(app: Sphinx, exception: BaseException | None) -> None:
    zygote = _ZYGOTES.pop(id(app), None)
    if zygote is not None:
        warm.stop_using(zygote)
    if exception is not None:
        return
    s = settings(app)
    rerun = _RERUN[id(app)]
    records = _domain(app.env).records
    repo = s.repo
    must = {d for d in _must_run(app) if rerun.runs(d)}
    for docname in sorted(must - records.keys()):
        why = " (no record of it in the artifacts)" if s.render else ""
        _warn(docname, f"{docname}: was never executed and verified{why}; nothing may be skipped.")
    if s.shard is None:  # a shard's records are its own documents only
        known = {(repo / r.expected).resolve() for r in records.values()}
        for orphan in sorted(p for p in s.expected_dir.rglob("*.txt") if p.resolve() not in known):
            _warn(None, f"{_rel(orphan, repo)}: transcript of a page that no longer exists.")
    # A render build ran nothing itself: its documents ran in the shards it merged.
    builds = {e.record.build for e in rerun.entries.values()} if s.render else {s.build}
    manifest = {
        "lane": s.lane.name,
        "build": s.build,
        "documents": {
            d: {**asdict(r), "ran_in_this_build": r.build in builds}
            for d, r in sorted(records.items())
            if rerun.runs(d)
        },
    }
    out = Path(app.outdir) / "_firsttorch" / "manifest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    # What failed is re-run by its record (ok=False), so the fingerprint is always stored;
    # not by a shard, which ran only its part.
    for path in _stored_fingerprints(app) if s.shard is None else ():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(s.fingerprint + "\n", encoding="utf-8")
    if s.shard is not None:
        _write_artifact(app, s.shard, {d: r for d, r in records.items() if rerun.runs(d)})
    if s.accept:
        written = shards.write_durations(s.durations, {d: r.seconds for d, r in records.items()})
        if written:
            logger.info("firsttorch: recorded durations: %s", _rel(s.durations, repo))
    ran = [r for r in records.values() if r.build in builds]
    failed = sorted(r.docname for r in records.values() if not r.ok)
    kinds = {k: sum(1 for r in ran if r.kind == k) for k in ("page", "example", "doctest")}
    logger.info(
        "firsttorch: %d pages, %d examples and %d doctest pages run this build (%d of %d documents); "
        "%d outputs and %d hidden checks verified; %d failed%s",
        kinds["page"],
        kinds["example"],
        kinds["doctest"],
        len(ran),
        len(records),
        sum(r.checked for r in records.values()),
        sum(r.hidden_checks for r in records.values()),
        len(failed),
        f": {', '.join(failed)}" if failed else "",
    )


def _write_artifact(app: Sphinx, shard: shards.Shard, records: dict[str, RunRecord]) -> None:
    """Leave this shard's records, executed notebooks, run states and gallery files."""
    s = settings(app)
    auto = Path(app.srcdir) / GALLERY_OUT
    executed = Path(app.outdir).parent / "jupyter_execute"
    files: dict[str, Path] = {}
    entries: dict[str, shards.Entry] = {}
    for docname, record in sorted(records.items()):
        if record.kind == "example":
            rel = Path(f"{docname[len(GALLERY_OUT) + 1 :]}.py")
            src = s.gallery_root / rel
            files |= {f"gallery/{f.as_posix()}": auto / f for f in shards.example_files(auto, rel)}
            state = gallery.WATCH.state_path(src)
        else:
            src = Path(app.env.doc2path(docname))
            state = _run_state_path(s, docname)
            if record.kind == "page":
                files[f"notebooks/{docname}.ipynb"] = executed / f"{docname}.ipynb"
        if state.exists():
            files[f"runs/{state.relative_to(s.runs).as_posix()}"] = state
        entries[docname] = shards.Entry(record, shards.sha256(src))
    folder = s.artifacts / shard.folder
    artifact = shards.Artifact(
        shard, s.lane.name, s.fingerprint, entries, folder, tuple(distributions())
    )
    artifact.write(files)
    logger.info("firsttorch: shard %s wrote %d records to %s", shard, len(entries), folder)


def _must_run(app: Sphinx) -> set[str]:
    """Every notebook page (myst-nb's decision) and every gallery script."""
    s = settings(app)
    docs = set()
    for docname in app.env.found_docs:
        if docname.startswith(f"{GALLERY_OUT}/"):
            continue
        path = Path(app.env.doc2path(docname))
        if is_notebook(app, docname, path.read_text(encoding="utf-8")):
            docs.add(docname)
    for path in s.gallery_root.rglob("plot_*.py"):
        docs.add(f"{GALLERY_OUT}/{path.relative_to(s.gallery_root).with_suffix('').as_posix()}")
    return docs


def _warn(docname: str | None, message: str, line: int | None = None) -> None:
    location = (docname, line) if docname and line else docname
    logger.warning(message, location=location, type="firsttorch", subtype="verify")


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the verifier's configuration, domain and events."""
    app.add_config_value("firsttorch_lane", "cpu", "env", [str])
    app.add_config_value("firsttorch_accept", default=False, rebuild="", types=[bool])
    app.add_config_value("firsttorch_script_timeout", 120, "env", [int])
    app.add_config_value("firsttorch_expected_dir", "_expected", "env", [str])
    app.add_config_value("firsttorch_watch", [], "env", [list])
    app.add_config_value("firsttorch_repo", "", "env", [str])
    app.add_config_value("firsttorch_doctest_setup", "", "env", [str])
    # Pages' kernels fork from a process that has imported torch (verify/warm.py).
    app.add_config_value("firsttorch_warm_kernels", default=True, rebuild="", types=[bool])
    # Seconds the warm process waits for the next build (0: it stops with this build).
    app.add_config_value("firsttorch_warm_linger", default=0, rebuild="", types=[int, float])
    # Execution apart from rendering (verify/shards.py): "i/n" runs shard i of n; render
    # builds from the artifacts of all shards, running nothing.
    app.add_config_value("firsttorch_shard", "", "env", [str])
    app.add_config_value("firsttorch_render", default=False, rebuild="env", types=[bool])
    app.add_config_value("firsttorch_artifacts", "", "env", [str])
    app.add_config_value("firsttorch_durations", "_expected/durations.json", "env", [str])
    app.add_domain(VerifyDomain)
    app.connect("config-inited", _config_inited)
    app.connect("builder-inited", _builder_inited, priority=100)
    app.connect("env-get-outdated", _env_get_outdated)
    app.connect("source-read", _source_read)
    app.connect("doctree-read", _doctree_read)
    app.connect("doctree-resolved", _doctree_resolved)
    app.connect("build-finished", _build_finished)
    return {
        "version": "2",
        "parallel_read_safe": True,
        "parallel_write_safe": True,
        "env_version": 3,
    }
