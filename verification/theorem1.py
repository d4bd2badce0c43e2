r"""ILO Theorem 1 versus the radius, on independent instances (docs/theory_notes.md §2 check).

Model (one instance): :math:`G_1` = one ReLU layer k → p, :math:`G_2` = one ReLU layer p → n, fresh random weights;
truth :math:`x=G_2(G_1(z^*)+u^*)+\nu` with an s-sparse intermediate deviation of :math:`\ell_1` norm
:math:`\rho=\|u^*\|_1=K^*\delta/L_2` and a small off-range part ν. The deviation ρ is **decoupled** from the
estimator's radius: eq. (3) (the best representation) and eq. (4) (the estimator) are solved at every radius
:math:`r_2=f\rho` of a grid that runs from 0 (CSGM, Bora et al. 2017) to ∞ (the unconstrained intermediate search),
with the library's batched estimators (:func:`ilo_solver.solvers.extended_range.fit_extended_range`), for fresh Gaussian
matrices at each m < p. Every instance draws its own G, z*, u*, ν and A (one per m); comparisons across radii are
paired within an instance, and CIs bootstrap over instances.

Claims: the U-shape of the error in the radius; eq. (6) at r2 = ρ; the additive term Φ measured with the S-REC
constant γ̂ estimated on the same A (:func:`ilo_solver.solvers.extended_range.srec_extended_range`); Algorithm 1
(:func:`ilo_solver.solvers.ilo.ilo`) beside the eq. (4) optimum. Controls: ILO's outputs replaced by CSGM's (no ℓ1
ball) or
by the unconstrained search's, a matrix blind to the deviation, Algorithm 1 without its ball.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch

from ilo_solver.generators import ReLUGeneratorBatch
from ilo_solver.optim import Round
from ilo_solver.optim.projection import project_l2_ball
from ilo_solver.physics.operators import GaussianCS
from ilo_solver.solvers.extended_range import fit_extended_range, fit_extended_range_path, srec_extended_range
from ilo_solver.solvers.ilo import ILOConfig, ilo
from ilo_theory import bounds as B
from ilo_theory import laws

from ._common import (ClaimRow, Control, bisect_grid, combine, nested_rows, paired_bootstrap, replace_in,
                      threshold_verdict, wilson)

ID = "theorem1"
INF = math.inf


@dataclasses.dataclass(frozen=True)
class Config:
    k: int = 2
    p: int = 512
    n: int = 1024
    s: int = 2                      # sparsity of u*
    K_true: float = 22.0            # rho = K_true * delta / L2 (<= sqrt(p): the truth is in E at a Theorem 1 radius)
    delta_frac: float = 0.01        # delta = delta_frac * ||G(z*)||
    noise: float = 0.1              # ||nu|| = noise * delta
    factors: tuple = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 16.0, INF)   # r2 = factor * rho
    ms: tuple = (64, 128, 256)
    instances: int = 40
    batch: int = 10                 # instances per batched job (the executor's unit)
    restarts: int = 4
    steps: int = 300
    lr: float = 0.05                # Adam rate for the latent
    lr_u: float = 0.3               # for the intermediate deviation, in units of the code's rms coordinate
    alpha: float = 0.5
    phi: float = 1.0                # reconstructed Phi(K, p) [X] (a parameter)
    srec_pairs: int = 400
    srec_hard: int = 100
    srec_restarts: int = 8
    srec_steps: int = 150
    alg1: int = 3                   # instances per batch that also run Algorithm 1 (at the largest m)
    alg1_lr: float = 10.0           # its ILO round's rate, in units of the code's rms coordinate (cosine schedule)
    rec_Ks: tuple = (1.0, 4.0, 8.0, 11.0, 14.0, 18.0, 22.0)   # m*: truth and radius at K (rho = r2 = K delta/L2)
    rec_noise: float = 0.1          # the off-range part of the m* truths, ||nu|| / delta
    rec_phi: float = 0.5            # delta_ILO = rec_phi delta in the m* criterion: a slack the deviation exceeds
    rec_ms: tuple = (2, 4, 6, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 128, 192, 256, 384, 512)
    effect: float = 1.25            # the least error ratio that counts as "better"
    pass_rate: float = 0.75         # eq. (6) / Phi: the least fraction of instances ("with high probability")


DEFAULT = Config()
QUICK = Config(factors=(0.0, 0.5, 1.0, 4.0, INF), ms=(64, 256), instances=10, batch=5, steps=200, srec_pairs=200,
               srec_hard=50, srec_restarts=4, srec_steps=60, alg1=2, rec_Ks=(1.0, 4.0, 11.0, 22.0),
               rec_ms=(2, 4, 8, 16, 32, 64, 128, 256, 512))


def _batch(cfg: Config, seed: int, index: int) -> list[dict]:
    gen = torch.Generator().manual_seed(seed * 1_000_003 + index)
    b, k, p, n, dt = cfg.batch, cfg.k, cfg.p, cfg.n, torch.float64
    G = ReLUGeneratorBatch(b, (k, p, n), rng=gen)
    L2 = G.lipschitz_upper(1, 2)
    r1 = 3.0 * math.sqrt(k)
    z = project_l2_ball(torch.randn(b, k, generator=gen, dtype=dt), r1)
    h = G.forward_to(z, 1)
    x0 = G.forward_from(h, 1)
    delta = cfg.delta_frac * x0.norm(dim=1)
    rho = cfg.K_true * delta / L2
    u = torch.zeros(b, p, dtype=dt)
    for i in range(b):
        idx = torch.randperm(p, generator=gen)[:cfg.s]
        u[i, idx] = torch.randn(cfg.s, generator=gen, dtype=dt).sign()
    u = u * (rho / cfg.s)[:, None]
    x_dev = G.forward_from(h + u, 1)
    nu = torch.randn(b, n, generator=gen, dtype=dt)
    nu = nu * (delta / nu.norm(dim=1))[:, None]                   # ||nu|| = delta: scaled by noise / rec_noise
    x = x_dev + cfg.noise * nu
    T = len(cfg.factors)
    radii = torch.tensor([[f * float(r) for f in cfg.factors] for r in rho], dtype=dt).nan_to_num(INF)  # 0*inf
    fit = dict(r1=r1, restarts=cfg.restarts, steps=cfg.steps, lr=cfg.lr, schedule="cosine", rng=gen,
               lr_u=cfg.lr_u * float((h.norm(dim=1) / math.sqrt(p)).mean()))
    order = sorted(range(T), key=lambda j: cfg.factors[j])          # the radii in increasing order (nested sets)
    inv = [order.index(j) for j in range(T)]
    path = fit_extended_range_path(G, x, radii=radii[:, order], **fit)                          # eq. (3)
    rep = (path.x - x[:, None]).norm(dim=2)[:, inv]
    rep_carried = path.carried[:, inv]
    d = (x_dev - x0) / (x_dev - x0).norm(dim=1, keepdim=True)
    out = [dict(delta=float(delta[i]), rho=float(rho[i]), L2=float(L2[i]), dev=float((x_dev - x0)[i].norm()),
                x_norm=float(x[i].norm()), rep=rep[i].tolist(), rep_carried=rep_carried[i].tolist(), err=[],
                loss=[], err_carried=[], blind=[], gamma=[]) for i in range(b)]
    j = cfg.factors.index(1.0)
    for m in cfg.ms:
        A = torch.randn(b, m, n, generator=gen, dtype=dt) / math.sqrt(m)
        y = torch.bmm(A, x[:, :, None])[:, :, 0]
        path = fit_extended_range_path(G, y, op=A, radii=radii[:, order], **fit)                  # eq. (4)
        err = (path.x - x[:, None]).norm(dim=2)[:, inv]
        loss, err_carried = path.loss[:, inv], path.carried[:, inv]
        A_blind = A - torch.bmm(A, d[:, :, None]) * d[:, None, :]     # rows orthogonal to the deviation
        yb = torch.bmm(A_blind, x[:, :, None])[:, :, 0]
        blind = (fit_extended_range(G, yb, op=A_blind, r2=radii[:, j], **fit).x - x).norm(dim=1)
        gamma = srec_extended_range(G, A, r1=r1, r2=rho, delta=delta, pairs=cfg.srec_pairs,
                                    hard_pairs=cfg.srec_hard, flat=(math.ceil(cfg.K_true ** 2),),
                                    restarts=cfg.srec_restarts, steps=cfg.srec_steps, lr_u=fit["lr_u"] * 0.4,
                                    rng=gen)
        for i in range(b):
            out[i]["err"].append(err[i].tolist())
            out[i]["loss"].append(loss[i].tolist())
            out[i]["err_carried"].append(err_carried[i].tolist())
            out[i]["blind"].append(float(blind[i]))
            out[i]["gamma"].append(float(gamma[i]))
    _recovery(cfg, G, h, u, nu, delta, L2, fit, gen, out)
    # Algorithm 1 at the largest m, and its CSGM round alone (the control), on the first instances of the batch
    for i in range(min(cfg.alg1, b)):
        net, op = G.instance(i), GaussianCS.from_matrix(A[i])
        rounds = (Round(0, cfg.steps, cfg.lr), Round(1, cfg.steps, fit["lr_u"] / cfg.lr_u * cfg.alg1_lr,
                                                          float(rho[i])))
        for key, rr in (("alg1", rounds), ("alg1_csgm", rounds[:1])):
            res = ilo(net, y[i:i + 1], op, config=ILOConfig(rounds=rr, r1=r1, restarts=cfg.restarts,
                                                            schedule="cosine"), rng=gen)
            out[i][key] = float((res.x[0] - x[i]).norm())
    return out


def _recovery(cfg, G, h, u, nu, delta, L2, fit, gen, out) -> None:   # nu: the off-range direction, ||nu|| = delta
    """Per instance and K: the truth's deviation and the radius both at K (u* rescaled to ||u*||_1 = K delta/L2, the
    off-range part ``rec_noise`` delta); m* = the least m of ``rec_ms`` (the first m rows of one matrix per instance,
    rescaled; shared across K) at which eq. (4) meets eq. (6)'s right side with delta_ILO = ``rec_phi`` delta, by
    bisection (one batch of instances x K per round). The same bisection runs CSGM (r2 = 0) on the same truths and
    matrices against the same right side: the paired control."""
    b, nK, ms = cfg.batch, len(cfg.rec_Ks), list(cfg.rec_ms)
    Ks = torch.tensor(cfg.rec_Ks, dtype=torch.float64)
    r2 = (Ks[None, :] * (delta / L2)[:, None]).flatten()                        # [b * nK], instance-major
    scale = (r2.view(b, nK) / u.abs().sum(1, keepdim=True)).flatten()
    x = G.forward_from((h.repeat_interleave(nK, 0) + u.repeat_interleave(nK, 0) * scale[:, None]), 1)
    x = x + cfg.rec_noise * nu.repeat_interleave(nK, 0)
    rep = (fit_extended_range(G, x, r2=r2, **fit).x - x).norm(dim=1)
    rhs = B.ilo_error_bound(cfg.alpha, rep.numpy(), (delta * cfg.rec_phi).repeat_interleave(nK).numpy())
    A_full = torch.randn(b, max(ms), x.shape[1], generator=gen, dtype=torch.float64).repeat_interleave(2 * nK, 0)

    def pair(v):   # per instance (the batch generator's groups are consecutive rows): its nK ILO rows, then CSGM's
        return torch.cat([v.view(b, nK, -1), v.view(b, nK, -1)], 1).reshape(2 * b * nK, -1)
    xx = pair(x)
    both = torch.cat([r2.view(b, nK), torch.zeros(b, nK, dtype=r2.dtype)], 1).flatten()
    rhs2 = pair(torch.as_tensor(rhs)[:, None])[:, 0].numpy()

    def passes(mid):
        A = nested_rows(A_full, [ms[i] for i in mid])
        y = torch.bmm(A, xx[:, :, None])[:, :, 0]
        return (fit_extended_range(G, y, op=A, r2=both, **fit).x - xx).norm(dim=1).numpy() <= rhs2
    hi = bisect_grid(len(ms), 2 * b * nK, passes).reshape(b, 2, nK)
    dev = (x - G.forward_from(h.repeat_interleave(nK, 0), 1)).norm(dim=1).view(b, nK) / delta[:, None]
    for i in range(b):
        out[i]["rec_dev"] = dev[i].tolist()           # ||x - G(z*)|| / delta per K
        out[i]["rec_rhs"] = (rhs.reshape(b, nK)[i] / float(delta[i])).tolist()
        for j, key in enumerate(("m_star", "m_star_csgm")):
            out[i][key] = [ms[v] if v < len(ms) else None for v in hi[i, j]]


def run(cfg: Config, *, seed: int, executor) -> dict:
    if cfg.instances % cfg.batch:
        raise ValueError(f"instances ({cfg.instances}) must be a multiple of batch ({cfg.batch})")
    if 1.0 not in cfg.factors or 0.0 not in cfg.factors or INF not in cfg.factors:
        raise ValueError(f"factors must contain 0 (CSGM), 1 (r2 = rho) and inf, got {cfg.factors}")
    jobs = cfg.instances // cfg.batch
    rows = [r for part in executor.map(_batch, [cfg] * jobs, [seed] * jobs, range(jobs)) for r in part]
    return dict(config=dataclasses.asdict(cfg), rows=rows)


def _col(rows, m_i, j):
    """eq. (4)'s error at m index ``m_i`` and radius index ``j``, per instance."""
    return np.array([r["err"][m_i][j] for r in rows], float)


