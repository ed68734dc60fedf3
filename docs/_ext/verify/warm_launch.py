"""The kernel command of the build's kernelspec: ask the zygote for a warm kernel.

Run as ``python warm_launch.py -f <connection file>`` by jupyter_client, in place of
``python -m ipykernel_launcher -f <connection file>``. It imports only the standard library
(it starts in a few tens of milliseconds), asks the zygote named by ``FIRSTTORCH_ZYGOTE`` to
fork a kernel with this process's working directory, environment and arguments, then
stands in for that kernel: signals it receives go to the kernel, and it exits when the
kernel does. Without a zygote it becomes an ordinary kernel (``os.execv``).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
from pathlib import Path
from types import FrameType

SOCKET_ENV = "FIRSTTORCH_ZYGOTE"
PID_ENV = "FIRSTTORCH_ZYGOTE_PID"
POLL_S = 0.05
WAIT_S = 120  # for a zygote still importing


def _ordinary_kernel() -> None:
    argv = [sys.executable, "-m", "ipykernel_launcher", *sys.argv[1:]]
    os.execv(sys.executable, argv)


def _ask(path: str) -> int:
    request = {
        "cwd": str(Path.cwd()),
        "env": dict(os.environ),
        "argv": ["ipykernel_launcher", *sys.argv[1:]],
        "launcher": os.getpid(),
    }
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(30)
        conn.connect(path)
        conn.sendall(json.dumps(request).encode() + b"\n")
        return int(read_line(conn).strip())


def read_line(conn: socket.socket) -> str:
    """Read up to a newline (or the end) from a socket: one message of the zygote's protocol."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data.decode()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def running(pid: int) -> bool:
    """Alive and not a zombie (a zygote that died but was not yet reaped by the build)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:  # no /proc (not Linux): trust kill(pid, 0)
        return _alive(pid)


def main() -> None:
    """Fork a warm kernel and stand in for it until it exits."""
    path = os.environ.get(SOCKET_ENV, "")
    zygote = int(os.environ.get(PID_ENV, "0") or 0)
    deadline = time.monotonic() + WAIT_S
    while path and not Path(path).exists() and zygote and running(zygote):
        if time.monotonic() > deadline:
            break
        time.sleep(POLL_S)  # the zygote is still importing
    if not path or not Path(path).exists():
        _ordinary_kernel()
    try:
        pid = _ask(path)
    except (OSError, ValueError) as err:
        print(
            f"warm kernels: no kernel from the zygote ({err}); starting an ordinary one",
            file=sys.stderr,
        )
        _ordinary_kernel()
        return

    def forward(signum: int, _frame: FrameType | None) -> None:
        if _alive(pid):
            os.kill(pid, signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT, signal.SIGHUP):
        signal.signal(signum, forward)
    while _alive(pid):
        time.sleep(POLL_S)


if __name__ == "__main__":
    main()
