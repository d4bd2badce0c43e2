"""
S-REC and the fixed-vector event
================================

Lemma 4.3 needs :math:`\\|Ax\\|\\le2\\|x\\|` for one fixed x. For :math:`A_{ij}\\sim N(0,1/m)`,
:math:`\\|Ax\\|^2/\\|x\\|^2\\sim\\chi^2_m/m`, so the failure probability is an exact chi-square tail -- compare it
with a simulation. The right panel shows how the Lemma 4.3 error bound grows as the S-REC constant
:math:`\\gamma` shrinks.
"""
import matplotlib.pyplot as plt
import numpy as np

from ilo_theory import srec

rng = np.random.default_rng(0)
ms = np.arange(1, 16)
mc = [np.mean(np.linalg.norm(rng.standard_normal((20000, m)) / np.sqrt(m), axis=1) > 2) for m in ms]
fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
a.semilogy(ms, srec.norm_exceeds_probability(ms), label="exact chi-square tail")
a.semilogy(ms, np.maximum(mc, 1e-6), "o", label="simulation (20 000 draws)")
a.set_xlabel("m")
a.set_ylabel("P(||Ax|| > 2||x||)")
a.legend()
g = np.linspace(0.2, 1, 100)
b.plot(g, srec.lemma43_error(g, 1.0), label="dist = 1")
b.plot(g, srec.lemma43_error(g, 0.0, eta_norm=1.0), label="||eta|| = 1")
b.set_xlabel("gamma")
b.set_ylabel("Lemma 4.3 error bound")
b.legend()
plt.tight_layout()
