"""Every way to build and test firsttorch: `nox -l` lists the sessions.

Sessions use the virtualenv/pip backend and the pins in constraints.txt, so the
pinned CPU build of torch comes from the local disk and builds are reproducible.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import nox
from nox.command import CommandFailed

nox.needs_version = ">=2024.3.2"
nox.options.default_venv_backend = "virtualenv"
# The README's test command (`python -m nox`) runs `all`: the steps of the sessions lint,
# tests, offline, portability, downloads and browser, in that order, in one environment
# installed once (each session on its own installs its own).
nox.options.sessions = ["all"]
nox.options.error_on_missing_interpreters = True

ROOT = Path(__file__).parent
CONSTRAINTS = ("-c", str(ROOT / "constraints.txt"))
DOCS_OUT = ROOT / "docs" / "_build"
GENERATED = [DOCS_OUT, ROOT / "docs" / "auto_examples", ROOT / "docs" / "gen_modules"]
# Pages are read, and so run, in parallel: two Sphinx processes (each with its page's
# kernel) per core, because a kernel spends much of its time waiting on jupyter_client's
# round trips (measured on 2 cores: a clean build took 32 s with one process, 29 s with two
# and 21 s with four; six or eight gained nothing).
JOBS = ("-j", str(2 * (os.cpu_count() or 1)))
SPHINX = ("-b", "html", *JOBS, "-n", "-W", "--keep-going", "docs", str(DOCS_OUT / "html"))
CPU_LANE = ("-D", "firsttorch_lane=cpu")
# Other machines, simulated on this one: each of torch's CPU kernel paths, each of MKL's
# instruction paths, one and four threads, and other string hash seeds (set order). Every
# value appears in at least one profile; each profile is a full verified build.
PROFILES = {
    "sse42-default-1thread": {
        "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
        "ATEN_CPU_CAPABILITY": "default",
        "OMP_NUM_THREADS": "1",
        "PYTHONHASHSEED": "1",
    },
    "avx2-avx2-4threads": {
        "MKL_ENABLE_INSTRUCTIONS": "AVX2",
        "ATEN_CPU_CAPABILITY": "avx2",
        "OMP_NUM_THREADS": "4",
        "PYTHONHASHSEED": "2",
    },
    "avx512-avx512-1thread": {
        "MKL_ENABLE_INSTRUCTIONS": "AVX512",
        "ATEN_CPU_CAPABILITY": "avx512",
        "OMP_NUM_THREADS": "1",
        "PYTHONHASHSEED": "3",
    },
}
OFFLINE = ("sh", str(ROOT / "tests" / "offline" / "offline.sh"))
# Checks that read the built site in docs/_build/html (one folder, one guard).
SITE_TESTS = "tests/site"


def install(session: nox.Session, *extras: str) -> None:
    """Install firsttorch (editable) with *extras*, under the project's pins."""
    spec = f".[{','.join(extras)}]" if extras else "."
    session.install(*CONSTRAINTS, "-e", spec)


def clean_docs() -> None:
    """Remove everything a docs build generates, so the next build starts clean."""
    for path in GENERATED:
        shutil.rmtree(path, ignore_errors=True)


def run_checks(session: nox.Session, *args: str, **env: str) -> None:
    """Run pytest on *args* on its own: no coverage, no cache, only the given tests."""
    session.run(
        "pytest", *args, "-p", "no:cacheprovider", "--no-cov", "-o", "testpaths=tests", env=env
    )


