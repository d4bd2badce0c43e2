r"""Intermediate Layer Optimization, Algorithm 1 of Daras, Dean, Jalal, Dimakis (ICML 2021), for any
:class:`~ilo_solver.generators.base.LayeredGenerator`.

The schedule is a tuple of :class:`~ilo_solver.optim.Round` rows:

1. the first round, at split 0, is **CSGM** on the first latent: :math:`\hat z=\arg\min_{\|z\|\le r_1}
   \|A(G(z))-y\|` (Bora et al. 2017);
2. each later round ``Round(s, steps, lr, r2)`` pushes the current code forward to split :math:`s` (the centre c),
   then runs projected Adam on :math:`\min_{h\in c+B_1(r_2)}\|A(G_{s\to L}(h))-y\|` -- the :math:`\ell_1`
   projection after every step (``r2 = inf``: the unconstrained intermediate search);
3. optionally (``project_back``, line 5, never implemented in the official code): between rounds, invert
   :math:`G_{0\to s_i}` onto the found code, :math:`\hat z\leftarrow\arg\min_z\|G_{0\to s_i}(z)-\hat h\|`, and use
   :math:`G_{0\to s_i}(\hat z)` as the next centre;
4. return :math:`G_{s\to L}(\hat h)`.

Restarts run as one batch (every loss is per sample) and the best is selected by the measurement loss. CSGM is the
schedule of one round. Every round runs on :func:`~ilo_solver.optim.minimize`.
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
from ..optim.loop import Round, SolveResult, check_schedule, minimize
from ..optim.projection import project_l1_ball_around, project_l2_ball
from ..physics.operators import Operator

__all__ = ["ILOConfig", "ILOResult", "ilo", "ilo_many", "csgm_config", "with_radius", "project_back"]

INF = math.inf


@dataclasses.dataclass(frozen=True)
class ILOConfig:
    """Validated hyper-parameters: ``rounds[0]`` is the CSGM round (split 0, no :math:`\\ell_1` ball), each later
    round one ILO round at its split with its radius :math:`r_2`; ``r1`` the latent ball (None: none)."""
    rounds: tuple[Round, ...] = (Round(0, 150, 0.1), Round(1, 75, 0.05, 100.0), Round(2, 75, 0.05, 200.0),
                                 Round(3, 75, 0.05, 400.0))
    r1: float | None = None
    restarts: int = 4
    project_back: bool = False
    project_back_steps: int = 100
    fit: DataFit = DataFit()
    schedule: str = "constant"   # every round's learning-rate schedule (minimize's: 'constant' or 'cosine')

    def __post_init__(self):
        rounds = check_schedule(self.rounds, first_split=0)
        object.__setattr__(self, "rounds", rounds)
        if math.isfinite(rounds[0].radius):
            raise ValueError("the first round is CSGM on the latent (its ball is r1); give it radius inf")
        if any(r.split < 1 for r in rounds[1:]):
            raise ValueError(f"the ILO rounds after the first need splits >= 1, got {[r.split for r in rounds]}")
        if self.r1 is not None and not (isinstance(self.r1, (int, float)) and self.r1 > 0):
            raise ValueError(f"r1 must be > 0 or None, got {self.r1!r}")
        if not isinstance(self.restarts, int) or isinstance(self.restarts, bool) or self.restarts < 1 \
                or not isinstance(self.project_back_steps, int) or self.project_back_steps < 0:
            raise ValueError(f"restarts must be an integer >= 1 and project_back_steps >= 0, got {self.restarts!r}, "
                             f"{self.project_back_steps!r}")
        if self.schedule not in ("constant", "cosine"):
            raise ValueError(f"schedule must be 'constant' or 'cosine', got {self.schedule!r}")
        if not isinstance(self.fit, DataFit):
            raise ValueError(f"fit must be a DataFit, got {type(self.fit).__name__}")


def csgm_config(steps: int = 300, lr: float = 0.1, **kw) -> ILOConfig:
    """CSGM (Bora et al. 2017) = ILO with the CSGM round alone."""
    return ILOConfig(rounds=(Round(0, steps, lr),), **kw)


@dataclasses.dataclass(frozen=True)
class ILOResult(SolveResult):
    """``x`` ``[1, *image]`` the selected reconstruction; ``losses`` per round a tensor ``[steps, R]`` of data-fit
    losses; and the state to resume from: every restart's image, latent at split 0 (CSGM / last back-projection) and
    final code at ``split``, the selection loss (no SNA noise) and the random generator's state."""
    x_all: torch.Tensor         # [R, *image]
    best: int
    z: torch.Tensor             # [R, *latent]
    code: torch.Tensor          # [R, *code]
    split: int
    final_loss: torch.Tensor    # [R]
    rounds_done: int
    rng_state: torch.Tensor


