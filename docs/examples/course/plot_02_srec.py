"""
Step 2 -- S-REC: what replaces sparsity for a generator
=======================================================

**Motivation.** Step 1 needed x sparse. A generator :math:`G:\\mathbb R^k\\to\\mathbb R^n` gives a different
structure: x lies in its range. CSGM (Bora, Jalal, Price & Dimakis 2017) recovers x by
:math:`\\min_z\\|AG(z)-y\\|`, and the property of A that makes this work is the *Set-Restricted Eigenvalue
Condition*.

**Statement.** A satisfies S-REC(S, γ, δ) on a set S if
:math:`\\|A(x_1-x_2)\\|\\ge\\gamma\\|x_1-x_2\\|-\\delta` for all :math:`x_1,x_2\\in S` (Bora et al., Def. 1). For S
the range of a d-layer ReLU network and Gaussian A with :math:`A_{ij}\\sim N(0,1/m)`,
:math:`m=O(k\\,d\\log n/\\alpha^2)` rows give :math:`\\gamma=1-\\alpha` (Lemma 4.2); read as a law,
:math:`1-\\gamma\\propto\\sqrt{k\\,d\\log n/m}`, i.e. exponent -1/2 in m. Lemma 4.3 then bounds CSGM's error by
:math:`(4/\\gamma)\\,\\mathrm{dist}(x,S)+(2/\\gamma)\\|\\eta\\|`, with one more ingredient:
:math:`\\|Ax\\|\\le2\\|x\\|` for
one fixed x (Step 3).
"""
# %%
# Step 1 -- estimate γ for one generator
# --------------------------------------
# γ is a minimum over all pairs in the range: random pairs overestimate it. The library's estimator
# (:func:`ilo_solver.solvers.srec.srec_curve`) searches for the worst pair by gradient descent on both latents, from
# the worst of many random pairs, for independent Gaussian A at each m. A random ReLU network k = 5 → 50 → n = 200.
import matplotlib.pyplot as plt
import numpy as np
import torch

from ilo_solver.generators import ReLUGenerator
from ilo_solver.solvers.srec import srec_curve
from ilo_theory import laws, srec

G = ReLUGenerator((5, 50, 200), rng=torch.Generator().manual_seed(0))
ms = (20, 40, 80, 160, 320)
curve = srec_curve(G, "cs-gaussian", ms, draws=4, pairs=500, restarts=2, steps=60, r1=50.0,
                   rng=torch.Generator().manual_seed(1))
for m, g, lo, hi in zip(ms, curve.mean, curve.lo, curve.hi, strict=True):
    print(f"m = {m:4d}: gamma_hat = {g:.3f}  [{lo:.3f}, {hi:.3f}]  (t-CI over {curve.gammas.shape[1]} matrices)")

# %%
# Step 2 -- judge the law, not the direction
# ------------------------------------------
# "γ grows with m" would be true of many laws. Fit the exponent b of :math:`1-\hat\gamma\propto m^b` with a
# bootstrap CI over the independent matrices (:func:`ilo_theory.laws.power_exponent`) and judge it against the
# prediction -1/2 and two rivals, -1 (a parametric rate) and -1/4 (:func:`ilo_theory.laws.judge_exponent`).
b = laws.power_exponent(1 - curve.gammas.T, np.array(ms, float))
print(f"exponent {b[0]:.3f} [{b[1]:.3f}, {b[2]:.3f}] -> "
      f"{laws.judge_exponent(b, -0.5, {'m^-1': -1.0, 'm^-1/4': -0.25})}")

# %%
# Step 3 -- the fixed-vector event of Lemma 4.3
# ---------------------------------------------
# For :math:`A_{ij}\sim N(0,1/m)`, :math:`\|Ax\|^2/\|x\|^2\sim\chi^2_m/m`: the failure probability
# :math:`P(\|Ax\|>2\|x\|)` is an exact chi-square tail (:func:`ilo_theory.srec.norm_exceeds_probability`) -- compare
# it with a simulation. Then draw Lemma 4.3's bound against γ.
rng = np.random.default_rng(0)
mm = np.arange(1, 16)
mc = [np.mean(np.linalg.norm(rng.standard_normal((20000, m)) / np.sqrt(m), axis=1) > 2) for m in mm]

