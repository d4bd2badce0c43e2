"""
Claim: phase transitions, from sparse vectors to generative priors
==================================================================

**Sparse vectors.** Basis pursuit (min ‖x‖₁ subject to Ax = y) recovers an s-sparse x ∈ R^d from m Gaussian
measurements when m exceeds the *statistical dimension* of the ℓ1 descent cone at x, and fails below it (Amelunxen,
Lotz, McCoy & Tropp 2014). Normalised, that dimension is ψ(s/d) (:func:`ilo_theory.phase.l1_statistical_dimension`),
and in Donoho–Tanner coordinates δ = m/d, ρ = s/m the transition is the curve ρ(δ) = ψ⁻¹(δ)/δ
(:func:`ilo_theory.phase.l1_threshold`). Below we solve basis pursuit exactly as a linear program (scipy's HiGHS) on
a (δ, ρ) grid of independent draws and draw the empirical success fraction with the exact curve on top. The negative
control uses matrices with only m/2 independent rows: their contour falls far below the curve.

Both checks are shown **at their default size, judged from the results** ``make figures`` **saved** (no
computation: :func:`verification.plots.judged`); the lecture's step 1, :doc:`../course/plot_01_phase`, builds a small
diagram
live.
"""
from verification.plots import judged

rows, fig = judged("phase")

# %%
# **Reading the figure.** Left: the success fraction of basis pursuit on a (δ, ρ) grid, 12 draws
# per cell, with the exact curve (white). Right: the empirical 50 % point of each δ-column (dots) sits inside the
# finite-d band around the curve; the control with only m/2 independent rows (crosses) falls far below it.

# %%
# **Generative priors.** Replace "s-sparse" by "in the range of a k-dimensional ReLU generator": CSGM (Bora et al.
# 2017) succeeds once m is of order k·d·log n. The diagram below has the latent dimension k on the vertical axis
# and m on the horizontal one; the 50% points move right linearly in k. ILO with a fixed intermediate radius
# (right panel) pays a few more measurements for its larger search set -- the K² log p term of ILO's Theorem 1,
# which ``verification.theorem1`` measures directly (its ``m_star_vs_K`` row). The control moves the truth off the
# range: no m recovers it, and the claim fails.

rows, fig = judged("generative_phase")

# %%
# **Reading the figure.** Left and middle: success of CSGM and of ILO at K = 4 on a grid of the
# latent dimension k against m; the 50 % points (white) move right linearly in k, along a fitted :math:`m\propto
# k\,d\log n` (red). Right: ILO at k = 4 against the radius K: the 50 % point moves right as K grows -- the price of
# the larger search set.
