"""
Claim: S-REC on the range of a ReLU generator
=============================================

Bora et al. (2017) Lemma 4.2 says a Gaussian A satisfies S-REC on the range of a d-layer ReLU network with
m = O(k d log n / alpha^2) rows, i.e. 1 - gamma ~ sqrt(k d log n / m). We estimate gamma by random pairs
(optimistic) and by an adversarial search on the pair (honest), and compare P(||Ax|| > 2||x||) with the exact
chi-square tail.

This page shows the check **at its default size, judged from the result** ``make figures`` **saved** (no
computation: :func:`verification.plots.judged`); ``demo("srec")`` recomputes it at the ``--quick`` size instead.
"""
from verification.plots import judged

rows, fig = judged("srec")

# %%
# **Reading the figure.** Left: :math:`1-\hat\gamma` against :math:`\sqrt{k\,d\log n/m}` for three networks (colour):
# the adversarial estimate (solid, circles) lies on a line of slope 1 in these coordinates -- Lemma 4.2's rate --
# while random pairs (dotted, squares) are optimistic by a constant factor, and the control with repeated rows
# (crosses) stays flat: more copies of the same rows are not more measurements. Right: the fixed-vector event of
# Lemma 4.3, simulated (with binomial CIs) on the exact chi-square tail; the control with entries of variance 1.2/m
# misses it by a growing factor. The course page :doc:`../course/plot_02_srec` builds the left panel step by step.
