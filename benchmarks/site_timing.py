"""Where build time goes: a clean build, its floor, rebuilds, and per-page kernel cost.

Builds a copy of the site in a temporary directory (docs/_build is never touched).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, log

PAGE = "docs/tensor-basics.md"
SCRIPT = "gallery/tensors/plot_1_picture_a_3d_tensor.py"
EXEC_OFF = ("-D", "nb_execution_mode=off", "-D", "sphinx_gallery_conf.plot_gallery=0")
# sphinx-gallery resets sphinx_gallery_conf["plot_gallery"] from its own plot_gallery
# value at builder-inited, so that one is what really turns the examples off.
EXEC_OFF += ("-D", "plot_gallery=0")
LINGER = ("-D", "firsttorch_warm_linger=60")  # as `nox -s serve` (which waits 600 s)


# -- the site ------------------------------------------------------------------------
def copy_site(dest: Path) -> None:
    """Copy what a docs build reads (docs, gallery, package sources) into *dest*."""
    skip = shutil.ignore_patterns(
        "_build", "auto_examples", "gen_modules", "jupyter_execute", "__pycache__"
    )
    for name in ("docs", "gallery", "src", "benchmarks/results"):
        shutil.copytree(ROOT / name, dest / name, ignore=skip)
    shutil.copy(ROOT / "pyproject.toml", dest)


# The site's own extensions (docs/_ext) and viewcode, which reads firsttorch through one of them.
OWN_EXTENSIONS = (
    "verify",
    "mathml",
    "a11y",
    "take_home",
    "cell_paths",
    "merged_streams",
    "viewcode_source",
    "sphinx.ext.viewcode",
)


def third_party_only(conf: Path) -> None:
    """Rewrite a copied conf.py to load only the third-party extensions (MathJax for math,
    sphinx-gallery's default hooks): the floor a no-op rebuild of this site can reach."""
    text = conf.read_text(encoding="utf-8")
    for name in OWN_EXTENSIONS:
        text = text.replace(f'"{name}",', "")
    text = text.replace('html_math_renderer = "mathml"', "")
    text = text.replace('("matplotlib", "verify.gallery.reset_example")', '("matplotlib",)')
    text = text.replace('("verify.gallery.scrape_example", "matplotlib")', '("matplotlib",)')
    conf.write_text(text, encoding="utf-8")


def clean(site: Path) -> None:
    for rel in ("docs/_build", "docs/auto_examples", "docs/gen_modules"):
        shutil.rmtree(site / rel, ignore_errors=True)


def sphinx(site: Path, *extra: str, verified: bool = True) -> tuple[float, str]:
    """One build of the copy; returns the wall time and the log.

    A build that should verify (all but the floor's, which runs nothing) must end with
    "0 failed": the timing of a build that failed would mean nothing.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIRSTTORCH_")}
    env.update(MPLBACKEND="Agg")
    # As nox builds (noxfile's JOBS): two processes per core (the floor's build too).
    jobs = str(2 * (os.cpu_count() or 1))
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-j", jobs, "-n", "--keep-going", *extra]
    start = time.perf_counter()
    proc = subprocess.run(
        [*cmd, "docs", "docs/_build/html"],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    out = proc.stdout + proc.stderr
    if proc.returncode != 0 or (verified and "verified; 0 failed" not in out):
        sys.exit(f"sphinx-build failed ({proc.returncode}):\n{out[-3000:]}")
    return wall, out


def ran_count(out: str) -> str:
    match = re.search(r"run this build \((\d+ of \d+) documents\)", out)
    return match.group(1) if match else "?"


def notebook_times(out: str) -> dict[str, float]:
    """Per page: the seconds myst-nb reports for executing its notebook."""
    times, current = {}, None
    for line in out.splitlines():
        page = re.search(r"/docs/(\S+)\.md: Executing notebook", line)
        if page:
            current = page.group(1)
        done = re.search(r"Executed notebook in ([\d.]+) seconds", line)
        if done and current:
            times[current] = float(done.group(1))
    return times


def code_once(site: Path) -> tuple[float, dict[str, float]]:
    """Run every page's and example's code once in one fresh process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIRSTTORCH_")}
    env.update(FIRSTTORCH_DEVICE="cpu", MPLBACKEND="Agg")
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "code_once.py"), str(site)],
        cwd=site / "docs",
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("CODE-ONCE ")]
    if not lines:
        sys.exit(f"running the code once failed:\n{proc.stderr[-3000:]}")
    line = lines[0]
    return wall, json.loads(line[len("CODE-ONCE ") :])


