r"""The estimators of ILO Theorem 1 (Daras et al., ICML 2021, §3), over the extended range

.. math:: E = G_1(B_2^k(r_1)) \oplus B_1^p(r_2),\qquad G = G_2\circ G_1 \text{ split at block } s,

- eq. (3), the best representation :math:`\bar z=\arg\min_{z\in E}\|x-G_2(z)\|` (``op=None``, ``target = x``);
- eq. (4), the estimator :math:`\hat z=\arg\min_{z\in E}\|Ax-AG_2(z)\|` (``target = y = Ax``, ``op = A``),

written :math:`z = G_1(w)+u`, :math:`\|w\|_2\le r_1`, :math:`\|u\|_1\le r_2`, and solved by projected Adam
(:func:`~ilo_solver.optim.minimize`) from ``restarts`` random starts: :math:`w\leftarrow w\min(1,r_1/\|w\|)`,
:math:`u\leftarrow P_{B_1(r_2)}(u)` after every step. ``r2 = 0`` is CSGM (Bora et al. 2017), ``r2 = inf`` the
unconstrained intermediate search.

Batched: B targets (each with its own radius r2 and, optionally, its own matrix A) × ``restarts`` starts run as one
tensor. The starts of target b are drawn in order, ``randn(restarts, k)`` for b = 0, 1, ..., so a batch gives the
same draws as a loop over the targets (and, up to the last bits of batched matrix products, the same answers:
property-tested).
"""
from __future__ import annotations

import dataclasses
import math

import torch

from .optim import minimize
from .projection import project_l1_ball, project_l2_ball

__all__ = ["ExtendedRangeFit", "fit_extended_range"]


@dataclasses.dataclass(frozen=True)
class ExtendedRangeFit:
    """Per target: ``x`` = :math:`G_2(G_1(w)+u)` of the best start ``[B, n]``, ``w`` ``[B, k]``, ``u`` ``[B, p]``,
    ``loss`` the squared residual it reached ``[B]``; ``losses`` every start's ``[B, restarts]``."""
    x: torch.Tensor
    w: torch.Tensor
    u: torch.Tensor
    loss: torch.Tensor
    losses: torch.Tensor


def _apply(op, v: torch.Tensor, B: int, R: int) -> torch.Tensor:
    """``op`` on ``v`` [B·R, n]: None → v; a tensor [B, m, n] → each target's own matrix; else a shared operator."""
    if op is None:
        return v
    if isinstance(op, torch.Tensor):
        return torch.einsum("bmn,brn->brm", op, v.view(B, R, -1)).reshape(B * R, -1)
    return op(v)


def fit_extended_range(G, target: torch.Tensor, *, r1: float, r2, op=None, split: int = 1, restarts: int = 4,
                       steps: int = 300, lr: float = 0.05, rng: torch.Generator) -> ExtendedRangeFit:
    """Eq. (3) (``op=None``) or eq. (4) for every row of ``target`` ``[B, *out]`` (see the module docstring).

    ``G``: a :class:`~ilo_solver.generators.base.LayeredGenerator`, split at ``split`` (G1 = blocks before it);
    ``r2``: a float or ``[B]`` (0 = CSGM, inf = unconstrained); ``op``: None, one operator for all targets, or a
    ``[B, m, n]`` tensor of per-target matrices acting on the flattened output."""
    if target.dim() < 2:
        raise ValueError(f"target must be [B, ...], got shape {list(target.shape)}")
    if not (math.isfinite(r1) and r1 > 0):
        raise ValueError(f"r1 must be finite and > 0, got {r1}")
    if not isinstance(restarts, int) or restarts < 1:
        raise ValueError(f"restarts must be an integer >= 1, got {restarts!r}")
    B, R = target.shape[0], restarts
    dt, dev = target.dtype, target.device
    radii = torch.as_tensor(r2, dtype=torch.float64).flatten()
    if radii.numel() == 1:
        radii = radii.expand(B)
    if radii.numel() != B or torch.isnan(radii).any() or (radii < 0).any():
        raise ValueError(f"r2 must be >= 0 (inf allowed), a scalar or one per target ({B}), got {r2!r}")
    if isinstance(op, torch.Tensor) and (op.dim() != 3 or op.shape[0] != B):
        raise ValueError(f"per-target matrices must be [B={B}, m, n], got {list(op.shape)}")
    k = G.latent_shape(0)
    w0 = torch.cat([torch.randn(R, *k, generator=rng, dtype=dt) for _ in range(B)]).to(dev)
    u0 = torch.zeros(B * R, *G.latent_shape(split), dtype=dt, device=dev)
    rows = radii.repeat_interleave(R)
    tgt = target.repeat_interleave(R, dim=0).flatten(1)

    def decode(w, u):
        return G.forward_from(G.forward_to(w, split) + u, split).flatten(1)

    def objective(vs):
        return ((_apply(op, decode(*vs), B, R) - tgt) ** 2).sum(1)

    def project(vs, k):
        vs[0].copy_(project_l2_ball(vs[0], r1))
        vs[1].copy_(project_l1_ball(vs[1], rows))

    res = minimize([w0, u0], objective, steps=steps, lr=lr, post_step=project, record=None)
    w, u = res.params
    with torch.no_grad():
        x = decode(w, u)
        losses = ((_apply(op, x, B, R) - tgt) ** 2).sum(1).view(B, R)
    best = losses.argmin(1)
    pick = torch.arange(B, device=dev) * R + best
    return ExtendedRangeFit(x=x[pick], w=w[pick], u=u[pick], loss=losses.gather(1, best[:, None])[:, 0],
                            losses=losses)