def check_site(session: nox.Session) -> None:
    """Run the checks of the built site: contents, manifest, links and anchors, download files."""
    run_checks(session, SITE_TESTS, FIRSTTORCH_REQUIRE_SITE="1")


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff (lint and format) and mypy --strict."""
    install(session, "lint", "docs")  # mypy follows the docs verifier into Sphinx and myst-nb
    _lint(session)


def _lint(session: nox.Session) -> None:
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session
def tests(session: nox.Session) -> None:
    """Unit, property and doctests with branch coverage, plus the docs build drills."""
    install(session, "test", "docs")
    _tests(session, session.posargs)


def _tests(session: nox.Session, posargs: list[str]) -> None:
    session.run(
        "pytest",
        "--cov",  # firsttorch and the docs verifier (pyproject's [tool.coverage.run])
        "--cov-branch",
        "--cov-report=term-missing:skip-covered",
        "--cov-fail-under=95",
        # Each file on one worker: the drills build their fixture site once per module.
        "-n",
        "auto",
        "--dist",
        "loadfile",
        # These need the built site: `nox -s docs` and `nox -s offline` run them after it.
        f"--ignore={SITE_TESTS}",
        "--ignore=tests/test_offline_block.py",
        "--ignore=tests/browser",
        *posargs,
    )


@nox.session
def docs(session: nox.Session) -> None:
    """Clean CPU-lane build of the verified site into docs/_build/html, then check it."""
    install(session, "docs", "test")
    clean_docs()
    session.run("sphinx-build", *CPU_LANE, *SPHINX)
    check_site(session)


@nox.session
def offline(session: nox.Session) -> None:
    """The docs session with the network cut (tests/offline/offline.sh): proves the build is offline."""
    install(session, "docs", "test")
    _offline(session)


def _offline(session: nox.Session) -> None:
    run_checks(session, "tests/test_offline_block.py", FIRSTTORCH_REQUIRE_OFFLINE="1")
    clean_docs()
    session.run(*OFFLINE, "sphinx-build", *CPU_LANE, *SPHINX, external=True)
    check_site(session)


def _cpu_has(flag: str) -> bool:
    """Whether this machine's CPU has the instruction-set *flag* (Linux /proc/cpuinfo)."""
    cpuinfo = Path("/proc/cpuinfo")
    return cpuinfo.exists() and flag in cpuinfo.read_text(encoding="utf-8").split()


@nox.session
def portability(session: nox.Session) -> None:
    """Every page and script under simulated other machines, against the same transcripts.

    Posargs name profiles to run (default: all of PROFILES). A profile that needs
    AVX-512 is skipped, and says so, on a CPU without it.
    """
    install(session, "docs")
    _portability(session, session.posargs)


def _portability(session: nox.Session, posargs: list[str]) -> None:
    chosen = posargs or list(PROFILES)
    unknown = sorted(set(chosen) - set(PROFILES))
    if unknown:
        session.error(f"unknown profile(s) {unknown}; choose from {sorted(PROFILES)}")
    results = {}
    for name in chosen:
        env = PROFILES[name]
        if env["ATEN_CPU_CAPABILITY"] == "avx512" and not _cpu_has("avx512f"):
            session.warn(f"portability: skipping {name}: this CPU has no AVX-512")
            continue
        session.log(f"portability profile {name}: {env}")
        out = DOCS_OUT / "portability" / name
        shutil.rmtree(out, ignore_errors=True)
        args = ("-b", "dummy", *JOBS, "-q", "-n", "-W", "--keep-going", *CPU_LANE)
        try:
            session.run(
                "sphinx-build", *args, "-d", str(out / "doctrees"), "docs", str(out), env=env
            )
        except CommandFailed:
            results[name] = "FAILED"
        else:
            results[name] = "passed"
    session.log("portability: " + "; ".join(f"{k} {v}" for k, v in results.items()))
    if "FAILED" in results.values():
        session.error("portability: output differs on a simulated machine (see above)")


@nox.session
def downloads(session: nox.Session) -> None:
    """Run every downloadable script and notebook of the built site in a fresh venv, outside the repo."""
    session.install(*CONSTRAINTS, "build")
    _downloads(session, session.posargs)


def _downloads(session: nox.Session, posargs: list[str]) -> None:
    session.run("python", "tests/downloads/run_downloads.py", *posargs)


@nox.session
def browser(session: nox.Session) -> None:
    """The built site in Debian's chromium: clean loads, local only, weight, axe-core, features."""
    install(session, "browser")
    _browser(session, session.posargs)


