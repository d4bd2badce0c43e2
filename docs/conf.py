"""Sphinx configuration: offline build (no intersphinx), furo theme, sphinx-gallery tutorials that run."""
import os
import sys

sys.path.insert(0, os.path.abspath(".."))

project = "ILO toolkit"
author = "ILO toolkit developers"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.autosummary", "sphinx.ext.mathjax", "sphinx.ext.napoleon",
              "sphinx_gallery.gen_gallery", "myst_parser",     # myst: the Markdown pages (benchmarks.md)
              "sphinx-mathjax-offline"]   # MathJax 3 copied into _static: formulas render offline
autodoc_default_options = {"members": True, "undoc-members": False}
autodoc_typehints = "none"
autosummary_generate = False
html_theme = "furo"
exclude_patterns = ["_build", "figures/*", "paper/*", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.json", "auto_examples/*.md5"]
suppress_warnings = ["config.cache"]
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    # SG_PATTERN=plot_csgm_vs_lasso: execute only the tutorials matching it (the others are rendered unexecuted)
    "filename_pattern": os.environ.get("SG_PATTERN", r"/plot_"),
    "download_all_examples": False,
    "remove_config_comments": True,
    "write_computation_times": True,   # sg_execution_times: every example's measured time
}
