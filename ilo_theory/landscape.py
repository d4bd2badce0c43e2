r"""Hand-Voroninski quantities for random ReLU generators (Hand & Voroninski, COLT 2018 / IEEE TIT 2020,
arXiv 1705.07576; as restated by Heckel, Huang, Hand, Voroninski), and the Laplace covariance used for SGILO.

Generator :math:`G(x)=\mathrm{relu}(W_d\cdots\mathrm{relu}(W_1x))`, rows :math:`w_i\sim N(0,I/n_i)`.
"""
from __future__ import annotations

import math
from functools import cache

import numpy as np
import sympy as sp

from . import _validate as V

__all__ = ["g", "theta_sequence", "rho", "expected_gradient", "wdc_expectation", "wdc_deviation",
           "active_product", "subgradient", "exceptional_radii", "wdc_width_condition", "laplace_covariance"]


def g(theta):
    r""":math:`g(\theta)=\arccos\big(((\pi-\theta)\cos\theta+\sin\theta)/\pi\big)`, the angle map of one random
    ReLU layer (H&V 2018, eq. (5)) [V]: the angle between :math:`\mathrm{relu}(Wx)` and
    :math:`\mathrm{relu}(Wy)` concentrates at :math:`g(\angle(x,y))`."""
    t = np.asarray(theta, dtype=float)
    if np.any((t < 0) | (t > np.pi)):
        raise ValueError(f"theta must lie in [0, pi], got {theta!r}")
    # Evaluated as 2·arcsin(sqrt((1-c)/2)) with 1 - c = (2π sin²(θ/2) - (sin θ - θ cos θ))/π: arccos(c) of the
    # rounded c loses half the digits for small θ (c = 1 - O(θ²)), and sin θ - θ cos θ = θ³/3 - … cancels; it is
    # summed as its Taylor series below 0.5 (terms (-1)^(k+1) 2k θ^(2k+1)/(2k+1)!, 14 of them: error < 1e-30).
    small = t < 0.5
    ts = np.where(small, t, 0.0)
    series = np.zeros_like(t)
    term = ts.copy()                                   # θ^(2k+1)/(2k+1)! for k = 0
    for k in range(1, 15):
        term = term * ts * ts / ((2 * k) * (2 * k + 1))
        series = series + (-1) ** (k + 1) * 2 * k * term
    s_minus = np.where(small, series, np.sin(t) - t * np.cos(t))
    one_minus_c = (2 * np.pi * np.sin(t / 2) ** 2 - s_minus) / np.pi
    return V.scalar_or_array(2 * np.arcsin(np.sqrt(np.clip(one_minus_c / 2, 0.0, 1.0))))


def g_sym(theta):
    return sp.acos(((sp.pi - theta) * sp.cos(theta) + sp.sin(theta)) / sp.pi)


def theta_sequence(theta0: float, d: int) -> np.ndarray:
    r""":math:`\bar\theta_0=\theta_0,\ \bar\theta_i=g(\bar\theta_{i-1})` for i < d (length d)."""
    d = V.integer("d", d, 1, 10 ** 6)
    out = [float(theta0)]
    for _ in range(d - 1):
        out.append(g(out[-1]))
    return np.array(out)


@cache
def rho(d: int) -> float:
    r""":math:`\rho_d` of Hand & Voroninski [V, restated]: the spurious critical point sits near
    :math:`-\rho_d x_0`, where

    .. math:: \rho_d=\sum_{i=0}^{d-1}\frac{\sin\check\theta_i}{\pi}\prod_{j=i+1}^{d-1}\frac{\pi-\check\theta_j}{\pi},
              \qquad \check\theta_0=\pi,\ \check\theta_i=g(\check\theta_{i-1}).

    :math:`\rho_1=0,\ \rho_2=1/\pi,\ \rho_3\approx.4937,\ \rho_{10}\approx.8548`, and :math:`\rho_d\to1`."""
    d = V.integer("d", d, 1, 10 ** 6)
    return _sine_weighted_sum(theta_sequence(math.pi, d))


