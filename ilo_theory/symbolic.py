r"""Sympy twins of every bound, and the derivations a teacher would show.

``BOUNDS`` is the single registry that ties each numpy bound to its sympy twin, its source, the tag of its
constants, and the direction in which it moves with each argument. The tests loop over it (sympy = numpy,
monotonicity); the docs render it as a table.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import sympy as sp

from . import bounds, circulant, covering, landscape, phase, srec

__all__ = ["Param", "BoundSpec", "BOUNDS", "derive_lemma43", "derive_ilo_coefficient", "derive_bora_constants",
           "derive_maurey_term", "ilo_vs_intermediate_condition", "K_threshold", "dm_dK", "crossover_limit",
           "to_numpy"]


@dataclass(frozen=True)
class Param:
    """Sampling range of one argument (the theorem's regime) and the bound's monotone direction in it:
    +1 non-decreasing, -1 non-increasing, 0 not monotone."""
    lo: float
    hi: float
    direction: int
    integer: bool = False


@dataclass(frozen=True)
class BoundSpec:
    name: str
    source: str
    tag: str
    numpy_fn: Callable
    sympy_fn: Callable
    params: Mapping[str, Param] = field(default_factory=dict)
    clip_at_zero: bool = False  # the numpy bound is max(expr, 0) (a covering has at least one ball)


def _P(lo, hi, direction, integer=False):
    return Param(float(lo), float(hi), direction, integer)


_ILO = dict(k=_P(1, 50, +1, True), p=_P(16, 4096, +1, True), K=_P(0.1, 4, +1), L1=_P(1, 100, +1),
            L2=_P(1, 100, +1), r1=_P(1, 10, +1), delta=_P(1e-3, 0.5, -1), alpha=_P(0.05, 0.95, -1))

BOUNDS: tuple[BoundSpec, ...] = (
    BoundSpec("log_covering_volumetric", "HDP Cor. 4.2.13", "R", covering.log_covering_volumetric,
              covering.log_covering_volumetric_sym,
              dict(dim=_P(1, 2000, +1, True), r=_P(0.01, 10, +1), eps=_P(1e-3, 10, -1))),
    BoundSpec("log_covering_l2_ball_lower", "HDP Cor. 4.2.13", "R", covering.log_covering_l2_ball_lower,
              covering.log_covering_l2_ball_lower_sym,
              dict(dim=_P(1, 2000, +1, True), r=_P(0.01, 10, +1), eps=_P(1e-3, 10, -1)), clip_at_zero=True),
    BoundSpec("log_covering_l1_volume_lower", "volume comparison, HDP Prop. 4.2.12", "R/D",
              covering.log_covering_l1_volume_lower, covering.log_covering_l1_volume_lower_sym,
              dict(p=_P(1, 500, 0, True), r=_P(0.01, 10, +1), eps=_P(1e-4, 10, -1)), clip_at_zero=True),
    BoundSpec("log_covering_maurey", "HDP Cor. 0.0.4 (Maurey's empirical method)", "R",
              covering.log_covering_maurey, covering.log_covering_maurey_sym,
              dict(p=_P(1, 4096, +1, True), r=_P(0.01, 10, +1), eps=_P(1e-2, 10, -1))),
    BoundSpec("log_covering_schutt", "Schuett, J. Approx. Theory 40 (1984)", "R",
              covering.log_covering_schutt, covering.log_covering_schutt_sym,
              dict(p=_P(1, 4096, +1, True), r=_P(1, 10, +1), eps=_P(1e-3, 1, -1))),
    BoundSpec("log_covering_sudakov", "HDP Thm 7.4.1 with w(B_1^p) <= r sqrt(2 log 2p)", "R",
              covering.log_covering_sudakov, covering.log_covering_sudakov_sym,
              dict(p=_P(1, 4096, +1, True), r=_P(0.01, 10, +1), eps=_P(1e-3, 10, -1))),
    BoundSpec("log_covering_extended_range", "ILO §3 (product of nets)", "D",
              covering.log_covering_extended_range, covering.log_covering_extended_range_sym,
              dict(k=_P(1, 50, +1, True), p=_P(1, 4096, +1, True), L1=_P(0.1, 100, +1), L2=_P(0.1, 100, +1),
                   r1=_P(0.1, 10, +1), r2=_P(0, 1, +1), delta=_P(1e-2, 1, -1))),
    BoundSpec("l1_threshold", "Amelunxen, Lotz, McCoy, Tropp 2014, Thm. II + Prop. 4.5 (Donoho-Tanner curve)", "R",
              phase.l1_threshold, phase.l1_threshold_sym, dict(delta=_P(0.02, 0.98, +1))),
    BoundSpec("l1_threshold_nonnegative", "Amelunxen, Lotz, McCoy, Tropp 2014, §4.3 (nonnegative orthant)", "R",
              lambda delta: phase.l1_threshold(delta, signed=False),
              lambda delta: phase.l1_threshold_sym(delta, signed=False), dict(delta=_P(0.02, 0.98, +1))),
    BoundSpec("lemma41_measurements", "Bora et al. 2017, Lemma 4.1", "R", srec.lemma41_measurements,
              srec.lemma41_measurements_sym,
              dict(k=_P(1, 100, +1, True), L=_P(2, 100, +1), r=_P(1, 10, +1), delta=_P(1e-4, 1, -1),
                   alpha=_P(0.05, 0.95, -1))),
    BoundSpec("lemma42_measurements", "Bora et al. 2017, Lemma 4.2", "R", srec.lemma42_measurements,
              srec.lemma42_measurements_sym,
              dict(k=_P(1, 100, +1, True), d=_P(1, 20, +1, True), c_nodes=_P(2, 1e5, +1, True),
                   alpha=_P(0.05, 0.95, -1))),
    BoundSpec("lemma43_error", "Bora et al. 2017, Lemma 4.3", "R", srec.lemma43_error, srec.lemma43_error_sym,
              dict(gamma=_P(0.05, 1, -1), dist_to_range=_P(0, 10, +1), eta_norm=_P(0, 10, +1),
                   eps=_P(0, 10, +1), delta=_P(0, 10, +1))),
    BoundSpec("theorem11_measurements", "Bora et al. 2017, Theorem 1.1", "R", srec.theorem11_measurements,
              srec.theorem11_measurements_sym,
              dict(k=_P(1, 100, +1, True), d=_P(1, 20, +1, True), n=_P(2, 1e6, +1, True))),
    BoundSpec("theorem11_error", "Bora et al. 2017, Theorem 1.1", "R", srec.theorem11_error,
              srec.theorem11_error_sym,
              dict(dist_to_range=_P(0, 10, +1), eta_norm=_P(0, 10, +1), eps=_P(0, 10, +1))),
    BoundSpec("theorem12_measurements", "Bora et al. 2017, Theorem 1.2", "R", srec.theorem12_measurements,
              srec.theorem12_measurements_sym,
              dict(k=_P(1, 100, +1, True), L=_P(2, 100, +1), r=_P(1, 10, +1), delta=_P(1e-4, 1, -1))),
    BoundSpec("theorem12_error", "Bora et al. 2017, Theorem 1.2", "R", srec.theorem12_error,
              srec.theorem12_error_sym,
              dict(dist_to_range=_P(0, 10, +1), eta_norm=_P(0, 10, +1), eps=_P(0, 10, +1), delta=_P(0, 10, +1))),
    BoundSpec("r2_from_K", "ILO Theorem 1 (reconstructed r2)", "X", bounds.r2_from_K, bounds.r2_from_K_sym,
              dict(K=_P(0.1, 10, +1), delta=_P(1e-3, 1, +1), L2=_P(0.1, 100, -1))),
    BoundSpec("ilo_measurements", "ILO Theorem 1, eq. (5)", "X", bounds.ilo_measurements,
              bounds.ilo_measurements_sym, _ILO),
    BoundSpec("ilo_error_bound", "ILO Theorem 1, eq. (6)", "X/D", bounds.ilo_error_bound,
              bounds.ilo_error_bound_sym,
              dict(alpha=_P(0.01, 0.95, +1), representation_error=_P(0, 10, +1), delta_slack=_P(0, 10, +1))),
    BoundSpec("lemma1_measurements", "ILO Lemma 1 (partial circulant)", "X", circulant.lemma1_measurements,
              circulant.lemma1_measurements_sym, dict(_ILO, n=_P(2, 1e7, +1, True))),
    BoundSpec("krahmer_ward_rip_order", "Krahmer & Ward 2011, Thm 3.1", "R", circulant.krahmer_ward_rip_order,
              circulant.krahmer_ward_rip_order_sym, dict(P=_P(1, 1e6, +1, True), eta=_P(1e-6, 0.99, -1))),
    BoundSpec("krahmer_ward_jl_rows", "Krahmer & Ward 2011 + BOS RIP", "R", circulant.krahmer_ward_jl_rows,
              circulant.krahmer_ward_jl_rows_sym,
              dict(P=_P(2, 1e6, +1, True), eta=_P(1e-6, 0.4, -1), eps=_P(0.01, 0.99, -1), n=_P(2, 1e7, +1, True))),
    BoundSpec("hinrichs_vybiral_rows", "Hinrichs & Vybiral 2011", "R", circulant.hinrichs_vybiral_rows,
              circulant.hinrichs_vybiral_rows_sym, dict(P=_P(2, 1e6, +1, True), eps=_P(0.01, 0.99, -1))),
    BoundSpec("gaussian_jl_rows", "Johnson-Lindenstrauss (Dasgupta-Gupta)", "R", circulant.gaussian_jl_rows,
              circulant.gaussian_jl_rows_sym, dict(P=_P(2, 1e6, +1, True), eps=_P(0.01, 0.99, -1))),
    BoundSpec("rrt_circulant_rip_rows", "Rauhut, Romberg, Tropp 2012", "R", circulant.rrt_circulant_rip_rows,
              circulant.rrt_circulant_rip_rows_sym,
              dict(s=_P(2, 1000, +1, True), n=_P(2, 1e7, +1, True), delta=_P(0.01, 0.99, -1))),
    BoundSpec("kmr_circulant_rip_rows", "Krahmer, Mendelson, Rauhut 2014", "R", circulant.kmr_circulant_rip_rows,
              circulant.kmr_circulant_rip_rows_sym,
              dict(s=_P(2, 1000, +1, True), n=_P(2, 1e7, +1, True), delta=_P(0.01, 0.99, -1))),
    BoundSpec("wdc_width_condition", "Hand & Voroninski, Lemma 9", "R", landscape.wdc_width_condition,
              landscape.wdc_width_condition_sym, dict(n_prev=_P(2, 1e4, +1, True), eps=_P(0.01, 0.36, -1))),
    BoundSpec("g", "Hand & Voroninski, angle map", "V", landscape.g, landscape.g_sym,
              dict(theta=_P(0, 3.141592653589793, +1))),
)


def to_numpy(spec: BoundSpec, values: Mapping[str, float]) -> float:
    """Evaluate the sympy twin at ``values`` with exact rational inputs (so that ceilings are exact)."""
    args = [sp.Rational(repr(float(values[k]))) if not spec.params[k].integer else sp.Integer(int(values[k]))
            for k in spec.params]
    val = float(sp.N(spec.sympy_fn(*args), 30))
    return max(val, 0.0) if spec.clip_at_zero else val


# ------------------------------------------------------------------------------------------ derivations
alpha, gamma, K, p, delta, L2, r2, eps, c = sp.symbols("alpha gamma K p delta L_2 r_2 epsilon c", positive=True)


def derive_lemma43():
    r"""Bora et al. Lemma 4.3 from its two ingredients [D]. With x̄ the closest point of S to x*:
    :math:`\|A(\bar x-\hat x)\|\le4\|\bar x-x^*\|+2\|\eta\|+\varepsilon` and S-REC give
    :math:`\|\bar x-\hat x\|\le(4\|\bar x-x^*\|+2\|\eta\|+\varepsilon+\delta)/\gamma`; the triangle inequality adds
    :math:`\|\bar x-x^*\|`. Returns the bound as a sympy expression in (gamma, D, eta, eps, delta)."""
    D, eta, e, d = sp.symbols("D eta epsilon delta", nonnegative=True)
    return sp.expand((4 * D + 2 * eta + e + d) / gamma + D)


def derive_ilo_coefficient():
    r"""The coefficient of ILO eq. (6) [D]: Lemma 4.3's :math:`4/\gamma+1` at :math:`\gamma=1-\alpha`."""
    D = sp.Symbol("D", nonnegative=True)
    coeff = derive_lemma43().coeff(D)
    return sp.simplify(coeff.subs(gamma, 1 - alpha))


def derive_bora_constants():
    r"""Bora et al. Thm 1.1's (6, 3, 2) from Lemma 4.3 at γ = 4/5 [D]: returns the exact (4/γ+1, 2/γ, 1/γ) =
    (6, 5/2, 5/4), which the theorem rounds up to (6, 3, 2)."""
    g45 = sp.Rational(4, 5)
    return (4 / g45 + 1, 2 / g45, 1 / g45)


def derive_maurey_term():
    r"""The :math:`K^2\log p` term of ILO eq. (5) [D]: Maurey's count of :math:`B_1^p(r_2)` at scale
    :math:`\delta/(2L_2)` with :math:`r_2=K\delta/L_2` is :math:`\lceil4K^2\rceil\log(2p+1)`."""
    expr = sp.ceiling((r2 / (delta / (2 * L2))) ** 2) * sp.log(2 * p + 1)
    return sp.simplify(expr.subs(r2, K * delta / L2))


def ilo_vs_intermediate_condition():
    r"""ILO Remark 2 [D]: ILO's :math:`\ell_1` term (Maurey, without the ceiling) is below the volumetric term of
    CSGM on the intermediate layer iff :math:`4K^2\log(2p+1) < p\log(1+4K)`. Returns that relation."""
    return sp.StrictLessThan(4 * K ** 2 * sp.log(2 * p + 1), p * sp.log(1 + 4 * K))


def K_threshold(p_value: int) -> float:
    """Largest K for which :func:`ilo_vs_intermediate_condition` holds at p = ``p_value`` (solved numerically)."""
    f = sp.lambdify(K, 4 * K ** 2 * sp.log(2 * p_value + 1) - p_value * sp.log(1 + 4 * K))
    from scipy.optimize import brentq
    return float(brentq(f, 1e-6, float(p_value)))


def dm_dK():
    r""":math:`\partial m/\partial K` of ILO eq. (5): :math:`2K\log p/\alpha^2` -- m grows like :math:`K^2`
    (Remark 1)."""
    k_, L1, r1 = sp.symbols("k L_1 r_1", positive=True)
    return sp.diff(bounds.ilo_measurements_sym(k_, p, K, L1, L2, r1, delta, alpha), K)


def crossover_limit():
    r"""Limit of :math:`(\varepsilon_c\sqrt p/r)^2` as :math:`p\to\infty` [D]. Writing
    :math:`\varepsilon_c=c\,r/\sqrt p`, the crossover equation reads
    :math:`c^2=\log(2p+1)/\log(1+2\sqrt p/c)\to2`, so :math:`\varepsilon^*\approx\sqrt2\,r/\sqrt p`."""
    return sp.limit(sp.log(2 * p + 1) / sp.log(1 + 2 * sp.sqrt(p) / c), p, sp.oo)
