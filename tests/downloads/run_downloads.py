"""Run every script and notebook the built site offers for download, as its readers would.

Used by `nox -s downloads` after `nox -s docs`. It builds the firsttorch wheel, installs it
with the pinned torch into a fresh virtual environment outside the repository, then runs
each downloadable ``.py`` and executes each ``.ipynb`` (loose in ``_downloads/`` and inside
every archive there, both download-all ones included) in a fresh process, in an empty temporary folder, with
``MPLBACKEND=Agg`` and nothing of the repository importable. Files served more than once
(a script both loose and in archives) are byte-identical and run once.

    python tests/downloads/run_downloads.py [--jobs N]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HTML = REPO / "docs" / "_build" / "html"
ARCHIVES = ("auto_examples_python.zip", "auto_examples_jupyter.zip")
TIMEOUT_S = 600
PACKAGES = ("torch==2.13.0", "matplotlib", "numpy", "ipykernel", "nbclient", "nbformat")

# Runs inside the fresh environment, before anything else: nothing of the repository may be
# importable, and firsttorch must come from the installed wheel.
PROBE = """
import sys, firsttorch
repo = sys.argv[1]
leaks = [p for p in sys.path if p and p.startswith(repo)]
assert not leaks, f"repository on sys.path: {leaks}"
assert not firsttorch.__file__.startswith(repo), firsttorch.__file__
print(f"firsttorch {firsttorch.__version__} from {firsttorch.__file__}")
"""

# Executes one notebook with nbclient in the fresh environment's own kernel.
EXECUTE = """
import sys, nbformat
from nbclient import NotebookClient
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
NotebookClient(nb, timeout=600, kernel_name="python3",
               resources={"metadata": {"path": "."}}).execute()
first = next(c for c in nb.cells if c.cell_type == "code")
assert "pip" in first.source and not first.outputs, f"install cell printed: {first.outputs}"
print(f"{sum(c.cell_type == 'code' for c in nb.cells)} code cells ran")
"""


def served_files(html: Path, unpack: Path) -> dict[str, list[str]]:
    """Every .py and .ipynb the site serves, by content hash: {sha256: [where served, ...]}."""
    found: dict[str, list[tuple[str, bytes]]] = {}
    downloads = html / "_downloads"
    # sphinx-gallery's downloads, and the pages' notebooks (under each page's title)
    for path in [*sorted(downloads.rglob("*")), *sorted((html / "notebooks").rglob("*"))]:
        if path.suffix in {".py", ".ipynb"}:
            found.setdefault(path.suffix, []).append(
                (path.relative_to(html).as_posix(), path.read_bytes())
            )
    for name in ARCHIVES:
        if len(list(downloads.rglob(name))) != 1:
            msg = f"expected one {name} under {downloads}"
            raise SystemExit(msg)
    for archive in sorted(downloads.rglob("*.zip")):
        folder = unpack / archive.relative_to(downloads).as_posix().replace("/", "_")
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(folder)
        for path in sorted(folder.rglob("*")):
            if path.suffix in {".py", ".ipynb"}:
                where = f"{folder.name}:{path.relative_to(folder).as_posix()}"
                found.setdefault(path.suffix, []).append((where, path.read_bytes()))
    by_hash: dict[str, list[str]] = {}
    for entries in found.values():
        for where, data in entries:
            key = hashlib.sha256(data).hexdigest() + Path(where).suffix
            by_hash.setdefault(key, []).append(where)
    return by_hash


def fresh_environment(work: Path) -> Path:
    """Build the wheel and install it, with pinned torch, into a new venv; return its python."""
    wheels = work / "wheel"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(wheels), str(REPO)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    (wheel,) = wheels.glob("firsttorch-*.whl")
    print(f"downloads: built {wheel.name}")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    constraints = ("-c", str(REPO / "constraints.txt"))
    install = [str(python), "-m", "pip", "install", "--quiet", *constraints, str(wheel)]
    subprocess.run([*install, *PACKAGES], check=True)
    return python


def reader_env(work: Path, python: Path) -> dict[str, str]:
    """A reader's shell with the fresh venv activated: headless matplotlib, no PYTHONPATH,
    and a pip that cannot install anything (a notebook's install cell fails if it tries)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_", "VIRTUAL"))}
    empty = work / "no-packages"
    empty.mkdir(exist_ok=True)
    env |= {
        "PATH": f"{python.parent}{os.pathsep}{env.get('PATH', '')}",
        "VIRTUAL_ENV": str(python.parent.parent),
        "MPLBACKEND": "Agg",
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(empty),
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    return env


def run_one(python: Path, env: dict[str, str], name: str, data: bytes) -> tuple[str, bool, str]:
    """Run one script or notebook from its own empty folder; return (name, ok, log)."""
    with tempfile.TemporaryDirectory(prefix="firsttorch-download-") as tmp:
        target = Path(tmp) / Path(name.rsplit(":", maxsplit=1)[-1]).name
        target.write_bytes(data)
        if target.suffix == ".py":
            cmd = [str(python), target.name]
        else:
            cmd = [str(python), "-c", EXECUTE, target.name]
        start = time.perf_counter()
        try:
            done = subprocess.run(
                cmd,
                cwd=tmp,
                env=env | {"HOME": tmp},
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return name, False, f"timed out after {TIMEOUT_S} s"
        took = time.perf_counter() - start
        log = (done.stdout + done.stderr)[-4000:]
        return name, done.returncode == 0, f"{took:5.1f} s  {log if done.returncode else ''}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args()
    if not (HTML / "index.html").exists():
        print(f"downloads: {HTML} has no built site; build it first with `nox -s docs`.")
        return 1
    with tempfile.TemporaryDirectory(prefix="firsttorch-downloads-") as tmp:
        work = Path(tmp)
        if work.resolve().is_relative_to(REPO):
            print(f"downloads: the temporary folder {work} is inside the repository")
            return 1
        files = served_files(HTML, work / "unpacked")
        python = fresh_environment(work)
        env = reader_env(work, python)
        probe = subprocess.run(
            [str(python), "-c", PROBE, str(REPO)],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        print(f"downloads: {probe.stdout.strip()}{probe.stderr.strip()}")
        if probe.returncode:
            return 1
        jobs = []
        for key, places in sorted(files.items(), key=lambda kv: kv[1][0]):
            source = places[0]
            path = (
                work / "unpacked" / source.replace(":", "/", 1) if ":" in source else HTML / source
            )
            jobs.append((source, path.read_bytes()))
            assert hashlib.sha256(jobs[-1][1]).hexdigest() in key
        with ThreadPoolExecutor(args.jobs) as pool:
            results = list(pool.map(lambda job: run_one(python, env, *job), jobs))
    failed = [r for r in results if not r[1]]
    for name, ok, log in results:
        print(f"  {'ok  ' if ok else 'FAIL'} {name}  {log}")
    served = sum(len(p) for p in files.values())
    kinds = {s: sum(1 for k in files if k.endswith(s)) for s in (".py", ".ipynb")}
    print(
        f"downloads: {served} files served ({len(files)} distinct: {kinds['.py']} scripts, "
        f"{kinds['.ipynb']} notebooks); ran {len(results)}, {len(results) - len(failed)} passed, "
        f"{len(failed)} failed"
    )
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
