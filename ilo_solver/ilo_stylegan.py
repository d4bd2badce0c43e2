r"""ILO for StyleGAN-2 (Daras et al. 2021, §4.1, and the official ``ilo_stylegan.py`` defaults, THEORY.md §2 [V]),
with PULSE (Menon et al. 2020) and CSGM as its first round.

Round r starts the synthesis at stage :math:`s_r` (stage 0 = the constant input; each later stage is one
resolution) and runs Adam jointly on

- the per-layer latents u (w+ in PULSE's Gaussianised space, :func:`~ilo_solver.stylegan_latent.from_gaussian`),
  renormalised to :math:`\sqrt{D}` per row after every step (spherical constraint);
- the first ``5 + 2r`` noise maps ("progressively opened"), renormalised to their initial norms;
- for r > 0, the synthesis state ``(features, skip)`` at stage :math:`s_r`, initialised from the previous round;

with loss MSE + LPIPS-VGG at 256 px (fill policy for inpainting, SNA for denoising, optional dead-zone ℓ1:
:func:`style_fit` of the task's :class:`~ilo_solver.losses.DataFit`) + ``geocross_weight`` · geocross, a cosine
learning-rate ramp (rampup 0.05, rampdown 0.75), and -- on by default here, off in the official code -- the
projection of each variable's deviation from its start-of-round value onto an :math:`\ell_1` ball (radii per
round). PULSE = one round at stage 0 (:func:`pulse_config`); CSGM = Adam on z through the mapping network with the
noises fixed (:func:`csgm_stylegan`).

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

from . import _host
from .generators.stylegan2 import StyleGAN2Generator
from .losses import DataFit
from .projection import SegmentedL1Projector, project_l1_ball_around
from .stylegan_latent import from_gaussian, gaussian_fit, geocross, renormalise, renormalise_tensors_

__all__ = ["StyleILOConfig", "StyleILOResult", "ilo_stylegan", "pulse_config", "StyleCSGMConfig", "csgm_stylegan",
           "style_fit", "style_method_config", "STYLE_METHODS"]

STYLE_METHODS = ("csgm", "pulse", "ilo", "unconstrained")


@dataclasses.dataclass(frozen=True)
class StyleILOConfig:
    stages: tuple[int, ...] = (0, 1, 2, 3)
    steps: tuple[int, ...] = (50, 50, 25, 25)          # official [V]
    lr: float | tuple[float, ...] = 0.1                # official [V]: 0.1 in every round (one value or one per round)
    radii_latent: tuple[float, ...] = (math.inf, 100.0, 1000.0, 6000.0)   # increasing radii (paper, §4.1)
    radii_noise: tuple[float, ...] = (math.inf, 1000.0, 1000.0, 6000.0)
    radii_state: tuple[float, ...] = (math.inf, 1000.0, 1000.0, 6000.0)
    geocross_weight: float = 0.01                      # official [V]
    fit: DataFit = DataFit(lpips_weight=1.0, lpips_net="vgg", lpips_size=256, dead_zone_tau=0.1)   # official [V]
    gaussian_fit_samples: int = 100_000
    select_best: bool = True                           # official [V]: return the best-fitting image of the last round
    projection: str = "auto"   # l1 projections: "per_tensor" (numba, CPU), "segmented" (one sync-free call), "auto"

    def __post_init__(self):
        n = len(self.stages)
        lr = self.lr
        object.__setattr__(self, "lr", tuple(lr) if isinstance(lr, (tuple, list)) else (float(lr),) * n)
        if len(self.lr) != n:
            raise ValueError(f"lr needs one value or one per round ({n}), got {len(self.lr)}")
        for f in ("steps", "radii_latent", "radii_noise", "radii_state"):
            object.__setattr__(self, f, tuple(getattr(self, f)))
            if len(getattr(self, f)) != n:
                raise ValueError(f"{f} needs one entry per round ({n}), got {len(getattr(self, f))}")
        if not self.stages or self.stages[0] != 0 or any(b < a for a, b in zip(self.stages, self.stages[1:])):
            raise ValueError(f"stages must start at 0 and be non-decreasing, got {self.stages}")
        if self.projection not in ("auto", "per_tensor", "segmented"):
            raise ValueError(f"projection must be 'auto', 'per_tensor' or 'segmented', got {self.projection!r}")
        if any(s < 0 for s in self.steps) or not all(v > 0 for v in self.lr) or self.geocross_weight < 0:
            raise ValueError("steps must be >= 0, lr > 0 and geocross_weight >= 0")
        for f in ("radii_latent", "radii_noise", "radii_state"):
            if any(math.isnan(r) or r < 0 for r in getattr(self, f)):
                raise ValueError(f"{f} must be >= 0 (inf allowed), got {getattr(self, f)}")


def pulse_config(steps: int = 150, **kw) -> StyleILOConfig:
    """PULSE / CSGM on StyleGAN-2: one round in the Gaussianised w+ space with geocross and the sphere."""
    inf = math.inf
    return StyleILOConfig(stages=(0,), steps=(steps,), radii_latent=(inf,), radii_noise=(inf,), radii_state=(inf,),
                          **kw)


@dataclasses.dataclass(frozen=True)
class StyleILOResult:
    """``x``: the reconstruction (see ``select_best``); ``latent`` (PULSE space; z for :func:`csgm_stylegan`) and
    ``noises``: the final iterate; ``losses``: per round, the objective at every step (for CSGM: the minimum over
    the restarts at every step, then the final objective of each restart, without SNA noise);
    ``seconds``: wall time per round."""
    x: torch.Tensor
    latent: torch.Tensor
    noises: list
    losses: list
    seconds: list
    config: "StyleILOConfig | StyleCSGMConfig"


def _lr(step: int, total: int, lr: float, rampdown: float = 0.75, rampup: float = 0.05) -> float:
    """The official cosine ramp (from the StyleGAN-2 projector)."""
    t = step / max(total, 1)
    ramp = min(1.0, (1.0 - t) / rampdown)
    ramp = 0.5 - 0.5 * math.cos(ramp * math.pi)
    return lr * ramp * min(1.0, t / rampup)


def ilo_stylegan(G: StyleGAN2Generator, y: torch.Tensor, op, *, config: StyleILOConfig, rng: torch.Generator,
                 mask=None, progress: bool = False) -> StyleILOResult:
    """Reconstruct one image from ``y = op(x)`` (``y`` of shape ``[1, *op.out_shape]``); ``progress`` shows a bar
    over all steps (it counts steps only: it never reads a value back from the device)."""
    cfg = config
    if cfg.stages[-1] >= G.num_stages:
        raise ValueError(f"stages must be < {G.num_stages} for a {G.size}px generator, got {cfg.stages}")
    p = G.input.input
    mean, std = gaussian_fit(G.style, G.style_dim, n=cfg.gaussian_fit_samples, rng=rng)
    D = G.style_dim
    sphere = torch.tensor(math.sqrt(D), dtype=p.dtype, device=p.device)   # PULSE's sphere: rows of norm sqrt(D)
    u = renormalise(torch.randn(1, G.n_latent, D, generator=rng, dtype=p.dtype).to(p.device), sphere)
    noises = [torch.randn(n.shape, generator=rng, dtype=p.dtype).to(p.device) for n in G.stored_noises()]
    noise_norms = [n.norm() for n in noises]
    loop_gen = _loop_generator(rng, p.device, cfg.fit)
    state, prev, losses, seconds = None, 0, [], []
    bar = tqdm(total=sum(cfg.steps), desc="PULSE" if len(cfg.stages) == 1 else "ILO", disable=not progress,
               leave=False)
    for r, (stage, steps) in enumerate(zip(cfg.stages, cfg.steps)):
        t0 = time.perf_counter()
        if stage > 0:  # push the previous round's solution (its state at stage `prev`) forward to this stage
            with torch.no_grad():
                w_start = from_gaussian(u, mean, std)
                st = state if prev > 0 else None
                for j in range(prev, stage):
                    st = G.stage(j, st, w_start, noises)
            state = tuple(s.clone() for s in st)
        prev = stage
        n_open = min(len(noises), 5 + 2 * r)
        opened = [n.clone().requires_grad_(True) for n in noises[:n_open]]
        uu = u.clone().requires_grad_(True)
        st_vars = [s.clone().requires_grad_(True) for s in state] if stage > 0 else []
        starts = dict(u=u.clone(), noises=[n.clone() for n in noises[:n_open]], state=[s.clone() for s in st_vars])
        # foreach: one multi-tensor kernel per Adam operation, whatever the number of variables (the GPU default)
        opt = torch.optim.Adam([uu, *opened, *st_vars], lr=cfg.lr[r], foreach=True)
        # the l1-ball projections of this round: (variable, start-of-round value, radius) with a finite radius
        balls = [(v, s0, rad) for v, s0, rad in [(uu, starts["u"], cfg.radii_latent[r])]
                 + [(n, s0, cfg.radii_noise[r]) for n, s0 in zip(opened, starts["noises"])]
                 + [(v, s0, cfg.radii_state[r]) for v, s0 in zip(st_vars, starts["state"])] if math.isfinite(rad)]
        segmented = bool(balls) and (cfg.projection == "segmented" or
                                     (cfg.projection == "auto" and p.device.type != "cpu"))
        project_all = SegmentedL1Projector([v.numel() for v, _, _ in balls], [rad for _, _, rad in balls],
                                           device=p.device) if segmented else None
        trace = []
        best_fit, best_x = None, None
        for k in range(steps):
            for gr in opt.param_groups:
                gr["lr"] = _lr(k, steps, cfg.lr[r])
            opt.zero_grad()
            ns = opened + noises[n_open:]
            x = G.synthesis(from_gaussian(uu, mean, std), ns, start=stage,
                            state=tuple(st_vars) if stage > 0 else None)
            fit = cfg.fit(x, op, y, mask=mask, rng=loop_gen)
            loss = fit + cfg.geocross_weight * geocross(uu)
            loss.sum().backward()
            if cfg.select_best and r == len(cfg.stages) - 1:   # on the device, no sync
                best_fit, best_x = _keep_best(best_fit, best_x, fit.detach().sum(), x.detach())
            opt.step()
            with torch.no_grad():   # project every deviation onto its l1 ball, then back onto the spheres
                if project_all is not None:
                    torch._foreach_copy_([b[0] for b in balls],
                                         project_all([b[0] for b in balls], [b[1] for b in balls]))
                else:
                    for v, s0, rad in balls:
                        _project(v, s0, rad)
                uu.copy_(renormalise(uu, sphere))
                renormalise_tensors_(opened, noise_norms[:n_open])
            trace.append(loss.detach().sum())   # kept on the device: no host sync inside the loop
            bar.update()
        u = uu.detach()
        noises = [n.detach() for n in opened] + noises[n_open:]
        if st_vars:
            state = tuple(v.detach() for v in st_vars)
        losses.append(_host.read_list(trace))   # the round's one device -> host read
        seconds.append(time.perf_counter() - t0)
    bar.close()
    with torch.no_grad():
        x = G.synthesis(from_gaussian(u, mean, std), noises, start=cfg.stages[-1],
                        state=state if cfg.stages[-1] > 0 else None)
        if cfg.select_best and best_x is not None:
            x = _keep_best(best_fit, best_x, cfg.fit(x, op, y, mask=mask, rng=loop_gen).sum(), x)[1]
    return StyleILOResult(x=x, latent=u, noises=noises, losses=losses, seconds=seconds, config=cfg)


@dataclasses.dataclass(frozen=True)
class StyleCSGMConfig:
    """CSGM (Bora et al. 2017, eq. (2)) on StyleGAN-2: Adam on z in the input space of the mapping network, the
    noise maps fixed (one draw), ``restarts`` starts optimised as one batch and the best by data fit kept."""
    steps: int = 300
    lr: float = 0.1
    restarts: int = 4
    z_weight: float = 0.0                              # + z_weight * ||z||^2 / D (Bora et al.'s lambda; 0 = none)
    fit: DataFit = DataFit(lpips_weight=1.0, lpips_net="vgg", lpips_size=256, dead_zone_tau=0.1)

    def __post_init__(self):
        if self.steps < 0 or not self.lr > 0 or self.restarts < 1 or self.z_weight < 0:
            raise ValueError("steps must be >= 0, lr > 0, restarts >= 1 and z_weight >= 0")


def csgm_stylegan(G: StyleGAN2Generator, y: torch.Tensor, op, *, config: StyleCSGMConfig,
                  rng: torch.Generator, mask=None, progress: bool = False) -> StyleILOResult:
    """min_z fit(G(z)) + z_weight ||z||²/D over z ∈ R^D (through the mapping network, w broadcast to every layer),
    Adam with the cosine ramp, batched restarts. ``latent`` of the result is the chosen z ``[1, D]``."""
    cfg = config
    p = G.input.input
    R, D = cfg.restarts, G.style_dim
    z = torch.randn(R, D, generator=rng, dtype=p.dtype).to(p.device).requires_grad_(True)
    noises = [torch.randn(n.shape, generator=rng, dtype=p.dtype).to(p.device) for n in G.stored_noises()]
    loop_gen = _loop_generator(rng, p.device, cfg.fit)
    yR = y.expand(R, *y.shape[1:])
    maskR = None if mask is None else mask.expand(R, *mask.shape[-3:]).to(y.dtype)
    opt = torch.optim.Adam([z], lr=cfg.lr)
    t0, trace = time.perf_counter(), []
    for k in tqdm(range(cfg.steps), desc="CSGM", disable=not progress, leave=False):
        for gr in opt.param_groups:
            gr["lr"] = _lr(k, cfg.steps, cfg.lr)
        opt.zero_grad()
        loss = cfg.fit(G.synthesis(G.mapping(z), noises), op, yR, mask=maskR, rng=loop_gen)
        loss = loss + cfg.z_weight * z.pow(2).mean(1)
        loss.sum().backward()
        opt.step()
        trace.append(loss.detach().min())
    with torch.no_grad():
        x = G.synthesis(G.mapping(z), noises)
        final_fit = dataclasses.replace(cfg.fit, sna_sigma=0.0)   # rank the restarts without fresh noise
        final = final_fit(x, op, yR, mask=maskR) + cfg.z_weight * z.pow(2).mean(1)
        best = final.argmin().reshape(1)   # chosen on the device
    losses = [_host.read_list(trace), _host.read(final)]
    return StyleILOResult(x=x.index_select(0, best), latent=z.detach().index_select(0, best), noises=noises,
                          losses=losses, seconds=[time.perf_counter() - t0], config=cfg)


def _loop_generator(rng: torch.Generator, device: torch.device, fit: DataFit) -> torch.Generator | None:
    """The generator for draws inside the optimisation loop (SNA noise): None when the fit draws nothing;
    ``rng`` itself on the CPU; on another device a generator there, seeded once from ``rng``, so that
    no step copies noise from the host."""
    if not fit.sna_sigma > 0:
        return None
    if device.type == "cpu" or rng.device == device:
        return rng
    seed = int(torch.randint(0, 2 ** 62, (1,), generator=rng))
    return torch.Generator(device).manual_seed(seed)


def _keep_best(best_fit, best_x, fit, x):
    if best_fit is None:
        return fit, x
    better = fit < best_fit
    return torch.where(better, fit, best_fit), torch.where(better, x, best_x)


def _project(v: torch.Tensor, start: torch.Tensor, radius: float) -> None:
    if math.isfinite(radius):
        v.copy_(project_l1_ball_around(v.reshape(1, -1), start.reshape(1, -1), radius).reshape(v.shape))


def style_fit(fit: DataFit) -> DataFit:
    """The official StyleGAN-2 data fit on top of a task's: LPIPS with VGG at 256 px instead of the task's network
    and size (``lpips.PerceptualLoss(net='vgg')`` on 256² images in ``ilo_stylegan.py``); the MSE and LPIPS weights,
    the fill policy, SNA (denoising) and any dead-zone term (``ilo solve --dead-zone``; official tolerance 0.1 on
    [-1, 1] images, default weight 0) are kept."""
    return dataclasses.replace(fit, lpips_net="vgg", lpips_size=256)


def style_method_config(method: str, fit: DataFit, num_stages: int, *, scale: float = 1.0,
                        restarts: int = 4) -> StyleILOConfig | StyleCSGMConfig:
    """CLI presets: ``csgm`` = CSGM in z (:class:`StyleCSGMConfig`, batched restarts); ``pulse`` = PULSE's latent
    search (one round in the Gaussianised w+ on the sphere, geocross); ``ilo`` = the official schedule over stages
    0-3 (fewer for small generators) with increasing radii; ``unconstrained`` = the same rounds with no radii.
    All use :func:`style_fit` of the task's data fit."""
    fit = style_fit(fit)
    st = lambda v: max(1, round(v * scale))
    if method == "csgm":
        return StyleCSGMConfig(steps=st(300), restarts=restarts, fit=fit)
    if method == "pulse":
        return pulse_config(st(150), fit=fit)
    if method not in ("ilo", "unconstrained"):
        raise ValueError(f"unknown method {method!r} for a StyleGAN-2 prior; choose from {', '.join(STYLE_METHODS)}")
    n = min(4, num_stages)
    base = StyleILOConfig()
    pick = lambda t: tuple(t[:n]) if method == "ilo" else (math.inf,) * n
    return StyleILOConfig(stages=base.stages[:n], steps=tuple(st(s) for s in base.steps[:n]), fit=fit,
                          radii_latent=pick(base.radii_latent), radii_noise=pick(base.radii_noise),
                          radii_state=pick(base.radii_state))
