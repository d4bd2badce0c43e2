r"""ILO for StyleGAN-2 (Daras et al. 2021, §4.1, and the official ``ilo_stylegan.py`` defaults, docs/theory_notes.md
§2 [V]),
with PULSE (Menon et al. 2020) and CSGM as its first round.

Round r starts the synthesis at stage :math:`s_r` (stage 0 = the constant input; each later stage is one
resolution) and runs Adam jointly on

- the per-layer latents u (w+ in PULSE's Gaussianised space, :func:`~ilo_solver.priors.stylegan_latent.from_gaussian`),
  renormalised to :math:`\sqrt{D}` per row after every step (spherical constraint);
- the first ``5 + 2r`` noise maps ("progressively opened"), renormalised to their initial norms;
- for r > 0, the synthesis state ``(features, skip)`` at stage :math:`s_r`, initialised from the previous round;

with loss MSE + LPIPS-VGG at 256 px (fill policy for inpainting, SNA for denoising, optional dead-zone ℓ1:
:func:`~ilo_solver.solvers.ilo_stylegan.style_fit` of the task's :class:`~ilo_solver.fit.losses.DataFit`) +
``geocross_weight`` · geocross, a cosine
learning-rate ramp (rampup 0.05, rampdown 0.75), and -- on by default here, off in the official code -- the
projection of each variable's deviation from its start-of-round value onto an :math:`\ell_1` ball (radii per
round). The schedule is a tuple of :class:`~ilo_solver.optim.Round` rows ``Round(stage, steps, lr, radius_latent,
radius_noise, radius_state)``. PULSE = one round at stage 0 (:func:`pulse_config`); CSGM = Adam on z through the
mapping network with the noises fixed (:func:`csgm_stylegan`, a one-round schedule). Every round runs on
:func:`~ilo_solver.optim.minimize`.

With ``select_best`` (default, as the official code) the returned image is the iterate of the last round with the
lowest data fit (geocross excluded; the official code ranks by MSE), tracked on the device without a host sync;
``latent`` and ``noises`` are the final iterate. Differences from the official code, on purpose: geocross is applied
to all of w+ in every round (the official ``latent_z[2 * start_layer:]`` slices the batch axis, so it vanishes after
round 0 for one image); the sphere renormalisation follows the l1 projection, so the latent stays on the sphere
(the official code projects last); the latent rows are renormalised to exactly sqrt(D), PULSE's sphere.
"""
from __future__ import annotations

import dataclasses
import math
import time

import torch
from tqdm import tqdm

from ..fit.losses import DataFit
from ..generators.stylegan2 import StyleGAN2Generator
from ..optim import _host
from ..optim.loop import Round, SolveResult, check_schedule, minimize, select_better
from ..optim.projection import l1_balls_projector, renormalise, renormalise_tensors_
from ..priors.stylegan_latent import from_gaussian, gaussian_fit, geocross

__all__ = ["StyleILOConfig", "StyleILOResult", "ilo_stylegan", "pulse_config", "StyleCSGMConfig", "csgm_stylegan",
           "style_fit"]

INF = math.inf
OFFICIAL_FIT = DataFit(lpips_weight=1.0, lpips_net="vgg", lpips_size=256, dead_zone_tau=0.1)   # official [V]


@dataclasses.dataclass(frozen=True)
class StyleILOConfig:
    """The official schedule [V]: stages 0-3, 50/50/25/25 steps at lr 0.1, increasing radii (paper, §4.1) of the
    latent, noise and state deviations (``Round.radius``, ``radius_noise``, ``radius_state``)."""
    rounds: tuple[Round, ...] = (Round(0, 50, 0.1), Round(1, 50, 0.1, 100.0, 1000.0, 1000.0),
                                 Round(2, 25, 0.1, 1000.0, 1000.0, 1000.0), Round(3, 25, 0.1, 6000.0, 6000.0, 6000.0))
    geocross_weight: float = 0.01                      # official [V]
    fit: DataFit = OFFICIAL_FIT
    gaussian_fit_samples: int = 100_000
    select_best: bool = True                           # official [V]: return the best-fitting image of the last round
    projection: str = "auto"   # l1 projections: "per_tensor" (numba, CPU), "segmented" (one sync-free call), "auto"

    def __post_init__(self):
        object.__setattr__(self, "rounds", check_schedule(self.rounds, first_split=0, stylegan=True))
        if self.projection not in ("auto", "per_tensor", "segmented"):
            raise ValueError(f"projection must be 'auto', 'per_tensor' or 'segmented', got {self.projection!r}")
        if not (isinstance(self.geocross_weight, (int, float)) and math.isfinite(self.geocross_weight)
                and self.geocross_weight >= 0):
            raise ValueError(f"geocross_weight must be finite and >= 0, got {self.geocross_weight!r}")
        if not isinstance(self.gaussian_fit_samples, int) or self.gaussian_fit_samples < 2:
            raise ValueError(f"gaussian_fit_samples must be an integer >= 2, got {self.gaussian_fit_samples!r}")


