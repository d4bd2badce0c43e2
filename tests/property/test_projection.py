"""Property tests of the l1-ball projection (docs/theory_notes.md §5): every method against the KKT certificate."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ilo_solver.optim.projection import METHODS, project_l1_ball, project_l1_ball_around
from tests.property.strategies import radii_for, vectors

CONCRETE = [m for m in METHODS if m != "auto"]


def _proj(v, r, method="auto"):
    return project_l1_ball(torch.from_numpy(v)[None], r, method=method)[0].numpy()


@st.composite
def vec_and_radius(draw):
    v = draw(vectors())
    return v, draw(radii_for(v))


@pytest.mark.parametrize("method", CONCRETE)
@given(vec_and_radius())
def test_feasible_and_optimal(method, vr):
    v, r = vr
    w = _proj(v, r, method)
    scale = max(1.0, np.abs(v).max())
    assert np.abs(w).sum() <= r * (1 + 1e-9) + 1e-12 * scale
    # exact certificate: the ball is conv{±r e_j}, so w is optimal iff r ||v-w||_inf <= <v-w, w>
    g = v - w
    assert r * np.abs(g).max() <= g @ w + 1e-9 * scale * max(r, 1.0) * max(1.0, np.abs(g).max())


@given(vec_and_radius())
def test_all_methods_agree(vr):
    v, r = vr
    ref = _proj(v, r, "bisect")
    scale = max(1.0, np.abs(v).max())
    for m in CONCRETE:
        assert np.allclose(_proj(v, r, m), ref, rtol=0, atol=1e-10 * scale), m


@given(vectors())
def test_identity_inside_and_idempotent(v):
    r = float(np.abs(v).sum())
    assert np.array_equal(_proj(v, r + 1.0), v)
    w = _proj(v, 0.3 * r + 1e-3)
    assert np.allclose(_proj(w, 0.3 * r + 1e-3), w, atol=1e-12 * max(1, np.abs(v).max()))


@given(vec_and_radius())
def test_kkt_shape_single_theta(vr):
    v, r = vr
    w = _proj(v, r)
    if np.abs(v).sum() <= r:
        return
    s = np.abs(w) > 0
    scale = max(1.0, np.abs(v).max())
    assert np.all(np.sign(w[s]) == np.sign(v[s]))
    if s.any():
        theta = np.abs(v[s]) - np.abs(w[s])
        assert np.ptp(theta) <= 1e-9 * scale
        assert np.all(np.abs(v[~s]) <= theta.mean() + 1e-9 * scale)


@given(vectors(min_size=2, max_size=60), vectors(min_size=2, max_size=60), st.floats(1e-3, 10))
def test_non_expansive(a, b, r):
    n = min(a.size, b.size)
    a, b = a[:n], b[:n]
    assert np.linalg.norm(_proj(a, r) - _proj(b, r)) <= np.linalg.norm(a - b) * (1 + 1e-9) + 1e-9


@given(vec_and_radius(), st.floats(1e-3, 1e3))
def test_scaling_and_order(vr, c):
    v, r = vr
    w = _proj(v, r)
    assert np.allclose(_proj(c * v, c * r), c * w, rtol=1e-9, atol=1e-9 * c * max(1, np.abs(v).max()))
    order = np.argsort(np.abs(v), kind="stable")
    assert np.all(np.diff(np.abs(w)[order]) >= -1e-9 * max(1, np.abs(v).max()))


def test_batch_radii_dtypes_and_errors():
    torch.manual_seed(0)
    v = torch.randn(4, 3, 5, 7)
    r = torch.tensor([0.0, 1.0, 10.0, float("inf")])
    w = project_l1_ball(v, r)
    assert w.shape == v.shape and w.dtype == torch.float32
    l1 = w.flatten(1).abs().sum(1)
    assert l1[0] == 0 and abs(l1[1] - 1) < 1e-5 and torch.equal(w[3], v[3])
    for b in range(4):  # independent per element
        assert torch.allclose(w[b], project_l1_ball(v[b:b + 1], r[b])[0])
    c = torch.randn_like(v)
    assert torch.allclose(project_l1_ball_around(c + 0.0 * v, c, 1.0), c)
    with pytest.raises(ValueError, match="radius"):
        project_l1_ball(v, -1.0)
    with pytest.raises(ValueError, match="radius"):
        project_l1_ball(v, torch.ones(3))
    with pytest.raises(ValueError, match="method"):
        project_l1_ball(v, 1.0, method="duchi")
    with pytest.raises(ValueError, match="floating"):
        project_l1_ball(torch.ones(2, 3, dtype=torch.int64), 1.0)


def test_large_vector_fast_path_matches_sort():
    g = torch.Generator().manual_seed(0)
    v = torch.randn(1, 2_000_000, generator=g, dtype=torch.float64)
    for r in (10.0, 1e5, 0.99 * float(v.abs().sum())):
        assert torch.allclose(project_l1_ball(v, r, method="fast"), project_l1_ball(v, r, method="sort"),
                              atol=1e-12, rtol=0)


def test_half_precision_is_projected_in_float32():
    """float16/bfloat16 on the CPU: θ is found in float32 (half-precision sums overflow at 65504 and round) and the
    result rounded once, so every method returns the float32 answer rounded to the input's dtype."""
    v = torch.randn(2, 50, dtype=torch.bfloat16)
    for m in ("auto", "fast", "condat", "michelot", "sort", "bisect"):
        w = project_l1_ball(v, 1.0, method=m)
        assert w.dtype == torch.bfloat16 and torch.equal(w, project_l1_ball(v.float(), 1.0, method=m).bfloat16())
    big = torch.tensor([[-10000.0, -60000.0]], dtype=torch.float16)   # ||v||_1 = 70000 > float16's max
    assert torch.equal(project_l1_ball(big, 70000.0), big)
    assert float(project_l1_ball(big, 35000.0).float().abs().sum()) == pytest.approx(35000.0, rel=1e-3)


