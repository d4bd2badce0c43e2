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
