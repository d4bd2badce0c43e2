"""
Row counts: Gaussian against partial circulant
==============================================

Gaussian JL needs :math:`\\varepsilon^{-2}\\log P` rows for P points; the partial circulant routes pay extra
logarithms (Hinrichs-Vybiral :math:`\\log^3P`, Krahmer-Ward :math:`\\log P\\log^4n`). These are upper bounds with
unspecified constants (C = 1 here); the verification shows the measured cost is far smaller.
"""
import matplotlib.pyplot as plt
import numpy as np

from ilo_theory import circulant as C

P = np.geomspace(10, 1e6, 50)
fig, ax = plt.subplots(figsize=(6, 4))
ax.loglog(P, C.gaussian_jl_rows(P, 0.2), label="Gaussian JL")
ax.loglog(P, C.hinrichs_vybiral_rows(P, 0.2, power=2), label="Vybiral (log^2 P)")
ax.loglog(P, C.hinrichs_vybiral_rows(P, 0.2), label="Hinrichs-Vybiral (log^3 P)")
ax.loglog(P, C.krahmer_ward_jl_rows(P, 0.1, 0.2, 1024), label="Krahmer-Ward, n = 1024")
ax.set_xlabel("number of points P")
ax.set_ylabel("rows m for eps = 0.2 (C = 1)")
ax.legend(fontsize=8)
plt.tight_layout()