def ilo(G: LayeredGenerator, y: torch.Tensor, op: Operator, *, config: ILOConfig, rng: torch.Generator,
        resume: ILOResult | None = None, init: torch.Tensor | None = None, progress: bool = False) -> ILOResult:
    """Run Algorithm 1 (see the module docstring). ``y`` is one observation ``[1, *op.out_shape]``. ``resume``
    continues a result whose config is a prefix of ``config``; the continuation is bit-identical to an
    uninterrupted run on CPU.

    ``y`` of shape ``[restarts, *op.out_shape]`` instead poses one problem per restart (a sweep solved as one
    batch, e.g. one target class per restart): ``x_all[i]`` then answers ``y[i]``, and ``x``/``best`` (the
    selection across restarts) are not meaningful. ``init`` ``[restarts, *latent]``: the CSGM round starts from these
    latents instead of random draws (a warm start, e.g. a face being morphed)."""
    cfg = config
    if y.dim() < 1 or y.shape[0] not in (1, cfg.restarts) or tuple(y.shape[1:]) != tuple(op.out_shape):
        raise ValueError(f"y must have shape [1, {', '.join(map(str, op.out_shape))}] (or one observation per "
                         f"restart, [{cfg.restarts}, ...]), got {list(y.shape)}")
    if cfg.rounds[-1].split >= G.num_blocks:
        raise ValueError(f"splits must be < {G.num_blocks} for this generator, got {[r.split for r in cfg.rounds]}")
    R = cfg.restarts
    yb = y.expand(R, *y.shape[1:])
    if init is not None and (resume is not None or tuple(init.shape) != (R, *G.latent_shape(0))):
        raise ValueError(f"init must be [{R}, {', '.join(map(str, G.latent_shape(0)))}] latents (one per restart) and "
                         f"cannot be combined with resume, got {list(init.shape)}")

    def fit(x):
        return cfg.fit(x, op, yb, rng=rng)

    if resume is not None:
        _check_prefix(resume.config, cfg)
        rng.set_state(resume.rng_state)
        z, code, split = resume.z, resume.code, resume.split
        losses, seconds, start = list(resume.losses), list(resume.seconds), resume.rounds_done
    else:
        z, code, split, losses, seconds, start = None, None, 0, [], [], 0
    bar = tqdm(total=sum(r.steps for r in cfg.rounds[start:]), desc=method_label(cfg), disable=not progress,
               leave=False)
    for i in range(start, len(cfg.rounds)):
        rd, t = cfg.rounds[i], time.perf_counter()
        if i == 0:   # CSGM on the first latent, optionally in B(r1)
            z0 = G.sample_latent(R, rng=rng).to(y.dtype) if init is None else init.detach().to(y.dtype).clone()
            ball = None if cfg.r1 is None else _l2_ball_step(cfg.r1)
            res = minimize([z0], lambda vs: fit(G(vs[0])), steps=rd.steps, lr=rd.lr, schedule=cfg.schedule,
                           post_step=ball, bar=bar)
            z = code = res.params[0]
            split = 0
        else:
            if cfg.project_back and split > 0 and i > 1:   # line 5: back to the range of G_{0->split}
                z = project_back(G, z, code, split, cfg.project_back_steps, cfg.rounds[0].lr)
                with torch.no_grad():
                    code = G.forward_to(z, split)
            with torch.no_grad():
                center = G.forward_between(code, split, rd.split)
            res = minimize([center], _from_split(G, fit, rd.split), steps=rd.steps, lr=rd.lr, schedule=cfg.schedule,
                           post_step=_l1_ball_step(center, rd.radius), bar=bar)
            code, split = res.params[0], rd.split
        losses.append(res.trace)
        seconds.append(time.perf_counter() - t)
    bar.close()
    with torch.no_grad():
        x_all = G.forward_from(code, split)
        final = dataclasses.replace(cfg.fit, sna_sigma=0.0)(x_all, op, yb)
    best = int(_host.read(torch.argmin(final)))   # the run's one device -> host read
    return ILOResult(x=x_all[best:best + 1], losses=losses, seconds=seconds, config=cfg, x_all=x_all, best=best,
                     z=z, code=code, split=split, final_loss=final, rounds_done=len(cfg.rounds),
                     rng_state=rng.get_state())


