r"""The registries: priors (:data:`PRIOR_LOADERS`, :func:`load_prior`), the one preset table
(``PRESETS[prior][method]``) and the solvers that run each config type (:data:`SOLVERS`), with the one way to turn a
preset into a run's config (:func:`configure`) and to run it (:func:`solve`).

The CLI, the benchmarks and the README's tables all read these. Adding a prior is one loader
(``PRIOR_LOADERS[key] = loader``) and one preset row; adding a method is one config class, one preset row and one
:func:`register_solver` entry -- nothing in the CLI changes. :func:`configure` applies a task's data fit,
``steps_scale`` and ``restarts`` to a preset -- once, the same way for every prior -- and refuses what does not
apply.

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
from collections.abc import Callable
from pathlib import Path

import torch

from .fit.losses import DataFit
from .optim.loop import Round, SolveResult, scale_steps
from .solvers.classical import KINDS as CLASSICAL
from .solvers.classical import ClassicalConfig, classical
from .solvers.ilo import ILOConfig, ilo, with_radius
from .solvers.ilo_stylegan import (StyleCSGMConfig, StyleILOConfig, csgm_stylegan, ilo_stylegan, pulse_config,
                                   style_fit)
from .solvers.sgilo import SGILOConfig, sgilo
from .solvers.sparsity import LassoConfig, lasso
from .solvers.untrained import DeepDecoderConfig, deep_decoder

__all__ = ["PRESETS", "PRIORS", "PRIOR_LOADERS", "Prior", "parse_prior", "load_prior", "SOLVERS", "Solver",
           "register_solver", "parse_device", "generator", "methods", "configure", "solve", "with_radius", "ilo_radius",
           "MAX_RESTARTS"]

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
for _row in PRESETS.values():   # the classical and untrained baselines (prior-free) beside every prior's methods
    _row.update({k: ClassicalConfig(k) for k in CLASSICAL})
    _row["deep-decoder"] = DeepDecoderConfig()
    _row.update({"lasso-dct": LassoConfig("dct"), "lasso-wavelet": LassoConfig("wavelet")})
PRIORS = tuple(PRESETS)


def methods(prior: str) -> tuple[str, ...]:
    """The methods the preset table has for ``prior`` (a key or a full spec such as ``stylegan2:PATH``)."""
    return tuple(PRESETS[_prior(prior)])


# --------------------------------------------------------------------------------------------------- priors
@dataclasses.dataclass(frozen=True)
class Prior:
    """A loaded prior: ``key`` (its row of ``PRESETS``), the ``spec`` it was loaded from, the generator ``G``
    (a :class:`~ilo_solver.generators.base.LayeredGenerator` for ``dcgan-faces``; a StyleGAN-2 synthesis network for
    ``stylegan2``), the resolution ``size`` of its square images, ``num_stages`` (StyleGAN-2's schedule is cut to
    it; None elsewhere) and a one-line ``description``."""
    key: str
    spec: str
    G: torch.nn.Module
    size: int
    num_stages: int | None
    description: str

    def layered(self):
        """The generator as a :class:`~ilo_solver.generators.base.LayeredGenerator` (StyleGAN-2 wrapped in
        :class:`~ilo_solver.generators.stylegan_layered.StyleGANLayered`): what S-REC estimates run on."""
        if self.key == "stylegan2":
            from .generators.stylegan_layered import StyleGANLayered
            return StyleGANLayered(self.G)
        return self.G


def _load_dcgan(arg: str | None, device) -> Prior:
    from .generators.dcgan import load_dcgan_faces
    return Prior("dcgan-faces", "dcgan-faces", load_dcgan_faces(device), 64, None,
                 "the pretrained 64x64 DCGAN of gan-face-generate 1.1.1")


def _load_stylegan2(arg: str | None, device) -> Prior:
    from .generators.checkpoints import load_generator
    G = load_generator(arg, device)
    return Prior("stylegan2", f"stylegan2:{arg}", G, G.size, G.num_stages,
                 f"StyleGAN-2 {G.size}x{G.size}, w {G.style_dim}, mapping {G.n_mlp} layers, conv_clamp {G.conv_clamp}")


#: prior key -> loader(argument after ``key:`` or None, device) -> :class:`Prior`; ``needs_path``: keys whose spec
#: must name a file (``stylegan2:PATH``).
PRIOR_LOADERS: dict[str, Callable[[str | None, torch.device], Prior]] = {"dcgan-faces": _load_dcgan,
                                                                          "stylegan2": _load_stylegan2}
_NEEDS_PATH = {"stylegan2"}


def parse_prior(spec: str) -> tuple[str, str | None]:
    """``spec`` -> (key, argument): ``dcgan-faces`` -> ("dcgan-faces", None); ``stylegan2:PATH`` -> ("stylegan2",
    PATH), the file checked to exist. The one parser of prior specs; raises ValueError naming what is available."""
    key, sep, arg = str(spec).partition(":")
    if key not in PRIOR_LOADERS or key not in PRESETS:
        raise ValueError(f"unknown prior {spec!r}; available: "
                         + ", ".join(f"{k}:PATH" if k in _NEEDS_PATH else k for k in PRIOR_LOADERS))
    if key in _NEEDS_PATH:
        if not arg:
            raise ValueError(f"unknown prior {spec!r}: {key} needs a checkpoint, as {key}:PATH")
        if not Path(arg).is_file():
            raise ValueError(f"checkpoint {arg} does not exist")
        return key, arg
    if sep:
        raise ValueError(f"unknown prior {spec!r}: {key} takes no argument")
    return key, None


def load_prior(spec: str, device: str | torch.device = "cpu") -> Prior:
    """The prior named by ``spec`` (:func:`parse_prior`), loaded onto ``device`` (:func:`parse_device`)."""
    key, arg = parse_prior(spec)
    return PRIOR_LOADERS[key](arg, parse_device(device))


def generator(seed: int) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded with ``seed``, an integer in [0, 2**63) (torch's range; larger seeds overflow
    inside torch with an unhelpful message)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2 ** 63:
        raise ValueError(f"--seed must be an integer in [0, 2**63), got {seed!r}")
    return torch.Generator().manual_seed(seed)


def parse_device(name: str | torch.device) -> torch.device:
    """``cpu``, ``cuda``, ``cuda:N`` or ``mps``, checked to exist here; anything else is one clear error."""
    if isinstance(name, torch.device):
        name = str(name)
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ValueError(f"--device {name!r} is not a device name; use cpu, cuda, cuda:N or mps") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"--device {name} was asked for but no CUDA device is available")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ValueError(f"--device {name}: there are {torch.cuda.device_count()} CUDA devices")
    elif device.type == "mps":
        if not torch.backends.mps.is_available():
            raise ValueError("--device mps was asked for but no MPS device is available")
    elif device.type != "cpu":
        raise ValueError(f"--device {name}: use cpu, cuda, cuda:N or mps")
    return device


# --------------------------------------------------------------------------------------------------- solvers
@dataclasses.dataclass(frozen=True)
class Solver:
    """How a config type is run: ``run(G, y, op, *, config, rng, progress[, score])`` returning a
    :class:`~ilo_solver.optim.loop.SolveResult`; ``needs_score``: it takes the score model (SGILO)."""
    run: Callable[..., SolveResult]
    needs_score: bool = False


#: config type -> :class:`Solver`. :func:`solve` dispatches on it and :mod:`ilo_solver.storage` reads saved configs
#: through it.
SOLVERS: dict[type, Solver] = {}


def register_solver(config_type: type, run: Callable[..., SolveResult], *, needs_score: bool = False) -> None:
    """Add a method's config type and its solver (a frozen dataclass config; the solver as in :class:`Solver`)."""
    if not dataclasses.is_dataclass(config_type) or not isinstance(config_type, type):
        raise ValueError(f"a solver config must be a dataclass type, got {config_type!r}")
    SOLVERS[config_type] = Solver(run, needs_score)


