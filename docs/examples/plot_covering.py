"""
Covering the l1 ball: Maurey against volumetric
================================================

Maurey's empirical method covers :math:`B_1^p(r)` with :math:`(2p+1)^{\\lceil r^2/\\varepsilon^2\\rceil}` balls;
the volumetric argument with :math:`(1+2r/\\varepsilon)^p`. Maurey wins above the crossover scale
:math:`\\varepsilon^*\\approx\\sqrt2\\,r/\\sqrt p`. Schuett's rate (the truth, up to constants) follows the better
of the two; the volume bound is a lower bound.
"""
import matplotlib.pyplot as plt
import numpy as np

from ilo_theory import covering as C

fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
for ax, p in zip(axes, (64, 1024), strict=True):
    eps = np.geomspace(1e-3, 1.0, 400)
    ax.loglog(eps, C.log_covering_volumetric(p, 1.0, eps), label="volumetric (upper)")
    ax.loglog(eps, C.log_covering_maurey(p, 1.0, eps), label="Maurey (upper)")
    ax.loglog(eps, C.log_covering_sudakov(p, 1.0, eps), "--", label="Sudakov shape (c=1)")
    ax.loglog(eps, C.log_covering_schutt(p, 1.0, eps), ":", label="Schuett rate (c=1)")
    ax.loglog(eps, np.maximum(C.log_covering_l1_volume_lower(p, 1.0, eps), 1e-1), label="volume (lower)")
    e_star = C.crossover_scale(p, 1.0)
    ax.axvline(e_star, color="k", lw=0.8)
    ax.set_title(f"p = {p}:  eps* = {e_star:.3f} = {e_star * np.sqrt(p):.2f}/sqrt(p)")
    ax.set_xlabel("eps / r")
axes[0].set_ylabel("log N(B_1^p(r), eps)")
axes[0].legend(fontsize=8)
plt.tight_layout()