def _sine_weighted_sum(th: np.ndarray) -> float:
    r""":math:`\sum_{i<d}\frac{\sin\theta_i}{\pi}\prod_{j=i+1}^{d-1}\frac{\pi-\theta_j}{\pi}` -- the sum shared by
    :math:`\rho_d` (at :math:`\check\theta`) and :math:`h_x` (at :math:`\bar\theta`)."""
    return sum(math.sin(th[i]) / math.pi * float(np.prod((math.pi - th[i + 1:]) / math.pi)) for i in range(len(th)))


def rho_sym(d: int):
    th = [sp.pi]
    for _ in range(d - 1):
        th.append(g_sym(th[-1]))
    return sum(sp.sin(th[i]) / sp.pi * sp.prod([(sp.pi - th[j]) / sp.pi for j in range(i + 1, d)])
               for i in range(d))


def expected_gradient(x, x0, d: int) -> np.ndarray:
    r"""H&V expected (sub)gradient :math:`h_x` of :math:`f(x)=\tfrac12\|G(x)-G(x_0)\|^2` [V, restated]:

    .. math:: h_x=-2^{-d}\Big(\prod_{i<d}\frac{\pi-\bar\theta_i}{\pi}\Big)x_0+2^{-d}\Big[x-\sum_{i<d}
              \frac{\sin\bar\theta_i}{\pi}\Big(\prod_{j=i+1}^{d-1}\frac{\pi-\bar\theta_j}{\pi}\Big)
              \frac{\|x_0\|}{\|x\|}x\Big],\quad \bar\theta_0=\angle(x,x_0).
    """
    x, x0 = np.asarray(x, float), np.asarray(x0, float)
    nx, n0 = np.linalg.norm(x), np.linalg.norm(x0)
    if nx == 0 or n0 == 0:
        raise ValueError("x and x0 must be nonzero (h_x is not defined at 0)")
    th0 = math.acos(float(np.clip(x @ x0 / (nx * n0), -1.0, 1.0)))
    th = theta_sequence(th0, d)
    prod_all = float(np.prod((math.pi - th) / math.pi))
    s = _sine_weighted_sum(th)
    return 2.0 ** (-d) * (-prod_all * x0 + x - s * (n0 / nx) * x)


