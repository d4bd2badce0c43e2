"""
Claim: Langevin sampling for a random ReLU generator (SGILO theory)
===================================================================

Unadjusted Langevin targets pi_beta ~ exp(-beta f); its O(eta) bias shrinks with the step size, and for
large beta the exact covariance matches the Laplace prediction (beta Hess f)^-1.

This page shows the check **at its default size, judged from the result** ``make figures`` **saved** (no
computation: :func:`verification.plots.judged`); ``demo("langevin")`` recomputes it at the ``--quick`` size instead.
"""
from verification.plots import judged

rows, fig = judged("langevin")
