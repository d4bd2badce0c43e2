"""
Step 1 -- How many random measurements does a sparse vector need?
=================================================================

**Motivation.** Compressed sensing starts from a surprise: an s-sparse :math:`x\\in\\mathbb R^d` is recovered
*exactly* from :math:`m\\ll d` random linear measurements :math:`y=Ax` by a convex program, basis pursuit
:math:`\\min\\|x\\|_1` subject to :math:`Ax=y`. How many measurements, exactly? This page measures it and compares the
answer with a formula that is sharp, not just an upper bound.

**Statement** (Amelunxen, Lotz, McCoy & Tropp 2014, Theorem II; Donoho & Tanner 2009). For Gaussian A, basis pursuit
succeeds with high probability when m exceeds the *statistical dimension* of the ℓ1 descent cone at x, and fails
below it. Normalised by d, that dimension is a function of s/d alone, :math:`\\psi(s/d)`
(:func:`ilo_theory.phase.l1_statistical_dimension`). In Donoho--Tanner coordinates :math:`\\delta=m/d`,
:math:`\\rho=s/m` the transition is the curve :math:`\\rho=\\psi^{-1}(\\delta)/\\delta`
(:func:`ilo_theory.phase.l1_threshold`); its width shrinks like :math:`d^{-1/2}`.
"""
# %%
# Step 1 -- one problem
# ---------------------
# A 10-sparse vector in :math:`\mathbb R^{100}`, 45 Gaussian measurements. Basis pursuit is a linear program
# (:func:`verification.phase.basis_pursuit`: scipy's HiGHS on :math:`x=x^+-x^-`).
import matplotlib.pyplot as plt
import numpy as np

from ilo_theory.phase import l1_statistical_dimension, l1_threshold
from verification.phase import basis_pursuit

rng = np.random.default_rng(0)
d, m, s = 100, 45, 10
x = np.zeros(d)
x[rng.choice(d, s, replace=False)] = rng.standard_normal(s)
A = rng.standard_normal((m, d)) / np.sqrt(m)
x_hat = basis_pursuit(A, A @ x)
print(f"relative error {np.linalg.norm(x_hat - x) / np.linalg.norm(x):.1e}; the theory's m for s = {s}: "
      f"d psi(s/d) = {d * l1_statistical_dimension(s / d):.1f}")

# %%
# The error is at the solver's precision: recovery is exact, not approximate. The theory asks for about
# 33 measurements here (printed above), and we gave 45.
#
# Step 2 -- a phase diagram
# -------------------------
# Sweep δ = m/d and ρ = s/m; in each cell draw independent (A, x) pairs and count exact recoveries
# (relative error ≤ 1e-6). 6 × 12 cells × 5 draws = 360 small linear programs.
deltas = np.array([0.15, 0.3, 0.45, 0.6, 0.75, 0.9])
rhos = np.linspace(0.05, 0.95, 12)
trials = 5


def success(A, x):
    return np.linalg.norm(basis_pursuit(A, A @ x) - x) <= 1e-6 * np.linalg.norm(x)


frac = np.zeros((len(rhos), len(deltas)))
for j, delta in enumerate(deltas):
    m = int(round(delta * d))
    for i, rho in enumerate(rhos):
        s = max(1, int(round(rho * m)))
        for _ in range(trials):
            x = np.zeros(d)
            x[rng.choice(d, s, replace=False)] = rng.standard_normal(s)
            frac[i, j] += success(rng.standard_normal((m, d)) / np.sqrt(m), x) / trials

# %%
# Step 3 -- the figure, with the exact curve
# ------------------------------------------
fig, ax = plt.subplots(figsize=(6.4, 4.6), layout="constrained")
im = ax.pcolormesh(deltas, rhos, frac, shading="nearest", cmap="gray", vmin=0, vmax=1)
fig.colorbar(im, ax=ax, label="fraction of exact recoveries")
dd = np.linspace(0.05, 0.95, 100)
ax.plot(dd, l1_threshold(dd), "r-", lw=2, label=r"$\rho = \psi^{-1}(\delta)/\delta$ (d → ∞)")
ax.set(xlabel="δ = m/d  (undersampling)", ylabel="ρ = s/m  (sparsity per measurement)",
       title=f"Basis pursuit, d = {d}, {trials} draws per cell")
ax.legend(loc="upper left", fontsize=9)
print("rho at the curve:", dict(zip(deltas.round(2).tolist(), np.round(l1_threshold(deltas), 3).tolist(), strict=True)))

# %%
# **Reading the figure.** White cells: every draw recovered exactly; black: none did. The red curve -- computed from
# Gaussian integrals, no fitting -- separates them already at d = 100; the grey cells along it are the finite-d
# transition, of width about :math:`1/\sqrt d` in ρ. Below the curve ℓ1 minimisation is exact; above, it fails.
# The full-size measurement (d = 200, 12 draws per cell, a bootstrap CI on every column's 50 % point and a negative
# control) is :doc:`../claims/plot_claim_phase`.
#
# Exercises
# ---------
# 1. Replace the Gaussian amplitudes of x by random signs ``rng.choice([-1.0, 1.0], s)``. *Predict* first: does the
#    diagram change?
#
# .. raw:: html
#
#    <details><summary>Answer</summary>
#
# Not in distribution. Whether basis pursuit recovers x depends only on x's support and signs: the ℓ1 descent cone
# at x is the same for every x with that sign pattern, and the statistical dimension is a property of the cone.
# Individual cells move by the Monte Carlo noise of 5 draws only.
#
# .. raw:: html
#
#    </details>
#
# 2. Build A with only m/2 independent rows, each used twice:
#    ``np.repeat(rng.standard_normal((m // 2 + 1, d)), 2, axis=0)[:m] / np.sqrt(m)``. Where does the white region end
#    now?
#
# .. raw:: html
#
#    <details><summary>Answer</summary>
#
# At the curve of δ/2: a repeated row is no new measurement, so the matrix carries m/2 measurements' information,
# and the contour falls far below the red curve. This is the negative control of :doc:`../claims/plot_claim_phase` --
# the
# check would be worthless if it could not see this.
#
# .. raw:: html
#
#    </details>
#
# 3. Set ``d = 400`` and ``trials = 3`` (slower: each LP is 4x larger). Predict: does the transition move, or sharpen?
#
# .. raw:: html
#
#    <details><summary>Answer</summary>
#
# It sharpens around the same curve: the curve is the d → ∞ limit and the band's width shrinks like
# :math:`d^{-1/2}` (Amelunxen et al., Theorem II gives tails in :math:`\exp(-c\lambda^2/\sqrt d)`-type form, so the
# transition region is :math:`O(\sqrt d)` measurements wide).
#
# .. raw:: html
#
#    </details>
