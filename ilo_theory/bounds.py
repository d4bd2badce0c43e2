r"""ILO Theorem 1 and Remarks 1-3 (Daras, Dean, Jalal, Dimakis, ICML 2021, arXiv 2102.07364, §§3.1-3.4).

Setting: :math:`G=G_2\circ G_1`, :math:`G_1:\mathbb R^k\to\mathbb R^p` is :math:`L_1`-Lipschitz,
:math:`G_2:\mathbb R^p\to\mathbb R^n` is :math:`L_2`-Lipschitz, A is Gaussian, and the **extended range** is the
Minkowski sum :math:`E=G_1(B_2^k(r_1))\oplus B_1^p(r_2)`.

.. warning:: Our copy of Theorem 1 is **reconstructed** from a garbled OCR of the paper (docs/theory_notes.md tag [X]).
   The structure and the coefficient :math:`1+4/(1-\alpha)` are derived (Lemma 4.3 with γ = 1−α, [D]); the
   radius :math:`r_2=K\delta/L_2` and the additive slack :math:`\delta_{ILO}=\delta\,\Phi(K,p)` are
   reconstructions and therefore **parameters** (``r2_of_K`` / ``phi``). ``verification.theorem1`` measures them.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sympy as sp

from . import _validate as V
from .covering import log_covering_extended_range, log_covering_maurey, log_covering_volumetric

__all__ = [
    "r2_from_K", "ilo_measurements", "ilo_error_bound", "ilo_error_coefficient", "delta_ilo",
    "intermediate_csgm_measurements", "ilo_measurements_covering", "ilo_needs_fewer_measurements",
    "remark3_parameters", "check_K",
]


def check_K(K, p):
    """Theorem 1 needs :math:`0 < K \\le \\sqrt p`; raise ``ValueError`` naming K otherwise."""
    K = V.positive("K", K)
    p = V.at_least("p", p, 1)
    if np.any(np.sqrt(p) * (1 + 1e-12) < K):
        raise ValueError(f"K must satisfy K <= sqrt(p) (ILO Theorem 1), got K={V._show(K)}, p={V._show(p)}")
    return K, p


def r2_from_K(K, delta, L2):
    r"""Radius of the :math:`\ell_1` ball in ILO Theorem 1, reconstructed as :math:`r_2=K\delta/L_2` [X].

    Why this form [D]: the Maurey net of :math:`B_1^p(r_2)` at scale :math:`\delta/(2L_2)` has
    :math:`\lceil (2L_2r_2/\delta)^2\rceil\log(2p+1)=\lceil4K^2\rceil\log(2p+1)` elements (log), which is the
    :math:`K^2\log p` term of eq. (5). Equivalently the image-space radius is :math:`L_2r_2=K\delta`."""
    K, delta, L2 = V.positive("K", K), V.positive("delta", delta), V.positive("L2", L2)
    return V.scalar_or_array(K * delta / L2)


def r2_from_K_sym(K, delta, L2):
    return K * delta / L2


def ilo_measurements(k, p, K, L1, L2, r1, delta, alpha, *, C: float = 1.0):
    r"""ILO Theorem 1, eq. (5) [X]: :math:`m \ge C\,\alpha^{-2}\big(k\log(L_1L_2r_1/\delta)+K^2\log p\big)`.

    ``C`` is the unspecified constant of :math:`\Omega(\cdot)`. Requires :math:`K\le\sqrt p` and
    :math:`L_1L_2r_1>\delta`."""
    k = V.at_least("k", k, 1)
    K, p = check_K(K, p)
    L1, L2, r1 = V.positive("L1", L1), V.positive("L2", L2), V.positive("r1", r1)
    delta, alpha = V.positive("delta", delta), V.open_unit("alpha", alpha)
    V.positive("C", C)
    V.greater("L1*L2*r1", L1 * L2 * r1, "delta", delta)
    return V.scalar_or_array(C / alpha ** 2 * (k * np.log(L1 * L2 * r1 / delta) + K ** 2 * np.log(p)))


def ilo_measurements_sym(k, p, K, L1, L2, r1, delta, alpha):
    return (k * sp.log(L1 * L2 * r1 / delta) + K ** 2 * sp.log(p)) / alpha ** 2


def ilo_error_coefficient(alpha):
    r"""The multiplicative constant :math:`1+4/(1-\alpha)` of ILO eq. (6): Bora et al. Lemma 4.3 with
    :math:`\gamma=1-\alpha` [D] (derived symbolically in :func:`ilo_theory.symbolic.derive_ilo_coefficient`)."""
    alpha = V.open_unit("alpha", alpha)
    return V.scalar_or_array(1.0 + 4.0 / (1.0 - alpha))


def default_phi(K, p):
    r"""Default :math:`\Phi(K,p)\equiv1`: the slack of a δ-net argument without the chaining losses.

    The paper's Φ (which the OCR shows to involve :math:`\sqrt{\log 4K}` and a :math:`\sqrt p\log p/K`-type term)
    is unreadable in our copy [X]; pass your own ``phi`` to :func:`delta_ilo` / :func:`ilo_error_bound`."""
    return np.ones(np.broadcast(np.asarray(K), np.asarray(p)).shape)


def delta_ilo(delta, K, p, *, phi: Callable = default_phi):
    r"""The S-REC slack of :math:`G_2(E)`, :math:`\delta_{ILO}=\delta\,\Phi(K,p)` [X]; ``phi`` is a parameter."""
    delta = V.positive("delta", delta)
    K, p = check_K(K, p)
    return V.scalar_or_array(delta * np.asarray(phi(K, p), dtype=float))


def ilo_error_bound(alpha, representation_error, delta_slack):
    r"""ILO Theorem 1, eq. (6) [X structure, coefficient D]:

    .. math:: \|x-G_2(\hat z^p)\| \le \Big(1+\frac{4}{1-\alpha}\Big)\|x-G_2(\bar z^p)\|+\frac{\delta_{ILO}}{1-\alpha}

    where :math:`\bar z^p` minimises :math:`\|x-G_2(z)\|` over E (eq. 3) and :math:`\hat z^p` minimises
    :math:`\|Ax-AG_2(z)\|` over E (eq. 4). ``delta_slack`` is :math:`\delta_{ILO}` (see :func:`delta_ilo`)."""
    coef = ilo_error_coefficient(alpha)
    rep = V.nonnegative("representation_error", representation_error)
    slack = V.nonnegative("delta_slack", delta_slack)
    return V.scalar_or_array(coef * rep + slack / (1.0 - np.asarray(alpha, float)))


def ilo_error_bound_sym(alpha, representation_error, delta_slack):
    return (1 + 4 / (1 - alpha)) * representation_error + delta_slack / (1 - alpha)


def ilo_measurements_covering(k, p, K, L1, L2, r1, delta, alpha, *, C: float = 1.0):
    r"""Covering-number form of eq. (5) [D]: :math:`C\alpha^{-2}\log N(G_2(E),\delta)` with the Maurey net,
    i.e. :math:`C\alpha^{-2}\big(k\log(1+4L_1L_2r_1/\delta)+\lceil4K^2\rceil\log(2p+1)\big)`
    (:func:`ilo_theory.covering.log_covering_extended_range` at :math:`r_2=K\delta/L_2`)."""
    K, p = check_K(K, p)
    return _measurements_from_net(k, p, K, L1, L2, r1, delta, alpha, C, "maurey")


def intermediate_csgm_measurements(k, p, K, L1, L2, r1, delta, alpha, *, C: float = 1.0):
    r"""ILO Remark 2 [X/D]: CSGM run directly on the p-dimensional intermediate generator, with a volumetric
    net of :math:`B_1^p(r_2)` at scale :math:`\delta/(2L_2)`:
    :math:`C\alpha^{-2}\big(k\log(1+4L_1L_2r_1/\delta)+p\log(1+4K)\big)`; it grows linearly in p."""
    return _measurements_from_net(k, V.at_least("p", p, 1), V.positive("K", K), L1, L2, r1, delta, alpha, C,
                                  "volumetric")


def _measurements_from_net(k, p, K, L1, L2, r1, delta, alpha, C, l1_bound):
    """C alpha^-2 log N(G2(E), delta) with r2 = K delta / L2 and the chosen net of the l1 ball."""
    alpha = V.open_unit("alpha", alpha)
    V.positive("C", C)
    r2 = r2_from_K(K, delta, L2)
    log_n = log_covering_extended_range(k, p, L1, L2, r1, r2, delta, l1_bound=l1_bound)
    return V.scalar_or_array(C / alpha ** 2 * np.asarray(log_n))


def ilo_needs_fewer_measurements(K, p):
    r"""ILO Remark 2 [D]: the Maurey count :math:`\lceil4K^2\rceil\log(2p+1)` is below the volumetric
    :math:`p\log(1+4K)`. Roughly :math:`K\lesssim\sqrt{p}/\sqrt{2}` (the crossover scale of
    :func:`ilo_theory.covering.crossover_scale`)."""
    K = V.positive("K", K)
    p = V.at_least("p", p, 1)
    return log_covering_maurey(p, 2.0 * K, 1.0) < log_covering_volumetric(p, 2.0 * K, 1.0)


def remark3_parameters(k, n, d, d2, delta):
    r"""ILO Remark 3 [X]: for piecewise-linear d-layer nets with ≤ n neurons per layer and bounded weights,
    :math:`L_1L_2\sim n^d`; choosing :math:`K\sim\sqrt k` gives CSGM-order measurements
    :math:`m\sim kd\log n`, with :math:`r_2\sim\sqrt k\,\delta/n^{d_2}` (d2 = depth of G2).

    Returns the orders of magnitude (no constants) as a dict."""
    k, n = V.at_least("k", k, 1), V.at_least("n", n, 2)
    d, d2 = V.at_least("d", d, 1), V.at_least("d2", d2, 0)
    if np.any(d2 > d):
        raise ValueError(f"d2 must be <= d, got d2={V._show(d2)}, d={V._show(d)}")
    delta = V.positive("delta", delta)
    K = np.sqrt(k)
    return {
        "K": V.scalar_or_array(K),
        "log_L1L2": V.scalar_or_array(d * np.log(n)),
        "m_order": V.scalar_or_array(k * d * np.log(n) + K ** 2 * np.log(n)),
        "r2": V.scalar_or_array(K * delta / n ** d2),
    }
