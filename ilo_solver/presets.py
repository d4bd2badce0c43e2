r"""The one preset table, ``PRESETS[prior][method]``, and the one way to turn a preset into a run's config.

The CLI (``ilo solve``), the benchmarks and the README's tables all read these configs; :func:`configure` applies a
task's data fit, ``steps_scale`` and ``restarts`` to a preset -- once, the same way for every prior -- and refuses
what does not apply. :func:`solve` runs any of them.

- ``dcgan-faces`` (the pretrained 64² DCGAN; splits 1, 2, 3 = the [512,4,4], [256,8,8], [128,16,16] codes):
  ``csgm``, ``ilo`` (radii measured on the astronaut: 50 too small, 200 < 800 ≈ (400, 800, 1600) in PSNR on every
  task tried), ``unconstrained`` (the same rounds without radii), ``sgilo`` (the official practical chain at split 1,
  after the same 400-step CSGM start as ``csgm``; this is the setting of the README's SGILO table);
- ``stylegan2`` (any StyleGAN-2 checkpoint): ``csgm`` in z, ``pulse`` (PULSE's latent search), ``ilo`` (the official
  schedule over stages 0-3, fewer for small generators, with increasing radii), ``unconstrained``.
"""
from __future__ import annotations

import dataclasses
import math

from .fit.losses import DataFit
from .optim.loop import Round, SolveResult, scale_steps
from .solvers.ilo import ILOConfig, ilo, with_radius
from .solvers.ilo_stylegan import StyleCSGMConfig, StyleILOConfig, csgm_stylegan, ilo_stylegan, pulse_config, style_fit
from .solvers.sgilo import SGILOConfig, sgilo

__all__ = ["PRESETS", "PRIORS", "methods", "configure", "solve", "with_radius", "MAX_RESTARTS"]

INF = math.inf
MAX_RESTARTS = 1024   # restarts run as one batch: more would only exhaust memory


def _dcgan(radius: float) -> ILOConfig:
    return ILOConfig(rounds=(Round(0, 200, 0.05), Round(1, 100, 0.02, radius), Round(2, 100, 0.02, radius),
                             Round(3, 100, 0.02, radius)), restarts=4)


def _unconstrained(cfg: StyleILOConfig) -> StyleILOConfig:
    return dataclasses.replace(cfg, rounds=tuple(Round(r.split, r.steps, r.lr) for r in cfg.rounds))


PRESETS: dict[str, dict[str, object]] = {
    "dcgan-faces": {
        "csgm": ILOConfig(rounds=(Round(0, 400, 0.05),), restarts=4),
        "ilo": _dcgan(800.0),
        "unconstrained": _dcgan(INF),
        "sgilo": SGILOConfig(split=1, mode="practical", steps=300, burn_in=200, thin=20, csgm=Round(0, 400, 0.05),
                             restarts=4),
    },
    "stylegan2": {
        "csgm": StyleCSGMConfig(),
        "pulse": pulse_config(150),
        "ilo": StyleILOConfig(),
        "unconstrained": _unconstrained(StyleILOConfig()),
    },
}
PRIORS = tuple(PRESETS)


def methods(prior: str) -> tuple[str, ...]:
    return tuple(PRESETS[_prior(prior)])


def ilo_radius(prior: str, split: int) -> float:
    """The l1 radius the ``ilo`` preset searches at ``split`` (0 at split 0, the range itself): the extended range
    whose S-REC ``ilo srec`` estimates by default."""
    if split == 0:
        return 0.0
    for rd in PRESETS[_prior(prior)]["ilo"].rounds:
        if rd.split == split:
            return float(rd.radius)
    raise ValueError(f"the {prior} ilo preset has no round at split {split}")


def _prior(prior: str) -> str:
    key = "stylegan2" if prior.startswith("stylegan2") else prior
    if key not in PRESETS:
        raise ValueError(f"unknown prior {prior!r}; available: {', '.join(PRIORS)}")
    return key


