r"""The :math:`\ell_1` phase transition of compressed sensing, measured (issue: teaching and scale).

Basis pursuit :math:`\min\|x\|_1` s.t. :math:`Ax=y` solved exactly as a linear program (scipy's HiGHS,
:func:`scipy.optimize.linprog`, on :math:`x=x^+-x^-`) for s-sparse :math:`x\in\mathbb R^d` with Gaussian signs and
Gaussian A (m × d), over a grid in Donoho-Tanner coordinates :math:`\delta=m/d`, :math:`\rho=s/m`; each cell runs
independent (A, x) draws. Success: :math:`\|\hat x-x\|\le10^{-6}\|x\|`. The empirical 50% contour is read off each
δ-column by interpolation (bootstrap CI over the draws) and compared with the exact asymptotic curve of
:func:`ilo_theory.phase.l1_threshold` (Amelunxen, Lotz, McCoy, Tropp 2014). The finite-d transition has width
:math:`O(d^{-1/2})` in ρ: the band is stated.

Control: a matrix with only m/2 independent rows (each repeated twice), which carries the information of m/2
measurements -- its contour must leave the band.
"""
from __future__ import annotations

import dataclasses

import numpy as np
from scipy.optimize import linprog

from ilo_theory.phase import l1_threshold

from ._common import ClaimRow, Control, combine, replace_in

ID = "phase"


@dataclasses.dataclass(frozen=True)
class Config:
    d: int = 200
    deltas: tuple = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
    rhos: tuple = tuple(round(0.04 * i, 2) for i in range(1, 25))     # 0.04 .. 0.96
    trials: int = 12
    band: float = 0.0707            # 1/sqrt(d): the scale of the finite-d transition width


DEFAULT = Config()
QUICK = Config(d=80, deltas=(0.25, 0.5, 0.75), rhos=tuple(round(0.08 * i, 2) for i in range(1, 12)), trials=6,
               band=0.112)     # 1/sqrt(80)


def basis_pursuit(A: np.ndarray, y: np.ndarray) -> np.ndarray:
    """argmin ||x||_1 s.t. Ax = y, as the LP min 1'(x+ + x-) s.t. A(x+ - x-) = y, x+-, x- >= 0 (HiGHS)."""
    m, d = A.shape
    res = linprog(np.ones(2 * d), A_eq=np.hstack([A, -A]), b_eq=y, bounds=(0, None), method="highs")
    if res.status != 0:
        raise RuntimeError(f"basis pursuit LP did not solve: {res.message}")
    return res.x[:d] - res.x[d:]