register_solver(ILOConfig, ilo)
register_solver(StyleILOConfig, ilo_stylegan)
register_solver(StyleCSGMConfig, csgm_stylegan)
register_solver(SGILOConfig, sgilo, needs_score=True)
register_solver(ClassicalConfig, classical)
register_solver(DeepDecoderConfig, deep_decoder)
register_solver(LassoConfig, lasso)


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
    """The preset row of a prior key or spec (a spec's file is not looked at: :func:`parse_prior` does that)."""
    key = str(prior).partition(":")[0]
    if key not in PRESETS:
        raise ValueError(f"unknown prior {prior!r}; available: {', '.join(PRIORS)}")
    return key


def _scaled(rounds, scale):
    return tuple(dataclasses.replace(r, steps=scale_steps(r.steps, scale)) for r in rounds)


def configure(prior: str, method: str, *, fit: DataFit, steps_scale: float = 1.0, restarts: int | None = None,
              num_stages: int | None = None, **overrides):
    """``PRESETS[prior][method]`` with the task's data ``fit`` (for StyleGAN-2:
    :func:`~ilo_solver.solvers.ilo_stylegan.style_fit` of it), every step
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
    else:   # any other config: its schedule scaled (and cut to the stages) and its data fit set, where it has them
        fields = {f.name for f in dataclasses.fields(cfg)}
        if "rounds" in fields:
            rounds = cfg.rounds
            if isinstance(cfg, StyleILOConfig) and num_stages is not None:
                rounds = rounds[:min(len(rounds), num_stages)]
            cfg = dataclasses.replace(cfg, rounds=_scaled(rounds, steps_scale))
        if "fit" in fields:
            cfg = dataclasses.replace(cfg, fit=style_fit(fit) if key == "stylegan2" else fit)
        if isinstance(cfg, DeepDecoderConfig | LassoConfig):
            cfg = dataclasses.replace(cfg, steps=scale_steps(cfg.steps, steps_scale))
    if restarts is not None:
        if "restarts" in {f.name for f in dataclasses.fields(cfg)}:
            cfg = dataclasses.replace(cfg, restarts=restarts)
        elif restarts != 1:
            raise ValueError(f"restarts = {restarts}: the {method!r} method has one start (StyleGAN-2 pulse/ilo "
                             "optimise one, as the official code; the classical baselines none); restarts apply to "
                             "'csgm'")
    return dataclasses.replace(cfg, **overrides) if overrides else cfg


def solve(G, y, op, *, config, rng, score=None, progress: bool = False) -> SolveResult:
    """Run the solver :data:`SOLVERS` registers for ``type(config)`` (:func:`~ilo_solver.solvers.ilo.ilo`,
    :func:`~ilo_solver.solvers.ilo_stylegan.ilo_stylegan`, :func:`~ilo_solver.solvers.ilo_stylegan.csgm_stylegan`,
    :func:`~ilo_solver.solvers.sgilo.sgilo`, or one a user registered); ``score``: the score model, for solvers that
    need one (SGILO) and refused by the others."""
    entry = SOLVERS.get(type(config))
    if entry is None:
        raise ValueError(f"no solver for a {type(config).__name__}; registered: "
                         f"{', '.join(t.__name__ for t in SOLVERS)}")
    if entry.needs_score:
        if score is None:
            raise ValueError(f"{type(config).__name__} needs a score model (score=...)")
        return entry.run(G, y, op, score, config=config, rng=rng, progress=progress)
    if score is not None:
        raise ValueError(f"a score model is used by SGILO only, not by {type(config).__name__}")
    return entry.run(G, y, op, config=config, rng=rng, progress=progress)
