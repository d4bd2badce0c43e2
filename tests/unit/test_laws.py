"""ilo_theory.laws: scaling laws judged against rival laws (the fast paths against obvious references; the verdicts
on data whose law is known, including the rivals' own data, which must lose)."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ilo_theory import laws as L

K = np.array([1.0, 2.0, 4.0, 8.0, 11.0, 16.0, 22.0])
LAWS = [L.affine_law("K^2", lambda c: c["K"] ** 2), L.affine_law("K", lambda c: c["K"]),
        L.affine_law("log K", lambda c: np.log(c["K"])), L.affine_law("none", lambda c: 0 * c["K"])]


def _data(f, *, n=20, noise=3.0, seed=0, base=40.0):
    rng = np.random.default_rng(seed)
    return base + f(K)[None, :] + noise * rng.standard_normal((n, K.size))


def _judge(Y, **kw):
    return L.compare_laws(Y, dict(K=K), LAWS, "K^2", exponent=("K", None, 2.0), boot=400, effect=1.25, **kw)


def test_censored_median_is_exact_below_half_and_censored_at_half():
    col = np.array([3.0, 1.0, np.inf, 2.0, 5.0])
    assert L.censored_median(col[:, None])[0] == 3.0                    # 2 of 5 censored: the exact median
    assert math.isinf(L.censored_median(np.array([[1.0], [np.inf]]))[0])   # half censored: censored
    with pytest.raises(ValueError, match="NaN"):
        L.censored_median(np.array([[np.nan], [1.0]]))


def _press_reference(x, y, groups):
    """Leave each point out, refit by least squares (intercept per group + slope), predict it."""
    total = 0.0
    labels = list(dict.fromkeys(groups))
    for i in range(x.size):
        keep = np.arange(x.size) != i
        X = np.stack([np.asarray(groups) == g for g in labels] + [x], 1).astype(float)
        coef = np.linalg.lstsq(X[keep], y[keep], rcond=None)[0]
        total += float((y[i] - X[i] @ coef) ** 2)
    return total


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(5, 12), st.sampled_from([1, 2]))
def test_press_matches_refitting_without_each_point(seed, n, ngroups):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 10, n)
    y = 2 + 3 * x + rng.standard_normal(n)
    groups = [i % ngroups for i in range(n)]
    assert L.press(x, y, groups) == pytest.approx(_press_reference(x, y, groups), rel=1e-6)


def _profile_reference(x, y, betas):
    best, arg = np.inf, np.nan
    for b in betas:
        f = np.where(x > 0, x ** b, 0.0)
        if np.ptp(f) == 0:
            continue
        coef = np.polyfit(f, y, 1)
        r = float(np.sum((y - np.polyval(coef, f)) ** 2))
        if not np.isfinite(best) or r < best - 1e-9 * max(best, 1):
            best, arg = r, b
    return arg


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.3, 3.0))
def test_profile_exponent_matches_the_loop_and_recovers_a_noiseless_exponent(seed, beta):
    rng = np.random.default_rng(seed)
    y = 5 + 0.7 * K ** beta
    betas = np.linspace(0, 4, 401)
    assert L.profile_exponent(K, y) == pytest.approx(round(beta, 2), abs=0.011)
    noisy = y + rng.standard_normal(K.size) * y.std() * 0.1
    assert L.profile_exponent(K, noisy, betas=betas) == pytest.approx(_profile_reference(K, noisy, betas), abs=1e-9)


def test_the_predicted_law_holds_on_its_own_data_and_each_rival_fails_on_its_own():
    assert _judge(_data(lambda k: 0.5 * k ** 2)).verdict() == "holds"
    for name, f in (("K", lambda k: 10 * k), ("log K", lambda k: 60 * np.log(k))):
        cmp = _judge(_data(f))
        assert cmp.verdict() == "fails", (name, cmp.summary())
        assert cmp.winner == name
    flat = _judge(_data(lambda k: 0 * k))      # no growth under noise: the least rise (x1.25) is missed
    assert flat.verdict() == "fails" and flat.winner == "none" and flat.rise[2] < 1.25


def test_a_censored_cell_fails_and_is_named():
    Y = _data(lambda k: 0.5 * k ** 2)
    Y[:12, -1] = np.inf                     # 12 of 20 off the grid at K = 22
    cmp = _judge(Y)
    assert cmp.verdict() == "fails" and cmp.censored == ["K=22"]
    Y[:12, -1] = 40 + 0.5 * 22 ** 2          # back
    Y[:8, -1] = np.inf                       # 8 of 20: the median is still exact
    assert _judge(Y).censored == []


def test_rival_data_makes_the_rival_win_with_the_measured_noise():
    Y = _data(lambda k: 0.5 * k ** 2)
    for law in LAWS[1:]:
        R = L.rival_data(Y, dict(K=K), law, base_cells=K == 1, top_cells=K == 22)
        np.testing.assert_array_equal(R[:, 0], Y[:, 0])
        cmp = _judge(R)
        assert cmp.verdict() == "fails" and cmp.winner == law.name, (law.name, cmp.summary())
    same = L.rival_data(Y, dict(K=K), LAWS[0], base_cells=K == 1, top_cells=K == 22)
    assert _judge(same).verdict() == "holds"


def test_verdict_at_most_reads_the_law_as_an_upper_bound():
    slower = _judge(_data(lambda k: 10 * k))
    assert slower.verdict() == "fails" and slower.verdict_at_most("none") == "holds"
    faster = _judge(_data(lambda k: 0.02 * k ** 3.5))
    assert faster.verdict_at_most("none") == "fails"
    flat = _judge(_data(lambda k: 0 * k))
    assert flat.verdict_at_most("none") == "fails"


def test_groups_get_their_own_intercepts_and_are_resampled_apart():
    Ka = np.concatenate([K, K])
    rng = np.random.default_rng(1)
    Y = np.concatenate([40 + 0.5 * K ** 2 + rng.standard_normal((20, K.size)),
                        400 + 0.5 * K ** 2 + rng.standard_normal((20, K.size))], 1)
    cmp = L.compare_laws(Y, dict(K=Ka), LAWS, "K^2", exponent=("K", None, 2.0), groups=[0] * 7 + [1] * 7, boot=300)
    assert cmp.verdict() == "holds" and cmp.coefficient[0] == pytest.approx(0.5, rel=0.05)
    assert cmp.instances == {"0": 20, "1": 20}


@pytest.mark.parametrize("bad, match", [
    (dict(Y=np.ones((1, 7))), "instances >= 2"),
    (dict(laws=LAWS[:2]), ">= 2 rivals"),
    (dict(predicted="K^3"), "predicted law"),
    (dict(cells=dict(K=K[:3])), "one value per cell"),
])
def test_bad_input_is_refused(bad, match):
    args = dict(Y=np.ones((5, 7)), cells=dict(K=K), laws=LAWS, predicted="K^2") | bad
    with pytest.raises(ValueError, match=match):
        L.compare_laws(args["Y"], args["cells"], args["laws"], args["predicted"])


def _comparison(**kw):
    """A LawComparison with every field set by hand: the verdict rules read at their edges."""
    base = dict(predicted="K^2", press={"K^2": 1.0, "none": 2.0}, win_rate={"K^2": 0.95, "none": 0.05},
                exponent=(1.9, 1.7, 2.1), predicted_exponent=2.0, tolerance=0.1, coefficient=(1.0, 0.9, 1.1),
                censored=[], replicates=100, instances={"all": 20}, rise=(3.0, 2.0, 4.0), effect=1.5,
                exponent_variable="K")
    return L.LawComparison(**{**base, **kw})


@pytest.mark.parametrize("kw, at_most, verdict", [
    ({}, "holds", "holds"),
    (dict(censored=["K=22"]), "fails", "fails"),
    (dict(exponent=(2.3, 2.1, 2.5)), "inconclusive", "holds"),          # lo - tol = 2.0: within the resolution
    (dict(exponent=(2.4, 2.11, 2.6)), "fails", "fails"),                # lo - tol just above the prediction
    (dict(exponent=(1.0, 0.5, 2.1)), "holds", "holds"),                 # hi - tol = 2.0: at the prediction
    (dict(exponent=(1.0, 0.5, 2.11)), "inconclusive", "holds"),         # hi - tol just above
    (dict(exponent=(0.5, 0.0, 1.0)), "inconclusive", "fails"),          # lo = 0: growth not shown; covers fails
    (dict(win_rate={"K^2": 0.1, "none": 0.9}), "fails", "fails"),       # no growth wins exactly `win`
    (dict(win_rate={"K^2": 0.11, "none": 0.89}), "inconclusive", "inconclusive"),
    (dict(win_rate={"K^2": 0.9, "none": 0.1}), "inconclusive", "holds"),  # null at 1 - win: not under it
    (dict(win_rate={"K^2": 0.91, "none": 0.09}), "holds", "holds"),
    (dict(rise=(3.0, 1.0, 1.5)), "fails", "fails"),                     # top of the rise CI = effect: not above
    (dict(rise=(3.0, 1.5, 4.0)), "inconclusive", "inconclusive"),       # bottom = effect: not above
    (dict(effect=None, rise=None), "holds", "holds"),
])
def test_verdict_rules_at_their_edges(kw, at_most, verdict):
    c = _comparison(**kw)
    assert c.verdict_at_most("none") == at_most
    assert c.verdict() == verdict


def test_verdict_at_most_needs_an_exponent_and_reads_an_unknown_null_as_never_winning():
    with pytest.raises(ValueError, match="verdict_at_most needs the fitted exponent"):
        _comparison(exponent=None).verdict_at_most("none")
    assert _comparison().verdict_at_most("log K") == "holds"
    assert _comparison(win_rate={"K^2": 0.5, "none": 0.5}).verdict_at_most("none", win=0.5) == "fails"


def test_rival_data_exact_values_on_a_hand_case():
    """Two instances, three cells, f = K: the rival's line through the base with the measured mean rise, each
    value keeping its deviation from its cell's median; a censored value stays censored; a constant law gives s = 0."""
    Y = np.array([[1.0, 2.0, 5.0], [3.0, 4.0, 9.0]])
    K = np.array([1.0, 2.0, 3.0])
    law = L.power_law("K", "K")
    law1 = L.Law("K^1", lambda c: c["K"])
    R = L.rival_data(Y, dict(K=K), law1, base_cells=K == 1, top_cells=K == 3)
    s = np.mean([5 - 1, 9 - 3]) / 2                                   # mean rise 5 over df 2
    med = np.median(Y, axis=0)
    expect = Y[:, :1] + s * (K - 1)[None] + (Y - med)
    expect[:, 0] = Y[:, 0]
    assert np.allclose(R, expect)
    Yc = Y.copy()
    Yc[1, 1] = np.inf
    Rc = L.rival_data(Yc, dict(K=K), law1, base_cells=K == 1, top_cells=K == 3)
    assert np.isinf(Rc[1, 1]) and np.isfinite(np.delete(Rc.ravel(), 4)).all()
    flat = L.rival_data(Y, dict(K=K), L.Law("none", lambda c: np.zeros_like(c["K"])), base_cells=K == 1,
                        top_cells=K == 3)
    assert np.allclose(flat, Y[:, :1] + (Y - med) * np.array([0, 1, 1]))
    with pytest.raises(ValueError, match="exactly one base and one top cell per group"):
        L.rival_data(Y, dict(K=K), law, base_cells=K >= 1, top_cells=K == 3)