def _column(cfg: Config, seed: int, delta: float) -> dict:
    rng = np.random.default_rng([seed, int(round(delta * 1000))])
    d = cfg.d
    m = max(2, int(round(delta * d)))
    ok, ok_dep = [], []
    for rho in cfg.rhos:
        s = max(1, int(round(rho * m)))
        hits, hits_dep = [], []
        for _ in range(cfg.trials):
            x = np.zeros(d)
            x[rng.choice(d, s, replace=False)] = rng.standard_normal(s)
            A = rng.standard_normal((m, d)) / np.sqrt(m)
            B = np.repeat(rng.standard_normal((-(-m // 2), d)), 2, axis=0)[:m] / np.sqrt(m)   # the control
            for M, out in ((A, hits), (B, hits_dep)):
                xh = basis_pursuit(M, M @ x)
                out.append(bool(np.linalg.norm(xh - x) <= 1e-6 * np.linalg.norm(x)))
        ok.append(hits)
        ok_dep.append(hits_dep)
    return dict(delta=delta, m=m, success=ok, success_dependent=ok_dep)


def run(cfg: Config, *, seed: int, executor) -> dict:
    cols = list(executor.map(_column, [cfg] * len(cfg.deltas), [seed] * len(cfg.deltas), cfg.deltas))
    return dict(config=dataclasses.asdict(cfg), columns=cols)


def _rho50(rhos, frac) -> float:
    """The first crossing of 1/2 by the success fraction (decreasing in rho), linearly interpolated; the grid's
    ends when it never crosses."""
    frac = np.asarray(frac, float)
    below = np.nonzero(frac < 0.5)[0]
    if below.size == 0:
        return float(rhos[-1])
    i = int(below[0])
    if i == 0:
        return float(rhos[0])
    t = (frac[i - 1] - 0.5) / max(frac[i - 1] - frac[i], 1e-12)
    return float(rhos[i - 1] + t * (rhos[i] - rhos[i - 1]))


def claims(result: dict) -> list[ClaimRow]:
    cfg = result["config"]
    rhos, band = np.array(cfg["rhos"]), cfg["band"]
    rng = np.random.default_rng(0)
    parts, verdicts = [], []
    for c in result["columns"]:
        S = np.array(c["success"], float)          # [rhos, trials]
        est = _rho50(rhos, S.mean(1))
        boot = [_rho50(rhos, S[:, rng.integers(0, S.shape[1], S.shape[1])].mean(1)) for _ in range(1000)]
        lo, hi = np.quantile(boot, [0.025, 0.975])
        exact = float(l1_threshold(c["delta"]))
        inside = exact - band <= lo and hi <= exact + band
        outside = hi < exact - band or lo > exact + band
        verdicts.append("holds" if inside else "fails" if outside else "inconclusive")
        parts.append(f"delta={c['delta']:g}: rho_50 {est:.3f} [{lo:.3f}, {hi:.3f}] vs {exact:.3f}")
    v = combine(verdicts)
    return [ClaimRow(
        "phase.l1_transition", "Amelunxen, Lotz, McCoy, Tropp 2014, Thm. II; Donoho & Tanner 2009",
        "Basis pursuit's empirical 50% success contour follows the curve rho(delta) from the statistical dimension",
        f"rho_50 within +-{band} of rho(delta) at every delta (d = {cfg['d']})", "; ".join(parts), v,
        f"bootstrap 95% CIs over {cfg['trials']} independent (A, x) per cell; band 1/sqrt(d), the scale of the "
        "finite-d transition width")]


CONTROLS = (
    Control("dependent_rows", "A with only m/2 independent rows (each repeated twice)", ("phase.l1_transition",),
            lambda res: replace_in(res, ("columns",), [{**c, "success": c["success_dependent"]}
                                                       for c in res["columns"]])),
)


def plot(result: dict):
    """The empirical success fraction over (delta, rho) with the exact curve and the control's 50% contour."""
    import matplotlib.pyplot as plt
    cfg = result["config"]
    rhos = np.array(cfg["rhos"])
    cols = result["columns"]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    F = np.array([np.array(c["success"], float).mean(1) for c in cols]).T
    deltas = [c["delta"] for c in cols]
    im = a.pcolormesh(deltas, rhos, F, shading="nearest", cmap="viridis", vmin=0, vmax=1)
    fig.colorbar(im, ax=a, label="success fraction")
    dd = np.linspace(0.02, 0.98, 100)
    for ax in (a, b):
        ax.plot(dd, l1_threshold(dd), "w-" if ax is a else "k-", lw=2, label="rho(delta), statistical dimension")
        ax.set_xlabel("delta = m/d")
        ax.set_ylabel("rho = s/m")
    for key, style, lab in (("success", "o", "empirical 50%"), ("success_dependent", "x--", "m/2 independent rows "
                                                                                         "(control)")):
        b.plot(deltas, [_rho50(rhos, np.array(c[key], float).mean(1)) for c in cols], style, label=lab)
    b.plot(dd, l1_threshold(dd) + cfg["band"], "k:", lw=0.8)
    b.plot(dd, l1_threshold(dd) - cfg["band"], "k:", lw=0.8, label=f"band +-{cfg['band']}")
    a.set_title(f"basis pursuit, d = {cfg['d']}, {cfg['trials']} draws per cell")
    b.legend(fontsize=7)
    fig.tight_layout()
    return fig
