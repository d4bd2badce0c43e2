r"""The one optimisation loop of the toolkit, and the schedule rows every solver is written in.

:func:`minimize` is projected first-order descent: Adam (Kingma & Ba 2015) on a list of tensors, a per-sample
objective summed for the gradient (so batched restarts, instances and radii stay independent), an optional
learning-rate ramp, an in-place post-step hook (the projection onto the constraint set, or any other map), and
best-iterate tracking on the device. Every solver (ILO and CSGM on layered generators, the StyleGAN-2 rounds of
ILO/PULSE/CSGM, SGILO's practical chain) and every verification estimator that optimises runs on it;
:func:`ula_step` is the one unadjusted-Langevin step (SGILO's calibrated chain, the Langevin checks).

Host reads follow ``ilo_solver._host``: nothing inside the loop reads a value back from the device, except a
visible progress bar's loss every 10 steps.

:class:`Round` is one row of a solver's schedule: ``Round(split, steps, lr, radius)`` (+ the StyleGAN-2 noise and
state radii). A schedule is a tuple of rows, validated once by :func:`check_schedule`.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

import torch

from . import _host

__all__ = ["Round", "check_schedule", "scale_steps", "SolveResult", "LoopResult", "select_better", "minimize",
           "cosine_ramp", "ula_step", "MAX_STEPS"]

INF = math.inf
#: The most steps one round may ask for, so that every loop is bounded (``steps_scale = inf`` or 1e12 is
#: refused, not run).
MAX_STEPS = 10_000_000


def _finite_nonneg(name: str, v: float) -> None:
    if not isinstance(v, (int, float)) or math.isnan(v) or v < 0:
        raise ValueError(f"{name} must be >= 0 (inf allowed), got {v!r}")


@dataclasses.dataclass(frozen=True)
class Round:
    """One round of a schedule. ``split``: where the optimised code lives (0 = the first latent; for a layered
    generator the intermediate code at that block, for StyleGAN-2 the synthesis stage); ``steps`` and ``lr``: of
    Adam; ``radius``: the :math:`\\ell_1` radius of the code's deviation from its start (ILO's :math:`r_2`;
    ``inf`` = unconstrained, as the first round of CSGM/PULSE); ``radius_noise``/``radius_state``: the StyleGAN-2
    noise maps' and synthesis state's radii (``inf`` elsewhere)."""
    split: int
    steps: int
    lr: float
    radius: float = INF
    radius_noise: float = INF
    radius_state: float = INF

    def __post_init__(self):
        for f in ("split", "steps"):
            v = getattr(self, f)
            if isinstance(v, bool) or not isinstance(v, int) and not (isinstance(v, float) and v.is_integer()):
                raise ValueError(f"{f} must be an integer, got {v!r}")
            object.__setattr__(self, f, int(v))
        if self.split < 0 or not 0 <= self.steps <= MAX_STEPS:
            raise ValueError(f"split must be >= 0 and steps in [0, {MAX_STEPS}], got split={self.split}, "
                             f"steps={self.steps}")
        object.__setattr__(self, "lr", float(self.lr))
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be finite and > 0, got {self.lr}")
        for f in ("radius", "radius_noise", "radius_state"):
            _finite_nonneg(f, getattr(self, f))
            object.__setattr__(self, f, float(getattr(self, f)))


def check_schedule(rounds: Sequence[Round], *, max_split: int | None = None, first_split: int | None = 0,
                   stylegan: bool = False) -> tuple[Round, ...]:
    """The schedule as a tuple, validated: rows are :class:`Round`, splits non-decreasing, the first at
    ``first_split`` (None: any), all below ``max_split``; the noise/state radii only where ``stylegan``."""
    rounds = tuple(rounds)
    if not rounds:
        raise ValueError("a schedule needs at least one round")
    if not all(isinstance(r, Round) for r in rounds):
        raise ValueError("every row of a schedule must be a Round(split, steps, lr, radius)")
    splits = [r.split for r in rounds]
    if first_split is not None and splits[0] != first_split:
        raise ValueError(f"the first round must be at split {first_split}, got {splits[0]}")
    if any(b < a for a, b in zip(splits, splits[1:], strict=False)):
        raise ValueError(f"splits must be non-decreasing, got {splits}")
    if max_split is not None and splits[-1] > max_split:
        raise ValueError(f"splits must be <= {max_split} for this generator, got {splits}")
    if not stylegan and any(math.isfinite(r.radius_noise) or math.isfinite(r.radius_state) for r in rounds):
        raise ValueError("radius_noise and radius_state apply to StyleGAN-2 schedules only")
    return rounds


def scale_steps(steps: int, scale: float) -> int:
    """``max(1, round(steps · scale))``: how a preset's step count follows ``steps_scale`` (0 stays 0)."""
    if not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0):
        raise ValueError(f"steps_scale must be finite and > 0, got {scale!r}")
    if steps == 0:
        return 0
    out = max(1, round(steps * scale))
    if out > MAX_STEPS:
        raise ValueError(f"steps_scale {scale} asks for {out} steps in one round (at most {MAX_STEPS})")
    return out


def cosine_ramp(step: int, total: int, lr: float, rampdown: float = 0.75, rampup: float = 0.05) -> float:
    """The learning-rate ramp of the StyleGAN-2 projector (Karras et al. 2020, ``projector.py``), which the official
    ILO code uses: linear warm-up over the first ``rampup`` of the steps, cosine decay over the last ``rampdown``."""
    t = step / max(total, 1)
    ramp = min(1.0, (1.0 - t) / rampdown)
    ramp = 0.5 - 0.5 * math.cos(ramp * math.pi)
    return lr * ramp * min(1.0, t / rampup)