def _phi_hat(rows, m_i, j):
    """Phi_hat = gamma_hat (err - (1 + 4/gamma_hat) rep)/delta per instance (Lemma 4.3 with gamma = gamma_hat)."""
    return np.array([r["gamma"][m_i] * (r["err"][m_i][j] - (1 + 4 / r["gamma"][m_i]) * r["rep"][j]) / r["delta"]
                     for r in rows])


def claims(result: dict) -> list[ClaimRow]:
    rows, cfg = result["rows"], result["config"]
    F = [float(f) for f in cfg["factors"]]
    j0, j1, jinf = F.index(0.0), F.index(1.0), F.index(INF)
    eff, ms = cfg["effect"], cfg["ms"]
    parts, verdicts, best = [], [], []
    for mi, m in enumerate(ms):
        e1 = _col(rows, mi, j1)
        lo_side = paired_bootstrap(_col(rows, mi, j0), e1)
        hi_side = paired_bootstrap(_col(rows, mi, jinf), e1)
        verdicts += [threshold_verdict(lo_side[1], lo_side[2], eff), threshold_verdict(hi_side[1], hi_side[2], eff)]
        parts.append(f"m={m}: err(0)/err(rho) {lo_side[0]:.2f} [{lo_side[1]:.2f}, {lo_side[2]:.2f}], "
                     f"err(inf)/err(rho) {hi_side[0]:.2f} [{hi_side[1]:.2f}, {hi_side[2]:.2f}]")
        arg = [F[int(np.argmin(r["err"][mi]))] for r in rows]
        best.append(f"m={m}: median {np.median(arg):g}, at rho {np.mean(np.isclose(arg, 1.0)):.0%}")
    v = combine(verdicts)
    out = [ClaimRow(
        "theorem1.u_shape", "ILO §3, Theorem 1 and Remarks 1-2 [X]",
        "The error of eq. (4) is U-shaped in the radius: CSGM (r2 = 0) cannot reach the deviation, the unconstrained "
        "search (r2 = inf) overfits m < p measurements, a finite radius beats both",
        f"err(0)/err(rho) > {eff} and err(inf)/err(rho) > {eff} at every m in {list(ms)} (p = {cfg['p']})",
        "; ".join(parts) + "; best factor r2/rho: " + "; ".join(best), v,
        f"paired bootstrap 95% CIs over {len(rows)} independent instances (G, z*, u*, nu, A each)")]
    coef = float(B.ilo_error_coefficient(cfg["alpha"]))
    top = len(ms) - 1
    rhs = [float(B.ilo_error_bound(cfg["alpha"], r["rep"][j1], r["delta"] * cfg["phi"])) for r in rows]
    err = _col(rows, top, j1)
    ok = int(sum(e <= b for e, b in zip(err, rhs, strict=True)))
    lo, hi = wilson(ok, len(rows))
    K = cfg["K_true"]
    out.append(ClaimRow(
        "theorem1.bound", "ILO Theorem 1, eq. (6) [X]",
        "||x - G2(z_hat)|| <= (1 + 4/(1-alpha)) ||x - G2(z_bar)|| + delta_ILO/(1-alpha) with high probability",
        f"in >= {cfg['pass_rate']:.0%} of instances at m = {ms[top]}, r2 = rho (K = {K:g} <= sqrt(p) = "
        f"{math.sqrt(cfg['p']):.1f}), alpha = {cfg['alpha']}, delta_ILO = {cfg['phi']:g} delta",
        f"{ok}/{len(rows)} instances; median err/rhs {np.median(err / np.array(rhs)):.2f}, coefficient {coef:g}, "
        f"median deviation {np.median([r['dev'] / r['delta'] for r in rows]):.1f} delta, median rep "
        f"{np.median([r['rep'][j1] / r['delta'] for r in rows]):.3f} delta; other radii against the same right side "
        "(median err/rhs): " + ", ".join(f"{'inf' if f == INF else f'{f:g}'} rho: "
                                         f"{np.median(_col(rows, top, F.index(f)) / np.array(rhs)):.2f}"
                                         for f in F if f not in (1.0,)),
        threshold_verdict(lo, hi, cfg["pass_rate"]),
        f"95% Wilson [{lo:.3f}, {hi:.3f}]; eq. (6) is an upper bound: estimators at 2 rho, 4 rho, even inf may meet it "
        "too (Theorem 1 at K' = 2K, 4K bounds them by a larger right side), so the radius is judged by u_shape, and "
        "this row by the estimators that must break it (CSGM, the blind matrix)"))
    phis = [_phi_hat(rows, mi, j1) for mi in range(len(ms))]
    gam = [np.median([r["gamma"][mi] for r in rows]) for mi in range(len(ms))]
    ok = int((phis[top] <= cfg["phi"]).sum())
    lo, hi = wilson(ok, len(rows))
    out.append(ClaimRow(
        "theorem1.phi", "ILO Theorem 1, delta_ILO = delta Phi(K, p) [X]; Bora et al. Lemma 4.3 with measured gamma",
        "The additive term measured with the S-REC constant of the same A, Phi_hat = gamma_hat (err - (1 + "
        "4/gamma_hat) rep)/delta, stays below the reconstructed Phi",
        f"Phi_hat <= {cfg['phi']:g} (reconstructed Phi, a parameter) in >= {cfg['pass_rate']:.0%} of instances at "
        f"m = {ms[top]}",
        "; ".join(f"m={m}: median gamma_hat {g:.2f}, median Phi_hat {np.median(ph):.2f}, max {ph.max():.2f}"
                  for m, g, ph in zip(ms, gam, phis, strict=True)) + f"; {ok}/{len(rows)} at m = {ms[top]}; with "
        f"Phi := 0 still {int((phis[top] <= 0).sum())}/{len(rows)}: eq. (4) reaches the representation error "
        "(err ~ rep), so the additive term is not identifiable here (a worst-case slack, not attained)",
        threshold_verdict(lo, hi, cfg["pass_rate"]),
        f"95% Wilson [{lo:.3f}, {hi:.3f}]; gamma_hat adversarial (an upper estimate), so Phi_hat is too"))
    out.append(_m_star_row(rows, cfg))
    sel = [r for r in rows if "alg1" in r]
    a1 = np.array([r["alg1"] for r in sel])
    cs = np.array([r["err"][top][j0] for r in sel])
    e4 = np.array([r["err"][top][j1] for r in sel])
    est, lo, hi = paired_bootstrap(cs, a1)
    gap = paired_bootstrap(a1, e4)
    out.append(ClaimRow(
        "theorem1.algorithm1", "ILO Algorithm 1 vs eq. (4)",
        "Algorithm 1 (CSGM, then projected Adam on the intermediate code in centre + B_1(r2)) improves on CSGM like "
        "the eq. (4) optimum does", f"err(CSGM)/err(Algorithm 1) > {eff} at m = {ms[top]}, r2 = rho",
        f"err(CSGM)/err(Alg. 1) {est:.2f}; err(Alg. 1)/err(eq. 4) {gap[0]:.2f} [{gap[1]:.2f}, {gap[2]:.2f}] "
        f"({len(sel)} instances)", threshold_verdict(lo, hi, eff), f"paired bootstrap 95% [{lo:.2f}, {hi:.2f}]"))
    return out


