"""Sphinx configuration for the firsttorch site.

Every page is executed during the build and its outputs are checked against the
reviewed transcripts in ``docs/_expected`` (see the verifier, ``docs/_ext/verify``).
"""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

project = "firsttorch"
author = "The firsttorch developers"
copyright = f"%Y, {author}"
# Read from the installed metadata: importing firsttorch would import torch, which a
# rebuild with nothing to run does not need.
version = release = importlib.metadata.version("firsttorch")

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "viewcode_source",  # viewcode without importing firsttorch (and torch) on every build
    "myst_nb",
    "merged_streams",  # after myst_nb: merge printed output without editing the notebook
    "sphinx_gallery.gen_gallery",
    "sphinx_copybutton",
    "sphinx_design",
    "verify",  # runs nothing itself: checks every output the build produced
    "mathml",
    "a11y",
    "take_home",  # level, reading time, notebook download and Colab link under each title
    "cell_paths",  # "line 2 of this cell" where outputs named the kernel's temporary file
]

# -- Output verification (docs/_ext/verify) -------------------------------------------
# The lane (cpu or gpu) and accepting reviewed output are set per build by nox with -D.
firsttorch_lane = "cpu"
firsttorch_accept = False
firsttorch_script_timeout = 120  # seconds a gallery script may run (page cells: below)
firsttorch_expected_dir = "_expected"
# Python sources the outputs depend on beyond the pages: a change re-runs everything.
firsttorch_watch = [str(DOCS.parent / "src" / "firsttorch")]
firsttorch_repo = str(DOCS.parent)
# What the API reference's >>> examples may assume, as a reader of a docstring would.
firsttorch_doctest_setup = "import torch\nfrom firsttorch import *\n"

#: First cell of every notebook sphinx-gallery generates for download: the notebook
#: then runs on a fresh Jupyter or Colab, installing firsttorch only when it is missing.
FIRST_NOTEBOOK_CELL = (
    "# This notebook needs firsttorch; this cell installs it only when it is missing.\n"
    "import importlib.util\n"
    "import subprocess\n"
    "import sys\n"
    "\n"
    'if importlib.util.find_spec("firsttorch") is None:\n'
    '    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "firsttorch"],'
    " check=True)"
)

# -- Under each title (docs/_ext/take_home.py) -------------------------------------------
LESSONS = ["tensors-as-arrays", "tensor-basics", "operations", "in-place", "broadcasting"]
LESSONS += ["gpu", "autograd"]
firsttorch_levels = dict.fromkeys(LESSONS, "beginner")
firsttorch_levels |= dict.fromkeys(
    ["under-the-hood", "why-pytorch", "myths", "when-not-to-use", "connections"],
    "after the lessons",
)
firsttorch_levels |= dict.fromkeys(["expert-zone", "production"], "advanced")
firsttorch_levels |= dict.fromkeys(["pitfalls", "troubleshooting"], "any, as a reference")
firsttorch_levels |= {"next-steps": "after the lessons", "how-this-site-is-built": "contributors"}
# Colab opens notebooks from GitHub only: the docs workflow pushes the site's notebooks/
# folder to this branch.
firsttorch_colab = (
    "https://colab.research.google.com/github/firsttorch/firsttorch/blob/notebooks/{path}"
)
firsttorch_first_cell = FIRST_NOTEBOOK_CELL

root_doc = "index"
exclude_patterns = [
    "_build",
    "_expected",
    "_intersphinx",
    "jupyter_execute",
    "Thumbs.db",
    ".DS_Store",
    # sphinx-gallery writes a notebook next to every example page; myst-nb must not
    # parse or execute those a second time.
    "auto_examples/**.ipynb",
    "auto_examples/**.py",
    "auto_examples/**.zip",
    "auto_examples/**.json",
    "auto_examples/**.md5",
]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb"}
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["firsttorch.css"]
nitpicky = True