def _browser(session: nox.Session, posargs: list[str]) -> None:
    session.run(
        "pytest",
        "tests/browser",
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=-ra --strict-markers --strict-config",
        *posargs,
        env={"FIRSTTORCH_BROWSER": "1"},
    )


@nox.session(name="all")
def all_checks(session: nox.Session) -> None:
    """The README's test command: lint, tests, offline, portability, downloads, browser.

    The same steps as those sessions, in that order, in one environment installed once
    (about 40 s per environment on a 2-core machine, most of it unpacking torch). The
    downloads step runs beside the browser step (both only read the built site; each
    leaves the machine idle much of the time). It stops at the first step that fails; run
    that session on its own to iterate on it.
    """
    start = time.monotonic()
    install(session, "lint", "docs", "test", "browser")
    session.install(*CONSTRAINTS, "build")
    session.log(f"all: environment installed in {time.monotonic() - start:.0f} s")
    steps = [
        ("lint", lambda: _lint(session)),
        ("tests", lambda: _tests(session, [])),
        ("offline", lambda: _offline(session)),
        ("portability", lambda: _portability(session, [])),
        ("browser, with downloads beside it", lambda: _browser_and_downloads(session)),
    ]
    for name, step in steps:
        began = time.monotonic()
        session.log(f"all: {name}")
        step()
        session.log(f"all: {name} passed in {time.monotonic() - began:.0f} s")


def _browser_and_downloads(session: nox.Session) -> None:
    """The browser step, with the downloads step running in a second process meanwhile."""
    log = Path(session.create_tmp()) / "downloads.log"
    python = str(Path(session.bin) / "python")
    with log.open("w", encoding="utf-8") as out:
        downloads = subprocess.Popen(
            [python, "tests/downloads/run_downloads.py"], stdout=out, stderr=subprocess.STDOUT
        )
        try:
            _browser(session, [])
        finally:
            code = downloads.wait(timeout=1800)
    session.log("downloads:\n" + log.read_text(encoding="utf-8")[-6000:])
    if code != 0:
        session.error(f"downloads failed (exit status {code}); the full log is {log}")


@nox.session
def accept(session: nox.Session) -> None:
    """Rebuild the site and write every changed output into docs/_expected (review the diff!)."""
    install(session, "docs")
    clean_docs()
    session.run("sphinx-build", *CPU_LANE, "-D", "firsttorch_accept=1", *SPHINX)
    session.log("Review the changes with: git diff docs/_expected")


ARTIFACTS = DOCS_OUT / "artifacts"  # what execute sessions leave and render sessions read


def _execute(session: nox.Session, lane: str) -> None:
    """Run and verify one shard (posargs: ``i/n``, default ``1/1``), leaving its artifact."""
    if len(session.posargs) > 1:
        session.error("give one shard, for example: nox -s execute -- 2/3")
    shard = session.posargs[0] if session.posargs else "1/1"
    work = DOCS_OUT / "shards" / f"{lane}-{shard.replace('/', '-of-')}"
    shutil.rmtree(work, ignore_errors=True)
    session.run(
        "sphinx-build",
        "-b",
        "dummy",  # executes and verifies; writes no site
        *JOBS,
        "-n",
        "-W",
        "--keep-going",
        "-D",
        f"firsttorch_lane={lane}",
        "-D",
        f"firsttorch_shard={shard}",
        "-D",
        f"firsttorch_artifacts={ARTIFACTS}",
        "-d",
        str(work / "doctrees"),
        "docs",
        str(work / "out"),
    )


def _render(session: nox.Session, lane: str) -> None:
    """Build docs/_build/html from every shard's artifact, running no code; check it."""
    shutil.rmtree(DOCS_OUT / "html", ignore_errors=True)
    render = ("-D", "firsttorch_render=1", "-D", f"firsttorch_artifacts={ARTIFACTS}")
    session.run("sphinx-build", "-D", f"firsttorch_lane={lane}", *render, *SPHINX)
    check_site(session)


