r"""Intermediate Layer Optimization, Algorithm 1 of Daras, Dean, Jalal, Dimakis (ICML 2021) [X: THEORY.md §2].

1. **CSGM** on the first latent: :math:`\hat z=\arg\min_{\|z\|\le r_1}\|A(G(z))-y\|` (Bora et al. 2017).
2. For each round i with split :math:`s_i` and radius :math:`r_2^{(i)}`: push the current code forward to split
   :math:`s_i` (the centre c), then run projected Adam on
   :math:`\min_{h\in c+B_1(r_2^{(i)})}\|A(G_{s_i\to L}(h))-y\|` -- the :math:`\ell_1` projection after every step.
3. Optionally (``project_back``, line 5, never implemented in the official code): between rounds, invert
   :math:`G_{0\to s_i}` onto the found code, :math:`\hat z\leftarrow\arg\min_z\|G_{0\to s_i}(z)-\hat h\|`, and use
   :math:`G_{0\to s_i}(\hat z)` as the next centre.
4. Return :math:`G_{s\to L}(\hat h)`.

Restarts run as one batch (every loss is per sample) and the best is selected by the measurement loss.
CSGM is ILO with no rounds; "unconstrained" intermediate optimisation is ``radii = inf``.
"""
from __future__ import annotations

import dataclasses
import math
import time
from typing import Sequence

import torch
from tqdm import tqdm

from . import _host
from .generators.base import LayeredGenerator
from .losses import DataFit
from .operators import Operator
from .projection import project_l1_ball_around

__all__ = ["ILOConfig", "ILOResult", "ilo", "csgm_config", "save_state", "load_state"]


@dataclasses.dataclass(frozen=True)
class ILOConfig:
    """Validated hyper-parameters. ``steps[0]``/``lrs[0]`` are the CSGM round; ``steps[i]``, ``lrs[i]``,
    ``splits[i-1]``, ``radii[i-1]`` the i-th ILO round."""
    splits: tuple[int, ...] = (1, 2, 3)
    steps: tuple[int, ...] = (150, 75, 75, 75)
    lrs: tuple[float, ...] = (0.1, 0.05, 0.05, 0.05)
    radii: tuple[float, ...] = (100.0, 200.0, 400.0)
    r1: float | None = None
    restarts: int = 4
    project_back: bool = False
    project_back_steps: int = 100
    fit: DataFit = DataFit()

    def __post_init__(self):
        object.__setattr__(self, "splits", tuple(int(s) for s in self.splits))
        object.__setattr__(self, "steps", tuple(int(s) for s in self.steps))
        object.__setattr__(self, "lrs", tuple(float(v) for v in self.lrs))
        object.__setattr__(self, "radii", tuple(float(v) for v in self.radii))
        if len(self.steps) != len(self.splits) + 1 or len(self.lrs) != len(self.splits) + 1:
            raise ValueError(f"steps and lrs need one entry for CSGM plus one per split: {len(self.splits)} splits, "
                             f"{len(self.steps)} steps, {len(self.lrs)} lrs")
        if len(self.radii) != len(self.splits):
            raise ValueError(f"radii needs one entry per split: {len(self.splits)} splits, {len(self.radii)} radii")
        if any(s < 1 for s in self.splits) or any(b < a for a, b in zip(self.splits, self.splits[1:])):
            raise ValueError(f"splits must be >= 1 and non-decreasing, got {self.splits}")
        if any(s < 0 for s in self.steps) or any(v <= 0 for v in self.lrs):
            raise ValueError(f"steps must be >= 0 and lrs > 0, got steps={self.steps}, lrs={self.lrs}")
        if any(math.isnan(r) or r < 0 for r in self.radii):
            raise ValueError(f"radii must be >= 0 (inf allowed), got {self.radii}")
        if self.r1 is not None and not self.r1 > 0:
            raise ValueError(f"r1 must be > 0 or None, got {self.r1}")
        if self.restarts < 1 or self.project_back_steps < 0:
            raise ValueError(f"restarts must be >= 1 and project_back_steps >= 0, got {self.restarts}, "
                             f"{self.project_back_steps}")

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["radii"] = [r if math.isfinite(r) else "inf" for r in self.radii]
        return d


def csgm_config(steps: int = 300, lr: float = 0.1, **kw) -> ILOConfig:
    """CSGM (Bora et al. 2017) = ILO with zero rounds."""
    return ILOConfig(splits=(), steps=(steps,), lrs=(lr,), radii=(), **kw)


@dataclasses.dataclass(frozen=True)
class ILOResult:
    x: torch.Tensor             # [1, *image] the selected reconstruction
    x_all: torch.Tensor         # [R, *image] every restart
    best: int                   # index of the selected restart
    z: torch.Tensor             # [R, *latent] latents at split 0 (CSGM / last back-projection)
    code: torch.Tensor          # [R, *code] the final intermediate code
    split: int                  # split of ``code``
    losses: list                # per round: tensor [steps, R] of data-fit losses
    final_loss: torch.Tensor    # [R] measurement loss (no SNA noise) used for the selection
    seconds: list               # per round
    rounds_done: int
    config: ILOConfig
    generator_state: torch.Tensor


def _adam(var, loss_fn, steps, lr, project, bar, record):
    var = var.clone().requires_grad_(True)
    opt = torch.optim.Adam([var], lr=lr)
    trace = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(var)
        loss.sum().backward()
        opt.step()
        with torch.no_grad():
            var.copy_(project(var))
        trace.append(loss.detach())
        if bar is not None:
            bar.update(1)
            if not bar.disable and bar.n % 10 == 0:   # a host read: only for a visible bar, every 10 steps
                bar.set_postfix(loss=f"{_host.read(loss.detach().min()):.4g}", refresh=False)
    return var.detach(), (torch.stack(trace) if trace else torch.empty(0)) if record else None


