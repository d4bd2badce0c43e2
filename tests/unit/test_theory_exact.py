"""Exact values of the circulant, covering, landscape and validation functions, recomputed here from their sources'
formulas (independent of the module's code path), at generic points and at the edges of each argument's domain.
Written against the largest groups of surviving mutants of ``make mutation`` (docs/benchmarks.md): a bound whose
arithmetic or domain edge changes must fail one of these."""
import math

import numpy as np
import pytest
from scipy import integrate, stats

from ilo_theory import _validate as V
from ilo_theory import circulant, covering, landscape

LOG = math.log


def close(a, b):
    assert float(a) == pytest.approx(float(b), rel=1e-12, abs=1e-300)


# --- partial circulant and JL row counts (ILO Lemma 1's ingredients) ------------------------------------------------

def test_krahmer_ward_exact_values_and_edges():
    close(circulant.krahmer_ward_rip_order(10, 0.1), 40 * LOG(4 * 10 / 0.1))
    close(circulant.krahmer_ward_rip_order(1, 0.5), 40 * LOG(8.0))                  # P = 1 is allowed
    with pytest.raises(ValueError, match="^P must be >= 1"):
        circulant.krahmer_ward_rip_order(0.99, 0.5)
    close(circulant.krahmer_ward_jl_rows(10, 0.1, 0.2, 1024, C=2.0), 2.0 / 0.04 * LOG(100) * LOG(1024) ** 4)
    close(circulant.krahmer_ward_jl_rows(2, 0.5, 0.5, 2), LOG(4) * LOG(2) ** 4 / 0.25)  # both edges accepted
    for kw, msg in ((dict(P=1.99), "^P must be >= 2"), (dict(n=1.99), "^n must be >= 2"),
                    (dict(eta=1.0), "^eta must lie in the open interval"), (dict(eps=0.0), "^eps must lie"),
                    (dict(C=0.0), "^C must be > 0")):
        with pytest.raises(ValueError, match=msg):
            circulant.krahmer_ward_jl_rows(**{**dict(P=10, eta=0.1, eps=0.2, n=1024), **kw})


def test_hinrichs_vybiral_and_gaussian_exact_values_and_edges():
    close(circulant.hinrichs_vybiral_rows(1000, 0.1), LOG(1000) ** 3 / 0.01)
    close(circulant.hinrichs_vybiral_rows(1000, 0.1, power=2, C=3.0), 3.0 * LOG(1000) ** 2 / 0.01)
    close(circulant.hinrichs_vybiral_rows(2, 0.5), LOG(2) ** 3 / 0.25)
    with pytest.raises(ValueError, match="^power must be 2 .* got 4"):
        circulant.hinrichs_vybiral_rows(1000, 0.1, power=4)
    with pytest.raises(ValueError, match="^P must be >= 2"):
        circulant.hinrichs_vybiral_rows(1.5, 0.1)
    with pytest.raises(ValueError, match="^C must be > 0"):
        circulant.hinrichs_vybiral_rows(10, 0.1, C=-1.0)
    close(circulant.gaussian_jl_rows(1000, 0.1, C=8.0), 8.0 * LOG(1000) / 0.01)
    close(circulant.gaussian_jl_rows(2, 0.5), LOG(2) / 0.25)
    with pytest.raises(ValueError, match="^P must be >= 2"):
        circulant.gaussian_jl_rows(1.0, 0.5)


@pytest.mark.parametrize("s, n, delta", [(4, 1024, 0.5), (200, 64, 0.1), (2, 2, 0.9)])
def test_circulant_rip_row_counts_exact(s, n, delta):
    a = (s * LOG(n)) ** 1.5 / delta
    b = s * LOG(s) ** 2 * LOG(n) ** 2 / delta ** 2
    close(circulant.rrt_circulant_rip_rows(s, n, delta, C=1.5), 1.5 * max(a, b))
    close(circulant.kmr_circulant_rip_rows(s, n, delta, C=1.5), 1.5 * b)
    for f in (circulant.rrt_circulant_rip_rows, circulant.kmr_circulant_rip_rows):
        for kw, msg in ((dict(s=1.9), "^s must be >= 2"), (dict(n=1.9), "^n must be >= 2"),
                        (dict(delta=1.0), "^delta must lie"), (dict(C=0.0), "^C must be > 0")):
            with pytest.raises(ValueError, match=msg):
                f(**{**dict(s=s, n=n, delta=delta), **kw})


