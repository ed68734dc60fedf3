"""Every way to build and test firsttorch: `nox -l` lists the sessions.

Sessions use the virtualenv/pip backend and the pins in constraints.txt, so the
pinned CPU build of torch comes from the local disk and builds are reproducible.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.needs_version = ">=2024.3.2"
nox.options.default_venv_backend = "virtualenv"
# The README's test command (`python -m nox`) runs these, in this order: the offline
# session is the full verified build (with the network cut), the last two use its output.
nox.options.sessions = ["lint", "tests", "offline", "downloads", "browser"]
nox.options.error_on_missing_interpreters = True

ROOT = Path(__file__).parent
CONSTRAINTS = ("-c", str(ROOT / "constraints.txt"))
DOCS_OUT = ROOT / "docs" / "_build"
GENERATED = [DOCS_OUT, ROOT / "docs" / "auto_examples", ROOT / "docs" / "gen_modules"]
SPHINX = ("-b", "html", "-n", "-W", "--keep-going", "docs", str(DOCS_OUT / "html"))
OFFLINE = ("sh", str(ROOT / "tests" / "offline" / "offline.sh"))
# Checks that read the built site in docs/_build/html.
SITE_TESTS = (
    "tests/test_site_built.py",
    "tests/test_site_links.py",
    "tests/test_site_downloads.py",
)


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
    run_checks(session, *SITE_TESTS, FIRSTTORCH_REQUIRE_SITE="1")


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff (lint and format) and mypy --strict."""
    install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session
def tests(session: nox.Session) -> None:
    """Unit, property and doctests with branch coverage, plus the docs build drills."""
    install(session, "test", "docs")
    session.run(
        "pytest",
        "--cov=firsttorch",
        "--cov-branch",
        "--cov-report=term-missing:skip-covered",
        "--cov-fail-under=95",
        # These need the built site: `nox -s docs` and `nox -s offline` run them after it.
        *(f"--ignore={t}" for t in SITE_TESTS),
        "--ignore=tests/test_offline_block.py",
        "--ignore=tests/browser",
        *session.posargs,
    )


@nox.session
def docs(session: nox.Session) -> None:
    """Clean CPU-lane build of the verified site into docs/_build/html, then check it."""
    install(session, "docs", "test")
    clean_docs()
    session.run("sphinx-build", *SPHINX, env={"FIRSTTORCH_DOCS_LANE": "cpu"})
    check_site(session)


@nox.session
def offline(session: nox.Session) -> None:
    """The docs session with the network cut (tests/offline/offline.sh): proves the build is offline."""
    install(session, "docs", "test")
    run_checks(session, "tests/test_offline_block.py", FIRSTTORCH_REQUIRE_OFFLINE="1")
    clean_docs()
    session.run(
        *OFFLINE, "sphinx-build", *SPHINX, env={"FIRSTTORCH_DOCS_LANE": "cpu"}, external=True
    )
    check_site(session)


@nox.session
def downloads(session: nox.Session) -> None:
    """Run every downloadable script and notebook of the built site in a fresh venv, outside the repo."""
    session.install(*CONSTRAINTS, "build")
    session.run("python", "tests/downloads/run_downloads.py", *session.posargs)


@nox.session
def browser(session: nox.Session) -> None:
    """The built site in Debian's chromium: clean loads, local only, weight, axe-core, features."""
    install(session, "browser")
    session.run(
        "pytest",
        "tests/browser",
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=-ra --strict-markers --strict-config",
        *session.posargs,
        env={"FIRSTTORCH_BROWSER": "1"},
    )


@nox.session
def accept(session: nox.Session) -> None:
    """Rebuild the site and write every changed output into docs/_expected (review the diff!)."""
    install(session, "docs")
    clean_docs()
    session.run("sphinx-build", *SPHINX, env={"FIRSTTORCH_ACCEPT": "1"})
    session.log("Review the changes with: git diff docs/_expected")


@nox.session(venv_params=["--system-site-packages"])
def docs_gpu(session: nox.Session) -> None:
    """GPU lane: run every page on CUDA with the machine's own CUDA torch; same transcripts."""
    session.run(
        "python",
        "-c",
        "import sys, torch; ok = torch.cuda.is_available(); "
        "print(f'torch {torch.__version__}, CUDA available: {ok}'); "
        "sys.exit(0 if ok else 'GPU lane: no CUDA device is visible to this torch. "
        "Run it on a machine with an NVIDIA GPU and a CUDA build of torch installed in the "
        "Python that runs nox; for the CPU lane use nox -s docs.')",
    )
    pins = session.create_tmp() + "/constraints-no-torch.txt"
    lines = (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
    Path(pins).write_text("\n".join(ln for ln in lines if not ln.startswith("torch==")) + "\n")
    session.install("-c", pins, "-e", ".[docs,test]")
    clean_docs()
    session.run("sphinx-build", *SPHINX, env={"FIRSTTORCH_DOCS_LANE": "gpu"})
    check_site(session)


@nox.session
def serve(session: nox.Session) -> None:
    """Live preview at http://127.0.0.1:8000 that rebuilds (and re-verifies) on every save."""
    install(session, "docs")
    session.install(*CONSTRAINTS, "sphinx-autobuild")
    session.run(
        "sphinx-autobuild",
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
        env={"FIRSTTORCH_DOCS_LANE": os.environ.get("FIRSTTORCH_DOCS_LANE", "cpu")},
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
