"""Intermediate Layer Optimization (Daras, Dean, Jalal, Dimakis, ICML 2021) and Score-Guided ILO (Daras, Dagan,
Dimakis, Daskalakis, ICML 2022): solvers for imaging inverse problems with pretrained generators.

The package is cut into parts (docs/architecture.md): :mod:`~ilo_solver.io`, :mod:`~ilo_solver.optim`,
:mod:`~ilo_solver.fit`, :mod:`~ilo_solver.physics`, :mod:`~ilo_solver.generators`, :mod:`~ilo_solver.priors`,
:mod:`~ilo_solver.solvers`, then :mod:`~ilo_solver.presets` (the registries), :mod:`~ilo_solver.storage`,
:mod:`~ilo_solver.runs` (the commands' work), :mod:`~ilo_solver.render` (results that re-render) and
:mod:`~ilo_solver.cli`. Each part is imported on first use
(``ilo_solver.solvers.ilo(...)`` works after ``import ilo_solver``), so importing the package costs nothing.
"""
import importlib

PARTS = ("io", "optim", "fit", "physics", "generators", "priors", "solvers", "presets", "storage", "figures", "runs",
         "render", "cli")
__all__ = list(PARTS)


def __getattr__(name: str):
    if name in PARTS:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
