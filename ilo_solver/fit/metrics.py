"""Image-quality metrics on images in [-1, 1] (``[3, H, W]`` or ``[B, 3, H, W]``): PSNR and SSIM from scikit-image,
LPIPS (AlexNet) from :mod:`ilo_solver.lpips`."""
from __future__ import annotations

import numpy as np
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from .lpips import lpips

__all__ = ["psnr", "ssim", "lpips_metric", "all_metrics"]


def _np(x: torch.Tensor) -> np.ndarray:
    x = x.detach().to(torch.float64).cpu()
    if x.dim() == 4:
        if x.shape[0] != 1:
            raise ValueError(f"metrics take one image at a time, got a batch of {x.shape[0]}")
        x = x[0]
    if x.dim() != 3:
        raise ValueError(f"expected [C, H, W] or [1, C, H, W], got {list(x.shape)}")
    return ((x.clamp(-1, 1) + 1) / 2).permute(1, 2, 0).numpy()  # HWC in [0, 1]


def psnr(x: torch.Tensor, ref: torch.Tensor) -> float:
    return float(peak_signal_noise_ratio(_np(ref), _np(x), data_range=1.0))


def ssim(x: torch.Tensor, ref: torch.Tensor) -> float:
    return float(structural_similarity(_np(ref), _np(x), data_range=1.0, channel_axis=2))


def lpips_metric(x: torch.Tensor, ref: torch.Tensor, net: str = "alex") -> float:
    x4 = x if x.dim() == 4 else x[None]
    r4 = ref if ref.dim() == 4 else ref[None]
    with torch.no_grad():
        return float(lpips(x4.float(), r4.float(), net)[0])


def all_metrics(x: torch.Tensor, ref: torch.Tensor) -> dict[str, float]:
    return {"psnr": psnr(x, ref), "ssim": ssim(x, ref), "lpips": lpips_metric(x, ref)}
