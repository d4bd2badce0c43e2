"""
Claim: Langevin sampling for a random ReLU generator (SGILO theory)
===================================================================

Unadjusted Langevin targets pi_beta ~ exp(-beta f); its O(eta) bias shrinks with the step size, and for
large beta the exact covariance matches the Laplace prediction (beta Hess f)^-1.

The verdict column reads: **holds** (the measurement agrees with the prediction within the stated interval),
**fails** (it does not: the numbers say by how much), **inconclusive** (the data cannot decide at this size),
**not falsifiable** (a negative control -- the same experiment with one ingredient broken -- did not fail, so
the check could not have told).
This page shows the check **at its default size, judged from the result** ``make figures`` **saved** (no
computation: :func:`verification.plots.judged`); ``demo("langevin")`` recomputes it at the ``--quick`` size instead.
"""
from verification.plots import judged

rows, fig = judged("langevin")
