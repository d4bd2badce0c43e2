"""Closed-form cases, derivations and argument validation of ilo_theory."""
import math

import numpy as np
import pytest
import sympy as sp

from ilo_theory import bounds, circulant, covering, landscape, srec, symbolic


# ------------------------------------------------------------------ closed forms
@pytest.mark.parametrize("d,expected", [(1, 0.0), (2, 1 / math.pi), (3, 0.4937), (4, 0.6048), (5, 0.6810),
                                        (10, 0.8548)])
def test_rho_table(d, expected):
    assert landscape.rho(d) == pytest.approx(expected, abs=5e-5)


def test_rho_symbolic_is_one_over_pi_at_two():
    assert sp.simplify(landscape.rho_sym(2) - 1 / sp.pi) == 0
    assert float(landscape.rho_sym(4).evalf()) == pytest.approx(landscape.rho(4), rel=1e-12)


def test_rho_increases_towards_one():
    vals = [landscape.rho(d) for d in range(1, 60)]
    assert all(b > a for a, b in zip(vals, vals[1:], strict=False)) and vals[-1] < 1


def test_g_endpoints():
    assert landscape.g(0.0) == pytest.approx(0.0, abs=1e-7)
    assert landscape.g(math.pi) == pytest.approx(math.pi / 2)


def test_derivations():
    a = symbolic.alpha
    assert sp.simplify(symbolic.derive_ilo_coefficient() - (1 + 4 / (1 - a))) == 0
    assert symbolic.derive_bora_constants() == (6, sp.Rational(5, 2), sp.Rational(5, 4))
    assert symbolic.derive_maurey_term() == sp.ceiling(4 * symbolic.K ** 2) * sp.log(2 * symbolic.p + 1)
    assert symbolic.crossover_limit() == 2
    assert sp.simplify(symbolic.dm_dK() - 2 * symbolic.K * sp.log(symbolic.p) / a ** 2) == 0


def test_ilo_coefficient_matches_lemma43():
    for al in (0.1, 0.2, 0.5):
        assert bounds.ilo_error_coefficient(al) == pytest.approx(4 / srec.gamma_from_alpha(al) + 1)
        assert bounds.ilo_error_bound(al, 1.0, 0.0) == pytest.approx(srec.lemma43_error(1 - al, 1.0))


def test_theorem11_dominates_lemma43_at_gamma_four_fifths():
    for dist, eta, eps in [(1, 0, 0), (0, 1, 0), (0, 0, 1), (0.3, 0.2, 0.1)]:
        assert srec.theorem11_error(dist, eta, eps) >= srec.lemma43_error(0.8, dist, eta, eps) - 1e-12


def test_crossover_values_match_theory_brief():
    for p, expected in [(64, 1.39), (256, 1.40), (1024, 1.41), (4096, 1.41)]:
        assert covering.crossover_scale_continuous(p, 1.0) * math.sqrt(p) == pytest.approx(expected, abs=6e-3)
        assert covering.crossover_scale(p, 1.0) * math.sqrt(p) == pytest.approx(expected, abs=1.5e-2)


def test_crossover_is_r_over_sqrt_q():
    for p in (3, 10, 64, 1000):
        q = (1.0 / covering.crossover_scale(p, 1.0)) ** 2
        assert q == pytest.approx(round(q), abs=1e-9)


def test_maurey_ceiling_is_exact_on_integer_ratios():
    assert covering.maurey_q(1.0, 0.1) == 100
    assert covering.maurey_q(1.0, 0.5) == 4
    assert covering.maurey_q(3.0, 1.0) == 9


def test_volume_lower_below_volumetric_upper():
    for p in (2, 10, 100):
        for e in np.geomspace(1e-4, 1.0, 20):
            assert covering.log_covering_l1_volume_lower(p, 1.0, e) <= covering.log_covering_volumetric(p, 1.0, e)