@nox.session
def execute(session: nox.Session) -> None:
    """CPU lane, one shard: `nox -s execute -- 2/3` runs and verifies shard 2 of 3 into
    docs/_build/artifacts/shard-2-of-3 (balanced by docs/_expected/durations.json)."""
    install(session, "docs", "test")  # what render installs: the same fingerprint
    _execute(session, "cpu")


@nox.session
def render(session: nox.Session) -> None:
    """CPU lane: the site from the artifacts of all shards in docs/_build/artifacts,
    running no code (fails if a shard is missing, failed or stale), then its checks."""
    install(session, "docs", "test")
    _render(session, "cpu")


GPU_NEEDS = (
    "import sys\n"
    "try:\n"
    "    import torch\n"
    "except ImportError as err:\n"
    "    sys.exit(f'GPU lane: needs a CUDA build of torch in the Python that runs nox ({sys.executable}); "
    "it has none ({err}). Install one there, or run nox from that Python.')\n"
    "if not torch.cuda.is_available():\n"
    "    sys.exit(f'GPU lane: needs a CUDA device; torch {torch.__version__} in {sys.executable} sees none. "
    "Run it on a machine with an NVIDIA GPU; for the CPU lane use nox -s docs.')\n"
    "print(f'GPU lane: torch {torch.__version__}, {torch.cuda.get_device_name(0)}')\n"
)


def _install_gpu(session: nox.Session) -> None:
    """Check for a CUDA torch in the Python running nox; install the rest around it."""
    session.run("python", "-c", GPU_NEEDS, silent=False)
    pins = session.create_tmp() + "/constraints-no-torch.txt"
    lines = (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
    Path(pins).write_text("\n".join(ln for ln in lines if not ln.startswith("torch==")) + "\n")
    session.install("-c", pins, "-e", ".[docs,test]")


@nox.session(venv_params=["--system-site-packages"])
def execute_gpu(session: nox.Session) -> None:
    """GPU lane, one shard (`nox -s execute_gpu -- 1/2`), with the machine's CUDA torch."""
    _install_gpu(session)
    _execute(session, "gpu")


@nox.session(venv_params=["--system-site-packages"])
def render_gpu(session: nox.Session) -> None:
    """GPU lane: the site from the GPU shards' artifacts, on a machine like theirs."""
    _install_gpu(session)
    _render(session, "gpu")


@nox.session(venv_params=["--system-site-packages"])
def docs_gpu(session: nox.Session) -> None:
    """GPU lane: run every page on CUDA with the machine's own CUDA torch; same transcripts."""
    _install_gpu(session)
    clean_docs()
    session.run("sphinx-build", "-D", "firsttorch_lane=gpu", *SPHINX)
    check_site(session)


@nox.session
def serve(session: nox.Session) -> None:
    """Live preview at http://127.0.0.1:8000 that rebuilds (and re-verifies) on every save."""
    install(session, "docs")
    session.install(*CONSTRAINTS, "sphinx-autobuild")
    session.run(
        "sphinx-autobuild",
        *CPU_LANE,
        # The warm process waits 10 minutes for the next rebuild: an edited page runs at once.
        "-D",
        "firsttorch_warm_linger=600",
        *SPHINX[:-2],
        "--watch",
        "src/firsttorch",
        "--watch",
        "gallery",
        "--ignore",
        "docs/auto_examples/*",
        "--ignore",
        "docs/gen_modules/*",
        "docs",
        str(DOCS_OUT / "html"),
    )


@nox.session
def build(session: nox.Session) -> None:
    """Build the sdist and wheel into dist/."""
    session.install(*CONSTRAINTS, "build")
    shutil.rmtree(ROOT / "dist", ignore_errors=True)
    session.run("python", "-m", "build")


@nox.session
def bench(session: nox.Session) -> None:
    """Time the docs build (clean, floor, rebuilds) and the helpers: benchmarks/results/."""
    install(session, "docs")
    session.run("python", "benchmarks/bench.py", env={"MPLBACKEND": "Agg"})
