"""Warm kernels (docs/_ext/verify/warm.py): each page in its own process, started warm.

Two pages built in one real Sphinx build: the first changes every kind of state a page can
reach (torch's default dtype and print options, its random generator, a module attribute,
a builtin, an environment variable, sys.path); the second checks, in hidden asserts, that it
sees none of it, and that its kernel was forked from the warm process (or, with warm
kernels off, was not). The drill joins both pages into one notebook, where the
same checks must fail: they can see a leak.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

import pytest
from support import fixture_sites
from verify import warm, warm_launch

REPO = Path(__file__).resolve().parents[1]
FRONT = "---\nfile_format: mystnb\nkernelspec:\n  name: python3\n  display_name: Python 3\n---\n"
SETS = """
```{code-cell} ipython3
import builtins, os, sys
import torch
import firsttorch

torch.set_default_dtype(torch.float64)
torch.set_printoptions(precision=1)
torch.manual_seed(7)
firsttorch.LEFT_BEHIND = True
builtins.LEFT_BEHIND = True
os.environ["FIRSTTORCH_LEFT_BEHIND"] = "1"
sys.path.append("/left/behind")
print("state changed")
```
"""
CHECKS = """
```{code-cell} ipython3
import builtins, os, sys
import torch
import firsttorch

print(torch.tensor([1 / 3]))
```

```{code-cell} ipython3
:tags: [remove-cell]
assert os.environ.get("FIRSTTORCH_WARM_KERNEL", "0") == os.environ["EXPECT_WARM"]
assert torch.get_default_dtype() == torch.float32
assert not hasattr(firsttorch, "LEFT_BEHIND")
assert not hasattr(builtins, "LEFT_BEHIND")
assert "FIRSTTORCH_LEFT_BEHIND" not in os.environ
assert "/left/behind" not in sys.path
```
"""

pytestmark = pytest.mark.site


def _site(tmp_path: Path, pages: dict[str, str]) -> Path:
    site = tmp_path / "site"
    shutil.copytree(REPO / "tests" / "sites" / "drill", site)
    (site / "index.md").write_text(
        "# Isolation\n\n```{toctree}\n" + "\n".join(pages) + "\n```\n", encoding="utf-8"
    )
    for name, body in pages.items():
        (site / f"{name}.md").write_text(f"{FRONT}\n# {name}\n{body}", encoding="utf-8")
    gallery = tmp_path / "gallery"
    gallery.mkdir()
    shutil.copy(REPO / "gallery" / "GALLERY_HEADER.rst", gallery)
    return site


@pytest.mark.parametrize("warm", ["1", "0"])
def test_state_set_by_one_page_never_reaches_the_next(tmp_path: Path, warm: str) -> None:
    """With warm kernels (and without) the second page sees a fresh torch and interpreter."""
    site = _site(tmp_path, {"a_sets": SETS, "b_checks": CHECKS})
    result = fixture_sites.build(
        site, "firsttorch_accept=1", f"firsttorch_warm_kernels={warm}", EXPECT_WARM=warm
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert "2 pages, 0 examples" in log
    assert "0 failed" in log
    transcript = (site / "_expected" / "b_checks.txt").read_text(encoding="utf-8")
    assert "tensor([0.3333])" in transcript  # float32, default precision


def test_the_checks_see_state_left_in_the_same_process(tmp_path: Path) -> None:
    """Drill: run both pages' code in one kernel, and the same hidden checks fail."""
    site = _site(tmp_path, {"together": SETS + CHECKS})
    result = fixture_sites.build(site, "firsttorch_accept=1", EXPECT_WARM="1")
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "together.md" in log
    assert "assert torch.get_default_dtype() == torch.float32" in log


class _Execd(Exception):
    """Raised by the stand-in for os.execv: the launcher chose an ordinary kernel."""


