import numpy as np
from hypothesis import given

from ilo_theory.symbolic import BOUNDS
from tests.property import strategies as S


@given(S.bound_args(BOUNDS[0]))
def test_bound_args_stay_in_regime(kw):
    for name, val in kw.items():
        p = BOUNDS[0].params[name]
        assert p.lo <= val <= p.hi


@given(S.vectors())
def test_vectors_are_finite_float64(v):
    assert v.dtype == np.float64 and np.all(np.isfinite(v)) and 1 <= v.size <= 300