def test_rrt_takes_the_larger_branch_on_each_side():
    # a = (s log n)^1.5 / delta dominates for small s and large n, b for large s and small delta
    s, n, d = 2, 100, 0.9
    assert (s * LOG(n)) ** 1.5 / d > s * LOG(s) ** 2 * LOG(n) ** 2 / d ** 2
    close(circulant.rrt_circulant_rip_rows(s, n, d), (s * LOG(n)) ** 1.5 / d)
    s, n, d = 1000, 16, 0.05
    close(circulant.rrt_circulant_rip_rows(s, n, d), s * LOG(s) ** 2 * LOG(n) ** 2 / d ** 2)


def test_circulant_operator_norm_is_the_largest_singular_value_bound():
    rng = np.random.default_rng(0)
    g = rng.standard_normal(64)
    close(circulant.circulant_operator_norm(g, 16), np.abs(np.fft.fft(g)).max() / 4.0)
    from scipy.linalg import circulant as dense
    C = dense(g)[rng.choice(64, 16, replace=False)] / 4.0
    assert np.linalg.norm(C, 2) <= circulant.circulant_operator_norm(g, 16) * (1 + 1e-12)


# --- covering numbers -----------------------------------------------------------------------------------------------

def test_schutt_rate_both_branches_and_their_meeting_point():
    p, r = 100, 2.0
    eps = 1.0                                    # >= r/sqrt(p) = 0.2: the (r/eps)^2 log(e p eps^2 / r^2) branch
    close(covering.log_covering_schutt(p, r, eps, c=2.0), 2.0 * 4.0 * LOG(math.e * 100 / 4.0))
    eps = 0.1                                    # < r/sqrt(p): the p log(e r / (eps sqrt p)) branch
    close(covering.log_covering_schutt(p, r, eps), 100 * LOG(math.e * 2.0 / (0.1 * 10)))
    close(covering.log_covering_schutt(p, r, r / math.sqrt(p)), p)   # both branches equal p there
    close(covering.log_covering_schutt(p, r, r), LOG(math.e * p))    # eps = r is allowed
    with pytest.raises(ValueError, match="^eps must be <= r"):
        covering.log_covering_schutt(p, r, r * 1.0001)
    with pytest.raises(ValueError, match="^p must be >= 1"):
        covering.log_covering_schutt(0.5, r, 0.1)


def test_gaussian_width_exact_values():
    close(covering.gaussian_width_l1_ball(1, 3.0), 3.0 * math.sqrt(2 / math.pi))     # E|g| = sqrt(2/pi)
    # E max(|g1|, |g2|) = 2/sqrt(pi) (max of two half-normals: the integral of 1 - erf(t/sqrt2)^2)
    want = integrate.quad(lambda t: 1 - (2 * stats.norm.cdf(t) - 1) ** 2, 0, np.inf)[0]
    close(covering.gaussian_width_l1_ball(2, 1.0), want)
    assert want == pytest.approx(2 / math.sqrt(math.pi), rel=1e-9)
    close(covering.gaussian_width_l1_ball(50, 2.0, exact=False), 2.0 * math.sqrt(2 * LOG(100)))
    assert covering.gaussian_width_l1_ball(7, 0.0) == 0.0                             # r = 0 allowed
    with pytest.raises(ValueError, match="^r must be >= 0"):
        covering.gaussian_width_l1_ball(7, -1e-9)
    np.testing.assert_allclose(covering.gaussian_width_l1_ball(np.array([1, 2]), 1.0),
                               [math.sqrt(2 / math.pi), 2 / math.sqrt(math.pi)], rtol=1e-9)


def test_sudakov_from_the_width():
    w = covering.gaussian_width_l1_ball(64, 1.5, exact=True)
    close(covering.log_covering_sudakov(64, 1.5, 0.3, c=2.0, exact_width=True), w ** 2 / (4.0 * 0.09))
    close(covering.log_covering_sudakov(64, 1.5, 0.3), 2 * 1.5 ** 2 * LOG(128) / 0.09)
    with pytest.raises(ValueError, match="^c must be > 0"):
        covering.log_covering_sudakov(64, 1.5, 0.3, c=0.0)


@pytest.mark.parametrize("p", [1, 4, 64, 1024])
def test_crossover_continuous_is_the_root(p):
    r = 2.5
    e = covering.crossover_scale_continuous(p, r)
    assert (r / e) ** 2 * LOG(2 * p + 1) == pytest.approx(p * math.log1p(2 * r / e), rel=1e-9)
    for f in (0.999, 1.001):     # unique root: the sign changes across it
        s = (r / (e * f)) ** 2 * LOG(2 * p + 1) - p * math.log1p(2 * r / (e * f))
        assert (s > 0) == (f < 1)
    with pytest.raises(ValueError, match="^p must be at most 1e12"):
        covering.crossover_scale_continuous(2e12, r)


