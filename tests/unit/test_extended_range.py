"""The Theorem 1 estimators, eqs. (3)/(4): answers inside the extended range E, a batch equal to a loop over its
targets, r2 = 0 equal to CSGM, per-target matrices equal to a shared one, and recovery of a target in E."""
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ilo_solver.extended_range import fit_extended_range
from ilo_solver.generators import ReLUGenerator
from ilo_solver.operators import GaussianCS


def _setup(seed=0, k=3, p=16, n=40, m=20):
    g = torch.Generator().manual_seed(seed)
    G = ReLUGenerator((k, p, n), rng=g)
    op = GaussianCS((n,), m, rng=g, dtype=torch.float64)
    w = torch.randn(2, k, generator=g, dtype=torch.float64)
    u = torch.zeros(2, p, dtype=torch.float64)
    u[:, :2] = 0.5
    x = G.forward_from(G.forward_to(w, 1) + u, 1)
    return G, op, x


def test_answers_lie_in_the_extended_range():
    G, op, x = _setup()
    r2 = torch.tensor([0.3, 2.0], dtype=torch.float64)
    res = fit_extended_range(G, op(x), op=op, r1=1.0, r2=r2, restarts=3, steps=60, rng=torch.Generator().manual_seed(1))
    assert res.x.shape == (2, 40) and res.losses.shape == (2, 3)
    assert torch.all(res.w.norm(dim=1) <= 1.0 + 1e-12)
    assert torch.all(res.u.abs().sum(1) <= r2 * (1 + 1e-9))
    assert torch.equal(res.loss, res.losses.min(1).values)
    x_back = G.forward_from(G.forward_to(res.w, 1) + res.u, 1)
    assert torch.allclose(x_back, res.x, atol=1e-12)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 1000), r2=st.sampled_from([0.0, 0.5, math.inf]))
def test_a_batch_equals_a_loop_over_its_targets(seed, r2):
    G, op, x = _setup(seed)
    y = op(x)
    # 8 restarts x k = 3: 24 draws per target, past the 16 below which torch draws normals one by one, so a joint
    # draw of all targets' starts would differ from per-target draws (and this test would notice)
    batch = fit_extended_range(G, y, op=op, r1=2.0, r2=r2, restarts=8, steps=30,
                               rng=torch.Generator().manual_seed(seed))
    g = torch.Generator().manual_seed(seed)
    loop = [fit_extended_range(G, y[i:i + 1], op=op, r1=2.0, r2=r2, restarts=8, steps=30, rng=g) for i in range(2)]
    for i, one in enumerate(loop):
        assert torch.allclose(batch.x[i], one.x[0], rtol=1e-9, atol=1e-10)


def test_radius_zero_is_csgm_and_matrices_per_target():
    G, op, x = _setup(3)
    y = op(x)
    res = fit_extended_range(G, y, op=op, r1=2.0, r2=0.0, restarts=2, steps=40, rng=torch.Generator().manual_seed(0))
    assert torch.count_nonzero(res.u) == 0   # no deviation: the range of G itself (CSGM, Bora et al. 2017)
    A = op.dense().expand(2, -1, -1)
    per = fit_extended_range(G, y, op=A, r1=2.0, r2=0.0, restarts=2, steps=40, rng=torch.Generator().manual_seed(0))
    assert torch.allclose(per.x, res.x, atol=1e-8)
    with pytest.raises(ValueError, match="per-target matrices"):
        fit_extended_range(G, y, op=A[:1], r1=2.0, r2=0.0, rng=torch.Generator())
    for bad in (dict(r1=0.0, r2=1.0), dict(r1=1.0, r2=-1.0), dict(r1=1.0, r2=[1.0, 2.0, 3.0])):
        with pytest.raises(ValueError, match="r1|r2"):
            fit_extended_range(G, y, op=op, rng=torch.Generator(), **bad)


def test_eq3_recovers_a_target_in_the_extended_range():
    """x = G2(G1(w*) + u*) with ||u*||_1 = 1: eq. (3) at r2 = 1 represents it (almost) exactly, CSGM does not."""
    G, _, x = _setup(5, k=2, p=12, n=30)
    ext = fit_extended_range(G, x, r1=4.0, r2=1.0, restarts=6, steps=400, rng=torch.Generator().manual_seed(0))
    csgm = fit_extended_range(G, x, r1=4.0, r2=0.0, restarts=6, steps=400, rng=torch.Generator().manual_seed(0))
    rel = lambda r: float(((r.x - x).norm(dim=1) / x.norm(dim=1)).max())
    assert rel(ext) < 0.05 and rel(csgm) > 2 * rel(ext), (rel(ext), rel(csgm))
