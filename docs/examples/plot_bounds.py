"""
ILO Theorem 1: measurements against the radius parameter K
===========================================================

With :math:`r_2=K\\delta/L_2`, ILO needs :math:`k\\log(L_1L_2r_1/\\delta)+\\lceil4K^2\\rceil\\log(2p+1)`
measurements (up to :math:`\\alpha^{-2}` and a constant), while CSGM on the p-dimensional intermediate layer needs
:math:`k\\log(\\cdot)+p\\log(1+4K)`. ILO is cheaper while :math:`4K^2\\log(2p+1)<p\\log(1+4K)` (Remark 2):
K below :func:`ilo_theory.symbolic.K_threshold` (the grey lines; its values are printed below, computed, never typed).
"""
import matplotlib.pyplot as plt
import numpy as np

from ilo_theory import bounds, symbolic

k, L1, L2, r1, delta, alpha = 8, 10.0, 10.0, 1.0, 0.1, 0.5
fig, ax = plt.subplots(figsize=(6, 4))
for p in (64, 256, 1024):
    K = np.linspace(0.25, np.sqrt(p), 200)
    ax.semilogy(K, bounds.ilo_measurements_covering(k, p, K, L1, L2, r1, delta, alpha), label=f"ILO, p={p}")
    ax.semilogy(K, bounds.intermediate_csgm_measurements(k, p, K, L1, L2, r1, delta, alpha), "--",
                label=f"CSGM on layer, p={p}")
    ax.axvline(symbolic.K_threshold(p), color="gray", lw=0.6)
ax.set_xscale("log")
ax.set_xlabel("K  (r2 = K delta / L2)")
ax.set_ylabel("measurement count (C = 1)")
ax.legend(fontsize=7)
plt.tight_layout()
print("ILO coefficient of eq. (6):", symbolic.derive_ilo_coefficient())
print("ILO cheaper than CSGM on the layer while K <", ", ".join(f"{symbolic.K_threshold(p):.2f} (p = {p})"
                                                                   for p in (64, 256, 1024)))
