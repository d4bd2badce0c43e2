"""Empirical checks of every claim of ilo_theory on random ReLU generators and random matrices.

One module per claim; each has ``Config`` (frozen), ``DEFAULT``/``QUICK`` presets, ``run(config, *, seed, executor)``
returning JSON-able results (the real experiment and its broken variants), ``claims(result)`` (rows of the claim
report), ``CONTROLS`` (the negative controls, :class:`verification._common.Control`) and ``plot(result)`` (a
Figure). Run them all with ``python -m verification``.
"""
from . import (circulant, covering, csgm_vs_lasso, extended_srec, generative_phase, guidance, landscape, langevin,
               phase, srec, theorem1, uncertainty)

CHECKS = {m.ID: m for m in (srec, extended_srec, theorem1, covering, circulant, landscape, langevin, phase,
                             generative_phase, guidance, csgm_vs_lasso, uncertainty)}

__all__ = ["CHECKS"]
