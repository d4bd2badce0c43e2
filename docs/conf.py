"""Sphinx configuration: offline build (no intersphinx), furo theme, sphinx-gallery tutorials that run."""
import os
import re
import sys
import time
from pathlib import Path

_T0 = time.perf_counter()

sys.path.insert(0, os.path.abspath(".."))

project = "ILO toolkit"
author = "ILO toolkit developers"
copyright = "2026, ILO toolkit developers; code MIT-licensed, vendored face photographs public domain"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.autosummary", "sphinx.ext.mathjax", "sphinx.ext.napoleon",
              "sphinx_gallery.gen_gallery", "myst_parser",     # myst: the Markdown pages (benchmarks.md)
              "sphinx-mathjax-offline",   # MathJax 3 copied into _static: formulas render offline
              "sphinxcontrib.bibtex"]     # references.bib -> references.rst, :cite: roles
bibtex_bibfiles = ["references.bib"]
bibtex_default_style = "plain"
bibtex_reference_style = "author_year"
nitpicky = True    # a reference to a missing object is a warning, and -W makes it an error
# Objects of other projects: no intersphinx (offline build), so their names are not resolvable here.
nitpick_ignore_regex = [(r"py:.*", r"(scipy|skimage|pywt|pickle|pickletools|numpy|np|torch|sympy|matplotlib|PIL)"
                         r"(\..*)?"),
                        # torch.nn.Module's own docstrings (forward, train), inherited by our modules, and the
                        # annotation of a NamedTuple field (Law.f), which autodoc shows unparsed
                        (r"py:class", r"Module|Dropout|BatchNorm|'?Mapping\[str.*|Callable.*|np\.ndarray\]+")]
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
    # the course's steps in their order (plot_01_ ... plot_09_), then the claims, then the solver
    "subsection_order": ["examples/course", "examples/claims", "examples/solver"],
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "write_computation_times": True,   # sg_execution_times: every example's measured time
    "capture_repr": (),                 # a cell's last value (a Legend, a list of Nones) is not shown: pages print
    # "examples using X" on every API page (.. minigallery::) from the names each tutorial uses
    "doc_module": ("ilo_theory", "ilo_solver", "verification"),
    "backreferences_dir": "gen_modules/backreferences",
}


def _strip_network_assets(app, docname, source):
    """sphinx-gallery's sg_execution_times pages load DataTables and Bootstrap from CDNs (a sortable table): the built
    site must not touch the network, so that raw-HTML block is dropped and the table stays a plain, static one."""
    if docname.endswith("sg_execution_times"):
        source[0] = re.sub(r"\n  \.\. raw:: html\n.*?(?=\n  \.\. list-table::)", "\n", source[0], flags=re.S)


def _report_times(app, exception):
    """Print the gallery's measured times (docs/sg_execution_times.rst) and the whole build's wall time."""
    if exception is not None:
        return
    table = Path(app.srcdir) / "sg_execution_times.rst"
    rows = re.findall(r":ref:`sphx_glr_auto_examples_(\S+?)\.py`.*?\n\s+- (\d+):(\d+\.\d+)", table.read_text()) \
        if table.is_file() else []
    secs = {name: 60 * int(mm) + float(ss) for name, mm, ss in rows}
    over = ", ".join(f"{n} {s:.0f} s" for n, s in sorted(secs.items(), key=lambda kv: -kv[1]) if s > 60) or "none"
    print(f"docs: built in {time.perf_counter() - _T0:.0f} s; gallery {sum(secs.values()):.0f} s over {len(secs)} "
          f"examples (executed ones > 0 s: {sum(s > 0 for s in secs.values())}; slowest "
          f"{max(secs, key=secs.get, default='-')} {max(secs.values(), default=0):.0f} s); over 60 s: {over}")


def setup(app):
    app.connect("source-read", _strip_network_assets)
    app.connect("build-finished", _report_times)