def pulse_config(steps: int = 150, lr: float = 0.1, **kw) -> StyleILOConfig:
    """PULSE / CSGM on StyleGAN-2: one round in the Gaussianised w+ space with geocross and the sphere."""
    return StyleILOConfig(rounds=(Round(0, steps, lr),), **kw)


@dataclasses.dataclass(frozen=True)
class StyleILOResult(SolveResult):
    """``x``: the reconstruction (see ``select_best``); ``latent`` (PULSE space; z for :func:`csgm_stylegan`) and
    ``noises``: the final iterate; ``losses``: per round, the objective at every step (for CSGM: the minimum over
    the restarts at every step, then the final objective of each restart, without SNA noise)."""
    latent: torch.Tensor
    noises: list


def ilo_stylegan(G: StyleGAN2Generator, y: torch.Tensor, op, *, config: StyleILOConfig, rng: torch.Generator,
                 progress: bool = False) -> StyleILOResult:
    """Reconstruct one image from ``y = op(x)`` (``y`` of shape ``[1, *op.out_shape]``); ``progress`` shows a bar
    over all steps (it counts steps only: it never reads a value back from the device)."""
    cfg = config
    if cfg.rounds[-1].split >= G.num_stages:
        raise ValueError(f"stages must be < {G.num_stages} for a {G.size}px generator, got "
                         f"{[r.split for r in cfg.rounds]}")
    p = G.input.input
    mean, std = gaussian_fit(G.style, G.style_dim, n=cfg.gaussian_fit_samples, rng=rng)
    D = G.style_dim
    sphere = torch.tensor(math.sqrt(D), dtype=p.dtype, device=p.device)   # PULSE's sphere: rows of norm sqrt(D)
    u = renormalise(torch.randn(1, G.n_latent, D, generator=rng, dtype=p.dtype).to(p.device), sphere)
    noises = [torch.randn(n.shape, generator=rng, dtype=p.dtype).to(p.device) for n in G.stored_noises()]
    noise_norms = [n.norm() for n in noises]
    loop_rng = _loop_rng(rng, p.device, cfg.fit)
    state, prev, losses, seconds, best = None, 0, [], [], None
    bar = tqdm(total=sum(r.steps for r in cfg.rounds), desc="PULSE" if len(cfg.rounds) == 1 else "ILO",
               disable=not progress, leave=False)
    for r, rd in enumerate(cfg.rounds):
        t0, stage = time.perf_counter(), rd.split
        if stage > 0:  # push the previous round's solution (its state at stage `prev`) forward to this stage
            with torch.no_grad():
                w_start = from_gaussian(u, mean, std)
                st = state if prev > 0 else None
                for j in range(prev, stage):
                    st = G.stage(j, st, w_start, noises)
            state = tuple(s.clone() for s in st)
        prev = stage
        # The round's variables: the latent, the first noise maps (5 in round 0, two more each round; the rest fixed)
        # and, past stage 0, the synthesis state -- each searched in an l1 ball around its start-of-round value.
        n_open = min(len(noises), 5 + 2 * r)
        start = RoundVariables(u, list(noises[:n_open]), state if stage > 0 else ())
        last = cfg.select_best and r == len(cfg.rounds) - 1
        objective = RoundObjective(G, cfg, op, y, mean, std, stage, n_open, noises[n_open:], loop_rng, last)
        post_step = RoundProjection(cfg, start, start.radii(rd), sphere, noise_norms)
        # foreach: one multi-tensor kernel per Adam operation, whatever the number of variables (the GPU default)
        res = minimize(start.flat(), objective, steps=rd.steps, lr=rd.lr, schedule="cosine", record="sum",
                       keep_best=last, post_step=post_step, bar=bar, show_loss=False, foreach=True)
        if last:
            best = (res.best_score, res.best_value)
        end = RoundVariables.unflat(res.params, n_open)
        u, noises = end.latent, end.noises + noises[n_open:]
        if stage > 0:
            state = end.state
        losses.append(_host.read(res.trace) if rd.steps else [])   # the round's one device -> host read
        seconds.append(time.perf_counter() - t0)
    bar.close()
    with torch.no_grad():
        x = G.synthesis(from_gaussian(u, mean, std), noises, start=cfg.rounds[-1].split,
                        state=state if cfg.rounds[-1].split > 0 else None)
        if best is not None and best[1] is not None:
            x = select_better(best[0], best[1], cfg.fit(x, op, y, rng=loop_rng).sum(), x)[1]
    return StyleILOResult(x=x, losses=losses, seconds=seconds, config=cfg, latent=u, noises=noises)