# -- Theme ---------------------------------------------------------------------------
html_theme = "furo"
html_title = "firsttorch"
html_theme_options = {
    "source_repository": "https://github.com/firsttorch/firsttorch/",
    "source_branch": "main",
    "source_directory": "docs/",
}
html_last_updated_fmt = None
# Colour schemes that meet WCAG AA contrast (accessible-pygments, which furo depends on).
pygments_style = "a11y-light"
pygments_dark_style = "a11y-dark"

# Formulas become MathML at build time (docs/_ext/mathml.py): no MathJax, no CDN.
html_math_renderer = "mathml"

# -- MyST and myst-nb ----------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath", "amsmath", "attrs_inline"]
myst_heading_anchors = 3
nb_execution_mode = "force"  # every build runs every page it reads; nothing is reused
nb_execution_timeout = 180
nb_execution_raise_on_error = False  # report, keep going, fail at the end (-W --keep-going)
nb_execution_show_tb = True
nb_merge_streams = True
nb_output_stderr = "show"

# -- sphinx-gallery ------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(DOCS.parent / "gallery"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    # sections in learning-path order, as the lessons take them
    "subsection_order": [
        f"../gallery/{topic}"
        for topic in ("tensors", "operations", "broadcasting", "gpu", "autograd")
    ],
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": True,
    "remove_config_comments": True,
    "show_memory": False,
    "show_signature": False,
    "abort_on_example_error": False,
    "only_warn_on_example_error": True,  # a failure is a warning: -W fails the build
    # The computation-times page loads jQuery and DataTables from CDNs; our own
    # build report replaces it.
    "write_computation_times": False,
    "doc_module": ("firsttorch",),
    "backreferences_dir": "gen_modules/backreferences",
    # The verifier watches each script: time limit, randomness, figures' data, devices.
    "reset_modules": ("matplotlib", "verify.gallery.reset_example"),
    "reset_modules_order": "both",
    "image_scrapers": ("verify.gallery.scrape_example", "matplotlib"),
    "first_notebook_cell": FIRST_NOTEBOOK_CELL,
    "min_reported_time": 10**6,
    "line_numbers": False,
    # Examples re-run when their source changes; all of them when firsttorch, torch or
    # the lane changes (the verifier sets this to True for that build).
    "run_stale_examples": False,
}

# -- API reference -------------------------------------------------------------------
autodoc_typehints = "description"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False

# -- Cross-references (offline inventories, links to the hosted docs) ----------------
_INV = DOCS / "_intersphinx"
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", str(_INV / "python.inv")),
    "torch": ("https://docs.pytorch.org/docs/stable", str(_INV / "torch.inv")),
    "torchnew": ("https://docs.pytorch.org/docs/stable/", str(_INV / "torch-supplement.inv")),
    "numpy": ("https://numpy.org/doc/stable", str(_INV / "numpy.inv")),
    "matplotlib": ("https://matplotlib.org/stable", str(_INV / "matplotlib.inv")),
}
intersphinx_timeout = 1

# torch's own docstrings (inherited into our exception classes) mention names that no
# inventory carries; these are the only references allowed to stay unresolved.
nitpick_ignore_regex = [
    (r"py:.*", r"torch\._.*"),
    # Re-exported classes are documented as firsttorch.X; type hints name their private home.
    (r"py:class", r"firsttorch\._\w+\.\w+"),
]
# Type variables and private helper classes named in signatures are not documented pages.
nitpick_ignore = [
    ("py:class", "firsttorch.device._T"),
    ("py:class", "Policy"),
    ("py:class", "Diagnosis"),
    ("py:class", "firsttorch._grad_explain._ExplainAutogradErrors"),
]

# Copy buttons on code only, never on printed output (myst-nb cells, gallery blocks).
copybutton_selector = "div.highlight pre:not(.cell_output pre, .sphx-glr-script-out pre)"
copybutton_exclude = ".linenos, .gp, .go"
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = False