def test_gaussian_width_exact_matches_monte_carlo_and_upper_bound(np_rng):
    for p in (1, 8, 100):
        exact = covering.gaussian_width_l1_ball(p, 2.0)
        mc = 2.0 * np.abs(np_rng.standard_normal((200_000, p))).max(axis=1).mean()
        assert exact == pytest.approx(mc, rel=0.01)
        assert exact <= covering.gaussian_width_l1_ball(p, 2.0, exact=False)


def test_extended_range_maurey_term_is_4K2_log_2p_plus_1():
    k, p, L1, L2, r1, delta, K = 3, 100, 2.0, 5.0, 1.0, 0.1, 1.5
    r2 = bounds.r2_from_K(K, delta, L2)
    val = covering.log_covering_extended_range(k, p, L1, L2, r1, r2, delta)
    assert val == pytest.approx(k * math.log1p(4 * L1 * L2 * r1 / delta) + math.ceil(4 * K * K) * math.log(2 * p + 1))
    assert bounds.ilo_measurements_covering(k, p, K, L1, L2, r1, delta, 0.5) == pytest.approx(val / 0.25)


def test_remark2_ilo_beats_intermediate_csgm_for_small_K():
    assert bounds.ilo_needs_fewer_measurements(1.0, 1024)
    assert not bounds.ilo_needs_fewer_measurements(32.0, 1024)
    thr = symbolic.K_threshold(1024)
    assert bounds.ilo_needs_fewer_measurements(0.5 * thr, 1024)
    assert not bounds.ilo_needs_fewer_measurements(2.0 * thr, 1024)


def test_lemma1_is_gaussian_count_times_log4n():
    args = (4, 256, 2.0, 3.0, 3.0, 1.0, 0.1, 0.5)
    assert circulant.lemma1_measurements(*args, n=1024) == pytest.approx(
        bounds.ilo_measurements(*args) * math.log(1024) ** 4)


def test_norm_exceeds_probability_is_chi2_tail(np_rng):
    m = 10
    A = np_rng.standard_normal((100_000, m)) / math.sqrt(m)  # rows = independent draws of A x for unit x
    mc = np.mean(np.linalg.norm(A, axis=1) > 2.0)
    assert srec.norm_exceeds_probability(m) == pytest.approx(mc, abs=5e-4)


def test_srec_gamma_hat_is_min_ratio():
    a, d = np.array([1.0, 2.0, 0.5]), np.array([1.0, 1.0, 1.0])
    assert srec.srec_gamma_hat(a, d) == 0.5
    assert np.all(srec.srec_holds(a, d, 0.5)) and not np.all(srec.srec_holds(a, d, 0.6))


def test_circulant_operator_norm_bounds_dense(np_rng):
    from scipy.linalg import circulant as dense_circulant
    n, m = 64, 16
    g = np_rng.standard_normal(n)
    rows = np_rng.choice(n, m, replace=False)
    D = np.diag(np_rng.choice([-1.0, 1.0], n))
    A = dense_circulant(g)[rows] @ D / math.sqrt(m)
    assert np.linalg.norm(A, 2) <= circulant.circulant_operator_norm(g, m) * (1 + 1e-12)


# ------------------------------------------------------------------ Hand-Voroninski
def _relu_weights(np_rng, widths):
    return [np_rng.standard_normal((widths[i + 1], widths[i])) / math.sqrt(widths[i + 1])
            for i in range(len(widths) - 1)]


def test_subgradient_equals_finite_difference(np_rng):
    W = _relu_weights(np_rng, [3, 40, 60])
    x, x0 = np_rng.standard_normal(3), np_rng.standard_normal(3)

    def f(z):
        a, b = z, x0
        for Wi in W:
            a, b = np.maximum(Wi @ a, 0), np.maximum(Wi @ b, 0)
        return 0.5 * np.sum((a - b) ** 2)
    h = 1e-6
    fd = np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(3)])
    assert np.allclose(landscape.subgradient(W, x, x0), fd, atol=1e-6)


