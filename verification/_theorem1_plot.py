"""The figure of :mod:`verification.theorem1`, drawn from its saved result."""
from __future__ import annotations

import numpy as np

from .theorem1 import INF, _phi_hat


def plot(result: dict):
    """Error against the radius with bootstrap bands per m (r2 = 0 and inf at the ends), Phi_hat per m, and
    Algorithm 1 against the eq. (4) optimum, drawn from the saved result."""
    import matplotlib.pyplot as plt
    rows, cfg = result["rows"], result["config"]
    F = [float(f) for f in cfg["factors"]]
    finite = [f for f in F if 0 < f < INF]
    pos = {f: (finite[0] / 4 if f == 0 else finite[-1] * 4 if f == INF else f) for f in F}
    fig, (a, b, c, d) = plt.subplots(1, 4, figsize=(21, 4.8))
    rng = np.random.default_rng(0)
    for mi, m in enumerate(cfg["ms"]):
        E = np.array([[e / r["delta"] for e in r["err"][mi]] for r in rows])
        boot = np.array([E[rng.integers(0, len(E), len(E))].mean(0) for _ in range(1000)])
        xs = [pos[f] for f in F]
        line, = a.loglog(xs, E.mean(0), "o-", label=f"m = {m}")
        a.fill_between(xs, *np.quantile(boot, [0.025, 0.975], axis=0), color=line.get_color(), alpha=0.2)
        a.loglog([pos[1.0]], [np.mean([r["blind"][mi] / r["delta"] for r in rows])], "x", ms=9,
                 color=line.get_color(), label="blind matrix at r2 = rho (control)" if mi == 0 else None)
    R = np.array([[e / r["delta"] for e in r["rep"]] for r in rows]).mean(0)
    a.loglog([pos[f] for f in F], np.maximum(R, 1e-3), "k:", label="eq. (3) representation error")
    a.set_xticks([pos[f] for f in F], ["0\n(CSGM)" if f == 0 else "inf" if f == INF else f"{f:g}" for f in F])
    a.set_xlabel("radius r2 / rho  (rho = ||u*||_1)")
    a.set_ylabel("||x - x_hat|| / delta  (mean, 95% bootstrap band)")
    a.set_title(f"eq. (4) vs radius: k={cfg['k']}, p={cfg['p']}, n={cfg['n']}, {len(rows)} instances")
    a.legend(fontsize=7)
    j1 = F.index(1.0)
    phis = [_phi_hat(rows, mi, j1) for mi in range(len(cfg["ms"]))]
    b.boxplot(phis, tick_labels=[str(m) for m in cfg["ms"]])
    b.axhline(cfg["phi"], color="r", lw=1, label=f"reconstructed Phi = {cfg['phi']:g} [X]")
    b.set_xlabel("m")
    b.set_ylabel("Phi_hat = gamma_hat (err - (1+4/gamma_hat) rep) / delta")
    b.legend(fontsize=7)
    sel = [r for r in rows if "alg1" in r]
    top = len(cfg["ms"]) - 1
    c.loglog([r["err"][top][j1] / r["delta"] for r in sel], [r["alg1"] / r["delta"] for r in sel], "o",
             label="Algorithm 1")
    c.loglog([r["err"][top][j1] / r["delta"] for r in sel], [r["alg1_csgm"] / r["delta"] for r in sel], "x",
             label="its CSGM round (control)")
    lim = [0.05, 50]
    c.loglog(lim, lim, "k:", lw=0.8)
    c.set_xlabel(f"eq. (4) error / delta at r2 = rho, m = {cfg['ms'][top]}")
    c.set_ylabel("error / delta")
    c.legend(fontsize=7)
    b.set_title("the additive term, measured (Lemma 4.3 with gamma_hat)", fontsize=9)
    c.set_title("Algorithm 1 against the eq. (4) optimum", fontsize=9)
    if "m_star_csgm" in rows[0]:
        Ks, grid_top = np.array(cfg["rec_Ks"], float), max(cfg["rec_ms"])
        for key, lab, st in (("m_star", "ILO (r2 = K delta / L2)", "o-"), ("m_star_csgm", "CSGM (control)", "x--")):
            Y = np.array([[np.inf if v is None else v for v in r[key]] for r in rows], float)
            med = np.median(Y, 0)
            d.semilogy(Ks, np.where(np.isfinite(med), med, 2 * grid_top), st, label=lab)
        dev = np.median([r["rec_dev"] for r in rows], 0)
        rhs = np.median([r["rec_rhs"] for r in rows], 0)
        d.axvspan(Ks.min(), Ks[dev > rhs].min() if np.any(dev > rhs) else Ks.max(), color="0.85", alpha=0.5,
                  label="deviation within the slack")
        d.axhline(grid_top, color="k", lw=0.6, ls=":")
        d.set_xlabel("K  (truth's deviation and radius at K)")
        d.set_ylabel("median m* at which eq. (6) is met")
        d.set_title(f"m*(K); dotted: end of the grid, points above it off the grid (> {grid_top})", fontsize=9)
        d.legend(fontsize=7)
    fig.tight_layout()
    return fig