M_LAWS = (laws.affine_law("K^2", lambda c: c["K"] ** 2), laws.affine_law("K", lambda c: c["K"]),
          laws.affine_law("log K", lambda c: np.log(c["K"])), laws.affine_law("none", lambda c: 0 * c["K"]))


def m_star_law(rows, cfg, key: str = "m_star", *, boot: int = 2000) -> laws.LawComparison:
    """m*(K) judged against the laws K^2 (eq. (5)), K, log K and none, fitted on the K whose median deviation
    ||x - G(z*)|| exceeds the median slack of eq. (6) (below it the truth is within the slack of the range and the
    cell measures an in-range estimator); off-grid = censored."""
    Y = np.array([[math.inf if v is None else v for v in r[key]] for r in rows], float)
    K = np.array(cfg["rec_Ks"], float)
    dev = np.median([r["rec_dev"] for r in rows], 0)
    rhs = np.median([r["rec_rhs"] for r in rows], 0)
    return laws.compare_laws(Y, dict(K=K), list(M_LAWS), "K^2", exponent=("K", None, 2.0), fit_cells=dev > rhs,
                             boot=boot, effect=cfg["effect"])


def _m_star_row(rows, cfg) -> ClaimRow:
    Ks = cfg["rec_Ks"]
    fit = m_star_law(rows, cfg)
    dev = np.median([r["rec_dev"] for r in rows], 0)
    rhs = np.median([r["rec_rhs"] for r in rows], 0)
    med = ", ".join(f"K={K:g}: {np.median([math.inf if r['m_star'][j] is None else r['m_star'][j] for r in rows]):g}"
                    f"{'' if dev[j] > rhs[j] else ' (in slack)'}" for j, K in enumerate(Ks))
    csgm = ", ".join(f"K={K:g}: {sum(r['m_star_csgm'][j] is None for r in rows)}/{len(rows)}"
                     for j, K in enumerate(Ks))
    return ClaimRow(
        "theorem1.m_star_vs_K", "ILO Theorem 1, eq. (5) and Remark 1 [X]",
        "The measurements eq. (4) needs to meet eq. (6) (delta_ILO = rec_phi delta) grow with K no faster than eq. "
        "(5)'s K^2 log p, truth and radius at K (an upper bound: one truth needs no more than the uniform S-REC)",
        f"m*(K) uncensored; fitted exponent's CI <= 2 (+ resolution), lower end > 0, a rise > x{cfg['effect']:g}, "
        "no-growth law rejected "
        f"(p = {cfg['p']}; fitted where the deviation exceeds the slack)",
        f"{fit.summary()}; median m* {med}; median deviation / slack per K: "
        + ", ".join(f"{d:.1f}/{h:.1f}" for d, h in zip(dev, rhs, strict=True))
        + f"; CSGM (r2 = 0) off the grid (m* > {max(cfg['rec_ms'])}) on the same truths: {csgm}"
        + ("; above the slack m* barely grows with K: one truth's need is set by its deviation's sparsity "
           f"(s = {cfg['s']}), not by ||u*||_1 -- the K^2 law is the uniform worst case (extended_srec.grows_with_K)"
           if fit.winner in ("none", "log K") else ""),
        fit.verdict_at_most("none"), fit.ci_text() + f"; {len(rows)} instances")