def trivial_notebook_s(repeats: int = 3) -> float:
    """Kernel start plus ``import torch``: what every executed page pays before its code."""
    import nbformat
    from nbclient import NotebookClient

    times = []
    for _ in range(repeats):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import torch")])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        start = time.perf_counter()
        NotebookClient(nb, timeout=120, kernel_name="python3").execute()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


EXTENSION_STACK = (
    "import sphinx.application, sphinx.builders.html, myst_parser, myst_nb, furo, "
    "sphinx_gallery.gen_gallery, sphinx_design, sphinx_copybutton"
)


def extension_import_s(runs: int = 5) -> float:
    """Median wall time of a fresh Python that imports the build's extension stack."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", EXTENSION_STACK], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_site() -> dict[str, object]:
    res: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="firsttorch-bench-") as tmp:
        site = Path(tmp)
        copy_site(site)
        log("floor: build with execution off ...")
        res["floor_build_s"], _ = sphinx(site, *EXEC_OFF, verified=False)
        log("floor: all code once in one process ...")
        res["code_once_s"], res["code_once_per_doc_s"] = code_once(site)
        clean(site)
        log("clean build ...")
        res["clean_build_s"], out = sphinx(site)
        res["clean_ran"] = ran_count(out)
        res["clean_warnings"] = out.count("WARNING")
        res["page_exec_s"] = notebook_times(out)
        clean(site)
        log("clean build with cold kernels (one fresh Python per page) ...")
        res["clean_cold_build_s"], _ = sphinx(site, "-D", "firsttorch_warm_kernels=0")
        clean(site)
        # Rebuilds as `nox -s serve` makes them: the warm process outlives each build and
        # serves the next (same code, packages and environment).
        log("clean build again, warm, for the rebuilds ...")
        sphinx(site, *LINGER)
        log("no-op rebuild ...")
        res["noop_rebuild_s"], out = sphinx(site, *LINGER)
        res["noop_ran"] = ran_count(out)
        log("rebuild after editing one page ...")
        with (site / PAGE).open("a", encoding="utf-8") as f:
            f.write("\n")
        res["page_edit_s"], out = sphinx(site, *LINGER)
        res["page_edit_ran"] = ran_count(out)
        log("rebuild after editing one gallery script ...")
        with (site / SCRIPT).open("a", encoding="utf-8") as f:
            f.write("\n")  # an edit that changes no block: the script must still run again
        res["script_edit_s"], out = sphinx(site, *LINGER)
        res["script_edit_ran"] = ran_count(out)
        log("no-op rebuild of the same site with only its third-party extensions ...")
        other = Path(tmp) / "third-party"
        copy_site(other)
        third_party_only(other / "docs" / "conf.py")
        sphinx(other, *EXEC_OFF, verified=False)
        res["noop_third_party_s"], out = sphinx(other, *EXEC_OFF, verified=False)
        if "targets for 0 source files that are out of date" not in out:
            sys.exit(f"the third-party-only rebuild was not a no-op:\n{out[-3000:]}")
    floor = float(res["floor_build_s"]) + float(res["code_once_s"])  # type: ignore[arg-type]
    res["floor_s"] = floor
    res["clean_over_floor"] = float(res["clean_build_s"]) / floor  # type: ignore[arg-type]
    res["extension_import_s"] = extension_import_s()
    res["noop_over_import"] = float(res["noop_rebuild_s"]) / float(res["extension_import_s"])  # type: ignore[arg-type]
    res["noop_third_party_over_import"] = float(res["noop_third_party_s"]) / float(
        res["extension_import_s"]
    )  # type: ignore[arg-type]
    res["page_edit_over_noop"] = float(res["page_edit_s"]) / float(res["noop_rebuild_s"])  # type: ignore[arg-type]
    log("per-page kernel overhead ...")
    res["trivial_notebook_s"] = trivial_notebook_s()
    return res
