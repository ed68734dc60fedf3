"""Warm kernels: every page still runs in a fresh process of its own, forked from a warm one.

Starting a Jupyter kernel costs a new Python process that imports IPython, ipykernel and,
with the page's first cell, torch: about 2.7 s on a small machine, paid once per page. Here
one process per build, the *zygote*, imports all of that once and then waits. Each kernel
that myst-nb starts is a small launcher (``warm_launch.py``, standard library only, named
by the build-private kernelspec that replaces ``python3``) that asks the zygote to fork a
child; the child becomes the kernel, with the launcher's working directory, environment and
connection file. Nothing a page does reaches another: each page has its own process, forked
from a zygote that never ran any page's code (and never initialised CUDA).

The launcher stands in for the kernel towards jupyter_client: an interrupt it receives is
passed on to the child, it exits when the child exits, and the child exits if the launcher
dies (it watches the launcher's pid). Without a zygote (switched off with
``firsttorch_warm_kernels = False``, or not running) the launcher simply becomes an ordinary
kernel.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from verify.warm_launch import read_line, running

HERE = Path(__file__).resolve().parent
LAUNCHER = HERE / "warm_launch.py"
SOCKET_ENV = "FIRSTTORCH_ZYGOTE"
PID_ENV = "FIRSTTORCH_ZYGOTE_PID"
# What every page imports (or the kernel does before the first cell). matplotlib reads its
# backend from the environment when imported: the zygote sets the inline backend first, as
# the kernels' startup does (its module, which needs the running kernel, is left to them).
PRELOAD = (
    "torch",
    "numpy",
    "IPython",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.debugger",
    "firsttorch",
    "matplotlib",
    "matplotlib.pyplot",
    "matplotlib.backends.backend_agg",
)
INLINE = "module://matplotlib_inline.backend_inline"


@dataclass
class Zygote:
    """The warm process of one build, and the kernelspec that makes kernels fork from it."""

    process: subprocess.Popen[bytes] | None  # None: a lingering one, started by another build
    socket_path: Path
    jupyter_path: Path
    pid: int
    lingers: bool = False  # waits for the next build instead of stopping with this one

    def stop(self) -> None:
        """Stop the zygote (its children, the kernels, are left to their own shutdown);
        a lingering one is left to stop by itself when no build asks for a while."""
        if self.lingers or self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.socket_path.parent, ignore_errors=True)


def kernelspec(python: str) -> dict[str, object]:
    """The ``python3`` kernelspec whose kernels fork from the zygote."""
    return {
        "argv": [python, str(LAUNCHER), "-f", "{connection_file}"],
        "display_name": "Python 3 (warm)",
        "language": "python",
        "interrupt_mode": "signal",
        "metadata": {"debugger": False},
    }


def start(work: Path, linger: float = 0, key: str = "") -> Zygote:
    """Start the zygote (it imports in the background) and install the kernelspec.

    Kernels asked for before the zygote is ready wait for it (``warm_launch.py``); if it
    dies, they start as ordinary kernels. With *linger* > 0 the zygote outlives the build
    and waits that many seconds for the next one; a later build whose *key* (its code,
    packages and environment) is the same uses it instead of starting its own, so that an
    edited page runs at once in a warm process.
    """
    work.mkdir(parents=True, exist_ok=True)
    spec = work / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps(kernelspec(sys.executable), indent=1))
    if linger <= 0:
        # A Unix socket's path must be short (about 100 bytes): not inside a deep build folder.
        socket_path = Path(tempfile.mkdtemp(prefix="firsttorch-zygote-")) / "socket"
        process = _spawn(socket_path, 0, detach=False)
        return Zygote(process, socket_path, work / "jupyter", process.pid)
    folder = Path(tempfile.gettempdir()) / f"firsttorch-zygote-{key[:24]}"
    folder.mkdir(mode=0o700, exist_ok=True)
    socket_path, pid_file = folder / "socket", folder / "pid"
    with (folder / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time decides to start or reuse
        pid = int(pid_file.read_text()) if pid_file.exists() else 0
        if pid and running(pid) and _is_zygote(pid):  # ready, or still importing
            return Zygote(None, socket_path, work / "jupyter", pid, lingers=True)
        socket_path.unlink(missing_ok=True)
        process = _spawn(socket_path, linger, detach=True)
        deadline = time.monotonic() + 5
        while not _is_zygote(process.pid) and process.poll() is None:
            if time.monotonic() > deadline:
                break
            time.sleep(0.01)  # until it runs the zygote's code: how the next build knows it
        pid_file.write_text(str(process.pid))
    return Zygote(process, socket_path, work / "jupyter", process.pid, lingers=True)


def _is_zygote(pid: int) -> bool:
    """Whether *pid* is a zygote (and not a process that got a dead zygote's number)."""
    try:
        return b"verify.warm import serve" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc (not Linux): that the pid is alive must do
        return True


def _spawn(socket_path: Path, linger: float, *, detach: bool) -> subprocess.Popen[bytes]:
    code = (
        f"import sys; sys.path.insert(0, {str(HERE.parent)!r}); "
        f"from verify.warm import serve; serve({str(socket_path)!r}, {linger!r})"
    )
    # A lingering zygote keeps no pipe of the build open (whoever waits for the build's
    # output would wait for it too) and leaves the build's session.
    quiet = subprocess.DEVNULL if detach else None
    return subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.DEVNULL,
        stdout=quiet,
        stderr=quiet,
        start_new_session=detach,
    )


