"""Sphinx configuration of the nexus documentation site (``make docs``).

The API reference comes from the numpydoc docstrings (autodoc + numpydoc), the
Markdown pages are read with MyST, and the node-type reference is written from
the registry (:mod:`nexus.reference`) into ``_generated/`` when the build starts,
so it cannot drift from the code. Nothing is downloaded while building.
"""

from __future__ import annotations

from pathlib import Path

import nexus

project = "nexus"
author = "the nexus developers"
copyright = "2026, the nexus developers"
version = release = nexus.__version__

extensions = ["sphinx.ext.autodoc", "numpydoc", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
html_theme = "alabaster"

# The numpydoc Parameters and Returns sections give each type with its unit; signatures
# show names and defaults only, so annotations (numpy, xarray, names imported only for
# type checking) are not rendered a second time as references that cannot resolve.
autodoc_typehints = "none"
autodoc_member_order = "bysource"
numpydoc_show_class_members = False

# Warnings are errors (make docs: -W -n). One class is let through: references into
# the packages nexus builds on (numpy.ndarray, xarray.Dataset, scipy.integrate.solve_ivp
# ...). They are right, but resolve only through intersphinx, which downloads inventories.
nitpick_ignore_regex = [
    ("py:.*", r"(numpy|scipy|pandas|xarray|pyomo|highspy|pydantic|matplotlib)\..*"),
]


def write_node_types(app) -> None:
    """Write ``_generated/node_types.md``: the text ``nexus units --format md`` prints (the
    table of types and one section per type)."""
    from nexus.reference import reference_markdown

    text = reference_markdown()
    target = Path(app.srcdir) / "_generated" / "node_types.md"
    if not target.is_file() or target.read_text() != text:  # unchanged: not read again
        target.parent.mkdir(exist_ok=True)
        target.write_text(text)


def setup(app):
    app.connect("builder-inited", write_node_types)
