"""The Theorem 1 estimators, eqs. (3)/(4): answers inside the extended range E, a batch equal to a loop over its
targets, r2 = 0 equal to CSGM, per-target matrices equal to a shared one, and recovery of a target in E."""
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ilo_solver.generators import ReLUGenerator, ReLUGeneratorBatch
from ilo_solver.physics.operators import GaussianCS
from ilo_solver.solvers.extended_range import fit_extended_range, srec_extended_range


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
    one = fit_extended_range(G, y, op=A[:1], r1=2.0, r2=0.0, restarts=2, steps=40,
                             rng=torch.Generator().manual_seed(0))   # one group of both targets: shared
    assert torch.allclose(one.x, res.x, atol=1e-8)
    with pytest.raises(ValueError, match="per-target matrices"):
        fit_extended_range(G, y, op=A[:1].expand(3, -1, -1), r1=2.0, r2=0.0, rng=torch.Generator())
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


def test_groups_of_targets_share_their_instance_matrix_and_generator():
    """Instance-major batches: targets of instance i go through network i and matrix i -- the same answers as each
    instance fitted alone with its own network (the batch's slow reference)."""
    g = torch.Generator().manual_seed(4)
    G = ReLUGeneratorBatch(2, (2, 12, 30), rng=g)
    A = torch.randn(2, 15, 30, generator=g, dtype=torch.float64) / math.sqrt(15)
    x = G(torch.randn(2, 2, generator=g, dtype=torch.float64))
    y = torch.bmm(A, x[:, :, None])[:, :, 0]
    T = 3   # three radii per instance
    r2 = torch.tensor([0.0, 0.3, math.inf]).repeat(2)
    batch = fit_extended_range(G, y.repeat_interleave(T, 0), op=A, r1=3.0, r2=r2, restarts=8, steps=25,
                               rng=torch.Generator().manual_seed(0))
    gen = torch.Generator().manual_seed(0)
    for i in range(2):
        one = fit_extended_range(G.instance(i), y[i:i + 1].expand(T, -1), op=A[i:i + 1], r1=3.0, r2=r2[:T],
                                 restarts=8, steps=25, rng=gen)
        assert torch.allclose(batch.x[i * T:(i + 1) * T], one.x, rtol=1e-9, atol=1e-10)


def test_srec_estimator_on_known_operators():
    """gamma_hat of c * I is c (delta = 0: every ratio is c); the l1 and l2 balls agree at r2 = 0 (the range
    alone); it never exceeds the screen's minimum; its arguments are checked."""
    g = torch.Generator().manual_seed(0)
    G = ReLUGeneratorBatch(3, (2, 10, 20), rng=g)
    eye = torch.eye(20, dtype=torch.float64).expand(3, -1, -1) * torch.tensor([1.0, 0.5, 2.0])[:, None, None]
    gam = srec_extended_range(G, eye, r1=2.0, r2=0.3, delta=0.0, pairs=30, hard_pairs=5, flat=(1, 4), restarts=4,
                              steps=10, rng=torch.Generator().manual_seed(1))
    assert torch.allclose(gam, torch.tensor([1.0, 0.5, 2.0], dtype=torch.float64), rtol=1e-9)
    A = torch.randn(3, 8, 20, generator=g, dtype=torch.float64) / math.sqrt(8)
    kw = dict(r1=2.0, r2=0.0, delta=0.01, pairs=40, restarts=4, steps=15)
    l1, screen = srec_extended_range(G, A, ball="l1", details=True, rng=torch.Generator().manual_seed(2), **kw)
    l2 = srec_extended_range(G, A, ball="l2", rng=torch.Generator().manual_seed(2), **kw)
    assert torch.equal(l1, l2) and torch.all(l1 <= screen) and torch.all(l1 > 0)
    for bad, match in ((dict(ball="linf"), "ball"), (dict(restarts=100), "restarts"), (dict(r2=[1.0, 2.0]), "r2"),
                       (dict(pairs=0), "pairs")):
        with pytest.raises(ValueError, match=match):
            srec_extended_range(G, A, **{**kw, **bad}, rng=torch.Generator())


def test_the_nested_radius_path_is_monotone_and_no_worse_than_cold_starts():
    """eq. (3) along r2 = 0, 0.25, 1, 4, inf: the minimum over nested sets, so non-increasing in the radius on every
    target (the previous answer is kept where the warm-started search ends higher: ``carried``); the first radius is
    exactly the cold fit from the same generator state (the reference)."""
    from ilo_solver.solvers.extended_range import fit_extended_range_path
    G, _, x = _setup(7, k=2, p=12, n=30)
    radii = torch.tensor([0.0, 0.25, 1.0, 4.0, math.inf], dtype=torch.float64).repeat(2, 1)
    kw = dict(r1=4.0, restarts=3, steps=80, lr_u=0.05)
    path = fit_extended_range_path(G, x, radii=radii, rng=torch.Generator().manual_seed(0), **kw)
    assert path.x.shape == (2, 5, 30) and path.loss.shape == path.carried.shape == (2, 5)
    assert torch.all(path.loss[:, 1:] <= path.loss[:, :-1])
    assert torch.allclose(path.loss, ((path.x - x[:, None]) ** 2).sum(2), rtol=1e-9, atol=1e-12)
    assert not path.carried[:, 0].any()
    cold = fit_extended_range(G, x, r2=radii[:, 0], rng=torch.Generator().manual_seed(0), **kw)
    assert torch.equal(path.loss[:, 0], cold.loss) and torch.equal(path.x[:, 0], cold.x)
    with pytest.raises(ValueError, match="non-decreasing"):
        fit_extended_range_path(G, x, radii=radii.flip(1), rng=torch.Generator(), **kw)
    with pytest.raises(ValueError, match="init must be"):
        fit_extended_range(G, x, r2=1.0, init=(torch.zeros(3, 2), torch.zeros(2, 12)), rng=torch.Generator(), **kw)


def test_a_warm_start_inside_the_ball_is_kept_as_the_first_start():
    """``init`` replaces the first random start (projected into the target's ball), the other starts unchanged."""
    G, _, x = _setup(8, k=2, p=12, n=30)
    kw = dict(r1=4.0, r2=0.5, restarts=2, steps=0, rng=torch.Generator().manual_seed(3))
    w = torch.full((2, 2), 0.3, dtype=torch.float64)
    u = torch.zeros(2, 12, dtype=torch.float64)
    u[:, 0] = 2.0                                    # outside the ball: projected to ||u||_1 = 0.5
    fit = fit_extended_range(G, x, init=(w, u), **kw)
    start = G.forward_from(G.forward_to(w, 1) + u * 0.25, 1)
    cold = fit_extended_range(G, x, **{**kw, "rng": torch.Generator().manual_seed(3)})
    assert torch.allclose(fit.losses[:, 0], ((start - x) ** 2).sum(1))
    assert torch.allclose(fit.losses[:, 1], cold.losses[:, 1])
