r"""The latent-space tools of PULSE (Menon et al., CVPR 2020) that ILO's StyleGAN-2 code uses (docs/theory_notes.md
§2 [V]).

- :func:`gaussian_fit` -- PULSE's mapping proxy: push many z through the generator's *own* mapping network, undo the
  final leaky ReLU (slope 0.2 → multiply negatives by 5), and fit a per-coordinate mean and std. A search variable
  u on the sphere of radius √512 is turned into w by :func:`from_gaussian`, :math:`w=\mathrm{lrelu}_{0.2}(u\sigma+\mu)`.
- :func:`geocross` -- the geodesic cross-layer regulariser: the mean squared angle between the per-layer latents,
  :math:`\frac{512}{8}\cdot\frac1{n^2}\sum_{i,j}\big(2\,\mathrm{atan2}(\|x_i-x_j\|,\|x_i+x_j\|)\big)^2`.

The spherical step after every Adam step (:func:`~ilo_solver.optim.projection.renormalise`, and
:func:`~ilo_solver.optim.projection.renormalise_tensors_` for the noise maps) lives with the other projections.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["gaussian_fit", "from_gaussian", "geocross"]


@torch.no_grad()
def gaussian_fit(mapping, style_dim: int, *, n: int = 100_000, batch: int = 10_000,
                 rng: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean, std) of ``leaky_relu(mapping(z), 5)`` over ``n`` draws z ~ N(0, I) (PULSE's Gaussian fit)."""
    if n < 2 or batch < 1:
        raise ValueError(f"n must be >= 2 and batch >= 1, got {n}, {batch}")
    p = next(mapping.parameters())
    acc = torch.float32 if p.device.type == "mps" else torch.float64   # float64 sums wherever the device has them
    s1 = torch.zeros(style_dim, dtype=acc, device=p.device)
    s2 = torch.zeros(style_dim, dtype=acc, device=p.device)
    done = 0
    while done < n:
        b = min(batch, n - done)
        z = torch.randn(b, style_dim, generator=rng, dtype=p.dtype).to(p.device)
        v = F.leaky_relu(mapping(z), 5.0).to(acc)
        s1 += v.sum(0)
        s2 += (v ** 2).sum(0)
        done += b
    mean = s1 / n
    std = torch.sqrt(torch.clamp((s2 - n * mean ** 2) / (n - 1), min=0))
    return mean.to(p.dtype), std.to(p.dtype)   # on the mapping network's device


def from_gaussian(u: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """w = leaky_relu(u * std + mean, 0.2): back from PULSE's Gaussianised space to W."""
    return F.leaky_relu(u * std + mean, 0.2)


def geocross(latent: torch.Tensor) -> torch.Tensor:
    """Geodesic cross-layer loss of w+ ``[B, n, D]`` (0 for n = 1), summed over the batch."""
    if latent.dim() != 3:
        raise ValueError(f"latent must be [B, n, D], got {list(latent.shape)}")
    B, n, D = latent.shape
    if n == 1:
        return latent.new_zeros(())
    X, Y = latent[:, None, :, :], latent[:, :, None, :]
    a = ((X - Y) ** 2).sum(-1).add(1e-9).sqrt()
    b = ((X + Y) ** 2).sum(-1).add(1e-9).sqrt()
    d = 2 * torch.atan2(a, b)
    return ((d ** 2 * D).mean((1, 2)) / 8.0).sum()
