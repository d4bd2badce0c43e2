"""Empirical checks of every claim of ilo_theory on random ReLU generators and random matrices.

One module per claim; each has ``Config`` (frozen), ``DEFAULT``/``QUICK`` presets, ``run(config, *, seed, executor)``
returning JSON-able results, ``claims(result)`` (rows of the claim report) and ``plot(result, out_dir)``.
Run them all with ``python -m verification``.
"""
from . import circulant, covering, extended_srec, landscape, langevin, phase, srec, theorem1

CHECKS = {m.ID: m for m in (srec, extended_srec, theorem1, covering, circulant, landscape, langevin, phase)}

__all__ = ["CHECKS"]
