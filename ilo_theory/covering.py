r"""Covering numbers of Euclidean and :math:`\ell_1` balls, and of ILO's extended range.

:math:`N(T,\varepsilon)` is the least number of Euclidean balls of radius :math:`\varepsilon` covering
:math:`T`. All functions return **natural logarithms** of covering numbers, accept scalars or broadcastable
numpy arrays, and have a sympy twin ``*_sym`` (same formula, exact arithmetic) checked against them in the tests.

Sources: Vershynin, *High-Dimensional Probability* (HDP) §0.0, §4.2, §7.4; Wainwright, *High-Dimensional
Statistics* ch. 5; Schuett, J. Approx. Theory 40 (1984); ILO (Daras et al. 2021) §3 for the extended range.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import sympy as sp
from scipy import integrate, optimize, special

from . import _validate as V

__all__ = [
    "log_covering_volumetric", "log_covering_l2_ball_lower", "log_covering_l1_volume_lower",
    "log_covering_maurey", "maurey_q", "log_covering_schutt", "gaussian_width_l1_ball",
    "log_covering_sudakov", "crossover_scale", "crossover_scale_continuous", "log_covering_extended_range",
    "maurey_net", "sample_l1_ball",
]

# Relative slack used when taking ceil(r^2/eps^2) in floating point, so that a ratio that is an integer in exact
# arithmetic (e.g. r=1, eps=0.1 -> 100) is not pushed to the next integer by a rounding error of 1 ulp.
_CEIL_RTOL = 1e-12
MAX_P = 10 ** 7   # largest p for the exact crossover scan (O(p) steps)


def _check_radius_scale(r, eps):
    return V.nonnegative("r", r), V.positive("eps", eps)


def log_covering_volumetric(dim, r, eps):
    r"""Volumetric upper bound :math:`\log N(B_2^{dim}(r),\varepsilon) \le dim\cdot\log(1+2r/\varepsilon)`.

    Source: HDP Cor. 4.2.13 [R]. Since :math:`B_1^p(r)\subset B_2^p(r)` it also bounds the :math:`\ell_1` ball
    (docs/theory_notes.md §3, "l1 ball, volumetric").
    """
    dim = V.at_least("dim", dim, 1)
    r, eps = _check_radius_scale(r, eps)
    return V.scalar_or_array(dim * np.log1p(2.0 * r / eps))


def log_covering_volumetric_sym(dim, r, eps):
    return dim * sp.log(1 + 2 * r / eps)


def log_covering_l2_ball_lower(dim, r, eps):
    r"""Volumetric lower bound :math:`\log N(B_2^{dim}(r),\varepsilon) \ge dim\cdot\log(r/\varepsilon)`, clipped at 0
    (a covering has at least one ball). Source: HDP Cor. 4.2.13 [R]."""
    dim = V.at_least("dim", dim, 1)
    r, eps = _check_radius_scale(r, eps)
    with np.errstate(divide="ignore"):
        return V.scalar_or_array(np.maximum(dim * np.log(r / eps), 0.0))


def log_covering_l2_ball_lower_sym(dim, r, eps):
    return dim * sp.log(r / eps)  # clipped at 0 by the caller (BoundSpec.clip_at_zero)


def log_covering_l1_volume_lower(p, r, eps):
    r"""Volume lower bound for the :math:`\ell_1` ball, clipped at 0:

    .. math:: N(B_1^p(r),\varepsilon) \ge \frac{\mathrm{vol}\,B_1^p(r)}{\mathrm{vol}\,B_2^p(\varepsilon)}
              = \frac{(2r)^p\,\Gamma(p/2+1)}{p!\,\pi^{p/2}\,\varepsilon^p}.

    Non-trivial only for :math:`\varepsilon \lesssim r/\sqrt p`. Source: docs/theory_notes.md §3 [R/D] (volume
    comparison,
    HDP Prop. 4.2.12); computed with ``lgamma`` so it does not overflow for large p.
    """
    p = V.at_least("p", p, 1)
    r, eps = _check_radius_scale(r, eps)
    with np.errstate(divide="ignore"):
        val = (p * np.log(2.0 * r) + special.gammaln(p / 2.0 + 1.0) - special.gammaln(p + 1.0)
               - (p / 2.0) * np.log(np.pi) - p * np.log(eps))
    return V.scalar_or_array(np.maximum(val, 0.0))


def log_covering_l1_volume_lower_sym(p, r, eps):
    # clipped at 0 by the caller (BoundSpec.clip_at_zero): sympy cannot order an exact zero such as
    # log 2 + log(sqrt(pi)/2) - log(pi)/2 against 0.
    return (p * sp.log(2 * r) + sp.loggamma(p / sp.Integer(2) + 1) - sp.loggamma(p + 1)
            - p / sp.Integer(2) * sp.log(sp.pi) - p * sp.log(eps))


def maurey_q(r, eps):
    r"""Number of atoms :math:`q=\lceil r^2/\varepsilon^2\rceil` in Maurey's empirical method (integer array).

    The ceiling is taken with a relative slack of 1e-12 so that exact-integer ratios are not rounded up.
    """
    q = _maurey_q_float(r, eps)
    if np.any(q >= 2.0 ** 62):
        raise ValueError(f"(r/eps)^2 = {float(np.max(q)):.3g} atoms does not fit an int64 count; use "
                         "log_covering_maurey for the logarithm")
    return q.astype(np.int64)


def _maurey_q_float(r, eps) -> np.ndarray:
    r, eps = _check_radius_scale(r, eps)
    with np.errstate(over="ignore"):
        x = (r / eps) ** 2
    if not np.all(np.isfinite(x)):
        raise ValueError(f"(r/eps)^2 overflows a float for r = {r!r}, eps = {eps!r}")
    q = np.ceil(x * (1.0 - _CEIL_RTOL))
    # r > 0 needs at least one atom even when (r/eps)^2 underflows to 0; r = 0 needs none (the ball is a point).
    return np.where(r > 0, np.maximum(q, 1.0), 0.0)


def log_covering_maurey(p, r, eps, *, zero_atom: bool = True):
    r"""Maurey's bound :math:`\log N(B_1^p(r),\varepsilon) \le \lceil r^2/\varepsilon^2\rceil\,\log(2p+1)`.

    Every :math:`x\in B_1^p(r)` is a convex combination of the :math:`2p+1` atoms :math:`\{\pm r e_j, 0\}`; the
    mean of :math:`q` i.i.d. atoms drawn with those weights satisfies :math:`E\|x-\bar a\|^2\le r^2/q`, so some
    multiset of :math:`q=\lceil r^2/\varepsilon^2\rceil` atoms is within :math:`\varepsilon`; there are at most
    :math:`(2p+1)^q` multisets. With ``zero_atom=False`` the base is :math:`2p` (valid on the sphere
    :math:`\|x\|_1=r`, the usual textbook form).

    Sources: Vershynin HDP Cor. 0.0.4 (polytope version) [R]; docs/theory_notes.md §3 "l1 ball, Maurey".
    """
    p = V.at_least("p", p, 1)
    q = _maurey_q_float(r, eps)
    base = 2.0 * p + 1.0 if zero_atom else 2.0 * p
    return V.scalar_or_array(q * np.log(base))


def log_covering_maurey_sym(p, r, eps):
    return sp.ceiling(r ** 2 / eps ** 2) * sp.log(2 * p + 1)


def log_covering_schutt(p, r, eps, *, c: float = 1.0):
    r"""The sharp two-sided rate of :math:`\log N(B_1^p(r),\varepsilon)` (Schuett 1984) [R], up to the absolute
    constant ``c`` (unspecified in the source; a parameter here):

    .. math:: \log N \asymp \begin{cases} (r/\varepsilon)^2 \log(e p \varepsilon^2/r^2), & r/\sqrt p \le
              \varepsilon \le r,\\ p \log(e r/(\varepsilon\sqrt p)), & \varepsilon \le r/\sqrt p.\end{cases}

    The two branches meet continuously at :math:`\varepsilon=r/\sqrt p` (both equal :math:`p`).
    """
    p = V.at_least("p", p, 1)
    r, eps = V.positive("r", r), V.positive("eps", eps)
    if np.any(eps > r):
        raise ValueError(f"eps must be <= r for the Schuett rate, got eps={V._show(eps)}, r={V._show(r)}")
    ratio2 = (eps / r) ** 2
    big = (1.0 / ratio2) * np.log(np.e * p * ratio2)
    small = p * np.log(np.e / np.sqrt(p * ratio2))
    return V.scalar_or_array(c * np.where(eps >= r / np.sqrt(p), big, small))


def log_covering_schutt_sym(p, r, eps):
    return sp.Piecewise(((r / eps) ** 2 * sp.log(sp.E * p * eps ** 2 / r ** 2), eps >= r / sp.sqrt(p)),
                        (p * sp.log(sp.E * r / (eps * sp.sqrt(p))), True))


def gaussian_width_l1_ball(p, r=1.0, *, exact: bool = True):
    r"""Gaussian width :math:`w(B_1^p(r)) = E\sup_{t\in B_1^p(r)}\langle g,t\rangle = r\,E\|g\|_\infty`.

    ``exact=True`` integrates :math:`E\max_i|g_i|=\int_0^\infty 1-(2\Phi(t)-1)^p\,dt` numerically;
    ``exact=False`` returns the upper bound :math:`r\sqrt{2\log 2p}` (HDP Ex. 2.5.10) [R].
    """
    p_arr = V.at_least("p", p, 1)
    r = V.nonnegative("r", r)
    if not exact:
        return V.scalar_or_array(r * np.sqrt(2.0 * np.log(2.0 * p_arr)))

    def e_max_abs(pp: float) -> float:
        f = lambda t: -np.expm1(pp * np.log(np.clip(special.erf(t / np.sqrt(2.0)), 1e-300, 1.0)))
        return integrate.quad(f, 0.0, np.inf, limit=200)[0]

    vals = np.vectorize(e_max_abs)(p_arr)
    return V.scalar_or_array(r * vals)


def log_covering_sudakov(p, r, eps, *, c: float = 1.0, exact_width: bool = False):
    r"""Sudakov's minoration turned into a bound on :math:`\log N(B_1^p(r),\varepsilon)`:

    .. math:: w(T) \ge c\,\varepsilon\sqrt{\log N(T,\varepsilon)} \;\Rightarrow\;
              \log N \le \frac{w(T)^2}{c^2\varepsilon^2} \le \frac{2 r^2\log(2p)}{c^2\varepsilon^2}.

    Source: HDP Thm 7.4.1 [R]. The absolute constant ``c`` is unspecified in the source (a parameter).
    It has Maurey's shape :math:`(r/\varepsilon)^2\log p`.
    """
    V.positive("c", c)
    eps = V.positive("eps", eps)
    w = gaussian_width_l1_ball(p, r, exact=exact_width)
    return V.scalar_or_array(np.asarray(w) ** 2 / (c ** 2 * eps ** 2))


def log_covering_sudakov_sym(p, r, eps):
    return 2 * r ** 2 * sp.log(2 * p) / eps ** 2


def crossover_scale_continuous(p, r):
    r"""Root :math:`\varepsilon_c` of :math:`(r^2/\varepsilon^2)\log(2p+1) = p\log(1+2r/\varepsilon)` (Maurey without
    the ceiling against volumetric). :math:`\varepsilon^2\log(1+2r/\varepsilon)` is increasing, so the root is
    unique and Maurey's bound is strictly larger than the volumetric one for **every**
    :math:`\varepsilon<\varepsilon_c`.
    Asymptotically :math:`\varepsilon_c\sqrt p/r\to\sqrt2` (1.386 at p=64, 1.410 at p=1024) [D]; see
    :func:`ilo_theory.symbolic.crossover_limit`.
    """
    p = float(V.at_least("p", p, 1))
    if p > 1e12:   # brentq's bracket 2 r p and the log terms lose all precision beyond this
        raise ValueError(f"p must be at most 1e12 here, got {p!r}; the limit is eps_c = sqrt(2) r / sqrt(p)")
    r = float(V.positive("r", r))
    lg = math.log(2 * p + 1)
    f = lambda e: (r / e) ** 2 * lg - p * math.log1p(2 * r / e)
    hi = 2.0 * r * p  # f(hi) < 0 for every p >= 1
    return float(optimize.brentq(f, 1e-12 * r, hi, xtol=1e-15 * r, rtol=1e-14))


def crossover_scale(p, r):
    r"""The scale :math:`\varepsilon^*` above which Maurey's bound is the smaller one.

    **Definition (the step-function subtlety).** Maurey's log-count :math:`M(\varepsilon)=\lceil r^2/\varepsilon^2
    \rceil\log(2p+1)` is a *step* function, constant on each :math:`I_q=[r/\sqrt q,\,r/\sqrt{q-1})`, while the
    volumetric :math:`V(\varepsilon)=p\log(1+2r/\varepsilon)` decreases continuously. So inside one step the order
    can flip (M ≤ V at the left end of :math:`I_q`, M > V near its right end) and :math:`\{M\le V\}` is not an
    interval. We therefore define, on the non-trivial range :math:`(0, r]`,

    .. math:: \varepsilon^* = \min\{\varepsilon\in(0,r] : M(\varepsilon')\le V(\varepsilon')\ \text{for all}\
              \varepsilon'\in[\varepsilon, r]\},

    (for :math:`\varepsilon\ge r` one ball suffices, and for :math:`\varepsilon\to\infty` V tends to 0 < M). The set
    contains r because :math:`\log(2p+1)\le p\log 3`. Since V decreases, M ≤ V holds on all of :math:`I_q` iff it
    holds at its right end, :math:`q\log(2p+1)\le p\log(1+2\sqrt{q-1})`; scanning q = 2, 3, ... up to the first
    failure :math:`q_f` gives :math:`\varepsilon^* = r/\sqrt{q_f-1}` exactly (always of the form :math:`r/\sqrt q`).
    Exact ties (:math:`(2p+1)^q=(1+2\sqrt{q-1})^p`, e.g. p = 4, q = 2: 9² = 3⁴) can only occur when
    :math:`\sqrt{q-1}` is an integer; those comparisons are made in integer arithmetic (a tie counts as M ≤ V).

    Guarantees (tested): M ≤ V on :math:`[\varepsilon^*, r]`; M > V just below :math:`\varepsilon^*`;
    M > V on all of :math:`(0,\varepsilon_c)` with :math:`\varepsilon_c` = :func:`crossover_scale_continuous`
    :math:`\le\varepsilon^*`. Source: docs/theory_notes.md §3 "Crossover" [D]; the continuous version gives
    :math:`\varepsilon^*\approx\sqrt2\,r/\sqrt p`.
    """
    p = float(V.at_least("p", p, 1))
    if p > MAX_P:   # the scan below runs about p/2 steps
        raise ValueError(f"p must be at most {MAX_P} here (the exact scan is O(p)), got {p!r}; "
                         "crossover_scale_continuous gives the asymptotic answer")
    r = float(V.positive("r", r))
    lg = math.log(2 * p + 1)

    def fits(q: int) -> bool:   # M <= V at the right end of I_q
        m = math.isqrt(q - 1)
        if m * m == q - 1 and p.is_integer():   # exact ties exist here, e.g. p = 4, q = 2: 9² = 3⁴
            return (2 * int(p) + 1) ** q <= (1 + 2 * m) ** int(p)
        return q * lg <= p * math.log1p(2 * math.sqrt(q - 1))   # irrational right side: no exact tie

    q = 2
    while fits(q):
        q += 1
    return r / math.sqrt(q - 1)


def log_covering_extended_range(k, p, L1, L2, r1, r2, delta, *, l1_bound: str = "maurey"):
    r"""Log-size of a :math:`\delta`-net of :math:`G_2(E)`, :math:`E=G_1(B_2^k(r_1))\oplus B_1^p(r_2)` (ILO §3).

    A product of a :math:`\delta/(2L_1L_2)`-net of :math:`B_2^k(r_1)` and a :math:`\delta/(2L_2)`-net of
    :math:`B_1^p(r_2)`, mapped through the :math:`L_2`-Lipschitz :math:`G_2`, is a :math:`\delta`-net:

    .. math:: \log N \le k\log(1+4L_1L_2r_1/\delta) + \log N(B_1^p(r_2),\delta/(2L_2)).

    With ``l1_bound='maurey'`` and :math:`r_2=K\delta/L_2` the second term is :math:`\lceil4K^2\rceil\log(2p+1)`,
    the :math:`K^2\log p` of ILO eq. (5); ``'volumetric'`` gives :math:`p\log(1+4K)` (Remark 2's CSGM on the
    intermediate layer); ``'min'`` takes the better of the two. Source: docs/theory_notes.md §2 [D].
    """
    for name, val in (("L1", L1), ("L2", L2), ("r1", r1), ("delta", delta)):
        V.positive(name, val)
    V.nonnegative("r2", r2)
    k = V.at_least("k", k, 1)
    head = k * np.log1p(4.0 * np.asarray(L1, float) * L2 * r1 / delta)
    scale = np.asarray(delta, float) / (2.0 * np.asarray(L2, float))
    if l1_bound == "maurey":
        tail = log_covering_maurey(p, r2, scale)
    elif l1_bound == "volumetric":
        tail = log_covering_volumetric(p, r2, scale)
    elif l1_bound == "min":
        tail = np.minimum(log_covering_maurey(p, r2, scale), log_covering_volumetric(p, r2, scale))
    else:
        raise ValueError(f"l1_bound must be 'maurey', 'volumetric' or 'min', got {l1_bound!r}")
    return V.scalar_or_array(head + tail)


def log_covering_extended_range_sym(k, p, L1, L2, r1, r2, delta):
    return k * sp.log(1 + 4 * L1 * L2 * r1 / delta) + log_covering_maurey_sym(p, r2, delta / (2 * L2))



def maurey_net(p: int, r: float, q: int) -> np.ndarray:
    r"""The explicit Maurey net of :math:`B_1^p(r)`: all distinct averages of q atoms from
    :math:`\{0,\pm re_1,\dots,\pm re_p\}` (at most :math:`(2p+1)^q` points; with :math:`q=\lceil r^2/\varepsilon^2
    \rceil` it is an ε-net, Vershynin HDP Cor. 0.0.4). Enumerates multisets: tiny p and q only."""
    p = int(V.at_least("p", p, 1))
    q = int(V.at_least("q", q, 1))
    r = float(V.nonnegative("r", r))
    if math.comb(2 * p + q, q) > 2_000_000:
        raise ValueError(f"maurey_net enumerates C(2p+q, q) multisets; p={p}, q={q} is too large")
    atoms = [np.zeros(p)] + [s * r * e for e in np.eye(p) for s in (1.0, -1.0)]
    means = [np.mean(c, axis=0) for c in itertools.combinations_with_replacement(atoms, q)]
    return np.unique(np.round(means, 12), axis=0)


def sample_l1_ball(rng: np.random.Generator, p: int, r: float, n: int, *, sphere: bool = False) -> np.ndarray:
    r"""n points uniform in :math:`B_1^p(r)` (or on its surface :math:`\|x\|_1=r` with ``sphere=True``):
    exponential spacings give the uniform law on the simplex, random signs the cross-polytope, and a radial factor
    :math:`U^{1/p}` the solid ball. Their :math:`\ell_2` norms concentrate near :math:`r\sqrt{2/p}`."""
    p, n = V.integer("p", p, 1, 10 ** 7), V.integer("n", n, 1, 10 ** 8)
    r = float(V.nonnegative("r", r))
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator, got {type(rng).__name__}")
    if n * p > 10 ** 9:
        raise ValueError(f"n * p = {n * p} points' coordinates exceed the limit of 1e9")
    e = rng.exponential(size=(n, p))
    x = float(r) * e / e.sum(1, keepdims=True) * rng.choice([-1.0, 1.0], (n, p))
    return x if sphere else x * rng.uniform(size=(n, 1)) ** (1.0 / p)
