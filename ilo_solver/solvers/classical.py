r"""Classical, prior-free baselines beside the generative solvers -- what a one-line method does on the same
observation, so that a reader sees where a generative prior helps and where it does not:

- ``bicubic`` (super-resolution): the low-resolution image enlarged by bicubic interpolation
  (``F.interpolate(mode='bicubic')``, Keys 1981);
- ``fill`` (inpainting): the missing pixels filled by biharmonic interpolation of the observed ones
  (:func:`skimage.restoration.inpaint_biharmonic`, Damelin & Hoang 2018);
- ``tv`` (denoising): total-variation denoising, Chambolle's projection algorithm
  (:func:`skimage.restoration.denoise_tv_chambolle`), weight = the task's noise std on scikit-image's [0, 1] scale
  -- a fixed rule, never tuned on the truth;
- ``nlmeans`` (denoising): non-local means (Buades et al. 2005; :func:`skimage.restoration.denoise_nl_means`,
  5x5 patches, 13x13 search), filter strength h = 0.8 sigma with the known sigma, scikit-image's documented rule;
- ``lstsq`` (compressed sensing, any linear operator): the minimum-norm least-squares solution
  :math:`x = A^\top(AA^\top)^{-1}y`, by conjugate gradients on :math:`AA^\top` (200 iterations at most).

Each runs on one operator kind and refuses the others. They ignore the generator ``G`` (the solver interface is
shared so that ``ilo solve --method bicubic`` runs through the same registry, preset table and result files).
"""
from __future__ import annotations

import dataclasses
import time

import numpy as np
import torch
import torch.nn.functional as F

from ..optim.loop import SolveResult
from ..physics import operators as O

__all__ = ["ClassicalConfig", "classical", "KINDS", "lstsq_cg"]

#: method -> the operator class it applies to
KINDS = {"bicubic": O.SuperResolution, "fill": O.Inpainting, "tv": O.Denoising, "nlmeans": O.Denoising,
         "lstsq": O.LinearOperator}


@dataclasses.dataclass(frozen=True)
class ClassicalConfig:
    """Which classical baseline (:data:`KINDS`); ``cg_steps``: conjugate-gradient iterations of ``lstsq``."""
    kind: str
    cg_steps: int = 200

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if isinstance(self.cg_steps, bool) or not isinstance(self.cg_steps, int) or not 1 <= self.cg_steps <= 10_000:
            raise ValueError(f"cg_steps must be an integer in [1, 10000], got {self.cg_steps!r}")


def lstsq_cg(op, y: torch.Tensor, steps: int = 200, tol: float = 1e-10) -> torch.Tensor:
    r"""Minimum-norm least squares :math:`A^\top w` with :math:`AA^\top w = y` solved by conjugate gradients
    (Hestenes & Stiefel 1952), in float64; ``y`` ``[B, m]``."""
    y64 = y.double()

    def aat(v):
        return op.A(op.A_adjoint(v.to(y.dtype)).double().to(y.dtype)).double()
    w = torch.zeros_like(y64)
    r = y64.clone()
    p = r.clone()
    rs = (r * r).flatten(1).sum(1)
    for _ in range(steps):
        q = aat(p)
        alpha = rs / (p * q).flatten(1).sum(1).clamp_min(1e-300)
        w = w + alpha.view(-1, *[1] * (w.dim() - 1)) * p
        r = r - alpha.view(-1, *[1] * (r.dim() - 1)) * q
        new = (r * r).flatten(1).sum(1)
        if bool((new.sqrt() <= tol * y64.flatten(1).norm(dim=1).clamp_min(1e-300)).all()):
            break
        p = r + (new / rs.clamp_min(1e-300)).view(-1, *[1] * (r.dim() - 1)) * p
        rs = new
    return op.A_adjoint(w.to(y.dtype))


def _numpy_image(x: torch.Tensor) -> np.ndarray:
    """[3, H, W] in [-1, 1] -> [H, W, 3] float64 in [0, 1] (scikit-image's convention)."""
    return ((x.detach().cpu().double().permute(1, 2, 0).numpy() + 1) / 2).clip(0, 1)


def _torch_image(a: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a * 2 - 1)).permute(2, 0, 1).to(like.dtype).to(like.device)


def classical(G, y: torch.Tensor, op, *, config: ClassicalConfig, rng: torch.Generator | None = None,
              progress: bool = False) -> SolveResult:
    """Run the classical baseline ``config.kind`` on ``y`` ``[1, *op.out_shape]``; ``G`` and ``rng`` are not used."""
    from skimage import restoration
    if not isinstance(op, KINDS[config.kind]):
        raise ValueError(f"the {config.kind} baseline applies to {KINDS[config.kind].__name__}, not "
                         f"{type(op).__name__}")
    t0 = time.perf_counter()
    if config.kind == "bicubic":
        x = F.interpolate(y, size=tuple(op.in_shape[1:]), mode="bicubic", align_corners=False).clamp(-1, 1)
    elif config.kind == "fill":
        missing = (op.mask[0] == 0).cpu().numpy()
        out = restoration.inpaint_biharmonic(_numpy_image(y[0]), missing, channel_axis=-1)
        x = _torch_image(out, y)[None]
    elif config.kind == "tv":
        out = restoration.denoise_tv_chambolle(_numpy_image(y[0]), weight=op.sigma / 2, channel_axis=-1)
        x = _torch_image(out, y)[None]
    elif config.kind == "nlmeans":
        s = op.sigma / 2          # the noise std on the [0, 1] scale scikit-image works on
        out = restoration.denoise_nl_means(_numpy_image(y[0]), h=0.8 * s, sigma=s, patch_size=5, patch_distance=6,
                                           fast_mode=True, channel_axis=-1)
        x = _torch_image(out, y)[None]
    else:
        x = lstsq_cg(op, y, steps=config.cg_steps)
    return SolveResult(x=x.detach(), losses=[], seconds=[time.perf_counter() - t0], config=config)
