r"""Score-Guided ILO (Daras, Dagan, Dimakis, Daskalakis, ICML 2022): replace ILO's :math:`\ell_1` ball by a learned
score-based prior on the intermediate code h at one split, and sample the posterior with Langevin dynamics.

Two modes of the update (docs/theory_notes.md §6):

``"calibrated"`` -- unadjusted Langevin (ULA) exactly as in the paper's slides [V]:

.. math:: h\leftarrow h-\eta\big(\nabla_h\|A(G_2(h))-y\|^2-\lambda\,s_\theta(h,t)\big)+\sqrt{2\eta/\beta}\,u,

whose stationary law is :math:`\propto e^{-\beta\|A(G_2(h))-y\|^2}p_t(h)^{\beta\lambda}`. With Gaussian observation
noise of std :math:`\sigma_y`, :func:`bayes_parameters` gives :math:`\beta=1/(2\sigma_y^2)`, :math:`\lambda=1/\beta`:
the exact posterior with prior :math:`p_t` (up to the O(η) ULA bias).

``"practical"`` -- what the official code does [V: ``solve_inverse.py``]: an Adam step (lr 0.05) on the data fit,
then a small score drift :math:`\Delta\approx3\cdot10^{-4}(\tfrac12h_n+s(h_n))` (its ``hot_pc_sampler`` at fixed
t = 0.01, in normalised units :math:`h_n`), :math:`h_n\mathrel{+}=0.1\Delta+0.025\,\xi`. It is Adam plus a
tiny drift plus fixed noise, **not** a calibrated sampler. We normalise by the score model's scalar mean/std (the
official code min-max normalises), and the chain's data term is the MSE alone (the official code adds
0.05·LPIPS and 0.001·geocross); the CSGM start uses the task's full data fit.
"""
from __future__ import annotations

import dataclasses
import math
import time

import torch
from tqdm import tqdm

from ..fit.losses import DataFit
from ..generators.base import LayeredGenerator
from ..optim import _host
from ..optim.loop import Round, SolveResult, minimize, ula_step
from ..physics.operators import Operator
from ..priors.score import ScoreModel
from .ilo import ILOConfig, ILOResult, ilo

__all__ = ["SGILOConfig", "SGILOResult", "sgilo", "langevin_posterior", "bayes_parameters", "split_for"]


def split_for(G: LayeredGenerator, score: ScoreModel) -> int:
    """The intermediate split of ``G`` whose code shape the score model was trained for (the first, if several)."""
    shape = tuple(score.shape)
    splits = [i for i in range(1, G.num_blocks) if tuple(G.latent_shape(i)) == shape]
    if not splits:
        raise ValueError(f"score model shape {shape} matches no intermediate split of the generator (its codes: "
                         + ", ".join(str(tuple(G.latent_shape(i))) for i in range(1, G.num_blocks)) + ")")
    return splits[0]


def bayes_parameters(noise_sigma: float) -> tuple[float, float]:
    """(beta, lambda) that make the calibrated chain target the Bayesian posterior for N(0, noise_sigma^2) noise."""
    if not noise_sigma > 0:
        raise ValueError(f"noise_sigma must be > 0, got {noise_sigma}")
    beta = 1.0 / (2.0 * noise_sigma ** 2)
    return beta, 1.0 / beta


@dataclasses.dataclass(frozen=True)
class SGILOConfig:
    """``csgm``: the first round (CSGM on the latent, ``Round(0, steps, lr)``) with ``restarts`` starts and the task's
    data ``fit``; then the chain of ``mode`` at ``split``: ``steps`` steps, samples every ``thin`` after ``burn_in``."""
    split: int = 1
    mode: str = "calibrated"
    steps: int = 500
    eta: float = 1e-4              # calibrated: ULA step
    beta: float = 1.0 / (2 * 0.05 ** 2)
    lam: float = 2 * 0.05 ** 2
    t_score: float = 0.01
    burn_in: int = 250
    thin: int = 25
    lr: float = 0.05               # practical: Adam learning rate        [V]
    drift_scale: float = 3e-4      # practical: hot_pc_sampler delta scale [V, docs/theory_notes.md §6]
    drift_weight: float = 0.1      # practical: z += 0.1 * delta           [V]
    noise: float = 0.025           # practical: + 0.025 * N(0, I)          [V]
    csgm: Round = Round(0, 200, 0.05)
    restarts: int = 4
    fit: DataFit = DataFit()

    def __post_init__(self):
        if self.mode not in ("calibrated", "practical"):
            raise ValueError(f"mode must be 'calibrated' or 'practical', got {self.mode!r}")
        for f in ("split", "steps", "burn_in", "thin", "restarts"):
            v = getattr(self, f)
            if not isinstance(v, int) or isinstance(v, bool) or v < (1 if f in ("thin", "restarts", "split") else 0):
                raise ValueError(f"{f} must be a positive integer, got {v!r}")
        if self.burn_in >= self.steps:
            raise ValueError(f"burn_in ({self.burn_in}) must be < steps ({self.steps})")
        for f in ("eta", "beta", "lam", "t_score", "lr"):
            v = getattr(self, f)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ValueError(f"{f} must be finite and > 0, got {v!r}")
        if not isinstance(self.csgm, Round) or self.csgm.split != 0 or math.isfinite(self.csgm.radius):
            raise ValueError("csgm must be a Round at split 0 without an l1 ball (CSGM on the latent)")


