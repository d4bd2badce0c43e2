"""The five inverse problems of the CLI and the benchmarks (plus ``classify``, built by
:func:`ilo_solver.solvers.guidance.classify_task`) (the method presets are in :mod:`ilo_solver.presets`).

A :class:`~ilo_solver.physics.tasks.Task` bundles the forward operator (for inpainting it carries the mask, which
turns on the LPIPS fill
policy), the observation noise level and the data-fit that suits it (LPIPS only where the observation is an image;
SNA for denoising).
"""
from __future__ import annotations

import dataclasses
import math

import torch

from ..fit.losses import DataFit
from . import operators as O

__all__ = ["TASKS", "Task", "make_task"]

TASKS = ("inpaint", "denoise", "superres", "cs-gaussian", "cs-circulant")


@dataclasses.dataclass(frozen=True)
class Task:
    name: str
    op: O.Operator
    sigma: float                 # observation noise std (on [-1, 1] images)
    fit: DataFit
    params: dict
    target: torch.Tensor | None = None   # classify: the observation is this class target, not a measurement of x

    def observe(self, x: torch.Tensor | None, *, rng: torch.Generator) -> torch.Tensor:
        if self.target is not None:
            return self.target
        return self.op.measure(x[None], self.sigma, rng=rng)


def make_task(name: str, shape=(3, 64, 64), *, rng: torch.Generator, observed: float = 0.2,
              box: tuple[int, int, int, int] | None = None, sigma: float = 0.1, factor: int = 4,
              ratio: float = 0.1, lpips_weight: float = 0.2, mask: torch.Tensor | None = None) -> Task:
    """Build task ``name`` for images of ``shape``; inpainting takes a ``mask`` (0/1, shape ``shape``), a ``box``
    or a random fraction ``observed``. Raises ValueError on a bad name or parameter."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; choose from {', '.join(TASKS)}")
    n = math.prod(shape)
    image_fit = DataFit(lpips_weight=lpips_weight)
    if name == "inpaint":
        if mask is not None:
            params = dict(observed=float(mask.float().mean()), mask="given")
        elif box is not None:
            mask = O.box_mask(shape, *box)
            params = dict(box=list(box))
        else:
            mask = O.random_mask(shape, observed, rng=rng)
            params = dict(observed=observed)
        return Task(name, O.Inpainting(mask), 0.0, image_fit, params)
    if name == "denoise":
        if not (isinstance(sigma, (int, float)) and math.isfinite(sigma) and 0 < sigma <= 10):
            raise ValueError(f"sigma must be finite and in (0, 10] for denoising (images lie in [-1, 1]), got "
                             f"{sigma!r}")
        return Task(name, O.Denoising(shape, sigma), sigma,
                    dataclasses.replace(image_fit, sna_sigma=sigma), dict(sigma=sigma))
    if name == "superres":
        return Task(name, O.SuperResolution(shape, factor), 0.0,
                    DataFit(lpips_weight=lpips_weight if min(shape[1:]) // factor >= 32 else 0.0),  # AlexNet: >= 32 px
                    dict(factor=factor))
    if not (isinstance(ratio, (int, float)) and 0 < ratio <= 1):
        raise ValueError(f"ratio must lie in (0, 1], got {ratio!r}")
    m = max(1, round(ratio * n))
    cls = O.GaussianCS if name == "cs-gaussian" else O.PartialCirculant
    return Task(name, cls(shape, m, rng=rng), 0.0, DataFit(), dict(ratio=ratio, m=m))