def _substitute(result: dict, source) -> dict:
    """ILO's outputs (r2 = rho, every m) replaced by another estimator's: ``source(row, m_index)``."""
    j1 = [float(f) for f in result["config"]["factors"]].index(1.0)
    rows = []
    for r in result["rows"]:
        err = [list(e) for e in r["err"]]
        for mi in range(len(err)):
            err[mi][j1] = source(r, mi)
        rows.append({**r, "err": err})
    return replace_in(result, ("rows",), rows)


def _rival_m_star(result, law):
    rows, Ks = result["rows"], np.array(result["config"]["rec_Ks"], float)
    Y = np.array([[math.inf if v is None else v for v in r["m_star"]] for r in rows], float)
    R = laws.rival_data(Y, dict(K=Ks), law, base_cells=Ks == Ks.min(), top_cells=Ks == Ks.max())
    return replace_in(result, ("rows",), [{**r, "m_star": [None if math.isinf(v) else float(v) for v in R[i]]}
                                         for i, r in enumerate(rows)])


def _column(result, factor):
    j = [float(f) for f in result["config"]["factors"]].index(factor)
    return lambda r, mi: r["err"][mi][j]


_ERRS = ("theorem1.u_shape", "theorem1.bound", "theorem1.phi")
CONTROLS = (
    Control("csgm_for_ilo", "ILO's outputs replaced by CSGM's (no l1 ball: r2 = 0)", _ERRS,
            lambda res: _substitute(res, _column(res, 0.0))),
    Control("unconstrained_for_ilo", "ILO's outputs replaced by the unconstrained search's (r2 = inf)",
            ("theorem1.u_shape",), lambda res: _substitute(res, _column(res, INF))),
    Control("blind_matrix", "A with its rows orthogonal to the deviation G2(G1(z*)+u*) - G(z*)", _ERRS,
            lambda res: _substitute(res, lambda r, mi: r["blind"][mi])),
    Control("no_extension", "K -> 0: every K's m* replaced by the smallest K's", ("theorem1.m_star_vs_K",),
            lambda res: replace_in(res, ("rows",), [{**r, "m_star": [r["m_star"][0]] * len(r["m_star"])}
                                                   for r in res["rows"]])),
    Control("csgm_in_bisection", "CSGM (r2 = 0) in the m* bisection, same truths, matrices and right side",
            ("theorem1.m_star_vs_K",),
            lambda res: replace_in(res, ("rows",), [{**r, "m_star": r["m_star_csgm"]} for r in res["rows"]])),
    Control("law_K^3", "m* replaced by the faster rival law m*_0 + b K^3 (same rise to the largest K, the measured "
            "noise kept)", ("theorem1.m_star_vs_K",), lambda res: _rival_m_star(res, laws.affine_law(
                "K^3", lambda c: c["K"] ** 3))),
    Control("alg1_without_ball", "Algorithm 1 with its CSGM round only (no intermediate l1 ball)",
            ("theorem1.algorithm1",),
            lambda res: replace_in(res, ("rows",), [{**r, "alg1": r["alg1_csgm"]} if "alg1" in r else r
                                                   for r in res["rows"]])),
)


def plot(result: dict):
    """The figure (drawn by ``verification._theorem1_plot.plot``, kept apart: the figure is not the check)."""
    from ._theorem1_plot import plot as draw
    return draw(result)
