"""Generic tests over ilo_solver.physics.operators.OPERATORS: adjointness, linearity, dtype, odd sizes, dense oracle."""
import math

import numpy as np
import pytest
import torch
from scipy.linalg import circulant

from ilo_solver.physics import operators as O

SHAPES = [(3, 8, 8), (1, 37, 31), (2, 6, 10)]


@pytest.mark.parametrize("name", sorted(O.OPERATORS))
@pytest.mark.parametrize("shape", SHAPES)
def test_adjoint_and_linearity(name, shape, rng):
    op = O.OPERATORS[name](shape, rng).double()
    x = torch.randn(2, *shape, generator=rng, dtype=torch.float64)
    x2 = torch.randn(2, *shape, generator=rng, dtype=torch.float64)
    y = torch.randn(2, *op.out_shape, generator=rng, dtype=torch.float64)
    lhs = (op(x) * y).sum()
    rhs = (x * op.A_adjoint(y)).sum()
    assert torch.allclose(lhs, rhs, rtol=1e-10, atol=1e-10)
    assert torch.allclose(op(2.0 * x - 3.0 * x2), 2.0 * op(x) - 3.0 * op(x2), atol=1e-10)


@pytest.mark.parametrize("name", sorted(O.OPERATORS))
def test_float32_and_shapes(name, rng):
    op = O.OPERATORS[name]((3, 12, 10), rng)
    x = torch.randn(4, 3, 12, 10, generator=rng)
    y = op(x)
    assert y.dtype == torch.float32 and tuple(y.shape) == (4, *op.out_shape)
    with pytest.raises(ValueError, match="expects inputs of shape"):
        op(torch.randn(4, 3, 11, 10))


