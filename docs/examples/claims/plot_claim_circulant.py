"""
Claim: partial circulant measurements behave like Gaussian ones
===============================================================

ILO Lemma 1 pays a log^4 n factor for a partial circulant A with random signs; empirically its JL distortion
and S-REC constant on random, sparse and generator-range sets match a Gaussian A.

This page shows the check **at its default size, judged from the result** ``make figures`` **saved** (no
computation: :func:`verification.plots.judged`); ``demo("circulant")`` recomputes it at the ``--quick`` size
instead.
"""
from verification.plots import judged

rows, fig = judged("circulant")

# %%
# **Reading the figure.** Left: the worst JL distortion over a point set against m, for five sets (colours) and
# three matrices (markers): the random-sign partial circulant (squares) follows the Gaussian (circles) on every set;
# without the random signs (crosses) it fails on the constant and smooth sets, whose energy sits in a few
# frequencies. Middle: the S-REC constant on the same sets, the same story. Right: the adversarial S-REC constant of
# ILO's extended range (K = 4): Gaussian and signed circulant coincide; the low-pass control drops.
# :doc:`../course/plot_06_circulant` measures the left panel live.
