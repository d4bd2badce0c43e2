"""
The Hand-Voroninski landscape and rho_d
=======================================

The expected gradient :math:`h_x` of :math:`\\tfrac12\\|G(x)-G(x_0)\\|^2` vanishes at :math:`x_0` and near
:math:`-\\rho_dx_0`. Left: :math:`\\rho_d` against depth. Right: :math:`2^d\\|h_x\\|` on a grid for k = 2, d = 2.
"""
import matplotlib.pyplot as plt
import numpy as np

from ilo_theory import landscape as L

fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
d = np.arange(1, 21)
a.plot(d, [L.rho(int(i)) for i in d], "o-")
a.set_xlabel("depth d")
a.set_ylabel("rho_d")
x0 = np.array([1.0, 0.0])
u = np.linspace(-1.6, 1.6, 161)
Z = np.array([[np.linalg.norm(L.expected_gradient(np.array([s, t]) + 1e-9, x0, 2)) * 4 for s in u] for t in u])
im = b.contourf(u, u, np.log10(Z + 1e-6), 30)
b.plot([1, -L.rho(2)], [0, 0], "r*")
b.set_title("log10(2^d ||h_x||),  d = 2")
fig.colorbar(im, ax=b)
plt.tight_layout()
