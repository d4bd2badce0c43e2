"""
Claim: Maurey against volumetric covering
=========================================

Maurey's bound (2p+1)^ceil(r^2/eps^2) beats the volumetric (1+2r/eps)^p above eps* ~ sqrt(2) r / sqrt(p);
the Monte Carlo of Maurey's lemma shows E||x - mean of q atoms||^2 = (r||x||_1 - ||x||^2)/q <= r^2/q.

This page shows the check **at its default size, judged from the result** ``make figures`` **saved** (no
computation: :func:`verification.plots.judged`); ``demo("covering")`` recomputes it at the ``--quick`` size instead.
"""
from verification.plots import judged

rows, fig = judged("covering")

# %%
# **Reading the figure.** Left and middle: the log-covering number of the unit ℓ1 ball against the scale ε for
# p = 64 and p = 1024: volumetric (blue) and Maurey (orange) upper bounds, Sudakov's and Schütt's shapes (constants
# 1), the volume lower bound; the vertical line is the crossover ε* above which Maurey's bound is the smaller one --
# at a scale that shrinks like :math:`1/\sqrt p`. Right: Maurey's lemma measured -- the mean squared distance from x to
# the average of q sampled atoms falls as :math:`r^2/q` (dashed) for points spread over the sphere, and below it for
# sparse points, exactly as :math:`(r\|x\|_1-\|x\|^2)/q` predicts. :doc:`../course/plot_04_covering` explains both.
