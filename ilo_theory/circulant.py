r"""Partial circulant matrices with random signs: ILO Lemma 1 and the JL/RIP results behind it.

The operator itself (FFT forward/adjoint, dense oracle) lives in :mod:`ilo_solver.physics.operators`; this module
holds the
row counts. Every :math:`\Omega(\cdot)` constant is the keyword ``C``.
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from . import _validate as V
from .bounds import ilo_measurements, ilo_measurements_sym

__all__ = [
    "lemma1_measurements", "krahmer_ward_rip_order", "krahmer_ward_jl_rows", "hinrichs_vybiral_rows",
    "rrt_circulant_rip_rows", "kmr_circulant_rip_rows", "gaussian_jl_rows", "circulant_operator_norm",
]


def lemma1_measurements(k, p, K, L1, L2, r1, delta, alpha, n, *, C: float = 1.0):
    r"""ILO Lemma 1 [X]: :math:`A=FD` (partial circulant F with Gaussian first row, random signs D) satisfies
    S-REC(:math:`G_2(E)`, 1−α, :math:`\delta_{ILO}`) w.h.p. if

    .. math:: m \ge C\,\alpha^{-2}\big(k\log(L_1L_2r_1/\delta)+K^2\log p\big)\log^4 n,

    i.e. the Gaussian count of Theorem 1 times :math:`\log^4 n` (from Krahmer-Ward's RIP-to-JL route)."""
    n = V.at_least("n", n, 2)
    return V.scalar_or_array(ilo_measurements(k, p, K, L1, L2, r1, delta, alpha, C=C) * np.log(n) ** 4)


def lemma1_measurements_sym(k, p, K, L1, L2, r1, delta, alpha, n):
    return ilo_measurements_sym(k, p, K, L1, L2, r1, delta, alpha) * sp.log(n) ** 4


def krahmer_ward_rip_order(P, eta):
    r"""Krahmer & Ward (SIAM J. Math. Anal. 43(3), 2011), Thm 3.1 [R]: RIP of order
    :math:`s\ge40\log(4P/\eta)` (level :math:`\delta_s\le\varepsilon/4`) plus random signs gives an ε-JL map on
    P points with probability :math:`\ge1-\eta`."""
    P = V.at_least("P", P, 1)
    eta = V.open_unit("eta", eta)
    return V.scalar_or_array(40.0 * np.log(4.0 * P / eta))


def krahmer_ward_rip_order_sym(P, eta):
    return 40 * sp.log(4 * P / eta)


def krahmer_ward_jl_rows(P, eta, eps, n, *, C: float = 1.0):
    r"""Rows for ε-JL through Krahmer-Ward with a bounded orthonormal system (RIP needs
    :math:`m\gtrsim\delta^{-2}s\log^4 n`): :math:`m = C\varepsilon^{-2}\log(P/\eta)\log^4 n` [R]."""
    P, n = V.at_least("P", P, 2), V.at_least("n", n, 2)
    eta, eps = V.open_unit("eta", eta), V.open_unit("eps", eps)
    V.positive("C", C)
    return V.scalar_or_array(C / eps ** 2 * np.log(P / eta) * np.log(n) ** 4)


def krahmer_ward_jl_rows_sym(P, eta, eps, n):
    return sp.log(P / eta) * sp.log(n) ** 4 / eps ** 2


def hinrichs_vybiral_rows(P, eps, *, C: float = 1.0, power: int = 3):
    r"""Hinrichs & Vybiral (Random Struct. Alg. 39, 2011) [R]: :math:`x\mapsto m^{-1/2}P_mC_aDx` is ε-JL on P
    points for :math:`m=C\varepsilon^{-2}\log^3P`; Vybiral (J. Funct. Anal. 2011) improves the power to 2
    (``power=2``)."""
    P = V.at_least("P", P, 2)
    eps = V.open_unit("eps", eps)
    if power not in (2, 3):
        raise ValueError(f"power must be 2 (Vybiral) or 3 (Hinrichs-Vybiral), got {power!r}")
    V.positive("C", C)
    return V.scalar_or_array(C / eps ** 2 * np.log(P) ** power)


def hinrichs_vybiral_rows_sym(P, eps):
    return sp.log(P) ** 3 / eps ** 2


def gaussian_jl_rows(P, eps, *, C: float = 1.0):
    r"""Johnson-Lindenstrauss for Gaussian A [R]: :math:`m=C\varepsilon^{-2}\log P` (C = 8 suffices for
    :math:`(1\pm\varepsilon)` on squared norms with probability ≥ 1/2, Dasgupta-Gupta)."""
    P = V.at_least("P", P, 2)
    eps = V.open_unit("eps", eps)
    V.positive("C", C)
    return V.scalar_or_array(C / eps ** 2 * np.log(P))


def gaussian_jl_rows_sym(P, eps):
    return sp.log(P) / eps ** 2


def rrt_circulant_rip_rows(s, n, delta, *, C: float = 1.0):
    r"""Rauhut, Romberg, Tropp (ACHA 2012) [R]: partial random circulant RIP of order s, level δ, if
    :math:`m\ge C\max(\delta^{-1}(s\log n)^{3/2},\ \delta^{-2}s\log^2 s\log^2 n)`."""
    s, n = V.at_least("s", s, 2), V.at_least("n", n, 2)
    delta = V.open_unit("delta", delta)
    V.positive("C", C)
    a = (s * np.log(n)) ** 1.5 / delta
    b = s * np.log(s) ** 2 * np.log(n) ** 2 / delta ** 2
    return V.scalar_or_array(C * np.maximum(a, b))


def rrt_circulant_rip_rows_sym(s, n, delta):
    return sp.Max((s * sp.log(n)) ** sp.Rational(3, 2) / delta, s * sp.log(s) ** 2 * sp.log(n) ** 2 / delta ** 2)


def kmr_circulant_rip_rows(s, n, delta, *, C: float = 1.0):
    r"""Krahmer, Mendelson, Rauhut (CPAM 2014) [R]: :math:`m\ge C\delta^{-2}s\log^2 s\log^2 n` for any fixed
    row set Ω."""
    s, n = V.at_least("s", s, 2), V.at_least("n", n, 2)
    delta = V.open_unit("delta", delta)
    V.positive("C", C)
    return V.scalar_or_array(C * s * np.log(s) ** 2 * np.log(n) ** 2 / delta ** 2)


def kmr_circulant_rip_rows_sym(s, n, delta):
    return s * sp.log(s) ** 2 * sp.log(n) ** 2 / delta ** 2


def circulant_operator_norm(filter_g, m: int) -> float:
    r"""Operator norm bound :math:`\|A\|_{op}\le\max_j|\hat g_j|/\sqrt m` of :math:`A=m^{-1/2}P_\Omega C_g D`
    (docs/theory_notes.md §4 [D]): :math:`C_g` is diagonalised by the DFT, :math:`P_\Omega` and D are
    contractions/isometries.
    W.h.p. it is :math:`O(\sqrt{n\log n/m})`."""
    g = np.asarray(filter_g, dtype=float)
    if g.ndim != 1 or g.size < 1:
        raise ValueError(f"filter_g must be a non-empty 1-D array, got shape {g.shape}")
    m = int(V.at_least("m", m, 1))
    return float(np.max(np.abs(np.fft.fft(g))) / np.sqrt(m))
