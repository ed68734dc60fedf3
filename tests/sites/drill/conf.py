"""A small fixture site that reuses the real docs configuration and extension."""

from __future__ import annotations

import os
import runpy
from pathlib import Path

HERE = Path(__file__).resolve().parent
REAL = Path(os.environ["FIRSTTORCH_REPO"]) / "docs" / "conf.py"
globals().update({k: v for k, v in runpy.run_path(str(REAL)).items() if not k.startswith("__")})
sphinx_gallery_conf = {**sphinx_gallery_conf, "examples_dirs": str(HERE.parent / "gallery")}  # noqa: F821
html_theme_options = {}
html_static_path: list[str] = []
html_css_files: list[str] = []