def test_launcher_without_a_zygote_becomes_an_ordinary_kernel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No zygote socket (warm kernels off, or the zygote gone): the launcher execs
    ``python -m ipykernel_launcher`` with its own arguments. os.execv is replaced so that
    the test process survives; what it would run is checked."""

    seen: list[list[str]] = []

    def execv(_path: str, argv: list[str]) -> None:
        seen.append(argv)
        raise _Execd

    monkeypatch.setattr(warm_launch.os, "execv", execv)
    monkeypatch.setattr(warm_launch.sys, "argv", ["warm_launch.py", "-f", "kernel-1.json"])
    for env in ({}, {"FIRSTTORCH_ZYGOTE": "/nonexistent/socket", "FIRSTTORCH_ZYGOTE_PID": "1"}):
        monkeypatch.delenv("FIRSTTORCH_ZYGOTE", raising=False)
        monkeypatch.delenv("FIRSTTORCH_ZYGOTE_PID", raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setattr(warm_launch, "WAIT_S", 0.2)
        with pytest.raises(_Execd):
            warm_launch.main()
    assert seen[-1][1:] == ["-m", "ipykernel_launcher", "-f", "kernel-1.json"]
    assert len(seen) == 2


def test_launcher_tells_a_running_process_from_a_finished_one() -> None:
    """This process is running; a pid that does not exist is not."""
    import os

    assert warm_launch.running(os.getpid())
    assert warm_launch._alive(os.getpid())
    assert not warm_launch.running(2**22 + 12345)
    assert not warm_launch._alive(2**22 + 12345)


def test_kernelspec_runs_the_launcher_with_the_connection_file() -> None:
    """The build's python3 kernelspec starts warm_launch.py, interrupted by signal."""
    from verify import warm

    spec = warm.kernelspec("/usr/bin/python3")
    assert spec["argv"] == ["/usr/bin/python3", str(warm.LAUNCHER), "-f", "{connection_file}"]
    assert spec["interrupt_mode"] == "signal"
    assert warm.LAUNCHER.is_file()


def _zygote_pids() -> dict[Path, str]:
    return {p: p.read_text() for p in Path(tempfile.gettempdir()).glob("firsttorch-zygote-*/pid")}


def test_a_lingering_warm_process_serves_the_next_build(tmp_path: Path) -> None:
    """With firsttorch_warm_linger, the warm process outlives a build and the next build
    (an edited page) forks from it; isolation still holds there."""
    site = _site(tmp_path, {"a": SETS, "b": CHECKS})
    before = _zygote_pids()
    first = fixture_sites.build(
        site, "firsttorch_accept=1", "firsttorch_warm_linger=30", EXPECT_WARM="1"
    )
    assert first.returncode == 0, first.stdout + first.stderr
    started = {p: pid for p, pid in _zygote_pids().items() if before.get(p) != pid}
    assert len(started) == 1, started
    ((pid_file, pid),) = started.items()
    try:
        assert warm_launch.running(int(pid))
        with (site / "b.md").open("a", encoding="utf-8") as page:
            page.write("\n")
        second = fixture_sites.build(site, "firsttorch_warm_linger=30", EXPECT_WARM="1")
        assert second.returncode == 0, second.stdout + second.stderr
        assert "run this build (1 of 2 documents)" in second.stdout + second.stderr
        assert pid_file.read_text() == pid  # the same process served the second build
        assert warm_launch.running(int(pid))
    finally:
        os.kill(int(pid), signal.SIGTERM)


def test_a_lingering_warm_process_stops_when_no_build_comes(tmp_path: Path) -> None:
    """It exits after its idle time; a pid file naming another process is not reused."""
    key = f"test-{os.getpid()}-{time.monotonic_ns()}"
    first = warm.start(tmp_path / "w", linger=1, key=key)
    assert first.process is not None
    second = warm.start(tmp_path / "w", linger=1, key=key)
    assert second.pid == first.pid
    assert second.process is None  # used, not started
    assert second.lingers
    first.process.wait(timeout=60)  # imports, then one idle second
    (first.socket_path.parent / "pid").write_text(str(os.getpid()))  # not a zygote
    third = warm.start(tmp_path / "w", linger=1, key=key)
    assert third.process is not None
    assert third.pid != os.getpid()
    third.process.wait(timeout=60)