def ilo_many(G: LayeredGenerator, ys: torch.Tensor, op: Operator, *, config: ILOConfig,
             rng: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, ILOResult]:
    """``P`` problems that share one operator (``ys`` ``[P, *op.out_shape]``: e.g. many photos under one mask),
    each with ``config.restarts`` restarts, solved by :func:`ilo` as one batch of ``P * restarts`` (every loss is
    per sample, so the problems stay independent; one batch is ~2x faster per solve than ``P`` calls on CPU).

    Returns ``(x, best, result)``: ``x`` ``[P, *image]`` each problem's restart of least measurement loss,
    ``best`` ``[P]`` its index among that problem's restarts, and the batch's :class:`ILOResult` (``x_all`` in
    problem-major order: restart ``j`` of problem ``i`` is row ``i * restarts + j``)."""
    if ys.dim() < 1 or ys.shape[0] < 1 or tuple(ys.shape[1:]) != tuple(op.out_shape):
        raise ValueError(f"ys must have shape [P, {', '.join(map(str, op.out_shape))}] with P >= 1, "
                         f"got {list(ys.shape)}")
    P, R = ys.shape[0], config.restarts
    res = ilo(G, ys.repeat_interleave(R, dim=0), op, config=dataclasses.replace(config, restarts=P * R), rng=rng)
    best = res.final_loss.view(P, R).argmin(dim=1)
    x = res.x_all.view(P, R, *res.x_all.shape[1:])[torch.arange(P), best]
    return x, best, res


def _from_split(G, fit, s):
    return lambda vs: fit(G.forward_from(vs[0], s))


def _l2_ball_step(r1: float):
    def step(vs, k):
        vs[0].copy_(project_l2_ball(vs[0], r1))
    return step


def _l1_ball_step(center: torch.Tensor, radius: float):
    if math.isinf(radius):
        return None

    def step(vs, k):
        project_l1_ball_around(vs[0], center, radius, out=vs[0])   # in place: no allocation per step
    return step


def project_back(G, z, code, split, steps, lr):
    """Algorithm 1, line 5: :math:`\\arg\\min_z\\|G_{0\\to s}(z)-h\\|^2` from the current z (``steps`` Adam
    steps at ``lr``): the latent whose code at ``split`` is closest to ``code``."""
    res = minimize([z], lambda vs: ((G.forward_to(vs[0], split) - code) ** 2).flatten(1).sum(1), steps=steps, lr=lr,
                   record=None)
    return res.params[0]


def _check_prefix(old: ILOConfig, new: ILOConfig) -> None:
    n = len(old.rounds)
    same = (old.rounds == new.rounds[:n] and old.r1 == new.r1 and old.restarts == new.restarts
            and old.fit == new.fit and old.project_back == new.project_back
            and old.project_back_steps == new.project_back_steps and old.schedule == new.schedule)
    if not same:
        raise ValueError("resume: the saved run's config must be a prefix of the new config "
                         f"(saved {old}, new {new})")


def method_label(cfg: ILOConfig) -> str:
    """What a config runs, for progress bars: CSGM (one round in the range), ILO (l1 balls past it) or the
    unconstrained intermediate search."""
    if len(cfg.rounds) == 1:
        return "CSGM"
    return "ILO" if any(math.isfinite(r.radius) for r in cfg.rounds[1:]) else "unconstrained"


def with_radius(cfg: ILOConfig, radius: float) -> ILOConfig:
    """``cfg`` with every intermediate round's l1 radius set to ``radius`` -- the trade-off knob of classifier
    guidance (ILO paper §4); ``radius`` = 0 keeps the CSGM round alone (the range itself), ``inf`` the
    unconstrained search."""
    if not isinstance(cfg, ILOConfig):
        raise ValueError(f"with_radius applies to an ILOConfig (dcgan-faces), got {type(cfg).__name__}")
    if not (isinstance(radius, (int, float)) and radius >= 0 and not math.isnan(radius)):
        raise ValueError(f"radius must be >= 0 (inf: unconstrained), got {radius!r}")
    if radius == 0:
        return dataclasses.replace(cfg, rounds=cfg.rounds[:1])
    if len(cfg.rounds) < 2:
        raise ValueError("the radius applies to the rounds after the CSGM round (the ilo and unconstrained methods); "
                         "this config has none")
    return dataclasses.replace(cfg, rounds=cfg.rounds[:1] + tuple(dataclasses.replace(r, radius=float(radius))
                                                                  for r in cfg.rounds[1:]))