@given(st.integers(1, 6), st.integers(1, 40), st.data())
def test_batched_equals_per_row_reference(B, n, data):
    """The sync-free batched path against the per-row sort reference, with inf / 0 / inside / outside radii mixed
    in one batch (float64 and float32)."""
    g = torch.Generator().manual_seed(data.draw(st.integers(0, 2 ** 31 - 1)))
    v = torch.randn(B, n, generator=g, dtype=torch.float64) * data.draw(st.sampled_from([1e-3, 1.0, 1e3]))
    l1 = v.abs().sum(1)
    kinds = data.draw(st.lists(st.sampled_from(["inf", "zero", "inside", "outside"]), min_size=B, max_size=B))
    frac = data.draw(st.floats(0.01, 0.99))
    r = torch.tensor([{"inf": math.inf, "zero": 0.0, "inside": 1.5 * float(l1[b]),
                       "outside": frac * float(l1[b])}[k] for b, k in enumerate(kinds)], dtype=torch.float64)
    for dtype, tol in ((torch.float64, 1e-12), (torch.float32, 1e-5)):
        got = project_l1_ball(v.to(dtype), r, method="batched")
        ref = torch.stack([project_l1_ball(v[b:b + 1], float(r[b]), method="sort")[0] for b in range(B)])
        assert got.dtype == dtype
        assert torch.allclose(got.double(), ref, rtol=0, atol=tol * max(1.0, float(v.abs().max())))


@given(st.lists(st.integers(1, 30), min_size=1, max_size=6), st.data())
def test_segmented_equals_one_at_a_time(sizes, data):
    """Several tensors, each with its own centre and radius (inf / 0 / inside / outside), in one segmented call:
    the same as :func:`project_l1_ball_around` on each (float64 and float32)."""
    from ilo_solver.optim.projection import SegmentedL1Projector
    g = torch.Generator().manual_seed(data.draw(st.integers(0, 2 ** 31 - 1)))
    scale = data.draw(st.sampled_from([1e-3, 1.0, 1e3]))
    vs = [torch.randn(n, generator=g, dtype=torch.float64).reshape(-1, 1) * scale for n in sizes]
    cs = [torch.randn(v.shape, generator=g, dtype=torch.float64) * scale for v in vs]
    radii = []
    for v, c in zip(vs, cs, strict=True):
        l1 = float((v - c).abs().sum())
        kind = data.draw(st.sampled_from(["inf", "zero", "inside", "outside"]))
        radii.append({"inf": math.inf, "zero": 0.0, "inside": 1.5 * l1,
                      "outside": data.draw(st.floats(0.01, 0.99)) * l1}[kind])
    proj = SegmentedL1Projector([v.numel() for v in vs], radii)
    for dtype, tol in ((torch.float64, 1e-12), (torch.float32, 1e-5)):
        got = proj([v.to(dtype) for v in vs], [c.to(dtype) for c in cs])
        for v, c, r, w in zip(vs, cs, radii, got, strict=True):
            ref = project_l1_ball_around(v.reshape(1, -1), c.reshape(1, -1), r, method="sort").reshape(v.shape)
            assert w.dtype == dtype and w.shape == v.shape
            assert torch.allclose(w.double(), ref, rtol=0, atol=tol * scale * max(1.0, float(v.abs().max()) / scale))


