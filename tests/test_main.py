"""Tests for ``python -m firsttorch``, the ``firsttorch`` command and its ``main``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from firsttorch import __version__
from firsttorch.__main__ import main


def run(*args: str, env_device: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m firsttorch ARGS`` in a real subprocess with a controlled environment."""
    env = {key: value for key, value in os.environ.items() if key != "FIRSTTORCH_DEVICE"}
    if env_device is not None:
        env["FIRSTTORCH_DEVICE"] = env_device
    return subprocess.run(
        [sys.executable, "-m", "firsttorch", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


@pytest.fixture(autouse=True)
def _no_env_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make in-process runs independent of a FIRSTTORCH_DEVICE set in the caller's shell."""
    monkeypatch.delenv("FIRSTTORCH_DEVICE", raising=False)


class TestMain:
    """main: the environment report as text or JSON."""

    def test_module_prints_report(self) -> None:
        """``python -m firsttorch`` prints the aligned report and exits with 0."""
        result = run()
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        lines = result.stdout.splitlines()
        assert lines[0] == f"firsttorch {__version__} environment report"
        assert lines[1].startswith(f"  torch        {torch.__version__} (")
        assert lines[-1].startswith("  pick_device  ")
        assert all(len(line) <= 88 for line in lines)

    def test_module_prints_json(self) -> None:
        """``python -m firsttorch --json`` prints JSON that parses and matches this torch."""
        result = run("--json")
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        assert data["firsttorch_version"] == __version__
        assert data["torch_version"] == torch.__version__
        assert [item["kind"] for item in data["accelerators"]] == ["cuda", "mps", "xpu"]
        assert isinstance(data["chosen"], str)

    def test_module_reports_bad_environment_variable(self) -> None:
        """A bad FIRSTTORCH_DEVICE is reported in the output, and the exit status stays 0."""
        result = run("--json", env_device="gpu")
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        assert data["chosen"] is None
        assert data["environment"] == {"FIRSTTORCH_DEVICE": "gpu"}
        assert data["reason"].startswith("ValueError: FIRSTTORCH_DEVICE='gpu' is not a device")

    def test_console_script(self) -> None:
        """The ``firsttorch`` console script installed next to this Python prints the report."""
        script = Path(sys.executable).with_name("firsttorch")
        if not script.exists():
            pytest.skip(f"no console script at {script}: firsttorch is not installed here")
        result = subprocess.run(
            [str(script)], capture_output=True, text=True, check=False, timeout=120
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"firsttorch {__version__} environment report\n")

    def test_main_text(self, capsys: pytest.CaptureFixture[str]) -> None:
        """main([]) prints the text report and returns 0."""
        assert main([]) == 0
        assert capsys.readouterr().out.startswith(f"firsttorch {__version__} environment")

    def test_main_json(self, capsys: pytest.CaptureFixture[str]) -> None:
        """main(['--json']) prints JSON and returns 0."""
        assert main(["--json"]) == 0
        assert json.loads(capsys.readouterr().out)["torch_version"] == torch.__version__

    @pytest.mark.parametrize(
        ("flag", "text"), [("--help", "usage: firsttorch"), ("--version", __version__)]
    )
    def test_help_and_version(
        self, capsys: pytest.CaptureFixture[str], flag: str, text: str
    ) -> None:
        """--help and --version print and exit with status 0 (argparse)."""
        with pytest.raises(SystemExit, match=r"^0$"):
            main([flag])
        assert text in capsys.readouterr().out

    def test_bad_argument(self, capsys: pytest.CaptureFixture[str]) -> None:
        """An unknown option exits with status 2 and says which option."""
        with pytest.raises(SystemExit, match=r"^2$"):
            main(["--nope"])
        assert "unrecognized arguments: --nope" in capsys.readouterr().err