@dataclasses.dataclass(frozen=True)
class SolveResult:
    """What every solver returns: ``x`` the reconstruction ``[1, *image]``, ``losses`` one trace per round (tensors
    for the layered-generator solvers, lists of floats read once per round for StyleGAN-2), ``seconds`` wall time
    per round, ``config`` the config it ran with; each solver's result adds its extras."""
    x: torch.Tensor
    losses: list
    seconds: list
    config: object


@dataclasses.dataclass(frozen=True)
class LoopResult:
    """``params``: the final iterate (detached); ``trace``: the recorded losses, stacked on the device (``[steps,
    B]`` for ``record='per_sample'``, ``[steps]`` for ``'sum'``/``'min'``, empty for none); ``best_score`` /
    ``best_value``: the tracked best (``keep_best``), or None."""
    params: list
    trace: torch.Tensor
    best_score: torch.Tensor | None = None
    best_value: torch.Tensor | None = None


def select_better(best_score, best_value, score, value):
    """The better of (best, new) by score, selected on the device (no host read)."""
    if best_score is None:
        return score, value
    better = score < best_score
    return (torch.where(better, score, best_score),
            None if value is None else torch.where(better, value, best_value))


def minimize(params: Sequence[torch.Tensor], objective: Callable, *, steps: int, lr: float | Sequence[float],
             schedule: str = "constant", post_step: Callable | None = None, record: str | None = "per_sample",
             keep_best: bool = False, best_init: tuple | None = None, bar=None, show_loss: bool = True,
             foreach: bool | None = None) -> LoopResult:
    r"""Projected Adam: for ``k`` in ``range(steps)``

    1. the learning rate (``schedule='cosine'``: :func:`cosine_ramp`; ``'constant'``: ``lr``); ``lr`` is one rate
       or one per parameter (Adam parameter groups; the schedule scales each);
    2. ``out = objective(vars)``: the per-sample loss ``[B]`` (or 0-d), or ``(loss, score, value)`` with
       ``keep_best`` -- the pre-step iterate's ``score`` (0-d) and ``value`` (any tensor or None) are tracked;
    3. ``loss.sum().backward()``, Adam step;
    4. ``post_step(vars, k)`` under ``no_grad`` -- in place (``v.copy_(project(v))``), e.g. the projection;
    5. the trace: ``loss`` (``'per_sample'``), ``loss.sum()`` (``'sum'``), ``loss.min()`` (``'min'``) or nothing.

    ``params`` are cloned (the inputs are not modified); ``best_init`` = (score,
    value) to start the tracking from; ``bar`` a tqdm bar advanced once per step, showing the loss every 10 steps
    when visible and ``show_loss`` (a host read); ``foreach`` is Adam's."""
    if record not in ("per_sample", "sum", "min", None):
        raise ValueError(f"record must be 'per_sample', 'sum', 'min' or None, got {record!r}")
    if schedule not in ("constant", "cosine"):
        raise ValueError(f"schedule must be 'constant' or 'cosine', got {schedule!r}")
    vars_ = [p.detach().clone().requires_grad_(True) for p in params]
    rates = [float(lr)] * len(vars_) if isinstance(lr, (int, float)) else [float(r) for r in lr]
    if len(rates) != len(vars_) or not all(math.isfinite(r) and r > 0 for r in rates):
        raise ValueError(f"lr must be one positive rate or one per parameter ({len(vars_)}), got {lr!r}")
    opt = torch.optim.Adam([dict(params=[v], lr=r) for v, r in zip(vars_, rates, strict=True)], foreach=foreach)
    trace = []
    best_score, best_value = best_init if best_init is not None else (None, None)
    for k in range(steps):
        if schedule == "cosine":
            for group, rate in zip(opt.param_groups, rates, strict=True):
                group["lr"] = cosine_ramp(k, steps, rate)
        opt.zero_grad()
        out = objective(vars_)
        loss = out[0] if keep_best else out
        loss.sum().backward()
        if keep_best:
            best_score, best_value = select_better(best_score, best_value, out[1], out[2])
        opt.step()
        if post_step is not None:
            with torch.no_grad():
                post_step(vars_, k)
        if record is not None:
            d = loss.detach()
            trace.append(d if record == "per_sample" else d.sum() if record == "sum" else d.min())
        if bar is not None:
            bar.update(1)
            if show_loss and not bar.disable and bar.n % 10 == 0:   # a host read: a visible bar, every 10 steps
                bar.set_postfix(loss=f"{_host.read(loss.detach().min()):.4g}", refresh=False)
    stacked = torch.stack(trace) if trace else torch.empty(0)
    return LoopResult([v.detach() for v in vars_], stacked, best_score, best_value)


def ula_step(x: torch.Tensor, grad: torch.Tensor, *, eta: float, beta: float, rng: torch.Generator) -> torch.Tensor:
    r"""One unadjusted Langevin step for the density :math:`\propto e^{-\beta U}`, given :math:`\nabla U`:
    :math:`x - \eta\nabla U + \sqrt{2\eta/\beta}\,\xi`, :math:`\xi\sim N(0,I)` drawn from ``rng`` (on its device,
    then moved to ``x``'s). SGILO's calibrated chain (Daras et al. 2022) uses
    :math:`\nabla U=\nabla_h\|A(G_2(h))-y\|^2-\lambda s_\theta(h,t)`."""
    noise = torch.randn(x.shape, generator=rng, dtype=x.dtype).to(x.device)
    return x - eta * grad + math.sqrt(2 * eta / beta) * noise
