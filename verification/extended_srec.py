r"""S-REC on ILO's extended range :math:`G_2(E)`, :math:`E=G_1(B_2^k(r_1))\oplus B_1^p(r_2)`, as K and p vary: the
worst case behind ILO Theorem 1, eq. (5) [X] (docs/theory_notes.md §2 check).

For each p, ``draws`` independent instances (a fresh G and a fresh Gaussian matrix each, shared across K so that K is
compared within an instance), and each K with :math:`r_2=K\delta/L_2`, we find per instance the threshold
:math:`m^*` = the least m of the grid (the first m rows of the instance's matrix, rescaled) at which the adversarial
estimate :math:`\hat\gamma` (:func:`ilo_solver.solvers.extended_range.srec_extended_range`: screened random pairs,
hard pairs
spread flat over :math:`\lceil K^2\rceil` coordinates, projected Adam) reaches :math:`1-\alpha`, by bisection over
the grid (a grid point past the end = off-grid, counted against the claim). :math:`\hat\gamma` is an upper estimate,
so :math:`m^*` is a lower one.

Eq. (5) predicts :math:`m^*-m^*_0\propto K^2\log p` (:math:`m^*_0` at K = 0, the range alone), not :math:`\propto p`.
Controls: K → 0 (no extension), and the :math:`\ell_2` ball of the same radius (whose covering number grows like p).
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch

from ilo_solver.generators import ReLUGeneratorBatch
from ilo_solver.solvers.extended_range import srec_extended_range

from ._common import (ClaimRow, Control, bisect_grid, combine, nested_rows, paired_bootstrap, replace_in,
                      threshold_verdict)

ID = "extended_srec"


@dataclasses.dataclass(frozen=True)
class Config:
    k: int = 4
    n: int = 1024
    ps: tuple = (128, 512, 2048)
    Ks: tuple = (0.0, 2.0, 5.5, 11.0)    # common to every p (<= sqrt(128)); K = sqrt(p) is added per p
    ms: tuple = (8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024)
    alpha: float = 0.4
    delta_frac: float = 0.05
    draws: int = 6
    pairs: int = 400
    hard_pairs: int = 100
    restarts: int = 8
    steps: int = 150
    effect: float = 1.25


DEFAULT = Config()
QUICK = Config(n=512, ps=(64, 256), Ks=(0.0, 8.0), ms=(8, 16, 32, 64, 128, 256, 512), draws=4, pairs=100,
               hard_pairs=25, restarts=4, steps=40)


def _K_grid(cfg, p):
    return sorted(set(float(K) for K in cfg.Ks) | {math.sqrt(p)})


def _cell(cfg: Config, seed: int, p: int, ball: str) -> dict:
    """Every K of one p for ``draws`` instances (one batch): m* per instance by bisection over the m grid."""
    gen = torch.Generator().manual_seed(seed * 7919 + p)
    I, n, ms = cfg.draws, cfg.n, list(cfg.ms)
    G = ReLUGeneratorBatch(I, (cfg.k, p, n), rng=gen)
    L2 = G.lipschitz_upper(1, 2)
    r1 = 2.0 * math.sqrt(cfg.k)
    delta = cfg.delta_frac * G(torch.randn(I * 64, cfg.k, generator=gen, dtype=torch.float64)).norm(dim=1).view(
        I, 64).mean(1)
    A_full = torch.randn(I, max(ms), n, generator=gen, dtype=torch.float64)   # nested in m within an instance
    code_rms = float(G.forward_to(torch.randn(I * 16, cfg.k, generator=gen, dtype=torch.float64), 1).norm(dim=1)
                     .mean() / math.sqrt(p))

    def passes(m_idx: np.ndarray, K: float) -> np.ndarray:
        A = nested_rows(A_full, [ms[i] for i in m_idx])       # each instance its own m
        g = srec_extended_range(G, A, r1=r1, r2=K * delta / L2, delta=delta, pairs=cfg.pairs,
                                hard_pairs=cfg.hard_pairs if K > 0 else 0, flat=(math.ceil(K * K),),
                                restarts=cfg.restarts, steps=cfg.steps, lr_u=0.1 * code_rms,
                                ball=ball, rng=gen)
        return (g >= 1 - cfg.alpha).numpy()

    out = []
    for K in _K_grid(cfg, p) if ball == "l1" else [max(cfg.Ks)]:
        hi = bisect_grid(len(ms), I, lambda mid, K=K: passes(mid, K))
        out.append(dict(p=p, K=K, ball=ball, m_star=[ms[h] if h < len(ms) else None for h in hi],
                        delta=delta.tolist(), L2=L2.tolist()))
    return out


def run(cfg: Config, *, seed: int, executor) -> dict:
    jobs = [(p, "l1") for p in cfg.ps] + [(p, "l2") for p in cfg.ps]
    parts = executor.map(_cell, [cfg] * len(jobs), [seed] * len(jobs), *zip(*jobs, strict=True))
    cells = [c for part in parts for c in part]
    return dict(config=dataclasses.asdict(cfg), cells=[c for c in cells if c["ball"] == "l1"],
                l2=[c for c in cells if c["ball"] == "l2"])


def _m(cell):
    """m* per instance, off-grid as inf."""
    return np.array([math.inf if v is None else v for v in cell["m_star"]], float)


def _fit(cells, *, boot: int = 2000, seed: int = 0):
    """Least squares through the origin of the per-instance m* - m*_0 against x = K^2 log p (and, for comparison,
    against x = p), over the cells with K > 0; the slope's 95% CI bootstraps the instances (resampled within each p,
    every K of an instance together: they share G and A); R^2 of each. None when a cell is off-grid."""
    by_p = {}
    for c in cells:
        by_p.setdefault(c["p"], {})[c["K"]] = _m(c)
    if not all(np.all(np.isfinite(m)) for row in by_p.values() for m in row.values()):
        return None

    def design(index):
        xs, ys, xp = [], [], []
        for p, row in by_p.items():
            idx = index[p]
            base = row[min(row)][idx]
            for K, m in row.items():
                if K > 0:
                    xs.append(np.full(idx.size, K * K * math.log(p)))
                    xp.append(np.full(idx.size, float(p)))
                    ys.append(m[idx] - base)
        return np.concatenate(xs), np.concatenate(ys), np.concatenate(xp)

    def slope_r2(x, y):
        b = float(x @ y / max(x @ x, 1e-300))
        res = y - b * x
        return b, float(1 - res @ res / max(((y - y.mean()) ** 2).sum(), 1e-300))

    full = {p: np.arange(next(iter(row.values())).size) for p, row in by_p.items()}
    x, y, q = design(full)
    b, r2 = slope_r2(x, y)
    rng = np.random.default_rng(seed)
    bs = [slope_r2(*design({p: rng.integers(0, i.size, i.size) for p, i in full.items()})[:2])[0]
          for _ in range(boot)]
    return dict(slope=b, slope_ci=[float(v) for v in np.quantile(bs, [0.025, 0.975])], r2_K2logp=r2,
                r2_p=slope_r2(q, y)[1])


def claims(result: dict) -> list[ClaimRow]:
    cfg, cells = result["config"], result["cells"]
    eff = cfg["effect"]
    by = {(c["p"], c["K"]): _m(c) for c in cells}
    parts, verdicts = [], []
    for p in cfg["ps"]:
        base, top = by[(p, 0.0)], by[(p, math.sqrt(p))]
        if not np.all(np.isfinite(base)):
            verdicts.append("fails")
            parts.append(f"p={p}: m*_0 off-grid")
            continue
        top_f = np.where(np.isfinite(top), top, 4 * max(cfg["ms"]))    # off-grid: at least past the grid
        est, lo, hi = paired_bootstrap(top_f, base)
        verdicts.append(threshold_verdict(lo, hi, eff))
        parts.append(f"p={p}: m*(K=sqrt p={math.sqrt(p):.1f}) / m*_0 = {est:.2f} [{lo:.2f}, {hi:.2f}]"
                     + (" (off-grid counted as > grid)" if not np.all(np.isfinite(top)) else ""))
    fit = _fit(cells)
    fit_s = (f"m* - m*_0 = b K^2 log p: b = {fit['slope']:.3f} [{fit['slope_ci'][0]:.3f}, {fit['slope_ci'][1]:.3f}], "
             f"R^2 {fit['r2_K2logp']:.2f}; = b p: R^2 {fit['r2_p']:.2f}") if fit else "fit skipped (off-grid cells)"
    v = combine(verdicts)
    table = "; ".join(f"p={c['p']},K={c['K']:.1f}: median m* {np.median(_m(c)):g}" for c in cells)
    out = [ClaimRow(
        "extended_srec.grows_with_K", "ILO Theorem 1, eq. (5) and Remark 1 [X]",
        "The m needed for S-REC(G2(E), 1-alpha, delta) grows with K (the K^2 log p term)",
        f"m*(K = sqrt p) / m*(K = 0) > {eff} at every p in {list(cfg['ps'])}",
        "; ".join(parts) + f"; {fit_s}", v,
        f"paired bootstrap 95% CIs over {cfg['draws']} instances (fresh G and A each, shared across K); cells: "
        + table)]
    K = max(cfg["Ks"])
    p_lo, p_hi = min(cfg["ps"]), max(cfg["ps"])
    bound = 2.0 * math.log(p_hi) / math.log(p_lo)
    a, b = by[(p_hi, K)], by[(p_lo, K)]
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        v, meas, ci = "fails", f"m* off-grid at K = {K:g}", ""
    else:
        rng = np.random.default_rng(0)
        boot = [np.mean(rng.choice(a, a.size)) / np.mean(rng.choice(b, b.size)) for _ in range(4000)]
        est, lo, hi = float(a.mean() / b.mean()), *np.quantile(boot, [0.025, 0.975])
        v = threshold_verdict(lo, hi, bound, above=False)
        meas, ci = f"m*(p={p_hi}) / m*(p={p_lo}) = {est:.2f} at K = {K:g}", f"bootstrap 95% [{lo:.2f}, {hi:.2f}]"
    out.append(ClaimRow(
        "extended_srec.not_p", "ILO Theorem 1, eq. (5) [X]; Remark 2",
        "At fixed K the m needed does not grow like the intermediate dimension p (only like log p)",
        f"m*(p={p_hi}) / m*(p={p_lo}) < 2 log(p_hi)/log(p_lo) = {bound:.2f} at K = {K:g} (p ratio {p_hi // p_lo})",
        meas, v, ci))
    return out


def _no_extension(result):
    cells = result["cells"]
    base = {c["p"]: c["m_star"] for c in cells if c["K"] == 0.0}
    return replace_in(result, ("cells",), [{**c, "m_star": base[c["p"]]} for c in cells])


def _l2_ball(result):
    K = max(result["config"]["Ks"])
    l2 = {c["p"]: c["m_star"] for c in result["l2"]}
    return replace_in(result, ("cells",), [{**c, "m_star": l2[c["p"]]} if c["K"] == K else c
                                           for c in result["cells"]])


CONTROLS = (
    Control("no_extension", "K -> 0: every cell's m* replaced by the range's own (r2 = 0)",
            ("extended_srec.grows_with_K",), _no_extension),
    Control("l2_ball", "the l1 ball replaced by the l2 ball of the same radius (covering number ~ p)",
            ("extended_srec.not_p",), _l2_ball),
)


def plot(result: dict):
    """m* against K^2 log p (per-instance points, medians joined) and against p at the common K, with the l2-ball
    control, drawn from the saved result."""
    import matplotlib.pyplot as plt
    cfg, cells = result["config"], result["cells"]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    top = 4 * max(cfg["ms"])
    for p in cfg["ps"]:
        row = sorted((c for c in cells if c["p"] == p), key=lambda c: c["K"])
        x = [max(c["K"] ** 2 * math.log(p), 0.5) for c in row]
        med = [np.median(np.minimum(_m(c), top)) for c in row]
        line, = a.loglog(x, med, "o-", label=f"p = {p} (median)")
        for xi, c in zip(x, row, strict=True):
            a.loglog([xi] * len(c["m_star"]), np.minimum(_m(c), top), ".", color=line.get_color(), alpha=0.4)
    fit = _fit(cells)
    if fit:
        xx = np.geomspace(0.5, max(c["K"] ** 2 * math.log(c["p"]) for c in cells), 100)
        for p in cfg["ps"]:
            base = np.median(_m(next(c for c in cells if c["p"] == p and c["K"] == 0.0)))
            lo, hi = fit["slope_ci"]
            a.fill_between(xx, base + lo * xx, base + hi * xx, color="0.5", alpha=0.15)
            a.loglog(xx, base + fit["slope"] * xx, "k-", lw=0.6)
        a.set_title(f"fit m* = m*_0 + b K^2 log p, b = {fit['slope']:.3f} (band: 95% bootstrap)", fontsize=9)
    a.axhline(max(cfg["ms"]), color="k", lw=0.6, ls=":")
    a.set_xlabel("K^2 log p  (K = 0 drawn at 0.5)")
    a.set_ylabel(f"m* (gamma_hat >= {1 - cfg['alpha']:.1f}); dotted: end of grid")
    a.legend(fontsize=7)
    K = max(cfg["Ks"])
    for src, lab, st in ((cells, "l1 ball", "o-"), (result["l2"], "l2 ball (control)", "s--")):
        sel = sorted((c for c in src if c["K"] == K), key=lambda c: c["p"])
        b.loglog([c["p"] for c in sel], [np.median(np.minimum(_m(c), top)) for c in sel], st, label=lab)
    ps = np.array(cfg["ps"], float)
    b.set_xlabel("p")
    b.set_ylabel(f"median m* at K = {K:g}")
    b.axhline(max(cfg["ms"]), color="k", lw=0.6, ls=":")
    b.set_xticks(ps, [str(int(q)) for q in ps])
    b.minorticks_off()
    b.set_title(f"points at {top} are off-grid (m* > {max(cfg['ms'])})", fontsize=9)
    b.legend(fontsize=7)
    fig.tight_layout()
    return fig
