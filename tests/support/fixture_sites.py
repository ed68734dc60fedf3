"""Build the tests' small fixture sites with real Sphinx, the way nox builds the real one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def build(
    site: Path,
    *defines: str,
    builder: str = "html",
    out: Path | None = None,
    doctrees: Path | None = None,
    **env: str,
) -> subprocess.CompletedProcess[str]:
    """Run ``sphinx -b html -n -W --keep-going`` on *site* into ``site/_build/html``.

    *defines* are configuration values (``firsttorch_accept=1``), passed with ``-D``;
    *builder*, *out* and *doctrees* choose another builder, output and doctree folder. The
    caller's FIRSTTORCH_* variables are dropped, so only *env* sets them;
    FIRSTTORCH_REPO points the fixture's configuration at this repository.
    """
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("FIRSTTORCH_")}
    full_env = {**inherited, "FIRSTTORCH_REPO": str(REPO), **env}
    cmd = [sys.executable, "-m", "sphinx", "-b", builder, "-n", "-W", "--keep-going"]
    cmd += [arg for define in defines for arg in ("-D", define)]
    cmd += ["-d", str(doctrees)] if doctrees is not None else []
    return subprocess.run(
        [*cmd, str(site), str(out or site / "_build" / "html")],
        capture_output=True,
        text=True,
        env=full_env,
        check=False,
        timeout=600,
    )
