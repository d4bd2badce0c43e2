"""Hypothesis strategies shared by every property test (one public module, itself tested in test_strategies)."""
from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from ilo_theory.symbolic import BoundSpec, Param


def param_value(p: Param) -> st.SearchStrategy:
    """A value inside a bound's regime; wide positive ranges are sampled log-uniformly."""
    if p.integer:
        return st.integers(int(math.ceil(p.lo)), int(p.hi))
    if p.lo > 0 and p.hi / p.lo > 100:
        return st.floats(math.log(p.lo), math.log(p.hi)).map(math.exp).map(lambda v: min(max(v, p.lo), p.hi))
    return st.floats(p.lo, p.hi, allow_nan=False)


def bound_args(spec: BoundSpec) -> st.SearchStrategy:
    """A dict of arguments for ``spec.numpy_fn`` inside its regime."""
    return st.fixed_dictionaries({k: param_value(v) for k, v in spec.params.items()})


def vectors(min_size: int = 1, max_size: int = 300, lo_exp: int = -8, hi_exp: int = 8) -> st.SearchStrategy:
    """Float64 vectors with ties, zeros, signs and magnitudes spanning 10**lo_exp .. 10**hi_exp."""
    base = st.sampled_from([0.0, 1.0, 0.5, 3.0])
    mags = st.one_of(base, st.builds(lambda m, e: m * 10.0 ** e, st.floats(1, 10), st.integers(lo_exp, hi_exp)))
    signed = st.builds(lambda s, m: s * m, st.sampled_from([-1.0, 1.0]), mags)
    return st.lists(signed, min_size=min_size, max_size=max_size).map(lambda v: np.array(v, dtype=np.float64))


def radii_for(v: np.ndarray) -> st.SearchStrategy:
    """Radii around the interesting points: tiny, a fraction of ||v||_1, exactly ||v||_1, and beyond it."""
    l1 = float(np.abs(v).sum())
    choices = [1e-8, 1.0]
    if l1 > 0:
        choices += [l1, l1 * (1 - 1e-12), l1 * 0.5, l1 * 1e-3, l1 * 2]
    return st.sampled_from(choices)