def test_segmented_rejects_bad_input():
    from ilo_solver.optim.projection import SegmentedL1Projector
    with pytest.raises(ValueError, match="radii"):
        SegmentedL1Projector([3], [-1.0])
    with pytest.raises(ValueError, match="one positive size"):
        SegmentedL1Projector([3, 2], [1.0])
    p = SegmentedL1Projector([3], [1.0])
    with pytest.raises(ValueError, match="does not match"):
        p([torch.zeros(4)], [torch.zeros(4)])


@given(st.lists(st.tuples(vectors(1, 40), st.floats(0.01, 100.0)), min_size=1, max_size=6))
def test_multi_tensor_renormalisation_equals_one_at_a_time(items):
    """The ILO loop's noise renormalisation (four multi-tensor operations) against the per-tensor reference,
    including all-zero tensors (the 1e-12 floor)."""
    from ilo_solver.optim.projection import _renormalise_each_, renormalise_tensors_
    ts = [torch.from_numpy(v.copy()) for v, _ in items]
    norms = [torch.tensor(n, dtype=torch.float64) for _, n in items]
    fast, ref = [t.clone() for t in ts], [t.clone() for t in ts]
    renormalise_tensors_(fast, norms)
    _renormalise_each_(ref, norms)
    for a, b in zip(fast, ref, strict=True):
        assert torch.allclose(a, b, rtol=1e-12, atol=0)


LOW = [torch.float16, torch.bfloat16]
LOW_METHODS = ["auto", "michelot", "batched", "sort", "bisect"]   # numba's fast/condat: float32/float64 only


@pytest.mark.parametrize("dtype", LOW)
@given(vec_and_radius())
def test_low_precision_matches_the_float64_oracle_and_never_hangs(dtype, vr):
    """float16/bfloat16: every method ends (the Michelot loop is bounded; a radius below the dtype's smallest normal
    number projects to 0), stays in the ball up to the dtype's rounding, and agrees with the float64 oracle on
    the rounded input to a few units in the last place of the dtype."""
    v, r = vr
    x = torch.from_numpy(v).to(dtype)[None]
    if not torch.isfinite(x).all():   # magnitudes beyond the dtype's range: outside this test's domain
        return
    eps, tiny = torch.finfo(dtype).eps, torch.finfo(dtype).tiny
    ref = project_l1_ball(x.double(), r if r >= tiny else 0.0, method="bisect")[0]
    scale = float(x.double().abs().max()) + (r if r >= tiny else 0.0)
    for m in LOW_METHODS:
        w = project_l1_ball(x, r, method=m)[0]
        assert w.dtype == dtype, m
        assert float(w.double().abs().sum()) <= r * (1 + 8 * eps * x.shape[1]) + 8 * eps * scale, m
        assert float((w.double() - ref).abs().max()) <= 16 * eps * x.shape[1] * scale + 1e-30, m


def test_a_radius_below_float16_resolution_is_zero_not_a_hang():
    """The case that hung: float16 (auto = Michelot on the CPU) with radius 1e-8."""
    v = torch.randn(3, 1000, generator=torch.Generator().manual_seed(0)).half()
    for m in LOW_METHODS:
        assert torch.count_nonzero(project_l1_ball(v, 1e-8, method=m)) == 0, m
        assert torch.count_nonzero(project_l1_ball(v, 5e-6, method=m)) <= 3 * 1000, m   # subnormal radius: ends


