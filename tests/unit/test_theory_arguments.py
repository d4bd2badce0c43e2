"""Every bound of ilo_theory refuses each bad argument by name, at the exact edge of its domain: the edge value is
accepted, the value just past it refused with a message that starts with the argument's name (so a user who passes
``delta=0`` reads "delta must be > 0", never another name). Table-driven: one row per (function, argument)."""
import math

import numpy as np
import pytest

from ilo_theory import bounds, circulant, covering, landscape, phase, srec

ILO = dict(k=4, p=64, K=2.0, L1=2.0, L2=3.0, r1=5.0, delta=0.1, alpha=0.5)
# function, valid keyword arguments, {argument: (refused value, message fragment, accepted edge value or None)}
POS = "must be > 0"
OPEN = "must lie in the open interval (0, 1)"
TABLE = [
    (bounds.ilo_measurements, ILO,
     dict(k=(0.5, "k must be >= 1", 1), K=(0.0, f"K {POS}", None), L1=(0.0, f"L1 {POS}", None),
          L2=(0.0, f"L2 {POS}", None), r1=(0.0, f"r1 {POS}", None), delta=(0.0, f"delta {POS}", None),
          alpha=(1.0, f"alpha {OPEN}", None), C=(0.0, f"C {POS}", None), p=(0, "p must", None))),
    (bounds.ilo_measurements_covering, ILO,
     dict(k=(0.5, "k must be >= 1", 1), delta=(0.0, f"delta {POS}", None), alpha=(0.0, f"alpha {OPEN}", None),
          C=(-1.0, f"C {POS}", None))),
    (bounds.intermediate_csgm_measurements, ILO,
     dict(k=(0.5, "k must be >= 1", 1), alpha=(1.5, f"alpha {OPEN}", None), p=(0.5, "p must be >= 1", 1),
          C=(0.0, f"C {POS}", None))),
    (bounds.ilo_error_bound, dict(alpha=0.5, representation_error=1.0, delta_slack=0.1),
     dict(alpha=(0.0, f"alpha {OPEN}", None),
          representation_error=(-0.1, "representation_error must be >= 0", 0.0),
          delta_slack=(-0.1, "delta_slack must be >= 0", 0.0))),
    (bounds.delta_ilo, dict(delta=0.1, K=2.0, p=64), dict(delta=(0.0, f"delta {POS}", None))),
    (bounds.r2_from_K, dict(K=2.0, delta=0.1, L2=3.0),
     dict(delta=(0.0, f"delta {POS}", None), L2=(0.0, f"L2 {POS}", None))),
    (srec.theorem12_measurements, dict(k=4, L=2.0, r=5.0, delta=0.1),
     dict(k=(0.5, "k must be >= 1", 1), L=(0.0, f"L {POS}", None), r=(0.0, f"r {POS}", None),
          delta=(0.0, f"delta {POS}", None), C=(0.0, f"C {POS}", None))),
    (srec.lemma41_measurements, dict(k=4, L=2.0, r=5.0, delta=0.1, alpha=0.5),
     dict(k=(0.5, "k must be >= 1", 1), alpha=(1.0, f"alpha {OPEN}", None), C=(0.0, f"C {POS}", None))),
    (srec.norm_exceeds_probability, dict(m=10, t=2.0),
     dict(m=(0.5, "m must be >= 1", 1), t=(0.0, f"t {POS}", None))),
    (srec.srec_ratio, dict(a_diff_norm=1.0, diff_norm=2.0, delta=0.1),
     dict(a_diff_norm=(-0.1, "a_diff_norm must be >= 0", 0.0), diff_norm=(0.0, f"diff_norm {POS}", None),
          delta=(-0.1, "delta must be >= 0", 0.0))),
    (srec.srec_holds, dict(a_diff_norm=1.0, diff_norm=2.0, gamma=0.5, delta=0.1),
     dict(a_diff_norm=(-0.1, "a_diff_norm must be >= 0", 0.0), diff_norm=(-0.1, "diff_norm must be >= 0", 0.0),
          gamma=(0.0, f"gamma {POS}", None), delta=(-0.1, "delta must be >= 0", 0.0))),
    (srec.gamma_from_alpha, dict(alpha=0.2), dict(alpha=(1.0, f"alpha {OPEN}", None))),
    (srec.lemma41_failure_probability, dict(alpha=0.5, m=10.0),
     dict(alpha=(0.0, f"alpha {OPEN}", None), m=(0.0, f"m {POS}", None), c=(0.0, f"c {POS}", None))),
    (srec.lemma42_measurements, dict(k=4, d=3, c_nodes=64, alpha=0.5),
     dict(k=(0.5, "k must be >= 1", 1), d=(0.5, "d must be >= 1", 1), c_nodes=(1.5, "c_nodes must be >= 2", 2),
          alpha=(1.0, f"alpha {OPEN}", None), C=(0.0, f"C {POS}", None))),
    (srec.lemma43_error, dict(gamma=0.5, dist_to_range=1.0, eta_norm=0.1, eps=0.1, delta=0.1),
     dict(gamma=(0.0, f"gamma {POS}", None), dist_to_range=(-0.1, "dist_to_range must be >= 0", 0.0),
          eta_norm=(-0.1, "eta_norm must be >= 0", 0.0), eps=(-0.1, "eps must be >= 0", 0.0),
          delta=(-0.1, "delta must be >= 0", 0.0))),
    (srec.theorem11_measurements, dict(k=4, d=3, n=64),
     dict(k=(0.5, "k must be >= 1", 1), d=(0.5, "d must be >= 1", 1), n=(1.5, "n must be >= 2", 2),
          C=(0.0, f"C {POS}", None))),
    (srec.theorem11_error, dict(dist_to_range=1.0, eta_norm=0.1, eps=0.1),
     dict(dist_to_range=(-0.1, "dist_to_range must be >= 0", 0.0), eta_norm=(-0.1, "eta_norm must be >= 0", 0.0),
          eps=(-0.1, "eps must be >= 0", 0.0))),
    (srec.theorem12_error, dict(dist_to_range=1.0, eta_norm=0.1, eps=0.1, delta=0.1),
     dict(delta=(-0.1, "delta must be >= 0", 0.0))),
    (covering.log_covering_extended_range, dict(k=4, p=64, L1=2.0, L2=3.0, r1=5.0, r2=1.0, delta=0.1),
     dict(k=(0.5, "k must be >= 1", 1), L1=(0.0, f"L1 {POS}", None), L2=(0.0, f"L2 {POS}", None),
          r1=(0.0, f"r1 {POS}", None), r2=(-0.1, "r2 must be >= 0", 0.0), delta=(0.0, f"delta {POS}", None),
          l1_bound=("best", "l1_bound must be 'maurey', 'volumetric' or 'min', got 'best'", "min"))),
    (covering.maurey_q, dict(r=1.0, eps=0.1), dict(eps=(0.0, f"eps {POS}", None))),
    (circulant.gaussian_jl_rows, dict(P=100, eps=0.1), dict(C=(0.0, f"C {POS}", None))),
    (landscape.wdc_width_condition, dict(n_prev=64, eps=0.1), dict(c=(0.0, f"c {POS}", None))),
    (phase.l1_threshold, dict(delta=0.5), dict(delta=(1.5, "delta", None))),
    # the rows below: names a surviving mutant of `make mutation` changed in the message (docs/benchmarks.md)
    (covering.log_covering_schutt, dict(p=64, r=1.0, eps=0.5),
     dict(p=(0.5, "p must be >= 1", 1), r=(0.0, f"r {POS}", None), eps=(0.0, f"eps {POS}", None))),
    (covering.log_covering_sudakov, dict(p=64, r=1.0, eps=0.5),
     dict(eps=(0.0, f"eps {POS}", None), c=(0.0, f"c {POS}", None))),
    (covering.log_covering_l1_volume_lower, dict(p=64, r=1.0, eps=0.5), dict(p=(0.5, "p must be >= 1", 1))),
    (covering.crossover_scale_continuous, dict(p=64, r=1.0),
     dict(p=(0.5, "p must be >= 1", 1), r=(0.0, f"r {POS}", None))),
    (covering.crossover_scale, dict(p=64, r=1.0), dict(p=(0.5, "p must be >= 1", 1), r=(0.0, f"r {POS}", None))),
    (circulant.hinrichs_vybiral_rows, dict(P=100, eps=0.1),
     dict(P=(1.5, "P must be >= 2", 2), eps=(1.0, f"eps {OPEN}", None), C=(0.0, f"C {POS}", None))),
    (circulant.krahmer_ward_jl_rows, dict(P=100, eta=0.1, eps=0.1, n=64),
     dict(P=(1.5, "P must be >= 2", 2), eta=(0.0, f"eta {OPEN}", None), eps=(1.0, f"eps {OPEN}", None),
          n=(1.5, "n must be >= 2", 2), C=(0.0, f"C {POS}", None))),
    (circulant.krahmer_ward_rip_order, dict(P=100, eta=0.1),
     dict(P=(0.5, "P must be >= 1", 1), eta=(1.0, f"eta {OPEN}", None))),
    (bounds.ilo_needs_fewer_measurements, dict(K=2.0, p=64),
     dict(K=(0.0, f"K {POS}", None), p=(0.5, "p must be >= 1", 1))),
    (landscape.laplace_covariance, dict(J=np.eye(3), beta=2.0), dict(beta=(0.0, f"beta {POS}", None))),
]
ROWS = [(f, kw, name, spec) for f, kw, specs in TABLE for name, spec in specs.items()]


