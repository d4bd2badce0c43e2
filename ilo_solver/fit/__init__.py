"""How well an image fits: the data-fit terms a solver minimises (:mod:`.losses`: MSE, LPIPS with the inpainting
fill, the dead-zone ℓ1, stochastic noise addition, cross-entropy, combined in
:class:`~ilo_solver.fit.losses.DataFit`), LPIPS itself on the
real ImageNet backbones (:mod:`.lpips`), and the reported metrics PSNR / SSIM / LPIPS (:mod:`.metrics`).

Import rule: ``fit`` may import :mod:`ilo_solver.io` (the LPIPS weights) and nothing else of ``ilo_solver``; an
operator reaches a data fit as an argument (duck-typed ``op(x)`` and ``op.fill_mask``), never by import.
"""
from .losses import DataFit, cross_entropy, dead_zone_l1, lpips_fill, mse, stochastic_noise_addition
from .lpips import LPIPS, lpips
from .metrics import all_metrics, lpips_metric, psnr, ssim

__all__ = ["DataFit", "mse", "lpips_fill", "dead_zone_l1", "stochastic_noise_addition", "cross_entropy", "LPIPS",
           "lpips", "psnr", "ssim", "lpips_metric", "all_metrics"]
