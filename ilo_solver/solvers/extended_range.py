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

from ..optim.loop import minimize
from ..optim.projection import project_l1_ball, project_l2_ball

__all__ = ["ExtendedRangeFit", "fit_extended_range", "ExtendedRangePath", "fit_extended_range_path",
           "srec_extended_range", "lipschitz_estimate"]


@dataclasses.dataclass(frozen=True)
class ExtendedRangeFit:
    """Per target: ``x`` = :math:`G_2(G_1(w)+u)` of the best start ``[B, n]``, ``w`` ``[B, k]``, ``u`` ``[B, p]``,
    ``loss`` the squared residual it reached ``[B]``; ``losses`` every start's ``[B, restarts]``."""
    x: torch.Tensor
    w: torch.Tensor
    u: torch.Tensor
    loss: torch.Tensor
    losses: torch.Tensor


def _check_r1(r1) -> None:
    if not (math.isfinite(r1) and r1 > 0):
        raise ValueError(f"r1 must be finite and > 0, got {r1}")


def _per_row(value, n: int, name: str, per: str) -> torch.Tensor:
    """A radius or slack given as a scalar or one per target / instance, as ``[n]`` float64 (>= 0, inf allowed)."""
    t = torch.as_tensor(value, dtype=torch.float64).flatten()
    if t.numel() == 1:
        t = t.expand(n)
    if t.numel() != n or torch.isnan(t).any() or (t < 0).any():
        raise ValueError(f"{name} must be >= 0 (inf allowed), a scalar or one per {per} ({n}), got {value!r}")
    return t