@pytest.mark.parametrize("method", CONCRETE)
def test_non_finite_and_empty_inputs(method):
    v = torch.randn(2, 20, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    for bad in (math.nan, math.inf, -math.inf):
        x = v.clone()
        x[1, 7] = bad
        if method == "batched":   # sync-free: no check, but never a finite answer from a non-finite input
            assert not torch.isfinite(project_l1_ball(x, 1.0, method=method)[1]).all()
        else:
            with pytest.raises(ValueError, match="non-finite"):
                project_l1_ball(x, 1.0, method=method)
    with pytest.raises(ValueError, match="empty"):
        project_l1_ball(torch.zeros(2, 0, dtype=torch.float64), 1.0, method=method)
    if method in ("fast", "condat"):   # the long-row (parallel, vectorised) path checks too
        big = torch.randn(1, 1 << 18, generator=torch.Generator().manual_seed(2))
        for bad in (math.nan, math.inf):
            big[0, 12345] = bad
            with pytest.raises(ValueError, match="non-finite"):
                project_l1_ball(big, 1.0, method=method)


LARGE_CASES = ["gauss", "ties", "cauchy", "sparse", "sorted", "periodic", "constant"]


def _large(kind: str, n: int, g: torch.Generator) -> torch.Tensor:
    if kind == "gauss":
        return torch.randn(n, generator=g)
    if kind == "ties":      # few distinct magnitudes: ties piled on the bracket's edges
        return torch.randint(-3, 4, (n,), generator=g).float() * 0.5
    if kind == "cauchy":    # heavy tails: a thin support of huge entries
        return torch.empty(n).cauchy_(generator=g)
    if kind == "sparse":
        v = torch.zeros(n)
        v[torch.randperm(n, generator=g)[:300]] = torch.randn(300, generator=g) * 10
        return v
    if kind == "sorted":    # the strided subsample sees a grid of quantiles
        return torch.sort(torch.randn(n, generator=g)).values
    if kind == "periodic":  # period = the subsample's stride: the subsample is unrepresentative
        stride = max(1, n // 65536)
        v = torch.full((n,), 0.01)
        v[::stride] = 5.0
        return v
    return torch.full((n,), 0.7)


@pytest.mark.slow
@pytest.mark.parametrize("kind", LARGE_CASES)
@pytest.mark.parametrize("n", [1 << 18, 1 << 20, 3 * 10 ** 6])
def test_the_parallel_bracket_path_is_exact_on_long_rows(kind, n):
    """``fast`` on rows of 2^18 entries and more (the bracketed, parallel path) against Condat's sequential
    algorithm and the exact certificate, for regimes of few and many survivors and inputs made to defeat the
    subsample (ties, heavy tails, sorted, periodic at the stride, constant)."""
    g = torch.Generator().manual_seed(n + LARGE_CASES.index(kind))
    v = _large(kind, n, g)[None]
    l1 = float(v.double().abs().sum())
    for r in (10.0, 0.5 * l1, 0.999 * l1, 1e-3 * l1):
        w = project_l1_ball(v, r, method="fast")
        ref = project_l1_ball(v, r, method="condat")
        scale = float(v.abs().max())
        assert float((w - ref).abs().max()) <= 1e-6 * scale, (kind, n, r)
        assert float(w.double().abs().sum()) <= r * (1 + 1e-6) + 1e-6 * scale
        gap = (v - w).double()[0]
        assert r * float(gap.abs().max()) <= float(gap @ w.double()[0]) + 1e-5 * scale * max(r, 1.0) * n ** 0.5


@pytest.mark.parametrize("method", CONCRETE)
@given(vec_and_radius())
def test_out_and_in_place_equal_the_functional_form(method, vr):
    v, r = vr
    x = torch.from_numpy(v)[None]
    ref = project_l1_ball(x, r, method=method)
    out = torch.empty_like(x)
    assert project_l1_ball(x, r, method=method, out=out) is out and torch.equal(out, ref)
    y = x.clone()
    project_l1_ball(y, r, method=method, out=y)
    assert torch.equal(y, ref)
    c = torch.flip(x, [1])
    around = project_l1_ball_around(x, c, r, method=method)
    z = x.clone()
    project_l1_ball_around(z, c, r, method=method, out=z)
    assert torch.equal(z, around)


def test_out_must_match():
    x = torch.randn(2, 5, dtype=torch.float64)
    for bad in (torch.empty(2, 6, dtype=torch.float64), torch.empty(2, 5), torch.empty(5, 2, dtype=torch.float64).t()):
        with pytest.raises(ValueError, match="out must be"):
            project_l1_ball(x, 1.0, out=bad)


@settings(max_examples=30)
@given(st.lists(st.integers(1, 40), min_size=1, max_size=5), st.integers(0, 2 ** 31 - 1))
def test_l1_balls_projector_segmented_equals_per_tensor(sizes, seed):
    """The one multi-tensor dispatch (l1_balls_projector): its accelerator path (segmented) agrees with the CPU
    reference path (one projection per tensor), inf radii skipped."""
    from ilo_solver.optim.projection import l1_balls_projector
    g = torch.Generator().manual_seed(seed)
    cs = [torch.randn(n, generator=g, dtype=torch.float64) for n in sizes]
    radii = [float("inf") if i % 3 == 2 else 0.3 * (i + 1) for i in range(len(sizes))]
    vs = [c + torch.randn(c.shape, generator=g, dtype=torch.float64) for c in cs]
    a, b = [v.clone() for v in vs], [v.clone() for v in vs]
    l1_balls_projector(cs, radii, method="segmented")(a)
    l1_balls_projector(cs, radii, method="per_tensor")(b)
    for u, w, v, r in zip(a, b, vs, radii, strict=True):
        assert torch.allclose(u, w, atol=1e-12)
        if r == float("inf"):
            assert torch.equal(u, v)