@pytest.mark.parametrize("f, kw, name, spec", ROWS, ids=[f"{f.__name__}-{n}" for f, _, n, _ in ROWS])
def test_each_argument_is_refused_by_name_at_its_edge(f, kw, name, spec):
    bad, message, edge = spec
    with pytest.raises(ValueError) as e:
        f(**{**kw, name: bad})
    assert str(e.value).startswith(message.split(" must")[0]) and message in str(e.value), str(e.value)
    if edge is not None:
        out = f(**{**kw, name: edge})
        assert np.all(np.isfinite(out))


@pytest.mark.parametrize("f, kw", [(f, kw) for f, kw, _ in TABLE],
                         ids=[f"{i}-{f.__name__}" for i, (f, _, _) in enumerate(TABLE)])
def test_nan_is_refused_for_every_numeric_argument(f, kw):
    for name, val in kw.items():
        if isinstance(val, (int, float)) and not isinstance(val, bool):
            with pytest.raises(ValueError, match=rf"^{name} must"):
                f(**{**kw, name: math.nan})


def test_sample_l1_ball_law_and_arguments():
    """On the sphere every point has l1 norm exactly r; in the ball the radial part ||x||_1 / r is U^(1/p) (mean
    p / (p + 1), law checked by Kolmogorov-Smirnov) with independent fair signs; bad arguments are refused by name."""
    from scipy import stats
    rng = np.random.default_rng(0)
    p, r, n = 5, 2.0, 20_000
    s = covering.sample_l1_ball(rng, p, r, n, sphere=True)
    assert s.shape == (n, p) and np.allclose(np.abs(s).sum(1), r)
    b = covering.sample_l1_ball(rng, p, r, n)
    radial = np.abs(b).sum(1) / r
    assert radial.max() <= 1 and stats.kstest(radial ** p, "uniform").pvalue > 1e-3
    assert abs(radial.mean() - p / (p + 1)) < 4 * radial.std() / np.sqrt(n)
    assert abs(np.mean(b > 0) - 0.5) < 0.01                               # fair signs
    share = np.abs(s) / r                                                  # the simplex: Dirichlet(1, ..., 1)
    assert stats.kstest(share[:, 0], stats.beta(1, p - 1).cdf).pvalue > 1e-3
    too_many = r"n \* p = 10000000000 points. coordinates exceed the limit of 1e9"
    for kw, message in ((dict(p=0), "p must lie in"), (dict(n=0), "n must lie in"), (dict(r=-1.0), "r must be >= 0"),
                        (dict(p=10 ** 5, n=10 ** 5), too_many)):
        with pytest.raises(ValueError, match=message):
            covering.sample_l1_ball(rng, **{**dict(p=p, r=r, n=10), **kw})
    with pytest.raises(ValueError, match="rng must be a numpy Generator, got int"):
        covering.sample_l1_ball(0, p, r, 10)
    assert np.all(covering.sample_l1_ball(rng, p, 0.0, 3) == 0)


