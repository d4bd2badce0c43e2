r"""The classical sparsity baseline of compressed sensing -- the one CSGM's headline compares against (Bora et al.
2017, Fig. 1): **Lasso in an orthonormal basis**, solved on our operators' :math:`A` / :math:`A^\top`.

.. math:: \hat c=\arg\min_c \tfrac12\|A\Psi c-y\|_2^2+\lambda\|c\|_1,\qquad \hat x=\Psi\hat c

with :math:`\Psi` the orthonormal 2-D DCT-II of each colour channel (``basis='dct'``, :func:`scipy.fft.dctn`,
``norm='ortho'``) or an orthonormal Daubechies wavelet transform (``basis='wavelet'``, PyWavelets' ``wavedec2``
with periodisation: orthonormal for the orthogonal ``db`` family). Solved by FISTA (Beck & Teboulle 2009) with the
step :math:`1/L`, :math:`L\ge\|A\|^2` by power iteration, warm-started along a decreasing path of :math:`\lambda`.

**Choice of** :math:`\lambda` (a stated rule, never the truth): *hold-out* -- a random 10 % of the measurements
(seeded) is set aside, the path :math:`\lambda_j=\lambda_{\max}\,10^{-4j/(J-1)}` (:math:`\lambda_{\max}=
\|\Psi^\top A^\top y\|_\infty`, where the solution is 0) is fitted on the other 90 %, the :math:`\lambda` of least
held-out residual is kept, and the problem is solved again on all measurements with it, warm-started from its
hold-out fit (cross-validation for the Lasso, e.g. Hastie, Tibshirani & Wainwright 2015, §2.3). In a noiseless
problem the held-out error falls all the way down the path, and the rule ends near basis pursuit, as it should.
Held-out entries are entries of ``y`` (pixels for inpainting and denoising, rows for CS), so the rule needs nothing
but the operator.
"""
from __future__ import annotations

import dataclasses
import math
import time

import numpy as np
import torch

from ..optim.loop import SolveResult
from ..physics import operators as O

__all__ = ["LassoConfig", "lasso", "lasso_fixed", "basis_pair", "soft_threshold"]


