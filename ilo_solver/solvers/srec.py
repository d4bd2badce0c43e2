r"""S-REC of any generator: "how many measurements does *my* generator need?"

For a :class:`~ilo_solver.generators.base.LayeredGenerator`, a split s and a measurement family, estimate the
S-REC constant (Bora et al. 2017, Def. 1) of the range (``r2 = 0``) or of ILO's extended range
:math:`G_2(E)`, :math:`E=G_{0\to s}(B_2(r_1))\oplus B_1(r_2)` (ILO Theorem 1), as a function of m:

.. math:: \hat\gamma(m)=\min_{x_1\ne x_2\in G_2(E)}\frac{\|A(x_1-x_2)\|+\delta}{\|x_1-x_2\|},

by the adversarial search of :func:`ilo_solver.solvers.extended_range.srec_extended_range` (screened random pairs, then
projected Adam on both points), for ``draws`` independent matrices per m: mean and a t-interval over the draws.
γ̂ is an *upper* estimate of the true constant (a minimum found, not proved), so the m it suggests is a lower one.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
from tqdm import tqdm
from scipy import stats

from ..physics.operators import GaussianCS, PartialCirculant
from .extended_range import srec_extended_range

__all__ = ["SRECCurve", "srec_curve", "typical_delta", "MEASUREMENTS"]

# name -> factory(in_shape, m, generator, dtype): the measurement families S-REC is estimated for
MEASUREMENTS: dict[str, Callable] = {
    "cs-gaussian": lambda shape, m, g, dt: GaussianCS(shape, m, rng=g, dtype=dt),
    "cs-circulant": lambda shape, m, g, dt: PartialCirculant(shape, m, rng=g, dtype=dt),
}


@dataclasses.dataclass(frozen=True)
class SRECCurve:
    """``gammas[i, j]``: γ̂ at ``ms[i]`` for draw j; ``mean``, ``lo``, ``hi``: the mean and 95% t-interval per m."""
    ms: tuple
    split: int
    r2: float
    delta: float
    gammas: np.ndarray
    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray

    def as_dict(self) -> dict:
        return dict(ms=list(self.ms), split=self.split, r2=self.r2, delta=self.delta, gammas=self.gammas.tolist(),
                    mean=self.mean.tolist(), lo=self.lo.tolist(), hi=self.hi.tolist())


def typical_delta(G, frac: float = 0.05, *, samples: int = 64, rng: torch.Generator) -> float:
    """``frac`` times the mean output norm over prior samples: a slack δ on the scale of the images."""
    dt = next(G.parameters()).dtype
    with torch.no_grad():
        x = G(G.sample_latent(samples, rng=rng).to(dt))
    return float(frac * x.flatten(1).norm(dim=1).mean())


def srec_curve(G, measurement: str | Callable, ms: Sequence[int], *, split: int = 0, r2: float = 0.0,
               delta: float = 0.0, r1: float | None = None, draws: int = 5, pairs: int = 200, restarts: int = 4,
               steps: int = 100, lr: float = 0.02, lr_u: float | None = None, rng: torch.Generator,
               progress: bool = False) -> SRECCurve:
    """γ̂(m) for ``G`` at ``split`` (see the module docstring). ``measurement``: a name of ``MEASUREMENTS`` or
    a factory ``(in_shape, m, generator, dtype) -> Operator`` (the generator's dtype: a float64 net gets float64
    matrices, not float32 ones cast up); ``r1`` the latent ball (default 1.5 √k, which holds the
    prior's samples of a k-dimensional N(0, I) latent with high probability). ``progress``: a bar over the
    ``len(ms) x draws`` searches with its time estimate (stderr)."""
    make = MEASUREMENTS.get(measurement) if isinstance(measurement, str) else measurement
    if make is None:
        raise ValueError(f"unknown measurement {measurement!r}; choose from {', '.join(MEASUREMENTS)}")
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 2:
        raise ValueError(f"draws must be an integer >= 2 (a CI needs two), got {draws!r}")
    ms = tuple(int(m) for m in ms)
    if not ms or any(m < 1 for m in ms):
        raise ValueError(f"ms must be positive integers, got {ms!r}")
    split = G._check_split(split)
    if split >= G.num_blocks:
        raise ValueError(f"split must be < {G.num_blocks} (the output is split {G.num_blocks}), got {split}")
    k = math.prod(G.latent_shape(0))
    r1 = 1.5 * math.sqrt(k) if r1 is None else float(r1)
    dt = next(G.parameters()).dtype
    with torch.no_grad():
        shape = tuple(G(torch.zeros(1, *G.latent_shape(0), dtype=dt)).shape[1:])
    gam = np.zeros((len(ms), draws))
    bar = tqdm(total=len(ms) * draws, desc=f"S-REC, split {split}", unit="search", disable=not progress,
               leave=False)
    for i, m in enumerate(ms):
        for j in range(draws):
            op = make(shape, m, rng, dt)
            gam[i, j] = float(srec_extended_range(G, op, r1=r1, r2=r2, delta=delta, split=split, pairs=pairs,
                                                  restarts=restarts, steps=steps, lr=lr, lr_u=lr_u, rng=rng)[0])
            bar.set_postfix_str(f"m = {m}")
            bar.update()
    bar.close()
    mean = gam.mean(1)
    h = stats.t.ppf(0.975, draws - 1) * gam.std(1, ddof=1) / math.sqrt(draws)
    return SRECCurve(ms=ms, split=split, r2=float(r2), delta=float(delta), gammas=gam, mean=mean, lo=mean - h,
                     hi=mean + h)