def test_srec_and_bora_bounds_exact_values():
    """Hand-computed values of the S-REC ratio and test (the inequality's edge is inclusive) and of Bora et al.'s
    Theorems 1.1 / 1.2 and Lemmas 4.1-4.3 at one point each."""
    assert srec.srec_ratio(1.0, 2.0, 0.5) == pytest.approx(0.75)
    assert srec.srec_gamma_hat(np.array([1.0, 3.0]), np.array([2.0, 2.0]), 0.0) == pytest.approx(0.5)
    assert srec.srec_holds(1.0, 2.0, 0.75, 0.5) and not srec.srec_holds(1.0, 2.0, 0.76, 0.5)
    assert srec.gamma_from_alpha(0.2) == pytest.approx(0.8)
    assert srec.lemma41_failure_probability(0.5, 8.0, c=2.0) == pytest.approx(math.exp(-4.0))
    assert srec.lemma41_measurements(4, 2.0, 5.0, 0.1, 0.5, C=3.0) == pytest.approx(3 * 4 / 0.25 * math.log(100))
    assert srec.lemma42_measurements(4, 3, 64, 0.5, C=2.0) == pytest.approx(2 * 12 * math.log(64) / 0.25)
    assert srec.lemma43_error(0.5, 1.0, 0.1, 0.2, 0.3) == pytest.approx(9.0 + (0.2 + 0.2 + 0.3) / 0.5)
    assert srec.theorem11_measurements(4, 3, 64, C=2.0) == pytest.approx(24 * math.log(64))
    assert srec.theorem11_error(1.0, 0.1, 0.2) == pytest.approx(6.0 + 0.3 + 0.4)
    assert srec.theorem12_error(1.0, 0.1, 0.2, 0.3) == pytest.approx(6.7 + 0.6)
    assert srec.theorem12_measurements(4, 2.0, 5.0, 0.1, C=3.0) == pytest.approx(12 * math.log(100))
    assert srec.norm_exceeds_probability(10, 2.0) == pytest.approx(float(__import__("scipy").stats.chi2.sf(40, 10)))
    with pytest.raises(ValueError, match=r"L\*r must exceed delta, got L\*r=0.5, delta=0.5"):
        srec.theorem12_measurements(4, 1.0, 0.5, 0.5)
