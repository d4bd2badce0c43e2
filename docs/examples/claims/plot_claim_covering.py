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