def ilo(G: LayeredGenerator, y: torch.Tensor, op: Operator, *, config: ILOConfig, rng: torch.Generator,
        mask: torch.Tensor | None = None, resume: ILOResult | None = None, progress: bool = False) -> ILOResult:
    """Run Algorithm 1 (see the module docstring). ``y`` is one observation ``[1, *op.out_shape]``; ``mask`` turns on
    the LPIPS fill policy (inpainting). ``resume`` continues a result whose config is a prefix of ``config``;
    the continuation is bit-identical to an uninterrupted run on CPU."""
    cfg = config
    if y.dim() < 1 or y.shape[0] != 1 or tuple(y.shape[1:]) != tuple(op.out_shape):
        raise ValueError(f"y must have shape [1, {', '.join(map(str, op.out_shape))}], got {list(y.shape)}")
    if cfg.splits and cfg.splits[-1] >= G.num_blocks:
        raise ValueError(f"splits must be < {G.num_blocks} for this generator, got {cfg.splits}")
    R = cfg.restarts
    yb = y.expand(R, *y.shape[1:])
    maskb = None if mask is None else mask.expand(R, *mask.shape[-3:]).to(y.dtype)
    fit = lambda x: cfg.fit(x, op, yb, mask=maskb, rng=rng)
    rounds = 1 + len(cfg.splits)
    if resume is not None:
        _check_prefix(resume.config, cfg)
        rng.set_state(resume.generator_state)
        z, code, split = resume.z, resume.code, resume.split
        losses, seconds, start = list(resume.losses), list(resume.seconds), resume.rounds_done
    else:
        z, code, split, losses, seconds, start = None, None, 0, [], [], 0
    bar = tqdm(total=sum(cfg.steps[start:]), desc="ILO", disable=not progress, leave=False)
    for rnd in range(start, rounds):
        t = time.perf_counter()
        if rnd == 0:  # CSGM on the first latent, optionally in B(r1)
            z0 = G.sample_latent(R, rng=rng).to(y.dtype)
            ball = (lambda v: v) if cfg.r1 is None else (
                lambda v: v * torch.clamp(cfg.r1 / v.flatten(1).norm(dim=1), max=1.0).view(-1, *[1] * (v.dim() - 1)))
            z, trace = _adam(z0, lambda v: fit(G(v)), cfg.steps[0], cfg.lrs[0], ball, bar, True)
            code, split = z, 0
        else:
            s, r = cfg.splits[rnd - 1], cfg.radii[rnd - 1]
            if cfg.project_back and split > 0 and rnd > 1:  # line 5: back to the range of G_{0->split}
                z, _ = _adam(z, lambda v: ((G.forward_to(v, split) - code) ** 2).flatten(1).sum(1),
                             cfg.project_back_steps, cfg.lrs[0], lambda v: v, None, False)
                with torch.no_grad():
                    code = G.forward_to(z, split)
            with torch.no_grad():
                center = G.forward_between(code, split, s)
            proj = (lambda v: v) if math.isinf(r) else (lambda v: project_l1_ball_around(v, center, r))
            code, trace = _adam(center, lambda v: fit(G.forward_from(v, s)), cfg.steps[rnd], cfg.lrs[rnd], proj,
                                bar, True)
            split = s
        losses.append(trace)
        seconds.append(time.perf_counter() - t)
    bar.close()
    with torch.no_grad():
        x_all = G.forward_from(code, split)
        final = dataclasses.replace(cfg.fit, sna_sigma=0.0)(x_all, op, yb, mask=maskb)
    best = int(_host.read(torch.argmin(final)))   # the run's one device -> host read
    return ILOResult(x=x_all[best:best + 1], x_all=x_all, best=best, z=z, code=code, split=split, losses=losses,
                     final_loss=final, seconds=seconds, rounds_done=rounds, config=cfg,
                     generator_state=rng.get_state())


def _check_prefix(old: ILOConfig, new: ILOConfig) -> None:
    n = len(old.splits)
    same = (old.splits == new.splits[:n] and old.steps == new.steps[:n + 1] and old.lrs == new.lrs[:n + 1]
            and old.radii == new.radii[:n] and old.r1 == new.r1 and old.restarts == new.restarts
            and old.fit == new.fit and old.project_back == new.project_back)
    if not same:
        raise ValueError("resume: the saved run's config must be a prefix of the new config "
                         f"(saved {old.to_dict()}, new {new.to_dict()})")


def save_state(result: ILOResult, path) -> None:
    """Save everything needed to resume or reproduce (tensors + JSON-able config); load with :func:`load_state`."""
    cfg = result.config.to_dict()
    torch.save(dict(x_all=result.x_all, best=result.best, z=result.z, code=result.code, split=result.split,
                    losses=result.losses, final_loss=result.final_loss, seconds=torch.tensor(result.seconds),
                    rounds_done=result.rounds_done, generator_state=result.generator_state,
                    config={k: v for k, v in cfg.items() if k != "fit"}, fit=dataclasses.asdict(result.config.fit)),
               path)


def load_state(path) -> ILOResult:
    d = torch.load(path, map_location="cpu", weights_only=True)
    c = dict(d["config"])
    c["radii"] = tuple(float(r) for r in c["radii"])
    cfg = ILOConfig(**c, fit=DataFit(**d["fit"]))
    return ILOResult(x=d["x_all"][d["best"]:d["best"] + 1], x_all=d["x_all"], best=d["best"], z=d["z"],
                     code=d["code"], split=d["split"], losses=list(d["losses"]), final_loss=d["final_loss"],
                     seconds=d["seconds"].tolist(), rounds_done=d["rounds_done"], config=cfg,
                     generator_state=d["generator_state"])
