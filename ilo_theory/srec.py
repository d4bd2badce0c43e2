r"""S-REC and the CSGM guarantees (Bora, Jalal, Price, Dimakis, ICML 2017, arXiv 1703.03208, §§1, 4).

Measurement counts are stated with :math:`\Omega(\cdot)`/:math:`O(\cdot)` in the source: the hidden absolute
constant is the keyword ``C`` (default 1), so that a verification can fit it. Error bounds carry their explicit
constants. Each bound has a sympy twin ``*_sym`` (see :mod:`ilo_theory.symbolic`).
"""
from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import stats

from . import _validate as V

__all__ = [
    "srec_ratio", "srec_gamma_hat", "srec_holds", "gamma_from_alpha",
    "lemma41_measurements", "lemma41_failure_probability", "lemma42_measurements", "lemma43_error",
    "theorem11_measurements", "theorem11_error", "theorem12_measurements", "theorem12_error",
    "norm_exceeds_probability",
]


# ---------------------------------------------------------------- S-REC itself (Bora et al. Def. 1; ILO Def. 1)
def srec_ratio(a_diff_norm, diff_norm, delta=0.0):
    r"""Per-pair ratio :math:`(\|A(x_1-x_2)\|+\delta)/\|x_1-x_2\|`.

    S-REC(S, γ, δ) — :math:`\|A(x_1-x_2)\|\ge\gamma\|x_1-x_2\|-\delta` for all :math:`x_1,x_2\in S` — holds on a set
    of pairs iff γ is at most the minimum of this ratio (Bora et al. 2017, Def. 1) [V].
    """
    a = V.nonnegative("a_diff_norm", a_diff_norm)
    d = V.positive("diff_norm", diff_norm)
    delta = V.nonnegative("delta", delta)
    return V.scalar_or_array((a + delta) / d)


def srec_gamma_hat(a_diff_norm, diff_norm, delta=0.0) -> float:
    r"""Empirical S-REC constant :math:`\hat\gamma=\min_{pairs}(\|A(x_1-x_2)\|+\delta)/\|x_1-x_2\|`: the largest γ
    for which the pairs seen satisfy S-REC(·, γ, δ). An *upper* estimate of the true γ (more pairs can only lower
    it), which is why the verification adds an adversarial search."""
    return float(np.min(srec_ratio(a_diff_norm, diff_norm, delta)))


def srec_holds(a_diff_norm, diff_norm, gamma, delta=0.0):
    r"""Elementwise test of :math:`\|A(x_1-x_2)\|\ge\gamma\|x_1-x_2\|-\delta` (Bora et al. 2017, Def. 1)."""
    a = V.nonnegative("a_diff_norm", a_diff_norm)
    d = V.nonnegative("diff_norm", diff_norm)
    gamma = V.positive("gamma", gamma)
    delta = V.nonnegative("delta", delta)
    return a >= gamma * d - delta


def gamma_from_alpha(alpha):
    """γ = 1 − α, the S-REC constant delivered by Lemmas 4.1/4.2 (Bora et al. 2017)."""
    return V.scalar_or_array(1.0 - V.open_unit("alpha", alpha))


# ---------------------------------------------------------------- Lemma 4.1 (Lipschitz generators)
def lemma41_measurements(k, L, r, delta, alpha, *, C: float = 1.0):
    r"""Bora et al. Lemma 4.1 [R]: if :math:`m \ge C\,(k/\alpha^2)\log(Lr/\delta)` then a Gaussian A satisfies
    S-REC(G(B^k(r)), 1−α, δ) w.p. :math:`\ge 1-e^{-\Omega(\alpha^2 m)}`. ``C`` is the unspecified constant.

    Requires :math:`Lr>\delta` (otherwise the range lies in one δ-ball and the statement is vacuous).
    """
    k = V.at_least("k", k, 1)
    L, r, delta = V.positive("L", L), V.positive("r", r), V.positive("delta", delta)
    alpha = V.open_unit("alpha", alpha)
    V.positive("C", C)
    V.greater("L*r", L * r, "delta", delta)
    return V.scalar_or_array(C * k / alpha ** 2 * np.log(L * r / delta))


def lemma41_measurements_sym(k, L, r, delta, alpha):
    return k / alpha ** 2 * sp.log(L * r / delta)


def lemma41_failure_probability(alpha, m, *, c: float = 1.0):
    r"""The failure probability :math:`e^{-c\alpha^2 m}` of Lemmas 4.1/4.2 with the hidden constant ``c`` [R]."""
    alpha = V.open_unit("alpha", alpha)
    m = V.positive("m", m)
    V.positive("c", c)
    return V.scalar_or_array(np.exp(-c * alpha ** 2 * m))


# ---------------------------------------------------------------- Lemma 4.2 (d-layer ReLU generators)
def lemma42_measurements(k, d, c_nodes, alpha, *, C: float = 1.0):
    r"""Bora et al. Lemma 4.2 [R]: a d-layer network with piecewise-linear (≤ 2 pieces) activations and at most
    ``c_nodes`` nodes per layer has a range that is a union of at most :math:`c^{O(kd)}` k-dimensional cones, so
    :math:`m \ge C\,\alpha^{-2} k d\log c` gives S-REC(G(R^k), 1−α, 0) w.p. :math:`1-e^{-\Omega(\alpha^2 m)}`."""
    k, d = V.at_least("k", k, 1), V.at_least("d", d, 1)
    c_nodes = V.at_least("c_nodes", c_nodes, 2)
    alpha = V.open_unit("alpha", alpha)
    V.positive("C", C)
    return V.scalar_or_array(C * k * d * np.log(c_nodes) / alpha ** 2)


