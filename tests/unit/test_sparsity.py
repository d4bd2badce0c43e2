"""ilo_solver.solvers.sparsity: Lasso in an orthonormal basis by FISTA -- the closed form for an identity operator,
a dense reference solver on a tiny compressed-sensing problem, orthonormal bases, the hold-out choice of λ, and
`ilo solve --method lasso-dct|lasso-wavelet` on every linear task."""
import json

import numpy as np
import pytest
import torch

from ilo_solver.physics import operators as O
from ilo_solver.solvers.sparsity import LassoConfig, _lipschitz, basis_pair, lasso, lasso_fixed, soft_threshold


@pytest.mark.parametrize("basis", ["dct", "wavelet"])
def test_bases_are_orthonormal(basis):
    analysis, synthesis = basis_pair((2, 3, 16, 16), LassoConfig(basis, wavelet="haar", level=2))
    c = torch.randn(2, 3, 16, 16, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert torch.allclose(analysis(synthesis(c)), c, atol=1e-10)
    assert torch.allclose(synthesis(c).norm(), c.norm(), rtol=1e-12)


def test_identity_operator_gives_the_soft_threshold_closed_form():
    """A = I and Ψ orthonormal: the Lasso solution is Ψ soft(Ψᵀy, λ) (hand-checked soft threshold too)."""
    assert soft_threshold(torch.tensor([-3.0, -0.5, 0.0, 0.5, 2.0]), 1.0).tolist() == [-2.0, 0.0, 0.0, 0.0, 1.0]
    op = O.Denoising((3, 8, 8), 0.1)
    y = torch.randn(1, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    analysis, synthesis = basis_pair((1, 3, 8, 8), LassoConfig("dct"))
    c = lasso_fixed(op, y, 0.7, analysis, synthesis, steps=300, L=_lipschitz(op, (1, 3, 8, 8)))
    assert torch.allclose(c, soft_threshold(analysis(y.double()), 0.7), atol=1e-6)


def test_fista_agrees_with_a_dense_reference_solver():
    """Gaussian CS on a 3x8x8 image (m = 60): FISTA's objective and solution match L-BFGS-B on the split
    formulation c = u - v, u, v >= 0 of the same dense problem (scipy)."""
    from scipy.optimize import minimize
    g = torch.Generator().manual_seed(2)
    op = O.GaussianCS((3, 8, 8), 60, rng=g)
    x = torch.randn(1, 3, 8, 8, generator=g)
    y = op(x)
    cfg = LassoConfig("dct")
    analysis, synthesis = basis_pair((1, 3, 8, 8), cfg)
    n = 3 * 64
    M = np.stack([op.A(synthesis(torch.eye(n, dtype=torch.float64)[i].view(1, 3, 8, 8)).float()).double()
                  .flatten().numpy() for i in range(n)], 1)                  # the dense A Ψ, column by column
    yv, lam = y.double().flatten().numpy(), 0.05

    def f(w):
        c = w[:n] - w[n:]
        r = M @ c - yv
        grad = M.T @ r
        return 0.5 * r @ r + lam * w.sum(), np.concatenate([grad + lam, -grad + lam])
    ref = minimize(f, np.zeros(2 * n), jac=True, method="L-BFGS-B", bounds=[(0, None)] * (2 * n),
                   options=dict(maxiter=20000, ftol=1e-15, gtol=1e-12))
    c_ref = ref.x[:n] - ref.x[n:]
    c = lasso_fixed(op, y, lam, analysis, synthesis, steps=3000, L=_lipschitz(op, (1, 3, 8, 8))).flatten().numpy()
    obj = f(np.concatenate([np.maximum(c, 0), np.maximum(-c, 0)]))[0]
    assert obj <= ref.fun * (1 + 1e-6)                 # the same minimum (measured: 2.4e-8 relative)
    # the same minimiser, to the flatness of an m < n problem through a float32 operator (measured 1.6e-3 relative)
    assert np.abs(c - c_ref).max() < 5e-3 * np.abs(c_ref).max()
    assert np.array_equal(np.abs(c) > 1e-2, np.abs(c_ref) > 1e-2)      # the same support


def test_hold_out_lambda_recovers_a_basis_sparse_image_and_lies_inside_the_path():
    g = torch.Generator().manual_seed(3)
    c = torch.zeros(1, 3, 16, 16, dtype=torch.float64)
    c[..., :4, :4] = torch.randn(1, 3, 4, 4, generator=g, dtype=torch.float64)   # low-frequency DCT: 48 non-zeros
    _, synthesis = basis_pair((1, 3, 16, 16), LassoConfig("dct"))
    x = (synthesis(c) / 4).float()
    op = O.GaussianCS((3, 16, 16), 300, rng=g)
    y = op(x)
    exact = lasso(None, y, op, config=LassoConfig("dct", steps=300))
    assert float((exact.x - x).norm() / x.norm()) < 0.01                # noiseless: the path's end, ~basis pursuit
    noisy = y + 0.02 * y.std() * torch.randn(y.shape, generator=g)
    res = lasso(None, noisy, op, config=LassoConfig("dct", steps=300))
    assert float((res.x - x).norm() / x.norm()) < 0.1
    errs = res.losses[0]
    assert len(errs) == 12 and 0 < int(np.argmin(errs)) < 11            # noisy: chosen inside the path


@pytest.mark.parametrize("basis", ["dct", "wavelet"])
def test_a_batch_is_independent_problems_each_with_its_own_lambda(basis):
    """Rows of ``y`` under one operator are solved as separate problems: the batch equals each image alone (its own
    λ path and hold-out choice), so an easy image beside a hard one changes nothing."""
    g = torch.Generator().manual_seed(4)
    op = O.GaussianCS((3, 16, 16), 200, rng=g)
    x = torch.randn(3, 3, 16, 16, generator=g) * torch.tensor([1.0, 0.05, 3.0]).view(3, 1, 1, 1)
    y = op(x)
    cfg = LassoConfig(basis, wavelet="haar", level=2, steps=40, path=6)
    both = lasso(None, y, op, config=cfg)
    for i in range(3):
        one = lasso(None, y[i:i + 1], op, config=cfg)
        assert torch.allclose(both.x[i], one.x[0], atol=1e-5)
        assert np.allclose(both.losses[i], one.losses[0], rtol=1e-6)


def test_the_batched_wavelet_transform_equals_the_per_image_one():
    """The vectorised transform (PyWavelets over the last two axes of the whole batch) against a loop of 2-D
    transforms, image by image and channel by channel."""
    import pywt
    a = np.random.default_rng(5).standard_normal((2, 3, 16, 16))
    analysis, _ = basis_pair(a.shape, LassoConfig("wavelet", wavelet="db2", level=2))
    got = analysis(torch.from_numpy(a)).numpy()
    for idx in np.ndindex(2, 3):
        ref = pywt.coeffs_to_array(pywt.wavedec2(a[idx], "db2", mode="periodization", level=2))[0]
        assert np.allclose(got[idx], ref, atol=1e-12)


def test_bad_configs_and_operators_are_refused():
    with pytest.raises(ValueError, match="basis must be 'dct' or 'wavelet'"):
        LassoConfig("fourier")
    with pytest.raises(ValueError, match="orthogonal discrete PyWavelets name"):
        LassoConfig("wavelet", wavelet="bior2.2")
    with pytest.raises(ValueError, match=r"holdout must lie in \(0, 0.5\)"):
        LassoConfig(holdout=0.5)
    with pytest.raises(ValueError, match="needs sides divisible by 8"):
        basis_pair((1, 3, 12, 12), LassoConfig("wavelet", level=3))
    clf = O.Classifier.__new__(O.Classifier)
    with pytest.raises(ValueError, match="Lasso needs a linear operator"):
        lasso(None, torch.zeros(1, 10), clf, config=LassoConfig())


@pytest.mark.parametrize("task, extra", [("inpaint", []), ("denoise", []), ("superres", []), ("cs-gaussian", []),
                                         ("cs-circulant", [])])
def test_ilo_solve_method_lasso_on_every_linear_task(tmp_path, task, extra):
    from ilo_solver.cli import main
    for method in ("lasso-dct", "lasso-wavelet"):
        out = tmp_path / method
        assert main(["solve", "--image", "astronaut", "--task", task, "--method", method, "--steps-scale", "0.1",
                     "--no-progress", "--out", str(out), *extra]) == 0
        cfg = json.loads((out / "config.json").read_text())
        assert cfg["method"]["type"] == "LassoConfig" and cfg["method"]["steps"] == 30
        assert json.loads((out / "metrics.json").read_text())["psnr"] > 10