def test_power_exponent_exact_slope_paired_and_independent_bootstrap():
    """y = 3 x^-0.5 exactly: slope -0.5 and a degenerate CI; with noise the CI covers the truth, the paired
    bootstrap (rows together) and the independent one (columns alone) both; bad input refused."""
    x = np.array([10.0, 40.0, 160.0, 640.0])
    exact = np.tile(3 * x ** -0.5, (5, 1))
    b, lo, hi = L.power_exponent(exact, x, boot=50)
    assert b == pytest.approx(-0.5, abs=1e-12) and lo == pytest.approx(-0.5, abs=1e-12) and hi == pytest.approx(-0.5)
    rng = np.random.default_rng(1)
    Y = 3 * x ** -0.5 * np.exp(0.1 * rng.standard_normal((40, 4)))
    for paired in (False, True):
        b, lo, hi = L.power_exponent(Y, x, paired=paired, boot=500, seed=2)
        assert lo < -0.5 < hi and hi - lo < 0.2 and lo < b < hi
    Ynan = Y.copy()
    Ynan[0, 0] = np.nan                                   # not measured: left out of its column's mean
    assert L.power_exponent(Ynan, x, boot=10)[0] == pytest.approx(
        float(np.polyfit(np.log(x), np.log(np.nanmean(Ynan, 0)), 1)[0]), abs=1e-12)
    with pytest.raises(ValueError, match=r"need Y \[instances, 4\] > 0 and x > 0 with >= 2 values"):
        L.power_exponent(-Y, x)
    with pytest.raises(ValueError, match="every x needs at least 2 instances"):
        L.power_exponent(Y[:1], x)


@pytest.mark.parametrize("est, tol, verdict", [
    ((-0.5, -0.6, -0.4), 0.0, "holds"),
    ((-0.5, -0.6, -0.45), 0.0, "holds"),
    ((-0.3, -0.4, -0.2), 0.0, "fails"),          # excludes the prediction
    ((-0.4, -0.45, -0.36), 0.05, "holds"),       # the resolution widens it to -0.5 (edge included), rivals out
    ((-0.4, -0.45, -0.36), 0.0, "fails"),
    ((-0.7, -1.0, -0.4), 0.0, "inconclusive"),   # covers the rival m^-1 too (edge included)
    ((-0.7, -0.99, -0.4), 0.0, "holds"),
])
def test_judge_exponent_edges(est, tol, verdict):
    assert L.judge_exponent(est, -0.5, {"m^-1": -1.0, "m^-1/4": -0.25}, tolerance=tol) == verdict
