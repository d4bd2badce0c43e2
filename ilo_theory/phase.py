r"""The :math:`\ell_1` phase transition of compressed sensing from the statistical dimension of the descent cone.

Source: Amelunxen, Lotz, McCoy, Tropp, *Living on the edge: phase transitions in convex programs with random data*,
Information and Inference 3 (2014), Prop. 4.5 and Thm. II (the ℓ1 recipe, §4.3), with the curves of Donoho and
Tanner (2009). Tag [R]: the formula is the paper's, reproduced here; the asymptotic threshold is exact.

For an s-sparse :math:`x\in\mathbb R^d` the statistical dimension of the descent cone of :math:`\|\cdot\|_1` at x
satisfies :math:`\delta(\mathcal D)/d\to\psi(s/d)` with

.. math:: \psi(\varrho)=\inf_{\tau\ge0}\Big\{\varrho(1+\tau^2)+(1-\varrho)\,\mathbb E\big[(|g|-\tau)_+^2\big]\Big\},
   \qquad \mathbb E\big[(|g|-\tau)_+^2\big]=2\big[(1+\tau^2)Q(\tau)-\tau\varphi(\tau)\big],

g ~ N(0, 1), φ its density, Q its upper tail. With m Gaussian measurements, basis pursuit recovers x with high
probability when :math:`m/d>\psi(s/d)` and fails when :math:`m/d<\psi(s/d)` (the transition has width
:math:`O(\sqrt d)`). For a nonnegative x and the program with :math:`x\ge0` added (the descent cone of
:math:`\|\cdot\|_1` restricted to the orthant) the expectation is one-sided,
:math:`\mathbb E[(g-\tau)_+^2]=(1+\tau^2)Q(\tau)-\tau\varphi(\tau)`.

In Donoho-Tanner coordinates :math:`\delta=m/d` (undersampling) and :math:`\rho=s/m` (sparsity per measurement),
the curve is :math:`\rho(\delta)=\psi^{-1}(\delta)/\delta`: :func:`l1_threshold`.
"""
from __future__ import annotations

import math

import numpy as np
import sympy as sp
from scipy import optimize, special

from . import _validate as V

__all__ = ["l1_statistical_dimension", "l1_statistical_dimension_sym", "l1_threshold", "l1_threshold_sym"]


def _phi(t):
    return math.exp(-t * t / 2) / math.sqrt(2 * math.pi)


def _Q(t):
    return 0.5 * special.erfc(t / math.sqrt(2))


def _tail(tau: float, signed: bool) -> tuple[float, float]:
    """E[(|g| - tau)_+^2] (signed) or E[(g - tau)_+^2] (nonnegative), and its tau-derivative."""
    c = 2.0 if signed else 1.0
    val = c * ((1 + tau * tau) * _Q(tau) - tau * _phi(tau))
    der = -2.0 * c * (_phi(tau) - tau * _Q(tau))
    return val, der


def _psi(rho: float, signed: bool) -> float:
    if rho <= 0:
        return 0.0
    if rho >= 1:
        return 1.0

    tau = _tau_star(rho, signed)
    return rho * (1 + tau * tau) + (1 - rho) * _tail(tau, signed)[0]


def l1_statistical_dimension(rho, signed: bool = True):
    r""":math:`\psi(\varrho)`: the normalised statistical dimension :math:`\delta(\mathcal D(\|\cdot\|_1,x))/d` of an
    s-sparse x, :math:`\varrho=s/d\in[0,1]` (Amelunxen et al. 2014, Prop. 4.5; ``signed=False``: nonnegative x
    with the orthant constraint). Increasing from 0 to 1."""
    rho = np.asarray(V.nonnegative("rho", rho), float)
    if np.any(rho > 1):
        raise ValueError(f"rho = s/d must lie in [0, 1], got {rho!r}")
    return V.scalar_or_array(np.vectorize(lambda r: _psi(float(r), bool(signed)))(rho))


def l1_threshold(delta, signed: bool = True):
    r"""The Donoho-Tanner curve :math:`\rho(\delta)=\psi^{-1}(\delta)/\delta`: basis pursuit from :math:`m=\delta d`
    Gaussian measurements recovers :math:`s=\rho m`-sparse vectors below the curve, fails above (Amelunxen et al.
    2014, Thm. II with Prop. 4.5). ``delta`` in (0, 1]; ``signed=False``: nonnegative vectors."""
    delta = np.asarray(V.positive("delta", delta), float)
    if np.any(delta > 1):
        raise ValueError(f"delta = m/d must lie in (0, 1], got {delta!r}")

    def one(dl):
        if dl >= 1:
            return 1.0
        s = optimize.brentq(lambda r: _psi(r, bool(signed)) - dl, 1e-15, 1 - 1e-15, xtol=1e-14, rtol=1e-13)
        return s / dl
    return V.scalar_or_array(np.vectorize(one)(delta))


def l1_statistical_dimension_sym(rho, tau, signed: bool = True):
    r"""The objective of :math:`\psi` before the infimum, :math:`\varrho(1+\tau^2)+(1-\varrho)\,c\,[(1+\tau^2)Q(\tau)
    -\tau\varphi(\tau)]` (c = 2 signed, 1 nonnegative), in sympy (Q through erfc)."""
    c = 2 if signed else 1
    Q = sp.erfc(tau / sp.sqrt(2)) / 2
    phi = sp.exp(-tau ** 2 / 2) / sp.sqrt(2 * sp.pi)
    return rho * (1 + tau ** 2) + (1 - rho) * c * ((1 + tau ** 2) * Q - tau * phi)


def l1_threshold_sym(delta, signed: bool = True, *, digits: int = 30):
    r""":func:`l1_threshold` in sympy at high precision: the infimum over τ by its stationarity condition and
    :math:`\psi(\varrho)=\delta` solved with ``nsolve`` (an independent path to the same curve)."""
    rho, tau = sp.symbols("rho tau", positive=True)
    f = l1_statistical_dimension_sym(rho, tau, signed)
    stat = sp.diff(f, tau)
    s0 = float(l1_threshold(float(delta), signed)) * float(delta)       # starting point only
    t0 = _tau_star(s0, signed)
    sol = sp.nsolve([stat, f - sp.Rational(str(delta))], [rho, tau], [s0, t0], prec=digits)
    return sp.Float(sol[0] / sp.Rational(str(delta)), digits)


def _tau_star(rho: float, signed: bool) -> float:
    r"""The minimising τ: the root of the objective's derivative :math:`2\varrho\tau+(1-\varrho)\,\partial_\tau
    \mathbb E[\cdot]`, increasing in τ (the objective is convex)."""
    def grad(t):
        return 2 * rho * t + (1 - rho) * _tail(t, signed)[1]
    hi = 1.0
    while grad(hi) < 0:
        hi *= 2
    return optimize.brentq(grad, 0.0, hi, xtol=1e-14, rtol=1e-14) if grad(0.0) < 0 else 0.0
