"""
Step 5 -- ILO Theorem 1: what the extended range costs in measurements
======================================================================

**Motivation.** A real image is rarely exactly in a generator's range, and CSGM's error is capped by that
representation error (Step 3 showed it on photographs). ILO (Daras, Dean, Jalal & Dimakis 2021) splits
:math:`G=G_2\\circ G_1` and also searches an ℓ1 ball of radius :math:`r_2=K\\delta/L_2` around :math:`G_1`'s range in
the p-dimensional intermediate layer. A bigger set represents more -- but needs more measurements. How many?

**Statement** (ILO, Theorem 1, eq. 5, and Remark 2; our copy of the constants is reconstructed, tag [X] in
THEORY.md). Theorem 1's guarantee holds with

.. math:: m = \\Omega\\Big(\\alpha^{-2}\\big(k\\log(L_1L_2r_1/\\delta) + \\lceil4K^2\\rceil\\log(2p+1)\\big)\\Big)

measurements: the covering number of the extended range, with Maurey's net for the ball (Step 4)
(:func:`ilo_theory.bounds.ilo_measurements_covering`). Running CSGM on the whole intermediate layer instead needs
:math:`p\\log(1+4K)` in place of the ball's term (Remark 2;
:func:`ilo_theory.bounds.intermediate_csgm_measurements`). ILO is cheaper while
:math:`4K^2\\log(2p+1)<p\\log(1+4K)`, i.e. for K below :func:`ilo_theory.symbolic.K_threshold`.
"""
# %%
# Step 1 -- the error coefficient, derived
# ----------------------------------------
# Theorem 1's error bound inherits Lemma 4.3's coefficient at :math:`\gamma=1-\alpha`; sympy derives it from the
# lemma (:func:`ilo_theory.symbolic.derive_ilo_coefficient`) instead of our typing it.
import matplotlib.pyplot as plt
import numpy as np

from ilo_theory import bounds, symbolic

print("ILO coefficient of eq. (6):", symbolic.derive_ilo_coefficient())
print("dm/dK of eq. (5):", symbolic.dm_dK())

# %%
# Step 2 -- both counts against K
# -------------------------------
# A small generator's constants (k = 8, :math:`L_1=L_2=10`, :math:`r_1=1`, δ = 0.1, α = 1/2; C = 1: the theorem
# fixes no constant) for three layer widths p.
k, L1, L2, r1, delta, alpha = 8, 10.0, 10.0, 1.0, 0.1, 0.5
fig, ax = plt.subplots(figsize=(7.5, 4.4), layout="constrained")
for p, colour in zip((64, 256, 1024), ("tab:blue", "tab:orange", "tab:green"), strict=True):
    K = np.linspace(0.25, np.sqrt(p), 200)
    ax.semilogy(K, bounds.ilo_measurements_covering(k, p, K, L1, L2, r1, delta, alpha), color=colour,
                label=f"ILO, p = {p}")
    ax.semilogy(K, bounds.intermediate_csgm_measurements(k, p, K, L1, L2, r1, delta, alpha), "--", color=colour,
                label=f"CSGM on the layer, p = {p}")
    ax.axvline(symbolic.K_threshold(p), color=colour, lw=0.8, ls=":")
ax.set_xscale("log")
ax.set(xlabel="K   (ball radius r₂ = Kδ/L₂)", ylabel="measurements m (C = 1)",
       title="ILO's ball against CSGM on the whole layer (dotted: K_threshold)")
fig.legend(fontsize=8, loc="outside right center")
print("ILO cheaper than CSGM on the layer while K <", ", ".join(f"{symbolic.K_threshold(p):.2f} (p = {p})"
                                                                   for p in (64, 256, 1024)))

# %%
# **Reading the figure.** Solid lines (ILO) start flat -- at small K the :math:`k\log(\cdot)` term of the range
# dominates -- and then rise like :math:`K^2`; dashed lines (CSGM on the layer) start at p times a logarithm,
# already far higher, and grow only like :math:`\log K`. They cross at the dotted lines, the printed thresholds:
# about 2.9 at p = 64, 11.4 at p = 1024 -- roughly :math:`\sqrt{p/\log p}`, not the :math:`\sqrt{p/2}` of the crude
# crossover of Step 4. The trade-off Theorem 1 offers is K: a larger ball lowers the representation error (the first
# term of eq. 6) and raises m. :doc:`../claims/plot_claim_theorem1` measures the error against the radius, the
# additive term
# and m*(K) on random generators at full size, against rival laws.
#
# Exercises
# ---------
# 1. Double δ to 0.2 (keep K). Predict: does the crossing move?
#
# .. raw:: html
#
#    <details><summary>Answer</summary>
#
# No. δ enters only the common :math:`k\log(L_1L_2r_1/\delta)` term, which both counts share; the crossing is
# where the ball's terms are equal, :math:`4K^2\log(2p+1)=p\log(1+4K)`, and K is already in units of
# :math:`\delta/L_2`. Both curves shift down together.
#
# .. raw:: html
#
#    </details>
#
# 2. Predict ``K_threshold(4096)`` before you compute it: is it nearer √4096/2 = 32 or √(4096/log 4096) ≈ 22?
#
# .. raw:: html
#
#    <details><summary>Answer</summary>
#
# Nearer 22: ``symbolic.K_threshold(4096)`` is 22.7. The crossing solves :math:`4K^2\log(2p+1)=p\log(1+4K)`, so
# :math:`K\approx\tfrac12\sqrt{p\log(1+4K)/\log(2p+1)}` -- the square root of p over a ratio of logarithms.
#
# .. raw:: html
#
#    </details>
#
# 3. Replace Maurey's net by the volumetric one for the ball -- ``bounds.intermediate_csgm_measurements`` is
#    exactly that. What does the theorem lose?
#
# .. raw:: html
#
#    <details><summary>Answer</summary>
#
# Everything it gains: with a volumetric net the ball costs :math:`p\log(1+4K)` whatever its radius, so ILO would
# need as many measurements as CSGM on the whole layer, p up to logarithms. The :math:`K^2\log p` term *is* Maurey's
# lemma. The full check's control "ℓ2 ball of the same radius" (:doc:`../claims/plot_claim_extended_srec`) shows the
# same in
# measured S-REC: an ℓ2 ball's m* grows with p.
#
# .. raw:: html
#
#    </details>
