"""Image-quality metrics on images in [-1, 1] (``[3, H, W]`` or ``[B, 3, H, W]``): PSNR and SSIM from scikit-image,
LPIPS (AlexNet) from :mod:`ilo_solver.fit.lpips`; and whether a posterior sampler's spread predicts its error
(:func:`posterior_maps`, :func:`std_predicts_error`)."""
from __future__ import annotations

import numpy as np
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from .lpips import lpips

__all__ = ["psnr", "ssim", "lpips_metric", "all_metrics", "posterior_maps", "std_predicts_error"]


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


def posterior_maps(samples: torch.Tensor, truth: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(std, error) of posterior image samples ``[S, C, H, W]`` (S >= 2) against the truth ``[C, H, W]``: the
    pixelwise standard deviation over the samples (ddof 0) and the absolute error of their mean, both ``[C, H, W]``
    (float64)."""
    if samples.dim() != 4 or samples.shape[0] < 2 or tuple(samples.shape[1:]) != tuple(truth.shape):
        raise ValueError(f"samples must be [S >= 2, *truth.shape], got {list(samples.shape)} for a truth of "
                         f"{list(truth.shape)}")
    s = samples.detach().double().cpu()
    return s.std(0, unbiased=False), (s.mean(0) - truth.detach().double().cpu()).abs()


def std_predicts_error(std: torch.Tensor, error: torch.Tensor, *, k: float = 2.0) -> dict[str, float]:
    """Does a posterior spread predict the error? For maps ``[C, H, W]`` (:func:`posterior_maps`):

    - ``spearman``: Spearman's rank correlation between the channel-mean std and the channel-mean error over pixels
      (:func:`scipy.stats.spearmanr`; scale-free, so a sampler whose spread is right up to a factor scores as well);
    - ``coverage``: the fraction of entries whose error is within ``k`` standard deviations (a calibrated Gaussian
      posterior gives 0.954 at k = 2);
    - ``scale``: RMS std / RMS error (1 for a calibrated posterior)."""
    from scipy.stats import spearmanr
    if std.shape != error.shape or std.dim() != 3:
        raise ValueError(f"std and error must be two [C, H, W] maps of one shape, got {list(std.shape)}, "
                         f"{list(error.shape)}")
    sd, er = std.double(), error.double()
    rho = spearmanr(sd.mean(0).flatten().numpy(), er.mean(0).flatten().numpy()).statistic
    return dict(spearman=float(rho), coverage=float((er <= k * sd).double().mean()),
                scale=float(sd.pow(2).mean().sqrt() / er.pow(2).mean().sqrt().clamp_min(1e-300)))
