"""
Step 4 -- How big is an ℓ1 ball? Maurey against volumetric
==========================================================

**Motivation.** Every measurement count in this course is a log-covering number in disguise: a union bound over an
ε-net of the set to be recovered. ILO searches an ℓ1 ball :math:`B_1^p(r)` in a p-dimensional intermediate layer;
how it is covered decides whether ILO's Theorem 1 costs :math:`p` measurements or far fewer.

**Statement.** The *volumetric* argument covers any p-dimensional ball of radius r by :math:`(1+2r/\\varepsilon)^p`
ε-balls (Vershynin, HDP Cor. 4.2.13). *Maurey's empirical method* (Pisier 1981; Vershynin, HDP Cor. 0.0.4) covers
:math:`B_1^p(r)` by :math:`(2p+1)^{\\lceil r^2/\\varepsilon^2\\rceil}`: every x in the ball is within ε of an average
of :math:`q=\\lceil r^2/\\varepsilon^2\\rceil` atoms :math:`\\{0,\\pm re_i\\}`, because a random such average has
:math:`E\\|x-\\bar a_q\\|^2=(r\\|x\\|_1-\\|x\\|^2)/q\\le r^2/q`. Maurey wins above the crossover scale
:math:`\\varepsilon^*\\approx\\sqrt2\\,r/\\sqrt p` (:func:`ilo_theory.covering.crossover_scale`).
"""
# %%
# Step 1 -- Maurey's lemma, by simulation
# ---------------------------------------
# Take x uniform on the sphere of :math:`B_1^p(1)` (:func:`ilo_theory.covering.sample_l1_ball`), draw q atoms
# :math:`\mathrm{sign}(x_i)\,r\,e_i` with probability :math:`|x_i|/r` (and 0 with the rest), and average them.
import matplotlib.pyplot as plt
import numpy as np

from ilo_theory import covering as C

rng = np.random.default_rng(0)
p, r = 256, 1.0
x = C.sample_l1_ball(rng, p, r, 1, sphere=True)[0]
probs = np.append(np.abs(x) / r, 1 - np.abs(x).sum() / r)          # atom i, or the zero atom
atoms = np.vstack([np.diag(np.sign(x) * r), np.zeros(p)])
qs = np.array([1, 2, 4, 8, 16, 32, 64])
mse = [np.mean([np.sum((x - atoms[rng.choice(p + 1, q, p=probs.clip(0))].mean(0)) ** 2) for _ in range(2000)])
       for q in qs]
for q, e in zip(qs, mse, strict=True):
    print(f"q = {q:3d}: E||x - mean of q atoms||^2 = {e:.4f}   (r||x||_1 - ||x||^2)/q = "
          f"{(r * np.abs(x).sum() - x @ x) / q:.4f}   r^2/q = {r * r / q:.4f}")

# %%
# The simulated error matches the exact formula to Monte Carlo precision: an average of q atoms lands within
# :math:`r/\sqrt q` of x, so the :math:`(2p+1)^q` possible averages form an ε-net with :math:`q=\lceil
# r^2/\varepsilon^2\rceil`
# -- whatever p is. The volumetric net, in contrast, pays a factor per dimension.
#
# Step 2 -- both bounds against the scale, with the truth between them
# --------------------------------------------------------------------
# Schütt's theorem gives the true order of :math:`\log N(B_1^p,\varepsilon)` (up to constants, drawn with c = 1);
# the volume ratio gives a lower bound.
fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True, layout="constrained")
for ax, pp in zip(axes, (64, 1024), strict=True):
    eps = np.geomspace(1e-3, 1.0, 400)
    ax.loglog(eps, C.log_covering_volumetric(pp, 1.0, eps), label="volumetric (upper)")
    ax.loglog(eps, C.log_covering_maurey(pp, 1.0, eps), label="Maurey (upper)")
    ax.loglog(eps, C.log_covering_sudakov(pp, 1.0, eps), "--", label="Sudakov shape (c = 1)")
    ax.loglog(eps, C.log_covering_schutt(pp, 1.0, eps), ":", label="Schütt rate (c = 1)")
    ax.loglog(eps, np.maximum(C.log_covering_l1_volume_lower(pp, 1.0, eps), 1e-1), label="volume (lower)")
    e_star = C.crossover_scale(pp, 1.0)
    ax.axvline(e_star, color="k", lw=0.8)
    ax.set_title(f"p = {pp}:  ε* = {e_star:.3f} = {e_star * np.sqrt(pp):.2f}/√p")
    ax.set_xlabel("ε / r")
axes[0].set_ylabel("log N(B₁ᵖ(r), ε)")
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside right center", fontsize=9)
for pp in (64, 1024):
    print(f"p = {pp}: crossover eps* = {C.crossover_scale(pp, 1.0):.4f}; at eps = 0.25: volumetric "
          f"{C.log_covering_volumetric(pp, 1.0, 0.25):.0f} vs Maurey {C.log_covering_maurey(pp, 1.0, 0.25):.0f} nats")

# %%
# **Reading the figure.** Left of the vertical line (fine scales) the volumetric bound is smaller; right of it
# Maurey's is, and by a factor that grows with p: at ε = r/4 and p = 1024 it is about 18 times smaller (printed
# above). Schütt's rate follows the smaller of the two up to constants -- both arguments are sharp in their own
# regime. ILO's Theorem 1 uses the ball at scale :math:`\varepsilon\sim\delta/L_2` with radius :math:`K\delta/L_2`,
# i.e. at :math:`\varepsilon/r=1/K`: the Maurey side, whenever :math:`K\lesssim\sqrt{p/2}`. The claim checked at
# full size (explicit nets, Monte Carlo with CIs, the crossover measured by a net search) is
# :doc:`../claims/plot_claim_covering`.
#
# Exercises
# ---------
# 1. In Step 1, replace x by a 1-sparse vector ``x = np.eye(p)[0]``. Predict the simulated error for every q.
#
# .. raw:: html
#
#    <details><summary>Answer</summary>
#
# Zero: :math:`r\|x\|_1-\|x\|^2=1-1=0`. The only atom ever drawn is :math:`e_1` itself, so one atom represents x
# exactly. Maurey's bound :math:`r^2/q` is the worst case, attained by flat vectors (all :math:`|x_i|` equal).
#
# .. raw:: html
#
#    </details>
#
# 2. Compute :func:`ilo_theory.covering.crossover_scale` for p = 64, 1024 and 16 384. Predict how ε* scales.
#
# .. raw:: html
#
#    <details><summary>Answer</summary>
#
# Like :math:`1/\sqrt p`: the printed titles show :math:`\varepsilon^*\sqrt p` nearly constant (about √2, up to the
# logarithms). In a wider layer Maurey's bound takes over at ever finer scales -- that is why the ℓ1 ball, and not
# the whole layer, makes ILO's intermediate search affordable.
#
# .. raw:: html
#
#    </details>
#
# 3. Theorem 1 pays :math:`\lceil4K^2\rceil\log(2p+1)` for the ball. With p = 1024, for which K does this exceed
#    the volumetric :math:`p\log(1+4K)`? Check with :func:`ilo_theory.symbolic.K_threshold`.
#
# .. raw:: html
#
#    <details><summary>Answer</summary>
#
# Above :math:`K\approx11.35` (``K_threshold(1024)``): :math:`4K^2\log 2049\approx 30.5\,K^2` overtakes
# :math:`1024\log(1+4K)` there. Below it ILO is cheaper than searching the whole layer; Step 5 of the course draws
# this trade-off.
#
# .. raw:: html
#
#    </details>