def _apply(op, v: torch.Tensor, B: int, R: int) -> torch.Tensor:
    """``op`` on ``v`` [B·R, n]: None → v; a tensor [B, m, n] → each target's own matrix; else a shared operator."""
    if op is None:
        return v
    if isinstance(op, torch.Tensor):   # [g, m, n]: group j = targets j*B/g .. (j+1)*B/g - 1
        g = op.shape[0]
        return torch.bmm(v.reshape(g, (B // g) * R, -1), op.transpose(1, 2)).reshape(B * R, -1)
    shape = getattr(op, "in_shape", None)   # an Operator takes images [N, *in_shape]; flat rows come back flat
    return (op(v.reshape(v.shape[0], *shape)) if shape is not None else op(v)).reshape(v.shape[0], -1)


def fit_extended_range(G, target: torch.Tensor, *, r1: float, r2, op=None, split: int = 1, restarts: int = 4,
                       steps: int = 300, lr: float = 0.05, lr_u: float | None = None, schedule: str = "constant",
                       rng: torch.Generator, init: tuple | None = None) -> ExtendedRangeFit:
    """Eq. (3) (``op=None``) or eq. (4) for every row of ``target`` ``[B, *out]`` (see the module docstring).

    ``G``: a :class:`~ilo_solver.generators.base.LayeredGenerator`, split at ``split`` (G1 = blocks before it);
    ``r2``: a float or ``[B]`` (0 = CSGM, inf = unconstrained); ``op``: None, one operator for all targets, or a
    ``[g, m, n]`` tensor of matrices acting on the flattened output, one per consecutive group of ``B / g`` targets
    (``g = B``: one per target). ``lr`` is Adam's rate for w, ``lr_u`` for u (None: ``lr``; the intermediate
    code of a random ReLU net is much smaller than the latent, so give u a rate on its scale); ``schedule`` is
    :func:`~ilo_solver.optim.minimize`'s (``'cosine'`` decays to 0, so the iterates settle inside small balls).
    ``init``: ``(w [B, k], u [B, p])``, a warm start that replaces the first of each target's random starts (``u`` is
    projected into the target's ball; the random draws are made all the same, so the other starts do not change)."""
    if target.dim() < 2:
        raise ValueError(f"target must be [B, ...], got shape {list(target.shape)}")
    _check_r1(r1)
    if isinstance(restarts, bool) or not isinstance(restarts, int) or restarts < 1:
        raise ValueError(f"restarts must be an integer >= 1, got {restarts!r}")
    B, R = target.shape[0], restarts
    dt, dev = target.dtype, target.device
    radii = _per_row(r2, B, "r2", "target")
    if isinstance(op, torch.Tensor) and (op.dim() != 3 or op.shape[0] < 1 or B % op.shape[0]):
        raise ValueError(f"per-target matrices must be [g, m, n] with g dividing B={B} (g = B: one per target; "
                         f"g < B: consecutive groups of B/g targets share one), got {list(op.shape)}")
    k = G.latent_shape(0)
    w0 = torch.cat([torch.randn(R, *k, generator=rng, dtype=dt) for _ in range(B)]).to(dev)
    u0 = torch.zeros(B * R, *G.latent_shape(split), dtype=dt, device=dev)
    rows = radii.repeat_interleave(R)
    if init is not None:
        w_i, u_i = init
        if w_i.shape != (B, *k) or u_i.shape != (B, *G.latent_shape(split)):
            raise ValueError(f"init must be (w {[B, *k]}, u {[B, *G.latent_shape(split)]}), got "
                             f"({list(w_i.shape)}, {list(u_i.shape)})")
        first = torch.arange(B, device=dev) * R
        w0[first] = project_l2_ball(w_i.to(w0), r1)
        u0[first] = project_l1_ball(u_i.to(u0), radii.to(u0))
    tgt = target.repeat_interleave(R, dim=0).flatten(1)

    def decode(w, u):
        return G.forward_from(G.forward_to(w, split) + u, split).flatten(1)

    def objective(vs):
        return ((_apply(op, decode(*vs), B, R) - tgt) ** 2).sum(1)

    def project(vs, k):
        vs[0].copy_(project_l2_ball(vs[0], r1))
        vs[1].copy_(project_l1_ball(vs[1], rows))

    res = minimize([w0, u0], objective, steps=steps, lr=(lr, lr if lr_u is None else lr_u), schedule=schedule,
                   post_step=project, record=None)
    w, u = res.params
    with torch.no_grad():
        x = decode(w, u)
        losses = ((_apply(op, x, B, R) - tgt) ** 2).sum(1).view(B, R)
    best = losses.argmin(1)
    pick = torch.arange(B, device=dev) * R + best
    return ExtendedRangeFit(x=x[pick], w=w[pick], u=u[pick], loss=losses.gather(1, best[:, None])[:, 0],
                            losses=losses)


@dataclasses.dataclass(frozen=True)
class ExtendedRangePath:
    """Per target and radius (``[B, T]``): ``x`` ``[B, T, n]`` the answer, ``loss`` its squared residual (non-increasing
    in the radius on every target), ``carried`` True where the answer is the previous radius's (its fresh search
    ended higher: a sign the optimiser had not converged there)."""
    x: torch.Tensor
    loss: torch.Tensor
    carried: torch.Tensor


def fit_extended_range_path(G, target: torch.Tensor, *, radii, **kwargs) -> ExtendedRangePath:
    """Eq. (3) or eq. (4) (as :func:`fit_extended_range`, same keywords) along non-decreasing radii ``[B, T]`` per
    target (0 = CSGM ... inf), each radius warm-started from the previous one's answer. The sets are nested, so the
    minimum is non-increasing in the radius; the previous answer is a point of the larger set, and it is kept where
    the fresh search ends higher: the estimate is monotone by construction and ``carried`` records where the search
    alone was not (a convergence diagnostic: ``theorem1`` reports it). Each radius's search is one
    :func:`fit_extended_range` call (the first from cold starts: the same answer as that call)."""
    radii = torch.as_tensor(radii, dtype=target.dtype)
    if radii.dim() != 2 or radii.shape[0] != target.shape[0] or radii.shape[1] < 1:
        raise ValueError(f"radii must be [B={target.shape[0]}, T >= 1], got {list(radii.shape)}")
    if torch.any(torch.isnan(radii)) or torch.any(radii < 0) or torch.any(radii[:, 1:] < radii[:, :-1]):
        raise ValueError("radii must be >= 0 and non-decreasing along each row (nested balls)")
    xs, losses, carried, prev = [], [], [], None
    for t in range(radii.shape[1]):
        fit = fit_extended_range(G, target, r2=radii[:, t], init=None if prev is None else (prev.w, prev.u), **kwargs)
        if prev is not None:
            keep = prev.loss < fit.loss
            fit = ExtendedRangeFit(x=torch.where(keep[:, None], prev.x, fit.x),
                                   w=torch.where(keep[:, None], prev.w, fit.w),
                                   u=torch.where(keep.view(-1, *[1] * (fit.u.dim() - 1)), prev.u, fit.u),
                                   loss=torch.minimum(prev.loss, fit.loss), losses=fit.losses)
        else:
            keep = torch.zeros(target.shape[0], dtype=torch.bool, device=target.device)
        xs.append(fit.x)
        losses.append(fit.loss)
        carried.append(keep)
        prev = fit
    return ExtendedRangePath(x=torch.stack(xs, 1), loss=torch.stack(losses, 1), carried=torch.stack(carried, 1))


def _check_srec_args(ball, r1, **counts) -> None:
    if ball not in ("l1", "l2"):
        raise ValueError(f"ball must be 'l1' or 'l2', got {ball!r}")
    _check_r1(r1)
    for name, v in counts.items():
        least = 1 if name in ("pairs", "restarts") else 0
        if isinstance(v, bool) or not isinstance(v, int) or v < least:
            raise ValueError(f"{name} must be an integer >= {least}, got {v!r}")


def srec_extended_range(G, op, *, r1: float, r2, delta, split: int = 1, pairs: int = 1000, restarts: int = 8,
                        steps: int = 150, lr: float = 0.02, lr_u: float | None = None, flat: tuple = (),
                        hard_pairs: int = 0, ball: str = "l1", details: bool = False, rng: torch.Generator):
    r"""Adversarial estimate of the S-REC constant of the extended range (ILO Theorem 1's condition; Bora et al.
    2017, Def. 1): per instance

    .. math:: \hat\gamma=\min_{x_1\ne x_2\in G_2(E)}\frac{\|A(x_1-x_2)\|+\delta}{\|x_1-x_2\|},\qquad
       E=G_1(B_2^k(r_1))\oplus B_1^p(r_2),

    an upper estimate of the true constant (a minimum found, not proved). ``pairs`` random pairs per instance are
    screened (z ~ N(0, I) projected into :math:`B_2(r_1)`, u ~ N(0, I) projected into the ball), plus ``hard_pairs``
    per entry of ``flat``: the same latent twice with :math:`u_1=-u_2=v`, v spread flat with random signs over that
    many coordinates (``flat=(⌈K²⌉,)``: the deviations Maurey's net needs most atoms for); the ``restarts`` worst
    start projected Adam on :math:`(z_1,u_1,z_2,u_2)` minimising the ratio, both points projected back into E after
    every step; the minimum over the screen and every iterate is returned, ``[I]`` (``details``: the pair
    ``(gamma_hat, screened)``, the second the random screen's minimum alone -- an optimistic estimate).

    ``G``: a generator, or a :class:`~ilo_solver.generators.relu_batch.ReLUGeneratorBatch` of I instances (rows are
    instance-major); ``op``: an operator shared by all instances, or ``[I, m, n]`` matrices, one per instance;
    ``r2``, ``delta``: scalars or one per instance; ``ball='l2'`` replaces the :math:`\ell_1` ball by the
    :math:`\ell_2` ball of the same radius (a negative control: its covering number grows like p)."""
    _check_srec_args(ball, r1, pairs=pairs, restarts=restarts, steps=steps, hard_pairs=hard_pairs)
    I = getattr(G, "instances", 1)
    radii, slack = _per_row(r2, I, "r2", "instance"), _per_row(delta, I, "delta", "instance")
    k, p = G.latent_shape(0), G.latent_shape(split)
    P = pairs + hard_pairs * len(flat)
    if restarts > P:
        raise ValueError(f"restarts ({restarts}) must not exceed the screened pairs per instance ({P})")
    dt = next(G.parameters()).dtype

    def into_ball(u, rad):
        if ball == "l2":
            return torch.where(rad[:, None] > 0, project_l2_ball(u, rad), torch.zeros_like(u))
        return project_l1_ball(u, rad)

    def screen_set():
        z1, z2 = (project_l2_ball(torch.randn(I * pairs, *k, generator=rng, dtype=dt).flatten(1), r1)
                  for _ in range(2))
        rad = radii.repeat_interleave(pairs).to(dt)
        u1, u2 = (into_ball(torch.randn(I * pairs, *p, generator=rng, dtype=dt).flatten(1), rad) for _ in range(2))
        parts = [[z1.view(I, pairs, -1), u1.view(I, pairs, -1), z2.view(I, pairs, -1), u2.view(I, pairs, -1)]]
        for c in flat if hard_pairs else ():
            c = int(min(max(c, 1), math.prod(p)))
            z = project_l2_ball(torch.randn(I * hard_pairs, *k, generator=rng, dtype=dt).flatten(1), r1).view(
                I, hard_pairs, -1)
            v = torch.zeros(I * hard_pairs, math.prod(p), dtype=dt)
            idx = torch.rand(I * hard_pairs, math.prod(p), generator=rng).argsort(1)[:, :c]
            signs = torch.randint(0, 2, (I * hard_pairs, c), generator=rng).to(dt) * 2 - 1
            v.scatter_(1, idx, signs)
            rad = radii.repeat_interleave(hard_pairs).to(dt)[:, None]
            v = (v * rad / (c if ball == "l1" else math.sqrt(c))).nan_to_num(0.0).view(I, hard_pairs, -1)
            parts.append([z, v, z, -v])
        return [torch.cat([part[j] for part in parts], 1) for j in range(4)]   # each [I, P, .]

    def point(z, u):   # flat rows -> the generator's shapes -> flat outputs (any LayeredGenerator)
        h = G.forward_to(z.reshape(z.shape[0], *k), split)
        return G.forward_from(h + u.reshape(u.shape[0], *p), split).flatten(1)

    def ratio(z1, u1, z2, u2, R):
        d = point(z1, u1) - point(z2, u2)
        Ad = _apply(op, d, I, R)
        return (Ad.norm(dim=1) + slack.repeat_interleave(R).to(dt)) / d.norm(dim=1).clamp_min(1e-300)

    cand = screen_set()
    with torch.no_grad():
        r = ratio(*(c.reshape(I * P, -1) for c in cand), P).view(I, P)
    screened = r.min(1).values
    pick = torch.argsort(r, dim=1)[:, :restarts]
    starts = [c.gather(1, pick[:, :, None].expand(-1, -1, c.shape[2])).reshape(I * restarts, -1) for c in cand]
    rows = radii.repeat_interleave(restarts).to(dt)

    def objective(vs):
        return ratio(*vs, restarts)

    def back_into_E(vs, step):
        for z in vs[0::2]:
            z.copy_(project_l2_ball(z, r1))
        for u in vs[1::2]:
            u.copy_(into_ball(u, rows))

    lr_u = lr if lr_u is None else lr_u
    res = minimize(starts, objective, steps=steps, lr=(lr, lr_u, lr, lr_u), post_step=back_into_E)
    with torch.no_grad():
        last = objective(res.params)
    seen = torch.cat([res.trace, last[None]]) if steps else last[None]   # [steps + 1, I * restarts]
    found = seen.view(-1, I, restarts).amin(dim=(0, 2))
    gamma = torch.minimum(screened, found).to(torch.float64)
    return (gamma, screened.to(torch.float64)) if details else gamma


def lipschitz_estimate(G, split: int, *, samples: int = 16, iters: int = 30, rng: torch.Generator) -> float:
    """The largest spectral norm of G2's Jacobian (blocks ``split``.. of ``G``) at ``samples`` codes G1(z), by power
    iteration with autograd (JVP via double backward): a **lower** estimate of G2's Lipschitz constant (a ReLU net's
    exact one is NP-hard to compute). ``verification.extended_srec`` uses it as L2 for a user's generator when none is
    given: r2 = K delta / L2 is then at least the Theorem 1 radius, so the measured m* errs on the large side."""
    dt = next(G.parameters()).dtype
    with torch.no_grad():
        h = G.forward_to(G.sample_latent(samples, rng=rng), split)
    v = torch.randn(h.shape, generator=rng, dtype=dt)
    v = v / v.flatten(1).norm(dim=1).view(-1, *[1] * (h.dim() - 1))
    sig = torch.zeros(samples, dtype=dt)
    for _ in range(iters):
        x = h.detach().requires_grad_(True)
        out = G.forward_from(x, split)
        w = torch.zeros_like(out, requires_grad=True)
        (g,) = torch.autograd.grad(out, x, w, create_graph=True)        # J^T w, linear in w
        (jv,) = torch.autograd.grad(g, w, v)                             # J v
        (jtjv,) = torch.autograd.grad(out, x, jv)                        # J^T J v
        sig = jv.flatten(1).norm(dim=1)
        v = jtjv / jtjv.flatten(1).norm(dim=1).clamp_min(1e-300).view(-1, *[1] * (h.dim() - 1))
    return float(sig.max())
