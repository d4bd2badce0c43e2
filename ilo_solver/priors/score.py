r"""A score-based prior on a generator's intermediate codes: the VP-SDE of Song et al. (ICLR 2021) as used by SGILO
(Daras, Dagan, Dimakis, Daskalakis, ICML 2022; docs/theory_notes.md §6 [V]: β from 0.1 to 20, continuous time).

- :class:`VPSDE`: :math:`\alpha_t=\exp(-\tfrac14t^2(\beta_{max}-\beta_{min})-\tfrac12t\beta_{min})`,
  :math:`\sigma_t^2=1-\alpha_t^2`, so :math:`x_t=\alpha_tx_0+\sigma_t\varepsilon`.
- :class:`ScoreModel`: :math:`s_\theta(x,t)=-\epsilon_\theta(x,t)/\sigma_t` (noise-prediction parametrisation, as the
  official code's ``score = -model(x, t)/σ_t``), an MLP with Fourier time features for vectors, a small residual
  conv net for feature maps; codes are standardised by a scalar mean/std fitted on the training data.
- :func:`train_score`: denoising score matching :math:`E\|\sigma_ts_\theta(x_t,t)+\varepsilon\|^2`,
  t ~ U(t_min, 1), resumable from a checkpoint.
- :func:`sample_prior`: reverse-SDE Euler-Maruyama predictor + Langevin corrector (Song et al. 2021, Alg. PC).
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn
from tqdm import tqdm

from ..optim import _host

__all__ = ["VPSDE", "ScoreModel", "train_score", "train_code_prior", "sample_prior"]


@dataclasses.dataclass(frozen=True)
class VPSDE:
    beta_min: float = 0.1
    beta_max: float = 20.0

    def beta(self, t):
        return self.beta_min + t * (self.beta_max - self.beta_min)

    def alpha(self, t):
        return torch.exp(-0.25 * t ** 2 * (self.beta_max - self.beta_min) - 0.5 * t * self.beta_min)

    def sigma(self, t):
        return torch.sqrt(1.0 - self.alpha(t) ** 2)


class _Fourier(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.register_buffer("freqs", torch.exp(torch.linspace(0, math.log(1000.0), dim // 2)))

    def forward(self, t):
        a = t[:, None] * self.freqs[None]
        return torch.cat([a.sin(), a.cos()], dim=1)


class _MLP(nn.Module):
    def __init__(self, dim: int, width: int, depth: int):
        super().__init__()
        self.temb = nn.Sequential(_Fourier(64), nn.Linear(64, width), nn.SiLU())
        self.inp = nn.Linear(dim, width)
        self.blocks = nn.ModuleList(nn.Sequential(nn.SiLU(), nn.Linear(width, width)) for _ in range(depth))
        self.out = nn.Sequential(nn.SiLU(), nn.Linear(width, dim))

    def forward(self, x, t):
        h = self.inp(x) + self.temb(t)
        for b in self.blocks:
            h = h + b(h)
        return self.out(h)


class _ConvNet(nn.Module):
    def __init__(self, channels: int, width: int, depth: int):
        super().__init__()
        self.temb = nn.Sequential(_Fourier(64), nn.Linear(64, width), nn.SiLU())
        self.inp = nn.Conv2d(channels, width, 3, padding=1)
        self.blocks = nn.ModuleList(nn.Sequential(nn.GroupNorm(8, width), nn.SiLU(),
                                                  nn.Conv2d(width, width, 3, padding=1))
                                    for _ in range(depth))
        self.out = nn.Sequential(nn.GroupNorm(8, width), nn.SiLU(), nn.Conv2d(width, channels, 3, padding=1))

    def forward(self, x, t):
        h = self.inp(x) + self.temb(t)[:, :, None, None]
        for b in self.blocks:
            h = h + b(h)
        return self.out(h)


class ScoreModel(nn.Module):
    """Score of the VP-SDE marginals of codes of shape ``shape`` (vector: MLP; [C, H, W]: conv net)."""

    def __init__(self, shape, *, width: int = 256, depth: int = 3, sde: VPSDE = VPSDE()):
        super().__init__()
        self.shape, self.width, self.depth, self.sde = tuple(int(s) for s in shape), width, depth, sde
        if len(self.shape) == 1:
            self.net = _MLP(self.shape[0], width, depth)
        elif len(self.shape) == 3:
            if width % 8:
                raise ValueError(f"width must be a multiple of 8 for the conv net, got {width}")
            self.net = _ConvNet(self.shape[0], width, depth)
        else:
            raise ValueError(f"shape must be [D] or [C, H, W], got {self.shape}")
        self.register_buffer("mean", torch.zeros(()))
        self.register_buffer("std", torch.ones(()))

    def config(self) -> dict:
        return dict(shape=list(self.shape), width=self.width, depth=self.depth, sde=dataclasses.asdict(self.sde))

    def eps(self, x, t):
        """Noise prediction on standardised codes."""
        return self.net((x - self.mean) / self.std, t)

    def forward(self, x, t):
        """Score of the marginal p_t of the *unstandardised* codes: -eps/(sigma_t * std)."""
        t = torch.as_tensor(t, dtype=x.dtype, device=x.device).expand(x.shape[0])
        sig = self.sde.sigma(t).view(-1, *[1] * (x.dim() - 1))
        return -self.eps(x, t) / (sig * self.std)


def train_score(model: ScoreModel, sample: Callable[[int, torch.Generator], torch.Tensor], *, steps: int,
                batch: int = 256, lr: float = 1e-3, t_min: float = 1e-3, rng: torch.Generator,
                checkpoint: str | Path | None = None, checkpoint_every: int = 200, settings: dict | None = None,
                restart: bool = False, progress: bool = False) -> list[float]:
    """Denoising score matching on codes drawn by ``sample(n, rng)`` (e.g. G1(z) for z ~ N(0, I)).

    The scalar standardisation is fitted on a first batch of 4096 codes. With ``checkpoint``, training resumes
    from it if present and saves there every ``checkpoint_every`` steps and at the end (model, optimiser, step,
    random state, losses, and ``settings``: what the run was asked to do, e.g. the training command's options;
    written atomically), so an interrupted run resumes where its last checkpoint stopped and ends bit-identical to
    an uninterrupted one. A checkpoint whose ``settings`` (or ``batch``, ``lr``) differ from this call's, or that is
    already past ``steps``, is refused with the differing names -- resuming it would train something else than
    asked -- unless ``restart`` (the checkpoint is then ignored and overwritten). A larger ``steps`` continues it."""
    if not isinstance(checkpoint_every, int) or checkpoint_every < 1:
        raise ValueError(f"checkpoint_every must be an integer >= 1, got {checkpoint_every!r}")
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    start, losses = 0, []
    ck = Path(checkpoint) if checkpoint else None
    asked = dict(settings or {}, batch=batch, lr=lr, t_min=t_min)
    if ck is not None and ck.exists() and not restart:
        from ..io.safe_pickle import safe_torch_load
        state = safe_torch_load(ck)
        saved = state.get("settings") if isinstance(state, dict) else None
        if not isinstance(saved, dict):
            raise ValueError(f"{ck} records no training settings (written by an older version, or not a checkpoint "
                             "of this command): pass --restart to train afresh")
        differ = sorted(k for k in set(saved) | set(asked) if saved.get(k) != asked.get(k))
        if differ:
            raise ValueError(f"{ck} was trained with other settings ("
                             + ", ".join(f"{k}: {saved.get(k)!r} there, {asked.get(k)!r} now" for k in differ)
                             + "): run the same command to resume it, or pass --restart to train afresh")
        try:
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["opt"])
            rng.set_state(state["rng"])
            start, losses = int(state["step"]), [float(v) for v in state["losses"]]
        except (KeyError, TypeError, ValueError, RuntimeError) as e:
            raise ValueError(f"{ck} is not a resumable checkpoint of this model ({type(e).__name__}: "
                             f"{str(e).splitlines()[0][:200]}): pass --restart to train afresh") from None
        if start > steps:
            raise ValueError(f"{ck} is at step {start}, past the {steps} steps asked for: run with --steps >= "
                             f"{start} to continue it, or pass --restart to train afresh")
    else:
        with torch.no_grad():
            ref = sample(4096, rng)
            model.mean.copy_(ref.mean())
            model.std.copy_(ref.std())
    sde = model.sde
    trace = []   # on the model's device; read at checkpoints and at the end (no host synchronisation per step)

    def save(step):
        nonlocal trace, losses
        losses, trace = losses + _host.read_list(trace), []
        tmp = ck.with_name(ck.name + ".tmp")
        torch.save(dict(model=model.state_dict(), opt=opt.state_dict(), rng=rng.get_state(), step=step,
                        losses=losses, settings=asked), tmp)
        tmp.replace(ck)

    for k in tqdm(range(start, steps), desc="score", disable=not progress, initial=start, total=steps):
        x0 = sample(batch, rng)
        # drawn from the (CPU) generator, then moved: the same numbers on every device
        t = (t_min + (1 - t_min) * torch.rand(batch, generator=rng, dtype=x0.dtype)).to(x0.device)
        e = torch.randn(x0.shape, generator=rng, dtype=x0.dtype).to(x0.device)
        shape = (-1, *[1] * (x0.dim() - 1))
        xt = sde.alpha(t).view(shape) * x0 + sde.sigma(t).view(shape) * e * model.std
        # standardised DSM: the net predicts the standardised noise e from standardised x_t
        loss = ((model.eps(xt, t) - e) ** 2).flatten(1).sum(1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        trace.append(loss.detach())
        if ck is not None and (k + 1) % checkpoint_every == 0 and k + 1 < steps:
            save(k + 1)
    if ck is not None:
        save(steps)
    else:
        losses += _host.read_list(trace)
    return losses


def train_code_prior(G, split: int, *, steps: int, batch: int = 64, width: int = 128, depth: int = 4,
                     lr: float = 1e-3, rng: torch.Generator, checkpoint: str | Path | None = None,
                     settings: dict | None = None, restart: bool = False,
                     progress: bool = False) -> tuple[ScoreModel, list[float]]:
    """SGILO's prior: a :class:`ScoreModel` on the codes :math:`G_1(z)`, z ~ N(0, I), at ``split`` of a layered
    generator, trained by :func:`train_score` (``ilo train-prior`` and the benchmarks call this)."""
    if not 1 <= split < G.num_blocks:
        raise ValueError(f"split must lie in [1, {G.num_blocks - 1}], got {split}")
    model = ScoreModel(G.latent_shape(split), width=width, depth=depth)

    def sample(n, g):
        with torch.no_grad():
            return G.forward_to(G.sample_latent(n, rng=g), split)
    losses = train_score(model, sample, steps=steps, batch=batch, lr=lr, rng=rng, checkpoint=checkpoint,
                         settings=dict(settings or {}, split=split, width=width, depth=depth), restart=restart,
                         progress=progress)
    return model, losses


@torch.no_grad()
def sample_prior(model: ScoreModel, n: int, *, steps: int = 500, snr: float = 0.16, corrector_steps: int = 1,
                 t_min: float = 1e-3, rng: torch.Generator) -> torch.Tensor:
    r"""Unconditional samples by the predictor-corrector sampler (Song et al. 2021, Alg. 2 and 5), to show what the
    prior learned. The VP-SDE acts on :math:`u=x/\mathrm{std}`, so in code units the reverse SDE is
    :math:`dx=[-\tfrac12\beta x-\beta\,\mathrm{std}^2\nabla\log p_t(x)]dt+\mathrm{std}\sqrt\beta\,d\bar w`.
    Corrector: Langevin with step :math:`2a_i(\mathrm{snr}\,\|z\|/\|s\|)^2`, :math:`a_i=1-\beta(t)|dt|`."""
    sde, p = model.sde, next(model.parameters())
    sd = model.std.to(p.dtype)
    draw = lambda shape: torch.randn(shape, generator=rng, dtype=p.dtype).to(p.device)   # same on any device
    x = draw((n, *model.shape)) * sd  # p_1 ~ N(0, std^2 I)
    ts = torch.linspace(1.0, t_min, steps + 1, dtype=p.dtype, device=p.device)
    for i in range(steps):
        t, dt = ts[i], ts[i + 1] - ts[i]
        b = sde.beta(t)
        for _ in range(corrector_steps):
            s = model(x, t)
            z = draw(x.shape)
            ratio = z.flatten(1).norm(dim=1).mean() / s.flatten(1).norm(dim=1).mean()
            step = 2 * (1 - b * (-dt)) * (snr * ratio) ** 2
            x = x + step * s + torch.sqrt(2 * step) * z
        drift = -0.5 * b * x - b * sd ** 2 * model(x, t)
        x = x + drift * dt + sd * torch.sqrt(b * -dt) * draw(x.shape)
    return x