def use(zygote: Zygote) -> None:
    """Make kernels started from now on by this process fork from ``zygote``."""
    paths = os.environ.get("JUPYTER_PATH", "").split(os.pathsep)
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        dict.fromkeys([str(zygote.jupyter_path), *filter(None, paths)])
    )
    os.environ[SOCKET_ENV] = str(zygote.socket_path)
    os.environ[PID_ENV] = str(zygote.pid)


def stop_using(zygote: Zygote) -> None:
    """Stop the zygote and give kernels started later the ordinary kernelspec back."""
    zygote.stop()
    paths = [
        p
        for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep)
        if p and p != str(zygote.jupyter_path)
    ]
    if paths:
        os.environ["JUPYTER_PATH"] = os.pathsep.join(paths)
    else:
        os.environ.pop("JUPYTER_PATH", None)
    os.environ.pop(SOCKET_ENV, None)
    os.environ.pop(PID_ENV, None)


def serve(socket_path: str, linger: float = 0) -> None:  # pragma: no cover - the zygote
    """The zygote: import, say ready, then fork one kernel per request; with *linger* > 0,
    exit once no request came for that many seconds."""
    os.environ["MPLBACKEND"] = INLINE
    # The kernels have no debugger ("debugger": false); its import would warn about frozen
    # modules, as ipykernel's own kernelspec avoids with this setting.
    os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    for name in PRELOAD:
        __import__(name)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the system
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(socket_path + ".new")
    server.listen(16)
    Path(socket_path + ".new").rename(socket_path)  # launchers waiting for the path proceed
    if linger > 0:
        server.settimeout(linger)
    while True:
        try:
            conn, _ = server.accept()
        except TimeoutError:
            Path(socket_path).unlink(missing_ok=True)
            os._exit(0)
        conn.settimeout(None)
        with conn:
            request = json.loads(read_line(conn))
            pid = os.fork()
            if pid == 0:
                server.close()
                conn.close()
                _become_kernel(request)
            conn.sendall(f"{pid}\n".encode())


def _become_kernel(request: dict[str, object]) -> None:  # pragma: no cover - a forked child
    """In the forked child: take the launcher's place and run the kernel."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.setsid()  # its own session, like a kernel started by jupyter_client
    os.chdir(str(request["cwd"]))
    env = request["env"]
    assert isinstance(env, dict)
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in env.items()})
    os.environ["FIRSTTORCH_WARM_KERNEL"] = "1"  # how a page (or a test) can tell
    launcher = int(str(request["launcher"]))
    threading.Thread(target=_exit_with, args=(launcher,), daemon=True).start()
    argv = request["argv"]
    assert isinstance(argv, list)
    sys.argv = [str(a) for a in argv]
    from ipykernel.kernelapp import IPKernelApp

    try:
        IPKernelApp.launch_instance(argv=sys.argv[1:])
    finally:
        os._exit(0)


def _exit_with(pid: int) -> None:  # pragma: no cover - a thread of a forked child
    """End this kernel when its launcher is gone (killed by jupyter_client, say)."""
    while True:
        time.sleep(0.2)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(1)