def test_expected_gradient_is_close_to_subgradient_for_wide_nets(np_rng):
    W = _relu_weights(np_rng, [2, 3000, 3000])
    x, x0 = np.array([0.3, -1.0]), np.array([1.0, 0.5])
    v, h = landscape.subgradient(W, x, x0), landscape.expected_gradient(x, x0, 2)
    assert np.linalg.norm(v - h) / np.linalg.norm(h) < 0.15


def test_wdc_expectation_is_the_mean(np_rng):
    k, n = 3, 400_000
    W = np_rng.standard_normal((n, k)) / math.sqrt(n)
    x, y = np.array([1.0, 0.2, 0.0]), np.array([-0.3, 1.0, 0.5])
    assert landscape.wdc_deviation(W, x, y) < 0.01
    Q = landscape.wdc_expectation(x, x)
    assert np.allclose(Q, 0.5 * np.eye(k))  # theta0 = 0: E[1[w.x>0] w w^T] = I/2


def test_laplace_covariance_under_wdc(np_rng):
    W = _relu_weights(np_rng, [2, 2000, 4000])
    z = np.array([1.0, 0.3])
    J = landscape.active_product(W, z)
    cov = landscape.laplace_covariance(J, beta=100.0)
    assert np.allclose(cov, 2 ** (2 - 1) / 100.0 * np.eye(2), rtol=0.15, atol=2e-3)


# ------------------------------------------------------------------ validation names the argument
@pytest.mark.parametrize("call,name", [
    (lambda: covering.log_covering_maurey(10, 1.0, 0.0), "eps"),
    (lambda: covering.log_covering_maurey(10, -1.0, 0.5), "r"),
    (lambda: covering.log_covering_maurey(0, 1.0, 0.5), "p"),
    (lambda: covering.log_covering_volumetric(0, 1.0, 0.5), "dim"),
    (lambda: covering.log_covering_volumetric(3, 1.0, -0.5), "eps"),
    (lambda: covering.crossover_scale(0, 1.0), "p"),
    (lambda: covering.crossover_scale(10, 0.0), "r"),
    (lambda: covering.log_covering_extended_range(2, 10, 1, 1, 1, 1, 0.1, l1_bound="nope"), "l1_bound"),
    (lambda: bounds.ilo_measurements(4, 16, 5.0, 2, 2, 1, 0.1, 0.5), "K"),
    (lambda: bounds.ilo_measurements(4, 16, 2.0, 2, 2, 1, 0.1, 1.0), "alpha"),
    (lambda: bounds.ilo_measurements(4, 16, 2.0, 2, 2, 1, 0.1, 0.0), "alpha"),
    (lambda: bounds.ilo_error_bound(1.5, 1.0, 0.1), "alpha"),
    (lambda: bounds.delta_ilo(0.1, 9.0, 64), "K"),
    (lambda: srec.lemma41_measurements(4, 1.0, 1.0, 2.0, 0.5), "delta"),
    (lambda: srec.lemma43_error(0.0, 1.0), "gamma"),
    (lambda: srec.lemma42_measurements(4, 2, 100, -0.1), "alpha"),
    (lambda: circulant.hinrichs_vybiral_rows(100, 0.1, power=4), "power"),
    (lambda: landscape.rho(0), "d"),
    (lambda: landscape.rho(2.5), "d"),
    (lambda: landscape.g(4.0), "theta"),
])
def test_invalid_arguments_name_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


# ------------------------------------------------------------------ Maurey vs an explicit net (tiny p)
@pytest.mark.parametrize("p", [2, 3, 6])
def test_explicit_maurey_net_covers_and_is_no_larger_than_the_bound(np_rng, p):
    r, eps = 1.0, 0.5
    q = int(covering.maurey_q(r, eps))
    net = covering.maurey_net(p, r, q)
    assert math.log(len(net)) <= covering.log_covering_maurey(p, r, eps) + 1e-12
    pts = np.vstack([covering.sample_l1_ball(np_rng, p, r, 2000), r * np.eye(p), -r * np.eye(p)])
    dist = np.min(np.linalg.norm(pts[:, None, :] - net[None], axis=2), axis=1)
    assert dist.max() <= eps + 1e-12