def test_crossover_scale_exact_steps():
    # p = 4, q = 2: (2p+1)^q = 81 = (1 + 2 sqrt(q-1))^p -- a tie counts as Maurey <= volumetric, so q = 2 fits
    for p, r in ((4, 1.0), (64, 2.0), (1024, 1.0)):
        e = covering.crossover_scale(p, r)
        q = round((r / e) ** 2) + 1                    # eps* = r / sqrt(q_f - 1)
        assert e == pytest.approx(r / math.sqrt(q - 1), rel=1e-12)
        fits = lambda qq, p=p: qq * LOG(2 * p + 1) <= p * math.log1p(2 * math.sqrt(qq - 1)) + 1e-12
        assert all(fits(qq) for qq in range(2, q)) and not fits(q)


def test_maurey_net_exact_small_cases():
    net = covering.maurey_net(1, 2.0, 2)          # averages of 2 atoms from {0, +-2}: {-2, -1, 0, 1, 2}
    np.testing.assert_allclose(np.sort(net[:, 0]), [-2, -1, 0, 1, 2])
    net = covering.maurey_net(2, 1.0, 1)          # the atoms themselves
    assert sorted(map(tuple, net.tolist())) == [(-1, 0), (0, -1), (0, 0), (0, 1), (1, 0)]
    assert len(covering.maurey_net(3, 1.0, 2)) == math.comb(7 + 1, 2) - 3   # 28 multisets, 3 coincide (e,-e ~ 0,0)
    with pytest.raises(ValueError, match="^q must be >= 1"):
        covering.maurey_net(2, 1.0, 0)
    with pytest.raises(ValueError, match="^p must be >= 1"):
        covering.maurey_net(0, 1.0, 1)
    with pytest.raises(ValueError, match="^r must be >= 0"):
        covering.maurey_net(2, -1.0, 1)
    with pytest.raises(ValueError, match="enumerates C\\(2p\\+q, q\\)"):
        covering.maurey_net(100, 1.0, 50)


# --- the Hand-Voroninski landscape ----------------------------------------------------------------------------------

def test_expected_gradient_exact_at_known_points():
    x0 = np.array([1.0, 0.0])
    # at x = x0 the angle is 0, every theta_i = 0: h = 2^-d (-x0 + x0 - 0) = 0
    np.testing.assert_allclose(landscape.expected_gradient(x0, x0, 3), 0.0, atol=1e-15)
    # d = 1, x = -x0 (theta_0 = pi): h = 2^-1 (-(0) x0 + x - (sin(pi)/pi) x) = x / 2
    np.testing.assert_allclose(landscape.expected_gradient(-x0, x0, 1), -x0 / 2, atol=1e-15)
    # d = 1, x orthogonal (theta_0 = pi/2): h = (-(1/2) x0 + x - (1/pi)(|x0|/|x|) x) / 2
    x = np.array([0.0, 2.0])
    want = (-0.5 * x0 + x - (1 / math.pi) * (1 / 2) * x) / 2
    np.testing.assert_allclose(landscape.expected_gradient(x, x0, 1), want, rtol=1e-12)
    # d = 2 at x = -t x0: zero exactly at t = rho_2 = 1/pi
    np.testing.assert_allclose(landscape.expected_gradient(-x0 / math.pi, x0, 2), 0.0, atol=1e-14)
    with pytest.raises(ValueError, match="nonzero"):
        landscape.expected_gradient(np.zeros(2), x0, 2)


def test_rho_and_g_exact():
    assert abs(landscape.rho(1)) < 1e-15               # sin(pi)/pi in floating point
    close(landscape.rho(2), 1 / math.pi)
    close(landscape.g(math.pi), math.pi / 2)        # arccos(((0) (-1) + 0) / pi) = arccos(0)
    close(landscape.g(0.0), 0.0)
    th = 1.0
    close(landscape.g(th), math.acos(((math.pi - th) * math.cos(th) + math.sin(th)) / math.pi))
    np.testing.assert_allclose(landscape.theta_sequence(math.pi, 3),
                               [math.pi, math.pi / 2, landscape.g(math.pi / 2)], rtol=1e-14)


# --- validation messages --------------------------------------------------------------------------------------------