def langevin_posterior(G2, y, op, score, h0, *, cfg: SGILOConfig, rng: torch.Generator,
                       progress: bool = False) -> torch.Tensor:
    """Run the chain of ``cfg.mode`` from codes ``h0`` (shape ``[R, *code]``); return samples of shape
    ``[S, R, *code]`` (after burn-in, every ``thin`` steps). ``G2`` maps codes to images; ``score(h, t)`` is the
    prior score."""
    samples = []

    def keep(h, it):
        if it >= cfg.burn_in and (it - cfg.burn_in) % cfg.thin == 0:
            samples.append(h.detach().clone())

    bar = tqdm(total=cfg.steps, desc="SGILO", disable=not progress, leave=False)
    if cfg.mode == "calibrated":   # ULA on U = ||A(G2(h)) - y||^2 - lam log p_t(h), temperature 1/beta
        h = h0.detach().clone()
        for it in range(cfg.steps):
            h.requires_grad_(True)
            fit = ((op(G2(h)) - y) ** 2).flatten(1).sum(1)
            (g,) = torch.autograd.grad(fit.sum(), h)
            with torch.no_grad():
                h = ula_step(h, g - cfg.lam * score(h, cfg.t_score), eta=cfg.eta, beta=cfg.beta, rng=rng)
            keep(h, it)
            bar.update(1)
    else:   # the official update: an Adam step on the data fit, then a small score drift and fixed noise
        def drift(vs, it):
            h = vs[0]
            sd, mu = score.std, score.mean
            hn = (h - mu) / sd
            delta = cfg.drift_scale * (0.5 * hn + sd * score(h, cfg.t_score))  # score in normalised units
            noise = torch.randn(h.shape, generator=rng, dtype=h.dtype).to(h.device)
            h.copy_((hn + cfg.drift_weight * delta + cfg.noise * noise) * sd + mu)
            keep(h, it)

        minimize([h0], lambda vs: ((op(G2(vs[0])) - y) ** 2).flatten(1).mean(1), steps=cfg.steps, lr=cfg.lr,
                 post_step=drift, record=None, bar=bar, show_loss=False)
    bar.close()
    return torch.stack(samples)


@dataclasses.dataclass(frozen=True)
class SGILOResult(SolveResult):
    """``x`` the posterior mean image of the selected chain; ``x_std`` its pixelwise posterior spread; ``samples``
    its image samples ``[S, *image]``; ``csgm`` the first round's result; ``codes`` the chain's samples of the code at
    ``config.split`` ``[S, *code]`` (``ilo render`` regenerates ``x`` from them)."""
    x_std: torch.Tensor
    samples: torch.Tensor
    best: int
    csgm: ILOResult
    codes: torch.Tensor | None = None


def sgilo(G: LayeredGenerator, y: torch.Tensor, op: Operator, score: ScoreModel, *, config: SGILOConfig,
          rng: torch.Generator, progress: bool = False) -> SGILOResult:
    """CSGM on the first latent, then the posterior chain in the code space at ``config.split``, started at
    G1(ẑ); the chain with the lowest measurement loss of its mean is returned."""
    cfg = config
    if not 1 <= cfg.split < G.num_blocks:
        raise ValueError(f"split must lie in [1, {G.num_blocks - 1}] for this generator, got {cfg.split}")
    if tuple(score.shape) != tuple(G.latent_shape(cfg.split)):
        raise ValueError(f"score model is for codes of shape {score.shape}, but split {cfg.split} has "
                         f"{G.latent_shape(cfg.split)}")
    t0 = time.perf_counter()
    first = ilo(G, y, op, config=ILOConfig(rounds=(cfg.csgm,), restarts=cfg.restarts, fit=cfg.fit), rng=rng,
                progress=progress)
    t1 = time.perf_counter()
    with torch.no_grad():
        h0 = G.forward_to(first.z, cfg.split)
    yb = y.expand(cfg.restarts, *y.shape[1:])
    hs = langevin_posterior(lambda h: G.forward_from(h, cfg.split), yb, op, score, h0, cfg=cfg, rng=rng,
                            progress=progress)
    with torch.no_grad():
        xs = torch.stack([G.forward_from(h, cfg.split) for h in hs])  # [S, R, *image]
        mean = xs.mean(0)
        loss = ((op(mean) - yb) ** 2).flatten(1).mean(1)
    b = int(_host.read(torch.argmin(loss)))   # the chain's one device -> host read
    return SGILOResult(x=mean[b:b + 1], losses=[first.losses[0], loss], seconds=[t1 - t0, time.perf_counter() - t1],
                       config=cfg, x_std=xs[:, b].std(0, unbiased=xs.shape[0] > 1)[None], samples=xs[:, b], best=b,
                       csgm=first, codes=hs[:, b])
