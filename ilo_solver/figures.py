"""The solver's figures, each a function that returns a matplotlib ``Figure`` (saved by
``ilo_solver.storage.save_figure``, the one writer): the result grid of ``ilo solve`` / ``ilo classify`` and the
S-REC curve of ``ilo srec``. Drawing happens here, never in the CLI.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from .io.images import to_uint8

__all__ = ["result_grid", "srec_figure", "measurement_image"]


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def result_grid(images: Sequence[torch.Tensor], titles: Sequence[str]):
    """One row of images ``[3, H, W]`` in [-1, 1], each with its title."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(images), figsize=(3 * len(images), 3.3), squeeze=False)
    for ax, im, t in zip(axes[0], images, titles, strict=True):
        ax.imshow(to_uint8(im), interpolation="nearest")
        ax.set_title(t, fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    return fig


def measurement_image(task_name: str, op, y: torch.Tensor, shape) -> torch.Tensor:
    """A picture ``[3, H, W]`` of the observation ``y`` for the grid: the photo itself (inpainting, denoising), the
    low-resolution image enlarged (super-resolution), or Aᵀy rescaled (compressed sensing)."""
    if task_name in ("inpaint", "denoise"):
        return y[0].clamp(-1, 1)
    if task_name == "superres":
        return torch.nn.functional.interpolate(y, size=tuple(shape[1:]), mode="nearest")[0].clamp(-1, 1)
    back = op.A_adjoint(y)[0]
    return (back / back.abs().max().clamp_min(1e-12)).clamp(-1, 1)


def srec_figure(curves: Sequence[dict], n: int, title: str):
    """γ̂(m) against m / n per split (mean and 95 % t-band over matrix draws), from
    :meth:`~ilo_solver.solvers.srec.SRECCurve.as_dict` rows."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for c in curves:
        x = np.array(c["ms"]) / n
        line, = ax.semilogx(x, c["mean"], "o-", label=f"split {c['split']}, r2 = {c['r2']:g}")
        ax.fill_between(x, c["lo"], c["hi"], color=line.get_color(), alpha=0.2)
    ax.set_xlabel("m / n")
    ax.set_ylabel("adversarial gamma_hat (mean, 95% t-band)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