@dataclasses.dataclass(frozen=True)
class RoundVariables:
    """What one ILO/PULSE round on StyleGAN-2 optimises, by name: ``latent`` u (w+ rows on the sphere,
    ``[1, n_latent, D]``), the opened ``noises`` (the first maps; the others stay fixed) and, past stage 0, the
    synthesis ``state`` at the round's stage (``()`` at stage 0). :meth:`flat` is the list the loop optimises."""
    latent: torch.Tensor
    noises: list
    state: tuple

    def flat(self) -> list[torch.Tensor]:
        return [self.latent, *self.noises, *self.state]

    @classmethod
    def unflat(cls, vs, n_open: int) -> RoundVariables:
        return cls(vs[0], list(vs[1:1 + n_open]), tuple(vs[1 + n_open:]))

    def radii(self, rd: Round) -> list[float]:
        """Each variable's l1 radius from the round's row (latent, noise and state radii)."""
        return [rd.radius] + [rd.radius_noise] * len(self.noises) + [rd.radius_state] * len(self.state)


class RoundObjective:
    """The round's objective on the flat variables: synthesise from ``stage`` with the opened noises (+ the fixed
    ones), the data fit plus ``geocross_weight`` times the geodesic cross term of the latent (PULSE eq. 4); in the
    last round with best-iterate selection, also (the fit, the image) for the loop to keep the best."""

    def __init__(self, G, cfg, op, y, mean, std, stage, n_open, fixed_noises, rng, last):
        self.G, self.cfg, self.op, self.y, self.mean, self.std = G, cfg, op, y, mean, std
        self.stage, self.n_open, self.fixed, self.rng, self.last = stage, n_open, list(fixed_noises), rng, last

    def __call__(self, vs):
        v = RoundVariables.unflat(vs, self.n_open)
        x = self.G.synthesis(from_gaussian(v.latent, self.mean, self.std), v.noises + self.fixed, start=self.stage,
                             state=v.state if self.stage > 0 else None)
        fit = self.cfg.fit(x, self.op, self.y, rng=self.rng)
        loss = fit + self.cfg.geocross_weight * geocross(v.latent)
        return (loss, fit.detach().sum(), x.detach()) if self.last else loss


class RoundProjection:
    """The post-step map of a round: every variable's deviation from its start onto its l1 ball
    (:func:`~ilo_solver.optim.projection.l1_balls_projector`, which chooses the method), then the latent rows back
    onto the sphere and the opened noise maps back to their initial norms."""

    def __init__(self, cfg, start: RoundVariables, radii, sphere, noise_norms):
        self.project = l1_balls_projector(start.flat(), radii, method=cfg.projection)
        self.n_open, self.sphere, self.norms = len(start.noises), sphere, noise_norms[:len(start.noises)]

    def __call__(self, vs, k):
        self.project(vs)
        vs[0].copy_(renormalise(vs[0], self.sphere))
        renormalise_tensors_(vs[1:1 + self.n_open], self.norms)