def wdc_expectation(x, y) -> np.ndarray:
    r""":math:`Q_{x,y}=\frac{\pi-\theta_0}{2\pi}I_k+\frac{\sin\theta_0}{2\pi}M_{\hat x\leftrightarrow\hat y}`, the
    exact expectation of :math:`\sum_i1[\langle w_i,x\rangle>0]1[\langle w_i,y\rangle>0]w_iw_i^T` for rows
    :math:`w_i\sim N(0,I/n)` (H&V, WDC definition) [V]. M is :math:`[[\cos\theta_0,\sin\theta_0],
    [\sin\theta_0,-\cos\theta_0]]` in the basis :math:`u_1=\hat x,\ u_2=(\hat y-\cos\theta_0\hat x)/\sin\theta_0`
    and 0 on :math:`\mathrm{span}\{x,y\}^\perp`."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    xh, yh = x / np.linalg.norm(x), y / np.linalg.norm(y)
    c = float(np.clip(xh @ yh, -1.0, 1.0))
    th = math.acos(c)
    k = x.size
    Q = (math.pi - th) / (2 * math.pi) * np.eye(k)
    if math.sin(th) > 1e-12:
        u2 = (yh - c * xh) / math.sin(th)
        U = np.stack([xh, u2], axis=1)
        M = U @ np.array([[c, math.sin(th)], [math.sin(th), -c]]) @ U.T
        Q = Q + math.sin(th) / (2 * math.pi) * M
    return Q


def wdc_deviation(W, x, y) -> float:
    r"""Operator-norm deviation :math:`\|\sum_i1[\langle w_i,x\rangle>0]1[\langle w_i,y\rangle>0]w_iw_i^T-Q_{x,y}\|`
    of a weight matrix W (rows :math:`w_i`) at (x, y); WDC(ε) asks it to be ≤ ε for all x, y (H&V) [V]."""
    W = np.asarray(W, float)
    mask = ((W @ x) > 0) & ((W @ y) > 0)
    Wm = W[mask]
    return float(np.linalg.norm(Wm.T @ Wm - wdc_expectation(x, y), 2))


def active_product(weights, x) -> np.ndarray:
    r""":math:`\Lambda_x=\prod_{i=d}^{1}W_{i,+,x}` with :math:`W_{i,+,x}=\mathrm{diag}(1[W_i\Lambda_{i-1,x}x>0])W_i`
    (H&V) [V]: the linear map that G applies on the cone containing x, so :math:`G(x)=\Lambda_xx`."""
    Lam = np.eye(np.asarray(x).size)
    for W in weights:
        W = np.asarray(W, float)
        pre = W @ (Lam @ x)
        Lam = (pre > 0)[:, None] * W @ Lam
    return Lam


def subgradient(weights, x, x0) -> np.ndarray:
    r""":math:`v_x=\Lambda_x^T(\Lambda_xx-\Lambda_{x_0}x_0)`, the (sub)gradient of
    :math:`\tfrac12\|G(x)-G(x_0)\|^2` (H&V) [V]."""
    Lx, L0 = active_product(weights, x), active_product(weights, x0)
    return Lx.T @ (Lx @ x - L0 @ x0)


def exceptional_radii(d, eps, *, K2: float = 1.0):
    r"""Radii of the two balls outside which the H&V descent direction is strict [R; constants unverified]:
    :math:`K_2d^3\varepsilon^{1/4}\|x_0\|` around :math:`x_0` and :math:`K_2d^{14}\varepsilon^{1/4}\|x_0\|`
    around :math:`-\rho_dx_0`, relative to :math:`\|x_0\|`. ``K2`` is the unspecified constant."""
    d = V.at_least("d", d, 2)
    eps = V.positive("eps", eps)
    V.positive("K2", K2)
    return V.scalar_or_array(K2 * d ** 3 * eps ** 0.25), V.scalar_or_array(K2 * d ** 14 * eps ** 0.25)


def wdc_width_condition(n_prev, eps, *, c: float = 1.0):
    r"""H&V Lemma 9 [V, restated]: WDC(ε) holds w.h.p. if
    :math:`n_i>c\,\varepsilon^{-2}\log(1/\varepsilon)\,n_{i-1}\log n_{i-1}` (``c`` unspecified)."""
    n_prev = V.at_least("n_prev", n_prev, 2)
    eps = V.open_unit("eps", eps)
    V.positive("c", c)
    return V.scalar_or_array(c / eps ** 2 * np.log(1.0 / eps) * n_prev * np.log(n_prev))


def wdc_width_condition_sym(n_prev, eps):
    return sp.log(1 / eps) * n_prev * sp.log(n_prev) / eps ** 2


def laplace_covariance(J, beta, A=None) -> np.ndarray:
    r"""Large-β Laplace approximation of the Langevin stationary law :math:`\pi_\beta\propto e^{-\beta f}`,
    :math:`f(z)=\|AG(z)-AG(z^*)\|^2` (SGILO, docs/theory_notes.md §6 [D]): :math:`\nabla^2f(z^*)=2J^TA^TAJ` with J the
    Jacobian of G at z* (the active product :math:`\Lambda_{z^*}`), so :math:`\mathrm{Cov}\approx(\beta\nabla^2
    f)^{-1}`. Under WDC :math:`J^TJ\approx2^{-d}I` and this is :math:`\approx(2^{d-1}/\beta)I_k` for A = I."""
    J = np.asarray(J, float)
    beta = float(V.positive("beta", beta))
    AJ = J if A is None else np.asarray(A, float) @ J
    return np.linalg.inv(beta * 2.0 * AJ.T @ AJ)
