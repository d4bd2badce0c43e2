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

# %%
# **Reading the figure.** Left: where the loss along :math:`-t\,x_0` is smallest, per network (dots) and on average,
# against ρ_d from the theory (line). Middle: where gradient descent ends, from random starts and from starts on the
# bad ray: plain descent (dots) stalls near :math:`-\rho_dx_0`; with the negation check (crosses) every run ends at
# :math:`x_0` (star). Right: the WDC deviation, maximised over pairs by an adversarial search, decays like
# :math:`\sqrt{k\log n/n}` (dashed); one fixed pair (the control) is far smaller -- the condition is a supremum.
# :doc:`../course/plot_07_landscape` runs the middle panel live.
