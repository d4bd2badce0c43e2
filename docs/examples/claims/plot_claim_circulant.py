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