def _scaled(rounds, scale):
    return tuple(dataclasses.replace(r, steps=scale_steps(r.steps, scale)) for r in rounds)


def configure(prior: str, method: str, *, fit: DataFit, steps_scale: float = 1.0, restarts: int | None = None,
              num_stages: int | None = None, **overrides):
    """``PRESETS[prior][method]`` with the task's data ``fit`` (for StyleGAN-2: :func:`style_fit` of it), every step
    count multiplied by ``steps_scale`` (:func:`~ilo_solver.optim.scale_steps`), ``restarts`` (None: the preset's)
    and, for StyleGAN-2, the schedule cut to the generator's ``num_stages``; ``overrides`` replace config fields.

    ``restarts`` applies where restarts exist (every method but StyleGAN-2 ``pulse``/``ilo``/``unconstrained``,
    which optimise one start, as the official code does): elsewhere a value other than 1 is refused."""
    key = _prior(prior)
    if method not in PRESETS[key]:
        raise ValueError(f"unknown method {method!r} for the {key} prior; choose from {', '.join(PRESETS[key])}")
    cfg = PRESETS[key][method]
    scale_steps(1, steps_scale)   # validates steps_scale
    if restarts is not None and (isinstance(restarts, bool) or not isinstance(restarts, int)
                                 or not 1 <= restarts <= MAX_RESTARTS):
        raise ValueError(f"restarts must be an integer in [1, {MAX_RESTARTS}], got {restarts!r}")
    if isinstance(cfg, SGILOConfig):
        burn = scale_steps(cfg.burn_in, steps_scale)
        cfg = dataclasses.replace(cfg, fit=fit, burn_in=burn, steps=max(burn + 1, scale_steps(cfg.steps, steps_scale)),
                                  thin=scale_steps(cfg.thin, steps_scale),
                                  csgm=dataclasses.replace(cfg.csgm, steps=scale_steps(cfg.csgm.steps, steps_scale)))
    else:
        rounds = cfg.rounds
        if isinstance(cfg, StyleILOConfig) and num_stages is not None:
            rounds = rounds[:min(len(rounds), num_stages)]
        cfg = dataclasses.replace(cfg, rounds=_scaled(rounds, steps_scale),
                                  fit=style_fit(fit) if key == "stylegan2" else fit)
    if restarts is not None:
        if hasattr(cfg, "restarts"):
            cfg = dataclasses.replace(cfg, restarts=restarts)
        elif restarts != 1:
            raise ValueError(f"restarts = {restarts}: the StyleGAN-2 {method!r} method optimises one start (as the "
                             "official code); restarts apply to 'csgm'")
    return dataclasses.replace(cfg, **overrides) if overrides else cfg


def solve(G, y, op, *, config, rng, score=None, progress: bool = False) -> SolveResult:
    """Run the solver that ``config`` belongs to: :func:`~ilo_solver.ilo.ilo` (ILO/CSGM on a layered generator),
    :func:`~ilo_solver.ilo_stylegan.ilo_stylegan` / :func:`~ilo_solver.ilo_stylegan.csgm_stylegan` (StyleGAN-2),
    or :func:`~ilo_solver.sgilo.sgilo` (which needs the ``score`` model)."""
    if isinstance(config, SGILOConfig):
        if score is None:
            raise ValueError("SGILO needs a score model (score=...)")
        return sgilo(G, y, op, score, config=config, rng=rng, progress=progress)
    if score is not None:
        raise ValueError(f"a score model is used by SGILO only, not by {type(config).__name__}")
    if isinstance(config, ILOConfig):
        return ilo(G, y, op, config=config, rng=rng, progress=progress)
    if isinstance(config, StyleILOConfig):
        return ilo_stylegan(G, y, op, config=config, rng=rng, progress=progress)
    if isinstance(config, StyleCSGMConfig):
        return csgm_stylegan(G, y, op, config=config, rng=rng, progress=progress)
    raise ValueError(f"no solver for a {type(config).__name__}")