fig, (a, b_, c) = plt.subplots(1, 3, figsize=(13, 4), layout="constrained")
a.loglog(ms, 1 - curve.mean, "o-", label="1 - γ̂ (adversarial, mean)")
a.fill_between(ms, 1 - curve.hi, 1 - curve.lo, alpha=0.3)
a.loglog(ms, (1 - curve.mean[0]) * (np.array(ms) / ms[0]) ** -0.5, "k--", label="slope -1/2 (Lemma 4.2)")
a.set(xlabel="m", ylabel="1 - γ̂", title="S-REC of a ReLU range")
a.set_xticks(ms, [str(m) for m in ms], minor=False)
a.set_yticks([0.15, 0.2, 0.3, 0.5, 0.7], ["0.15", "0.2", "0.3", "0.5", "0.7"])
for axis in (a.xaxis, a.yaxis):
    axis.set_minor_formatter(plt.NullFormatter())
a.legend(fontsize=8)
b_.semilogy(mm, srec.norm_exceeds_probability(mm), label="exact chi-square tail")
mc = np.array(mc)
b_.semilogy(mm[mc > 0], mc[mc > 0], "o", label="simulation (20 000 draws)")
b_.semilogy(mm[mc == 0], np.full((mc == 0).sum(), 1 / 20000), "v", color="tab:orange",
            label="no hit in 20 000 (below 5e-5)")
b_.set(xlabel="m", ylabel="P(‖Ax‖ > 2‖x‖)", title="fixed-vector event")
b_.legend(fontsize=8)
g = np.linspace(0.2, 1, 100)
c.plot(g, srec.lemma43_error(g, 1.0), label="dist(x, S) = 1, η = 0")
c.plot(g, srec.lemma43_error(g, 0.0, eta_norm=1.0), label="x ∈ S, ‖η‖ = 1")
c.set(xlabel="γ", ylabel="Lemma 4.3 error bound", title="what γ costs")
c.legend(fontsize=8)

# %%
# **Reading the figure.** Left: :math:`1-\hat\gamma` falls along the slope -1/2 line -- the rate of Lemma 4.2, not
# just its direction (the printed verdict judges it). The band is the t-interval over 4 matrices per m. Middle: the
# simulation sits on the exact tail; beyond m ≈ 10 the event ‖Ax‖ > 2‖x‖ is rarer than 1e-5, which is why Lemma 4.3
# can take it for granted. Right: the error bound blows up like 1/γ as γ → 0: too few measurements make CSGM's
# guarantee vacuous long before they make recovery impossible. The full-size check (three networks, 6 instances
# each, random vs adversarial pairs, a repeated-rows control) is :doc:`../claims/plot_claim_srec`; your own generator:
# ``python -m verification srec --generator mypkg.module:factory``.
#
# Exercises
# ---------
# 1. Switch the adversarial search off -- ``steps=0``: the worst of the 500 random pairs only. Predict: is γ̂
#    larger or smaller? Does the exponent change?
#
# .. raw:: html
#
#    <details><summary>Answer</summary>
#
# Larger at every m (0.53 instead of 0.31 at m = 20: a random pair is almost never the worst pair), while the
# fitted exponent barely moves (-0.52). The random screen gets the rate right and the constant wrong -- too
# optimistic by a factor that matters in Lemma 4.3's 4/γ. The lemma needs the minimum over pairs; the full check
# reports both estimates to show the gap.
#
# .. raw:: html
#
#    </details>
#
# 2. Build A with only 20 independent rows, repeated: ``measurement=lambda shape, m, g, dt:``
#    ``GaussianCS.from_matrix(torch.randn(20, 200, generator=g, dtype=dt).repeat(-(-m // 20), 1)[:m] / m ** 0.5,
#    shape)`` (``GaussianCS`` from :mod:`ilo_solver.physics.operators`). Predict the exponent.
#
# .. raw:: html
#
#    <details><summary>Answer</summary>
#
# About 0: repeating rows adds no information, so γ̂ stays at its m = 20 value and the fitted exponent's CI
# excludes -1/2 -- the verdict reads "fails". This is the negative control of the full check: a check that read
# "holds" here could not tell a good matrix from a bad one.
#
# .. raw:: html
#
#    </details>
#
# 3. Double the latent dimension: ``ReLUGenerator((10, 50, 200), ...)``. Predict: which changes -- the exponent
#    or the level?
#
# .. raw:: html
#
#    <details><summary>Answer</summary>
#
# The level: Lemma 4.2's :math:`\sqrt{k\,d\log n/m}` moves 1 - γ up by about √2 at every m (measured at these
# sizes: 1.2x to 1.6x) while the exponent stays near -1/2 (-0.47 [-0.51, -0.44]). A bigger range is harder to keep
# injective under A, at the same rate.
#
# .. raw:: html
#
#    </details>
