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

from verify.warm_launch import read_line

HERE = Path(__file__).resolve().parent
LAUNCHER = HERE / "warm_launch.py"
SOCKET_ENV = "FIRSTTORCH_ZYGOTE"
PID_ENV = "FIRSTTORCH_ZYGOTE_PID"
# What every page imports (or the kernel does before the first cell). Not matplotlib: it
# reads its backend from the environment when imported, and the kernel sets that later.
PRELOAD = ("torch", "numpy", "IPython", "ipykernel.kernelapp", "ipykernel.ipkernel", "firsttorch")


@dataclass
class Zygote:
    """The warm process of one build, and the kernelspec that makes kernels fork from it."""

    process: subprocess.Popen[bytes]
    socket_path: Path
    jupyter_path: Path

    def stop(self) -> None:
        """Stop the zygote (its children, the kernels, are left to their own shutdown)."""
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


def start(work: Path) -> Zygote:
    """Start the zygote (it imports in the background) and install the kernelspec.

    Kernels asked for before the zygote is ready wait for it (``warm_launch.py``); if it
    dies, they start as ordinary kernels.
    """
    work.mkdir(parents=True, exist_ok=True)
    # A Unix socket's path must be short (about 100 bytes): not inside a deep build folder.
    socket_path = Path(tempfile.mkdtemp(prefix="firsttorch-zygote-")) / "socket"
    code = (
        f"import sys; sys.path.insert(0, {str(HERE.parent)!r}); "
        f"from verify.warm import serve; serve({str(socket_path)!r})"
    )
    process = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.DEVNULL)
    spec = work / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps(kernelspec(sys.executable), indent=1))
    return Zygote(process, socket_path, work / "jupyter")


def use(zygote: Zygote) -> None:
    """Make kernels started from now on by this process fork from ``zygote``."""
    paths = os.environ.get("JUPYTER_PATH", "").split(os.pathsep)
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        dict.fromkeys([str(zygote.jupyter_path), *filter(None, paths)])
    )
    os.environ[SOCKET_ENV] = str(zygote.socket_path)
    os.environ[PID_ENV] = str(zygote.process.pid)


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


def serve(socket_path: str) -> None:  # pragma: no cover - runs in the zygote process
    """The zygote: import, say ready, then fork one kernel per request."""
    for name in PRELOAD:
        __import__(name)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the system
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(socket_path + ".new")
    server.listen(16)
    Path(socket_path + ".new").rename(socket_path)  # launchers waiting for the path proceed
    while True:
        conn, _ = server.accept()
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
