"""
Claim: the Hand-Voroninski landscape
====================================

The loss of a random ReLU generator has a spurious critical point near -rho_d x0; gradient descent with the
negation check always reaches x0; the WDC deviation decays like sqrt(k log n / n).

This page shows the check **at its default size, judged from the result** ``make figures`` **saved** (no
computation: :func:`verification.plots.judged`); ``demo("landscape")`` recomputes it at the ``--quick`` size
instead.
"""
from verification.plots import judged

rows, fig = judged("landscape")