def lemma42_measurements_sym(k, d, c_nodes, alpha):
    return k * d * sp.log(c_nodes) / alpha ** 2


# ---------------------------------------------------------------- Lemma 4.3 (the error engine)
def lemma43_error(gamma, dist_to_range, eta_norm=0.0, eps=0.0, delta=0.0):
    r"""Bora et al. Lemma 4.3 [R; proof in docs/theory_notes.md §1 [D]]:

    .. math::
        \|\hat x-x^*\| \le \Big(\frac4\gamma+1\Big)\min_{x\in S}\|x^*-x\|
        + \frac{2\|\eta\|+\varepsilon+\delta}{\gamma}

    given S-REC(S, γ, δ), :math:`\|Ax\|\le2\|x\|` for the fixed closest point, and an ε-approximate minimiser.
    """
    gamma = V.positive("gamma", gamma)
    dist = V.nonnegative("dist_to_range", dist_to_range)
    eta = V.nonnegative("eta_norm", eta_norm)
    eps = V.nonnegative("eps", eps)
    delta = V.nonnegative("delta", delta)
    return V.scalar_or_array((4.0 / gamma + 1.0) * dist + (2.0 * eta + eps + delta) / gamma)


def lemma43_error_sym(gamma, dist_to_range, eta_norm, eps, delta):
    return (4 / gamma + 1) * dist_to_range + (2 * eta_norm + eps + delta) / gamma


# ---------------------------------------------------------------- Theorems 1.1 / 1.2
def theorem11_measurements(k, d, n, *, C: float = 1.0):
    r"""Bora et al. Theorem 1.1 [R]: :math:`m = C\,k d\log n` measurements for a d-layer ReLU generator."""
    k, d = V.at_least("k", k, 1), V.at_least("d", d, 1)
    n = V.at_least("n", n, 2)
    V.positive("C", C)
    return V.scalar_or_array(C * k * d * np.log(n))


def theorem11_measurements_sym(k, d, n):
    return k * d * sp.log(n)


def theorem11_error(dist_to_range, eta_norm=0.0, eps=0.0):
    r"""Bora et al. Theorem 1.1 [R]: :math:`\|G(\hat z)-x^*\|\le 6\min_z\|G(z)-x^*\|+3\|\eta\|+2\varepsilon`.

    The constants are Lemma 4.3 with γ = 4/5 (α = 1/5): 4/γ+1 = 6, 2/γ = 2.5 ≤ 3, 1/γ = 1.25 ≤ 2 [D]."""
    dist = V.nonnegative("dist_to_range", dist_to_range)
    eta = V.nonnegative("eta_norm", eta_norm)
    eps = V.nonnegative("eps", eps)
    return V.scalar_or_array(6.0 * dist + 3.0 * eta + 2.0 * eps)


def theorem11_error_sym(dist_to_range, eta_norm, eps):
    return 6 * dist_to_range + 3 * eta_norm + 2 * eps


def theorem12_measurements(k, L, r, delta, *, C: float = 1.0):
    r"""Bora et al. Theorem 1.2 [R]: :math:`m = C\,k\log(Lr/\delta)` for an L-Lipschitz G restricted to
    :math:`\|z\|\le r` (Lemma 4.1 with α = 1/5 absorbed into C)."""
    k = V.at_least("k", k, 1)
    L, r, delta = V.positive("L", L), V.positive("r", r), V.positive("delta", delta)
    V.positive("C", C)
    V.greater("L*r", L * r, "delta", delta)
    return V.scalar_or_array(C * k * np.log(L * r / delta))


def theorem12_measurements_sym(k, L, r, delta):
    return k * sp.log(L * r / delta)


def theorem12_error(dist_to_range, eta_norm=0.0, eps=0.0, delta=0.0):
    r"""Bora et al. Theorem 1.2 [R]: the Theorem 1.1 bound plus :math:`2\delta`."""
    delta = V.nonnegative("delta", delta)
    return V.scalar_or_array(theorem11_error(dist_to_range, eta_norm, eps) + 2.0 * delta)


def theorem12_error_sym(dist_to_range, eta_norm, eps, delta):
    return theorem11_error_sym(dist_to_range, eta_norm, eps) + 2 * delta


# ---------------------------------------------------------------- the fixed-x event
def norm_exceeds_probability(m, t=2.0):
    r"""Exact :math:`P(\|Ax\|>t\|x\|)` for :math:`A_{ij}\sim N(0,1/m)` and any fixed x:
    :math:`\|Ax\|^2/\|x\|^2\sim\chi^2_m/m`, so it equals :math:`P(\chi^2_m > t^2 m)` (docs/theory_notes.md §1 [D]).
    Lemma 4.3 needs this for t = 2."""
    m = V.at_least("m", m, 1)
    t = V.positive("t", t)
    return V.scalar_or_array(stats.chi2.sf(t ** 2 * m, m))
