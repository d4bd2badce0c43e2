r"""Data-fit losses for ILO/CSGM, all per batch element (shape ``[B]``) so that batched restarts stay independent.

- :func:`mse` -- :math:`\|A(x)-y\|^2/\dim(y)`.
- :func:`lpips_fill` -- the "fill" policy for inpainting: LPIPS between x and the observation with its holes
  filled by (a detached copy of) x, so that LPIPS sees a whole image and its gradient comes from observed pixels.
- :func:`dead_zone_l1` -- :math:`\mathrm{mean}\max(|r|-\tau,0)`: residuals below the quantisation level τ cost
  nothing (the official ILO code's dead-zone loss for 8-bit observations).
- :func:`stochastic_noise_addition` -- SNA for denoising: add fresh noise of the observation's level to the
  candidate before comparing, so that the fit does not try to explain the noise.
- :func:`cross_entropy` -- :math:`-\sum_c y_c\log\mathrm{softmax}(A(x))_c` for a classifier operator whose
  observation y is a target class distribution (classifier guidance, ILO paper §4, Figures 4-5).
- :class:`DataFit` -- a weighted sum (MSE + LPIPS [+ dead zone] [+ cross-entropy] [+ anchor]) used by
  :func:`ilo_solver.solvers.ilo.ilo`.
"""
from __future__ import annotations

import dataclasses
import math

import torch

from .lpips import lpips

__all__ = ["mse", "lpips_fill", "dead_zone_l1", "stochastic_noise_addition", "cross_entropy", "DataFit"]


def mse(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return ((a - b) ** 2).flatten(1).mean(1)


def lpips_fill(x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor, net: str = "alex", resize=None) -> torch.Tensor:
    """LPIPS(x, mask*y + (1-mask)*x.detach()) for inpainting (y is the masked observation); ``resize`` (optional)
    is applied to both images after filling at full resolution.

    The official code fills with x itself, not a detached copy, and so differentiates through both arguments; here
    the filled reference is a constant within each step (the usual target-image convention of a perceptual loss),
    and the gradient reaches x through the first argument only."""
    filled = mask * y + (1 - mask) * x.detach()
    if resize is not None:
        x, filled = resize(x), resize(filled)
    return lpips(x, filled, net)


def dead_zone_l1(residual: torch.Tensor, tau: float) -> torch.Tensor:
    if tau < 0:
        raise ValueError(f"tau must be >= 0, got {tau}")
    return torch.clamp(residual.abs() - tau, min=0).flatten(1).mean(1)


def stochastic_noise_addition(x: torch.Tensor, sigma: float, *, rng: torch.Generator) -> torch.Tensor:
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0, got {sigma}")
    # drawn on the generator's device: a CPU generator keeps results device-independent (one copy per call), a
    # generator on x's device avoids the copy (and its host synchronisation) in a GPU loop
    return x + sigma * torch.randn(x.shape, generator=rng, dtype=x.dtype, device=rng.device).to(x.device)


def cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-sample cross-entropy of ``logits`` [B, C] against target distributions ``target`` [B, C] (one-hot: the
    usual negative log-likelihood of the class)."""
    if logits.dim() != 2 or target.shape != logits.shape:
        raise ValueError(f"cross_entropy needs logits and targets of the same shape [B, C], got "
                         f"{list(logits.shape)} and {list(target.shape)}")
    return -(target * torch.log_softmax(logits, dim=1)).sum(1)


@dataclasses.dataclass(frozen=True)
class DataFit:
    """loss(x) = mse_weight*MSE(A(x), y) + lpips_weight*LPIPS(...) + dead_zone_weight*deadzone(A(x)-y).

    LPIPS is used only where the observation is an image: on A(x) vs y for image-shaped operators, with the fill
    policy when the operator has a ``fill_mask`` (inpainting: the mask lives in the operator). ``sna_sigma`` > 0
    adds fresh noise to x first (denoising), drawn from ``rng``.
    ``lpips_size``: compare the two images after an antialiased bicubic resize to this many pixels on the short side,
    when they are larger (the official StyleGAN ILO code computes LPIPS-VGG at 256 for 1024² outputs).

    Classifier guidance (ILO paper §4): ``ce_weight`` * :func:`cross_entropy` of the logits A(x) against y (a target
    class distribution), and ``anchor_weight`` * MSE(x, reference) -- the distance to the reference image of Fig. 5's
    morphing, which lives in the operator (``op.reference``, as the inpainting mask does)."""
    mse_weight: float = 1.0
    lpips_weight: float = 0.0
    lpips_net: str = "alex"
    lpips_size: int | None = None
    dead_zone_weight: float = 0.0
    dead_zone_tau: float = 1.0 / 255
    sna_sigma: float = 0.0
    ce_weight: float = 0.0
    anchor_weight: float = 0.0

    def __post_init__(self):
        for f in ("mse_weight", "lpips_weight", "dead_zone_weight", "dead_zone_tau", "sna_sigma", "ce_weight",
                  "anchor_weight"):
            v = getattr(self, f)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and 0 <= v <= 1e6):
                raise ValueError(f"{f} must be finite and in [0, 1e6], got {v!r}")
        if self.lpips_size is not None and self.lpips_size < 32:
            raise ValueError(f"lpips_size must be >= 32 or None, got {self.lpips_size}")
        if self.lpips_net not in ("alex", "vgg"):
            raise ValueError(f"lpips_net must be 'alex' or 'vgg', got {self.lpips_net!r}")

    def __call__(self, x, op, y, *, rng=None) -> torch.Tensor:
        if self.sna_sigma > 0:
            if rng is None:
                raise ValueError("sna_sigma > 0 needs a torch.Generator (rng) for the added noise")
            x = stochastic_noise_addition(x, self.sna_sigma, rng=rng)
        ax = op(x)
        loss = self.mse_weight * mse(ax, y) if self.mse_weight > 0 else x.new_zeros(x.shape[0])
        if self.ce_weight > 0:
            loss = loss + self.ce_weight * cross_entropy(ax, y)
        if self.anchor_weight > 0:
            ref = getattr(op, "reference", None)
            if ref is None:
                raise ValueError(f"anchor_weight > 0 needs an operator with a reference image; "
                                 f"{type(op).__name__} has none")
            loss = loss + self.anchor_weight * mse(x, ref.to(x.dtype).expand_as(x))
        mask = getattr(op, "fill_mask", None)
        if mask is not None:
            mask = mask.to(x.dtype)
        if self.lpips_weight > 0:
            if mask is not None:
                loss = loss + self.lpips_weight * lpips_fill(x, y, mask, self.lpips_net, self._resize)
            elif ax.dim() == 4 and ax.shape[1] == 3 and min(ax.shape[2:]) >= 32:
                loss = loss + self.lpips_weight * lpips(self._resize(ax), self._resize(y), self.lpips_net)
            else:
                raise ValueError(f"lpips_weight > 0 needs image measurements [B, 3, H>=32, W>=32], got "
                                 f"{list(ax.shape)}; set lpips_weight=0 for this operator")
        if self.dead_zone_weight > 0:
            loss = loss + self.dead_zone_weight * dead_zone_l1(ax - y, self.dead_zone_tau)
        return loss

    def _resize(self, t: torch.Tensor) -> torch.Tensor:
        H, W = t.shape[-2:]
        if self.lpips_size is None or min(H, W) <= self.lpips_size:
            return t
        s = self.lpips_size / min(H, W)
        size = (max(1, round(H * s)), max(1, round(W * s)))
        return torch.nn.functional.interpolate(t, size=size, mode="bicubic", antialias=True, align_corners=False)
