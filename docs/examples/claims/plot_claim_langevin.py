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

# %%
# **Reading the figure.** Left: the unadjusted Langevin chain's distance to the exact target :math:`\pi_\beta`
# (total variation of histograms, relative covariance error) shrinks with the step size η -- the :math:`O(\eta)`
# bias. Middle: the number of steps each chain needs to enter a small ball around the mode: fast, with a tail.
# Right: for large β the exact posterior covariance approaches the Laplace prediction
# :math:`(\beta\,2J^TJ)^{-1}` (solid), while the control missing the factor 2 stays wrong at every β (dashed).
# :doc:`../course/plot_08_sgilo_prior` samples a posterior with a learned score.