@dataclasses.dataclass(frozen=True)
class StyleCSGMConfig:
    """CSGM (Bora et al. 2017, eq. (2)) on StyleGAN-2: Adam on z in the input space of the mapping network, the
    noise maps fixed (one draw), ``restarts`` starts optimised as one batch and the best by data fit kept. The
    schedule is one round at split 0 (the mapping network's input) without a ball."""
    rounds: tuple[Round, ...] = (Round(0, 300, 0.1),)
    restarts: int = 4
    z_weight: float = 0.0                              # + z_weight * ||z||^2 / D (Bora et al.'s lambda; 0 = none)
    fit: DataFit = OFFICIAL_FIT

    def __post_init__(self):
        rounds = check_schedule(self.rounds, first_split=0)
        object.__setattr__(self, "rounds", rounds)
        if len(rounds) != 1 or math.isfinite(rounds[0].radius):
            raise ValueError("CSGM on StyleGAN-2 is one round at split 0 with no l1 ball")
        if not isinstance(self.restarts, int) or self.restarts < 1 or not (
                isinstance(self.z_weight, (int, float)) and math.isfinite(self.z_weight) and self.z_weight >= 0):
            raise ValueError("restarts must be an integer >= 1 and z_weight finite and >= 0")


def csgm_stylegan(G: StyleGAN2Generator, y: torch.Tensor, op, *, config: StyleCSGMConfig,
                  rng: torch.Generator, progress: bool = False) -> StyleILOResult:
    """min_z fit(G(z)) + z_weight ||z||²/D over z ∈ R^D (through the mapping network, w broadcast to every layer),
    Adam with the cosine ramp, batched restarts. ``latent`` of the result is the chosen z ``[1, D]``."""
    cfg, rd = config, config.rounds[0]
    p = G.input.input
    R, D = cfg.restarts, G.style_dim
    z = torch.randn(R, D, generator=rng, dtype=p.dtype).to(p.device)
    noises = [torch.randn(n.shape, generator=rng, dtype=p.dtype).to(p.device) for n in G.stored_noises()]
    loop_rng = _loop_rng(rng, p.device, cfg.fit)
    yR = y.expand(R, *y.shape[1:])

    def objective(vs):
        x = G.synthesis(G.mapping(vs[0]), noises)
        return cfg.fit(x, op, yR, rng=loop_rng) + cfg.z_weight * vs[0].pow(2).mean(1)

    t0 = time.perf_counter()
    bar = tqdm(total=rd.steps, desc="CSGM", disable=not progress, leave=False)
    res = minimize([z], objective, steps=rd.steps, lr=rd.lr, schedule="cosine", record="min", bar=bar,
                   show_loss=False)
    bar.close()
    z = res.params[0]
    with torch.no_grad():
        x = G.synthesis(G.mapping(z), noises)
        final_fit = dataclasses.replace(cfg.fit, sna_sigma=0.0)   # rank the restarts without fresh noise
        final = final_fit(x, op, yR) + cfg.z_weight * z.pow(2).mean(1)
        best = final.argmin().reshape(1)   # chosen on the device
    losses = [_host.read(res.trace) if rd.steps else [], _host.read(final)]
    return StyleILOResult(x=x.index_select(0, best), losses=losses, seconds=[time.perf_counter() - t0], config=cfg,
                          latent=z.index_select(0, best), noises=noises)


def _loop_rng(rng: torch.Generator, device: torch.device, fit: DataFit) -> torch.Generator | None:
    """The generator for draws inside the optimisation loop (SNA noise): None when the fit draws nothing;
    ``rng`` itself on the CPU; on another device a generator there, seeded once from ``rng``, so that no step
    copies noise from the host."""
    if not fit.sna_sigma > 0:
        return None
    if device.type == "cpu" or rng.device == device:
        return rng
    seed = int(torch.randint(0, 2 ** 62, (1,), generator=rng))
    return torch.Generator(device).manual_seed(seed)


def style_fit(fit: DataFit) -> DataFit:
    """The official StyleGAN-2 data fit on top of a task's: LPIPS with VGG at 256 px instead of the task's network
    and size (``lpips.PerceptualLoss(net='vgg')`` on 256² images in ``ilo_stylegan.py``); the MSE and LPIPS weights,
    the fill policy, SNA (denoising) and any dead-zone term (official tolerance 0.1 on [-1, 1] images, default
    weight 0) are kept."""
    return dataclasses.replace(fit, lpips_net="vgg", lpips_size=256)