@pytest.mark.parametrize("shape", [(1, 37, 31), (3, 4, 4), (1, 1, 1024)])
def test_circulant_fft_matches_scipy_dense_oracle(shape, rng):
    n = math.prod(shape)
    op = O.PartialCirculant(shape, max(1, n // 3), rng=rng, dtype=torch.float64)
    x = torch.randn(3, *shape, generator=rng, dtype=torch.float64)
    dense = circulant(op.filter.numpy())[op.rows.numpy()] * op.signs.numpy()[None] / math.sqrt(op.m)
    assert np.allclose(op(x).numpy(), x.reshape(3, -1).numpy() @ dense.T, atol=1e-10)
    assert np.allclose(op.dense_oracle(), dense)
    assert np.allclose(op.dense().numpy(), dense, atol=1e-10)


def test_circulant_rows_are_distinct_and_normalised(rng):
    op = O.PartialCirculant((1, 64, 64), 512, rng=rng, dtype=torch.float64)
    assert op.rows.unique().numel() == 512
    # E||Ax||^2 = ||x||^2 for every fixed x: average over independent operators
    x = torch.zeros(1, 1, 64, 64, dtype=torch.float64)
    x[0, 0, 3, 5] = 1.0
    vals = [float((O.PartialCirculant((1, 64, 64), 64, rng=rng, dtype=torch.float64)(x) ** 2).sum())
            for _ in range(400)]
    assert abs(np.mean(vals) - 1.0) < 4 * np.std(vals) / math.sqrt(400)


def test_circulant_large_n_runs_in_linear_memory(rng):
    op = O.PartialCirculant((3, 1024, 1024), 1000, rng=rng)
    y = op(torch.randn(1, 3, 1024, 1024, generator=rng))
    assert y.shape == (1, 1000) and torch.isfinite(y).all()


def test_gaussian_cs_scaling(rng):
    op = O.GaussianCS((1, 10, 10), 4000, rng=rng, dtype=torch.float64)
    x = torch.randn(1, 1, 10, 10, generator=rng, dtype=torch.float64)
    assert abs(float((op(x) ** 2).sum() / (x ** 2).sum()) - 1) < 0.1


def test_superres_non_square_and_errors():
    op = O.SuperResolution((3, 12, 20), 4)
    assert op.out_shape == (3, 3, 5)
    with pytest.raises(ValueError, match="divisible"):
        O.SuperResolution((3, 10, 20), 4)
    with pytest.raises(ValueError, match="factor"):
        O.SuperResolution((3, 12, 20), 0)


def test_bad_arguments(rng):
    with pytest.raises(ValueError, match="observed"):
        O.random_mask((3, 8, 8), 1.5, rng=rng)
    with pytest.raises(ValueError, match="kept no pixel"):
        O.random_mask((3, 4, 4), 1e-9, rng=rng)
    m = O.box_mask((3, 8, 6), 2, 1, 3, 5)
    assert m.shape == (3, 8, 6) and m.sum() == 3 * (48 - 15) and m[:, 2:5, 1:6].sum() == 0
    for box in ((6, 0, 3, 2), (0, 2, 2, 5), (-1, 0, 2, 2), (0, 0, 0, 2), (8, 0, 1, 1)):
        with pytest.raises(ValueError, match="inside the 8x6 image"):
            O.box_mask((3, 8, 6), *box)
    with pytest.raises(ValueError, match="whole 8x6 image"):
        O.box_mask((3, 8, 6), 0, 0, 8, 6)
    with pytest.raises(ValueError, match="m must"):
        O.PartialCirculant((1, 4, 4), 17, rng=rng)
    with pytest.raises(ValueError, match="sigma"):
        O.Denoising((1, 4, 4), sigma=-1)
    with pytest.raises(ValueError, match="compose"):
        O.Composition([O.Identity((1, 4, 4)), O.Identity((1, 5, 4))])
    with pytest.raises(ValueError, match="0 and 1"):
        O.Inpainting(torch.full((1, 4, 4), 0.5))


def test_noise_is_reproducible():
    op = O.Denoising((1, 5, 5), sigma=0.2)
    x = torch.zeros(2, 1, 5, 5)
    a = op.measure(x, rng=torch.Generator().manual_seed(3))
    b = op.measure(x, rng=torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and 0.1 < float(a.std()) < 0.3


def test_classifier_operator_is_differentiable(rng):
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(48, 5))
    op = O.Classifier(net, (3, 4, 4), 5)
    x = torch.randn(2, 3, 4, 4, requires_grad=True)
    op(x).sum().backward()
    assert x.grad is not None and op.out_shape == (5,)


@pytest.mark.parametrize("name", sorted(O.OPERATORS))
def test_direct_calls_check_shapes_and_noise_levels(name, rng):
    """``op.A`` / ``op.A_adjoint`` called directly check their input as ``op(x)`` does; a non-finite noise level is
    refused (``measure(sigma=nan)`` added no noise)."""
    op = O.OPERATORS[name]((3, 8, 12), rng)
    bad = torch.zeros(2, 3, 8, 13)
    with pytest.raises(ValueError, match="expects inputs of shape"):
        op.A(bad)
    if isinstance(op, O.LinearOperator):
        with pytest.raises(ValueError, match="A_adjoint expects inputs of shape"):
            op.A_adjoint(torch.zeros(2, 1, 1))
    for sigma in (math.nan, math.inf, -1.0):
        with pytest.raises(ValueError, match="sigma must be finite"):
            op.measure(torch.zeros(1, 3, 8, 12), sigma, rng=rng)


def test_an_inpainting_mask_must_observe_something():
    with pytest.raises(ValueError, match="observes no pixel"):
        O.Inpainting(torch.zeros(3, 4, 4))


def test_circulant_spectrum_cache_follows_dtype_device_and_filter(rng):
    """The filter's spectrum is computed once per dtype/device and never silently cast: after ``.double()`` the
    operator equals its float64 dense oracle; a filter changed in place (or replaced) is transformed afresh."""
    op = O.PartialCirculant((3, 5, 7), 40, rng=rng)
    x = torch.randn(2, 3, 5, 7, generator=rng)
    op(x)
    op(x)
    assert len(op._spectra) == 1
    op64 = op.double()
    x64 = x.double()
    dense = torch.from_numpy(op64.dense_oracle())
    assert torch.allclose(op64(x64), x64.reshape(2, -1) @ dense.T, rtol=1e-12, atol=1e-12)
    with torch.no_grad():
        op64.filter.mul_(2.0)
    assert torch.allclose(op64(x64), 2 * x64.reshape(2, -1) @ dense.T, rtol=1e-12, atol=1e-12)
    y = torch.randn(2, 40, generator=rng, dtype=torch.float64)
    assert torch.allclose(op64.A_adjoint(y).reshape(2, -1), 2 * y @ dense, rtol=1e-12, atol=1e-12)
    assert len(op64._spectra) <= 2   # forward and conjugate spectra of the current filter only


def test_gaussian_cs_from_a_given_matrix():
    g = torch.Generator().manual_seed(0)
    M = torch.randn(5, 12, generator=g, dtype=torch.float64)
    op = O.GaussianCS.from_matrix(M, (3, 4))
    x = torch.randn(2, 3, 4, generator=g, dtype=torch.float64)
    assert torch.allclose(op(x), x.reshape(2, -1) @ M.T) and op.out_shape == (5,)
    assert torch.allclose(op.A_adjoint(op(x)), (x.reshape(2, -1) @ M.T @ M).reshape(2, 3, 4))
    for bad, shape in ((M[0], None), (M, (5, 5)), (M * float("nan"), None)):
        with pytest.raises(ValueError, match="matrix|in_shape"):
            O.GaussianCS.from_matrix(bad, shape)
