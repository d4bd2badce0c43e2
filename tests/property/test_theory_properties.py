"""Every bound in ilo_theory.symbolic.BOUNDS: the sympy twin equals numpy, and each is monotone as declared."""
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ilo_theory import covering
from ilo_theory.symbolic import BOUNDS, to_numpy
from tests.property.strategies import bound_args, param_value

IDS = [b.name for b in BOUNDS]

# Bounds with a ceiling: numpy takes ceil(x) with a documented relative slack of 1e-12 (covering._CEIL_RTOL), so
# ratios within that slack of an integer are rounded down on purpose; sympy's exact ceiling is not.
CEIL_RATIO = {
    "log_covering_maurey": lambda kw: (kw["r"] / kw["eps"]) ** 2,
    "log_covering_extended_range": lambda kw: (2 * kw["L2"] * kw["r2"] / kw["delta"]) ** 2,
}


def _near_integer(x: float) -> bool:
    return x > 0.5 and abs(x - round(x)) <= 1e-11 * x


@pytest.mark.parametrize("spec", BOUNDS, ids=IDS)
def test_sympy_equals_numpy(spec):
    @settings(max_examples=25)
    @given(bound_args(spec))
    def check(kw):
        if spec.name in CEIL_RATIO:
            x = CEIL_RATIO[spec.name](kw)
            assume(not _near_integer(x) or x == round(x))
        a = spec.numpy_fn(**kw)
        b = to_numpy(spec, kw)
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), (kw, a, b)
    check()


@pytest.mark.parametrize("spec", BOUNDS, ids=IDS)
def test_monotone_in_each_argument(spec):
    monotone = [k for k, p in spec.params.items() if p.direction != 0]

    @settings(max_examples=25)
    @given(bound_args(spec), st.sampled_from(monotone), st.data())
    def check(kw, name, data):
        p = spec.params[name]
        other = data.draw(param_value(p))
        lo, hi = sorted([kw[name], other])
        f_lo = spec.numpy_fn(**{**kw, name: lo})
        f_hi = spec.numpy_fn(**{**kw, name: hi})
        tol = 1e-9 * max(1.0, abs(f_lo), abs(f_hi))
        if p.direction > 0:
            assert f_hi >= f_lo - tol, (name, lo, hi, f_lo, f_hi)
        else:
            assert f_hi <= f_lo + tol, (name, lo, hi, f_lo, f_hi)
    check()


@given(st.integers(1, 5000), st.floats(0.01, 100))
def test_covering_order_on_each_side_of_crossover(p, r):
    e_star = covering.crossover_scale(p, r)
    e_c = covering.crossover_scale_continuous(p, r)
    assert e_c <= e_star * (1 + 1e-9) and e_star <= r
    # Maurey <= volumetric on the whole of [eps*, r] ...
    grid = np.concatenate([np.geomspace(e_star, r, 200), [e_star, r]])
    assert np.all(covering.log_covering_maurey(p, r, grid)
                  <= covering.log_covering_volumetric(p, r, grid) * (1 + 1e-12))
    # ... fails just below eps* ...
    below = e_star * (1 - 1e-9)
    assert covering.log_covering_maurey(p, r, below) > covering.log_covering_volumetric(p, r, below)
    # ... and fails everywhere below the continuous crossing eps_c.
    low = np.geomspace(e_c * 1e-3, e_c * (1 - 1e-9), 200)
    assert np.all(covering.log_covering_maurey(p, r, low) > covering.log_covering_volumetric(p, r, low))


@given(st.floats(1e-3, 1e3), st.floats(1e-3, 1e3), st.integers(1, 10_000))
def test_maurey_scale_invariance(r, eps, p):
    """The Maurey count depends on r/eps only (up to the ceiling's slack)."""
    a = covering.log_covering_maurey(p, r, eps)
    b = covering.log_covering_maurey(p, 2.0 * r, 2.0 * eps)
    assert math.isclose(a, b, rel_tol=1e-12)