def test_values_are_shown_as_a_user_wrote_them():
    assert V._show(np.float64(0.5)) == "0.5"
    assert V._show(np.array(2.0)) == "2"
    assert V._show(1e-7) == "1e-07"
    assert V._show([1 / 3, 1.0]) == "[0.333333 1.      ]"
    assert V._show(np.arange(10.0)) == "[0. 1. 2. ... 7. 8. 9.]"
    with pytest.raises(ValueError) as e:
        V.greater("a", 0.5, "b", 1)
    assert str(e.value) == "a must exceed b, got a=0.5, b=1"
    V.greater("a", 2.0, "b", 1.0)                   # no error when it does
    with pytest.raises(ValueError, match="^a must exceed b"):
        V.greater("a", 1.0, "b", 1.0)               # equal is not greater


def test_ilo_measurements_needs_the_scale_above_delta():
    from ilo_theory import bounds
    with pytest.raises(ValueError) as e:
        bounds.ilo_measurements(k=4, p=64, K=2.0, L1=1.0, L2=1.0, r1=0.05, delta=0.1, alpha=0.5)
    assert str(e.value) == "L1*L2*r1 must exceed delta, got L1*L2*r1=0.05, delta=0.1"


def test_remark3_orders_exact_and_edges():
    from ilo_theory import bounds
    out = bounds.remark3_parameters(k=16, n=100, d=4, d2=2, delta=0.1)
    assert set(out) == {"K", "log_L1L2", "m_order", "r2"}
    close(out["K"], 4.0)
    close(out["log_L1L2"], 4 * LOG(100))
    close(out["m_order"], 16 * 4 * LOG(100) + 16 * LOG(100))
    close(out["r2"], 4.0 * 0.1 / 100 ** 2)
    close(bounds.remark3_parameters(k=1, n=2, d=1, d2=0, delta=0.5)["r2"], 0.5)     # every edge accepted
    for kw, msg in ((dict(k=0.5), "^k must be >= 1"), (dict(n=1.5), "^n must be >= 2"), (dict(d=0.5), "^d must be"),
                    (dict(d2=-1), "^d2 must be >= 0"), (dict(d2=5), "^d2 must be <= d, got d2=5, d=4"),
                    (dict(delta=0.0), "^delta must be > 0")):
        with pytest.raises(ValueError, match=msg):
            bounds.remark3_parameters(**{**dict(k=16, n=100, d=4, d2=2, delta=0.1), **kw})


def test_default_phi_is_one_in_the_broadcast_shape():
    from ilo_theory import bounds
    assert bounds.default_phi(2.0, 64).shape == () and float(bounds.default_phi(2.0, 64)) == 1.0
    np.testing.assert_array_equal(bounds.default_phi(np.array([1.0, 2.0, 3.0]), np.array([[64], [128]])),
                                  np.ones((2, 3)))


def test_exceptional_radii_exact_and_edges():
    near, spurious = landscape.exceptional_radii(3, 1e-4, K2=2.0)
    close(near, 2.0 * 27 * 0.1)
    close(spurious, 2.0 * 3 ** 14 * 0.1)
    close(landscape.exceptional_radii(2, 1.0)[0], 8.0)                                  # d = 2 accepted
    for kw, msg in ((dict(d=1.5), "^d must be >= 2"), (dict(eps=0.0), "^eps must be > 0"),
                    (dict(K2=0.0), "^K2 must be > 0")):
        with pytest.raises(ValueError, match=msg):
            landscape.exceptional_radii(**{**dict(d=3, eps=1e-4), **kw})


def test_remark2_condition_is_the_stated_inequality():
    import sympy as sp

    from ilo_theory import symbolic
    rel = symbolic.ilo_vs_intermediate_condition()
    assert isinstance(rel, sp.StrictLessThan)
    K, p = symbolic.K, symbolic.p
    assert sp.simplify(rel.lhs - 4 * K ** 2 * sp.log(2 * p + 1)) == 0
    assert sp.simplify(rel.rhs - p * sp.log(1 + 4 * K)) == 0
    assert bool(rel.subs({K: 1, p: 64})) and not bool(rel.subs({K: 5, p: 64}))     # K_threshold(64) = 2.89


def test_post_validation_messages_show_values_as_written():
    from ilo_theory import bounds
    with pytest.raises(ValueError) as e:
        bounds.ilo_measurements(k=4, p=16, K=5.0, L1=2.0, L2=3.0, r1=5.0, delta=0.1, alpha=0.5)
    assert str(e.value) == "K must satisfy K <= sqrt(p) (ILO Theorem 1), got K=5, p=16"
    with pytest.raises(ValueError) as e:
        covering.log_covering_schutt(64, 1.0, 1.5)
    assert str(e.value) == "eps must be <= r for the Schuett rate, got eps=1.5, r=1"