@dataclasses.dataclass(frozen=True)
class LassoConfig:
    """``basis`` 'dct' or 'wavelet' (``wavelet`` a PyWavelets orthogonal name, ``level`` its decomposition depth);
    ``steps`` FISTA iterations per path point, ``path`` the number of λ values, ``holdout`` the fraction of
    measurements set aside to choose λ (``seed`` of that split)."""
    basis: str = "dct"
    wavelet: str = "db4"
    level: int = 3
    steps: int = 300
    path: int = 12
    holdout: float = 0.1
    seed: int = 0

    def __post_init__(self):
        if self.basis not in ("dct", "wavelet"):
            raise ValueError(f"basis must be 'dct' or 'wavelet', got {self.basis!r}")
        for name, lo in (("level", 1), ("steps", 1), ("path", 2)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
        if not (isinstance(self.holdout, (int, float)) and 0 < self.holdout < 0.5):
            raise ValueError(f"holdout must lie in (0, 0.5), got {self.holdout!r}")
        if self.basis == "wavelet":
            import pywt
            if self.wavelet not in pywt.wavelist(kind="discrete") or not pywt.Wavelet(self.wavelet).orthogonal:
                raise ValueError(f"wavelet must be an orthogonal discrete PyWavelets name (e.g. 'haar', 'db4'), "
                                 f"got {self.wavelet!r}")


def soft_threshold(c: torch.Tensor, t: float) -> torch.Tensor:
    """:math:`\\mathrm{sign}(c)\\max(|c|-t,0)`, the proximal map of :math:`t\\|\\cdot\\|_1`."""
    return torch.sign(c) * torch.clamp(c.abs() - t, min=0)


def basis_pair(shape: tuple, cfg: LassoConfig):
    """(analysis Ψᵀ, synthesis Ψ) for images ``[B, C, H, W]`` (float64 tensors): coefficient tensors of the same
    shape (the wavelet coefficients packed by :func:`pywt.coeffs_to_array`)."""
    if cfg.basis == "dct":
        from scipy.fft import dctn, idctn

        def analysis(x):
            return torch.from_numpy(dctn(x.cpu().numpy(), axes=(-2, -1), norm="ortho")).to(x)

        def synthesis(c):
            return torch.from_numpy(idctn(c.cpu().numpy(), axes=(-2, -1), norm="ortho")).to(c)
        return analysis, synthesis
    import pywt
    H, W = shape[-2:]
    if H % 2 ** cfg.level or W % 2 ** cfg.level:
        raise ValueError(f"a {cfg.level}-level wavelet transform needs sides divisible by {2 ** cfg.level}, got "
                         f"{H}x{W}")
    kw = dict(wavelet=cfg.wavelet, mode="periodization", level=cfg.level, axes=(-2, -1))
    slices: dict = {}   # coefficient layout per array shape (the packing depends on the leading axes too)

    def layout(shape):
        if shape not in slices:
            slices[shape] = pywt.coeffs_to_array(pywt.wavedec2(np.zeros(shape), **kw), axes=(-2, -1))[1]
        return slices[shape]

    def analysis(x):   # every image and channel at once (the transform runs over the last two axes)
        return torch.from_numpy(pywt.coeffs_to_array(pywt.wavedec2(x.cpu().numpy(), **kw), axes=(-2, -1))[0]).to(x)

    def synthesis(c):
        a = c.cpu().numpy()
        coeffs = pywt.array_to_coeffs(a, layout(a.shape), output_format="wavedec2")
        return torch.from_numpy(pywt.waverec2(coeffs, cfg.wavelet, mode="periodization", axes=(-2, -1))).to(c)
    return analysis, synthesis


def _lipschitz(op, shape, *, iters: int = 50) -> float:
    """An upper estimate of :math:`\\|A\\|^2` (power iteration on :math:`A^\\top A`, x 1.05)."""
    v = torch.randn(shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    lam = 1.0
    for _ in range(iters):
        w = op.A_adjoint(op.A(v.float()).double().float()).double()
        lam = float(w.norm() / v.norm().clamp_min(1e-300))
        v = w / w.norm().clamp_min(1e-300)
    return 1.05 * lam


def lasso_fixed(op, y: torch.Tensor, lam, analysis, synthesis, *, steps: int, L: float,
                keep: torch.Tensor | None = None, c0: torch.Tensor | None = None) -> torch.Tensor:
    """FISTA for one λ per problem: the coefficients ``c`` (float64), from ``c0`` (warm start) or 0; ``lam`` a
    number or one value per row of ``y`` (the rows are independent problems under one operator); ``keep`` (a 0/1
    tensor of ``y``'s shape) fits only the kept measurements."""
    shape = (y.shape[0], *op.in_shape)
    lam = torch.as_tensor(lam, dtype=torch.float64).reshape(-1, *[1] * len(op.in_shape))
    y64 = y.double()
    m = torch.ones_like(y64) if keep is None else keep.double()

    def grad(c):
        r = (op.A(synthesis(c).float()).double() - y64) * m
        return analysis(op.A_adjoint(r.float()).double())
    c = torch.zeros(shape, dtype=torch.float64) if c0 is None else c0.clone()
    z, t = c.clone(), 1.0
    for _ in range(steps):
        c_new = soft_threshold(z - grad(z) / L, lam / L)
        t_new = (1 + math.sqrt(1 + 4 * t * t)) / 2
        z = c_new + (t - 1) / t_new * (c_new - c)
        c, t = c_new, t_new
    return c


def lasso(G, y: torch.Tensor, op, *, config: LassoConfig, rng: torch.Generator | None = None,
          progress: bool = False) -> SolveResult:
    """Lasso in ``config.basis`` with λ chosen by hold-out (see the module docstring) for ``y`` ``[B, *out]`` of a
    linear operator: each row is its own problem (own λ path from its own λ_max, own choice);
    ``G`` and ``rng`` are not used (the split is seeded by ``config.seed``). The result's ``losses`` hold, per
    problem, the held-out residual at each λ of its path."""
    if not isinstance(op, O.LinearOperator):
        raise ValueError(f"Lasso needs a linear operator (A and its adjoint), not {type(op).__name__}")
    t0 = time.perf_counter()
    B = y.shape[0]
    shape = (B, *op.in_shape)
    analysis, synthesis = basis_pair(shape, config)
    L = _lipschitz(op, (1, *op.in_shape))
    lam_max = analysis(op.A_adjoint(y.float()).double()).abs().reshape(B, -1).amax(1)
    held = (torch.rand(y.shape[1:], generator=torch.Generator().manual_seed(config.seed)) < config.holdout)
    held = held.double().expand(y.shape)
    lams = lam_max[None, :] * torch.tensor(10.0 ** (-4 * np.arange(config.path) / (config.path - 1)))[:, None]
    errs, c, path = [], None, []
    for lam in lams:                                   # [J, B]: one λ per problem at each point of the path
        c = lasso_fixed(op, y, lam, analysis, synthesis, steps=config.steps, L=L, keep=1 - held, c0=c)
        r = (op.A(synthesis(c).float()).double() - y.double()) * held
        errs.append((r ** 2).reshape(B, -1).sum(1))
        path.append(c)
    errs = torch.stack(errs, 1)                        # [B, J]
    j = errs.argmin(1)   # refit on all measurements at each problem's λ, warm-started from its hold-out fit
    pick = torch.arange(B)
    c = lasso_fixed(op, y, lams[j, pick], analysis, synthesis, steps=config.steps, L=L,
                    c0=torch.stack(path)[j, pick])
    x = torch.where((lam_max > 0).reshape(B, *[1] * len(op.in_shape)), synthesis(c), 0.0).to(y.dtype).clamp(-1, 1)
    return SolveResult(x=x, losses=errs.tolist(), seconds=[time.perf_counter() - t0],
                       config=dataclasses.replace(config))
