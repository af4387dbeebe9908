"""Sphinx configuration of the eulerflow documentation.

Build from the repository root with ``python -m sphinx -W -b html docs docs/_build/html``. The
notebook gallery renders the executed copies that ``.ci/execute_notebooks.py --output
docs/_notebooks`` writes (CI runs the notebooks once and the docs reuse them); without them the
notebooks are copied unexecuted and render without outputs.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import eulerflow

HERE = Path(__file__).parent
ROOT = HERE.parent

project = "eulerflow"
author = "the eulerflow developers"
copyright = "2026, the eulerflow developers"
version = release = eulerflow.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

myst_enable_extensions = ["dollarmath", "amsmath"]
nb_execution_mode = "off"  # CI executes the notebooks once; the gallery shows those outputs

autosummary_generate = True
autosummary_imported_members = True  # the public submodules re-export from private modules
autosummary_ignore_module_all = False
templates_path = ["_templates"]
autodoc_typehints = "none"  # the numpydoc sections state the types
numpydoc_show_class_members = False  # the class template lists the members
numpydoc_class_members_toctree = False

# No intersphinx: CI and the development machines have no network to fetch inventories from.

nitpicky = True  # every cross-reference must resolve: a broken one fails the -W build

# Targets outside eulerflow that no inventory provides (no intersphinx, see above).
nitpick_ignore = [
    ("py:class", "xarray.Dataset"),
    ("py:class", "pandas.DataFrame"),
]

# MathJax from its CDN by default; EULERFLOW_DOCS_MATHJAX points at a local copy of
# MathJax 3's tex-chtml.js for offline builds (how the pages were checked on a machine without
# network).
if "EULERFLOW_DOCS_MATHJAX" in os.environ:
    mathjax_path = os.environ["EULERFLOW_DOCS_MATHJAX"]

html_theme = "sphinx_rtd_theme"
html_title = f"eulerflow {release}"


def _gallery() -> None:
    """Put the notebooks into ``docs/_notebooks``: the executed copies where CI wrote them,
    otherwise the unexecuted sources."""
    target = HERE / "_notebooks"
    target.mkdir(exist_ok=True)
    for source in sorted((ROOT / "notebooks").glob("*.ipynb")):
        if not (target / source.name).exists():
            shutil.copy(source, target / source.name)


_gallery()


def _display_equations(app, what, name, obj, options, lines) -> None:
    """Render the docstrings' displayed equations as literal blocks.

    The docstrings write an equation as a paragraph indented under the prose, after a blank
    line; reStructuredText would read it as a block quote and parse ``|x|`` and ``*`` in it as
    markup. A ``::`` paragraph before such a block makes it a literal block.
    """
    out: list[str] = []
    previous = ""  # last non-blank line
    for i, line in enumerate(lines):
        blank_before = i > 0 and not lines[i - 1].strip()
        indent = len(line) - len(line.lstrip())
        prose = previous.strip() and not previous.rstrip().endswith("::")
        deeper = indent > len(previous) - len(previous.lstrip())
        if line.strip() and blank_before and prose and deeper and " : " not in previous:
            out += ["::", ""]
        out.append(line)
        if line.strip():
            previous = line
    lines[:] = out


def setup(app) -> None:
    app.connect("autodoc-process-docstring", _display_equations, priority=100)
