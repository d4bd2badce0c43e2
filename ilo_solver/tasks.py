"""The five inverse problems of the CLI and the benchmark, and the method presets (module-level, frozen).

A :class:`Task` bundles the forward operator, the observation noise level, the mask (inpainting: turns on the LPIPS
fill policy) and the data-fit that suits it (LPIPS only where the observation is an image; SNA for denoising).
"""
from __future__ import annotations

import dataclasses
import math

import torch

from . import operators as O
from .ilo import ILOConfig, csgm_config
from .losses import DataFit

__all__ = ["TASKS", "METHODS", "Task", "make_task", "method_config"]

TASKS = ("inpaint", "denoise", "superres", "cs-gaussian", "cs-circulant")
METHODS = ("csgm", "ilo", "unconstrained")


@dataclasses.dataclass(frozen=True)
class Task:
    name: str
    op: O.Operator
    sigma: float                 # observation noise std (on [-1, 1] images)
    mask: torch.Tensor | None
    fit: DataFit
    params: dict

    def observe(self, x: torch.Tensor, *, rng: torch.Generator) -> torch.Tensor:
        return self.op.measure(x[None], self.sigma, rng=rng)


def make_task(name: str, shape=(3, 64, 64), *, rng: torch.Generator, observed: float = 0.2,
              box: tuple[int, int, int, int] | None = None, sigma: float = 0.1, factor: int = 4,
              ratio: float = 0.1, lpips_weight: float = 0.2) -> Task:
    """Build task ``name`` for images of ``shape``; raises ValueError on a bad name or parameter."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; choose from {', '.join(TASKS)}")
    n = math.prod(shape)
    image_fit = DataFit(lpips_weight=lpips_weight)
    if name == "inpaint":
        if box is not None:
            mask = O.box_mask(shape, *box)
            params = dict(box=list(box))
        else:
            mask = O.random_mask(shape, observed, rng=rng)
            params = dict(observed=observed)
        return Task(name, O.Inpainting(mask), 0.0, mask, image_fit, params)
    if name == "denoise":
        if not sigma > 0:
            raise ValueError(f"--sigma must be > 0 for denoising, got {sigma}")
        return Task(name, O.Denoising(shape, sigma), sigma, None,
                    dataclasses.replace(image_fit, sna_sigma=sigma), dict(sigma=sigma))
    if name == "superres":
        return Task(name, O.SuperResolution(shape, factor), 0.0, None,
                    DataFit(lpips_weight=lpips_weight if min(shape[1:]) // factor >= 32 else 0.0),  # AlexNet: >= 32 px
                    dict(factor=factor))
    if not 0 < ratio <= 1:
        raise ValueError(f"--ratio must lie in (0, 1], got {ratio}")
    m = max(1, round(ratio * n))
    cls = O.GaussianCS if name == "cs-gaussian" else O.PartialCirculant
    return Task(name, cls(shape, m, rng=rng), 0.0, None, DataFit(), dict(ratio=ratio, m=m))


def method_config(method: str, fit: DataFit, *, restarts: int = 4, scale: float = 1.0) -> ILOConfig:
    """Presets for the DCGAN prior (split points 1, 2, 3 = the [512,4,4], [256,8,8], [128,16,16] codes).
    ``scale`` multiplies every step count (``--steps-scale``)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    st = lambda *s: tuple(max(1, round(v * scale)) for v in s)
    if method == "csgm":
        return csgm_config(*st(400), lr=0.05, restarts=restarts, fit=fit)
    # radii measured on the astronaut (tune: 50 too small, 200 < 800 ~ (400, 800, 1600) in PSNR on every task tried)
    radii = (800.0, 800.0, 800.0) if method == "ilo" else (math.inf,) * 3
    return ILOConfig(splits=(1, 2, 3), steps=st(200, 100, 100, 100), lrs=(0.05, 0.02, 0.02, 0.02), radii=radii,
                     restarts=restarts, fit=fit)