def test_sample_l1_ball_is_inside_and_has_the_predicted_l2_norm(np_rng):
    x = covering.sample_l1_ball(np_rng, 256, 2.0, 4000)
    assert np.all(np.abs(x).sum(1) <= 2.0 + 1e-12)
    assert np.linalg.norm(x, axis=1).mean() == pytest.approx(2.0 * math.sqrt(2 / 256), rel=0.05)
    s = covering.sample_l1_ball(np_rng, 5, 1.0, 10, sphere=True)
    assert np.allclose(np.abs(s).sum(1), 1.0)
    with pytest.raises(ValueError, match="too large"):
        covering.maurey_net(100, 1.0, 50)


@pytest.mark.parametrize("p,q_tie", [(4, 2)])
def test_crossover_scale_at_exact_ties(p, q_tie):
    """(2p+1)^q = (1+2 sqrt(q-1))^p exactly: M = V at the right end of I_q, which counts as M <= V, so the scan
    must go past q_tie (float logs of the two sides may round either way)."""
    from ilo_theory import covering
    assert (2 * p + 1) ** q_tie == (1 + 2 * math.isqrt(q_tie - 1)) ** p
    e = covering.crossover_scale(p, 1.0)
    assert e < 1.0 / math.sqrt(q_tie - 1)
    below = e * (1 - 1e-9)
    assert covering.log_covering_maurey(p, 1.0, below) > covering.log_covering_volumetric(p, 1.0, below)


def test_g_is_accurate_near_zero():
    """Counterexample found by hypothesis (dev profile): arccos of c = 1 - O(theta^2) lost half the digits, so g was
    off by ~1e-8 absolute near theta = 0. Now within a few ulps of the exact value at every scale."""
    import sympy as sp

    from ilo_theory.landscape import g, g_sym
    for t in (1e-12, 1e-9, 1e-6, 1e-3, 0.3, 0.4999, 0.5, 0.5001, 1.0, 3.0, math.pi):
        exact = float(sp.N(g_sym(sp.Rational(repr(t))), 40))
        assert g(t) == pytest.approx(exact, rel=4e-16, abs=0), t


@pytest.mark.parametrize("call,msg", [
    (lambda: covering.maurey_q(2 ** 62, 0.1), "does not fit an int64"),
    (lambda: covering.maurey_q(math.inf, 0.1), "finite"),
    (lambda: covering.log_covering_maurey(64, 1e308, 0.1), "overflows a float"),
    (lambda: covering.log_covering_maurey(64, 1.0, math.nan), "NaN"),
    (lambda: covering.sample_l1_ball(np.random.default_rng(0), 4, -1.0, 3), "r must be >= 0"),
    (lambda: covering.sample_l1_ball(np.random.default_rng(0), 4.5, 1.0, 3), "p must be an integer"),
    (lambda: covering.sample_l1_ball(0, 4, 1.0, 3), "numpy Generator"),
    (lambda: covering.crossover_scale(1e308, 1.0), "at most 10000000"),
    (lambda: covering.crossover_scale_continuous(1e308, 1.0), "at most 1e12"),
    (lambda: landscape.rho(1e308), r"\[1, 1000000\]"),
    (lambda: landscape.rho(2.5), "integer"),
    (lambda: landscape.rho(True), "integer"),
    (lambda: covering.log_covering_maurey("many", 1.0, 0.1), "a number"),
    (lambda: covering.log_covering_maurey([], 1.0, 0.1), "empty"),
])
def test_bad_values_are_one_clear_error_not_a_hang_or_an_overflow(call, msg):
    """The issue's table: inf, overflow, non-integers, negative radii and unbounded loops (each once hung or
    returned garbage such as maurey_q(2**62, 0.1) = -9.2e18)."""
    with pytest.raises(ValueError, match=msg):
        call()
