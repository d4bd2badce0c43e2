r"""S-REC on the range of a random ReLU generator (Bora et al. 2017, Lemma 4.2) and the fixed-x event.

- :math:`\hat\gamma(m)` from random pairs **and** an adversarial search (the library's
  :func:`~ilo_solver.solvers.extended_range.srec_extended_range` with r2 = 0) -- the adversarial value is the honest
  estimate, random pairs overestimate γ. Lemma 4.2 predicts :math:`1-\gamma\propto\sqrt{kd\log n/m}`: we fit the
  log-log slope of :math:`1-\hat\gamma` against m per independent instance, for several k and depths.
- :math:`P(\|Ax\|>2\|x\|)` against the exact chi-square tail (docs/theory_notes.md §1 [D]).

**Your own generator**: ``python -m verification srec --generator mypkg.module:make --out DIR`` (``make()`` returns
a :class:`~ilo_solver.generators.base.LayeredGenerator`) replaces the random nets by it: γ̂(m) on its range (latent
ball of radius 1.5 √k, as :func:`~ilo_solver.solvers.srec.srec_curve`) for ``draws`` independent Gaussian matrices
per m, the same rate claim with the same rivals, and the repeated-rows control.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch

from ilo_solver.generators import ReLUGenerator, ReLUGeneratorBatch
from ilo_solver.solvers.extended_range import srec_extended_range
from ilo_theory import laws
from ilo_theory import srec as T

from ._common import ClaimRow, Control, combine, mean_ci, replace_in, wilson

ID = "srec"


@dataclasses.dataclass(frozen=True)
class Config:
    nets: tuple = ((5, 50, 200), (10, 50, 200), (5, 50, 100, 200))   # vary k and depth
    ms: tuple = (20, 40, 80, 160, 320)
    draws: int = 6                 # independent instances per net shape: a fresh G and fresh A's each
    random_pairs: int = 4000
    restarts: int = 8
    adv_steps: int = 200
    tail_ms: tuple = (1, 2, 3, 4, 6, 8)
    tail_draws: int = 40_000
    tail_wrong_variance: float = 1.2   # the control: A_ij ~ N(0, 1.2/m)
    generator: str = ""            # "pkg.module:factory": a user's LayeredGenerator instead of the random nets


DEFAULT = Config()
QUICK = Config(nets=((5, 50, 200), (5, 50, 100, 200)), ms=(20, 80, 320), draws=4, random_pairs=1000, restarts=4,
               adv_steps=60, tail_draws=10_000)


def _curves(cfg: Config, seed: int, widths: tuple) -> dict:
    """gamma_hat(m) for ``draws`` independent instances of one net shape (one batch): the library's adversarial
    estimator with r2 = 0 (the range itself) and delta = 0, for a fresh Gaussian A per instance and m, and for the
    control A whose m rows repeat its first m_0 = min(ms) rows (too few independent rows)."""
    gen = torch.Generator().manual_seed(seed * 10_007 + sum(w * 31 ** i for i, w in enumerate(widths)))
    I, n, m0 = cfg.draws, widths[-1], min(cfg.ms)
    G = ReLUGeneratorBatch(I, widths, rng=gen)
    r1 = 10.0 * math.sqrt(widths[0])       # effectively unconstrained: the range of G over R^k
    out = dict(widths=list(widths), adversarial=[], random=[], repeated=[])
    kw = dict(r1=r1, r2=0.0, delta=0.0, split=G.num_blocks, pairs=cfg.random_pairs, restarts=cfg.restarts,
              steps=cfg.adv_steps, lr=0.02, rng=gen)
    base = torch.randn(I, m0, n, generator=gen, dtype=torch.float64)
    for m in cfg.ms:
        A = torch.randn(I, m, n, generator=gen, dtype=torch.float64) / math.sqrt(m)
        g, g_rand = srec_extended_range(G, A, details=True, **kw)
        rep = base.repeat(1, -(-m // m0), 1)[:, :m] / math.sqrt(m)
        out["adversarial"].append(g.tolist())
        out["random"].append(g_rand.tolist())
        out["repeated"].append(srec_extended_range(G, rep, **kw).tolist())
    return out


def _user_curves(cfg: Config, seed: int) -> dict:
    """γ̂(m) of a user's generator (``cfg.generator``): ``draws`` independent Gaussian A per m by the library's
    :func:`~ilo_solver.solvers.srec.srec_curve`, and the same with the repeated-rows A (the control)."""
    from ilo_solver.physics.operators import GaussianCS
    from ilo_solver.solvers.srec import srec_curve

    from ._common import load_generator
    G = load_generator(cfg.generator)
    m0 = min(cfg.ms)

    def repeated(shape, m, g, dt):
        base = torch.randn(m0, math.prod(shape), generator=g, dtype=torch.float64)
        return GaussianCS.from_matrix((base.repeat(-(-m // m0), 1)[:m] / math.sqrt(m)).to(dt), shape)
    kw = dict(draws=cfg.draws, pairs=cfg.random_pairs, restarts=cfg.restarts, steps=cfg.adv_steps)
    adv = srec_curve(G, "cs-gaussian", cfg.ms, rng=torch.Generator().manual_seed(seed), **kw)
    rep = srec_curve(G, repeated, cfg.ms, rng=torch.Generator().manual_seed(seed + 1), **kw)
    k = math.prod(G.latent_shape(0))
    with torch.no_grad():
        n = math.prod(G(G.sample_latent(1, rng=torch.Generator().manual_seed(0))).shape[1:])
    return dict(label=f"{cfg.generator} (k={k}, n={n})", widths=[k, n], adversarial=adv.gammas.tolist(),
                random=None, repeated=rep.gammas.tolist())


def run(cfg: Config, *, seed: int, executor) -> dict:
    if cfg.generator:
        curves = [_user_curves(cfg, seed)]
    else:
        curves = list(executor.map(_curves, [cfg] * len(cfg.nets), [seed] * len(cfg.nets), cfg.nets))
    gen = torch.Generator().manual_seed(seed)
    # fixed-x event: A x for a fixed x, with A drawn afresh each time
    G = ReLUGenerator(cfg.nets[0], rng=gen)
    x = G(torch.randn(1, cfg.nets[0][0], generator=gen, dtype=torch.float64))[0]
    n = cfg.nets[0][-1]
    tail = []
    for m in cfg.tail_ms:
        hits = wrong = 0
        for start in range(0, cfg.tail_draws, 2000):
            b = min(2000, cfg.tail_draws - start)
            A = torch.randn(b, m, n, generator=gen, dtype=torch.float64) / math.sqrt(m)
            norm = (A @ x).norm(dim=1)
            hits += int((norm > 2 * x.norm()).sum())
            wrong += int((norm * math.sqrt(cfg.tail_wrong_variance) > 2 * x.norm()).sum())
        tail.append(dict(m=m, hits=hits, hits_wrong_variance=wrong, draws=cfg.tail_draws,
                         exact=T.norm_exceeds_probability(m)))
    return dict(ms=list(cfg.ms), curves=curves, tail=tail)


def _bent(result, rate):
    """The adversarial curves as they would be under the rate ``rate`` instead of -1/2: 1 - gamma times
    (m/m_0)^(rate + 1/2), each instance's noise kept."""
    f = (np.array(result["ms"], float) / result["ms"][0]) ** (rate + 0.5)
    return replace_in(result, ("curves",), [
        {**c, "adversarial": (1 - (1 - np.array(c["adversarial"], float)) * f[:, None]).tolist()}
        for c in result["curves"]])


def _slopes(curve, ms, key="adversarial"):
    """Per instance: the least-squares slope of log(1 - gamma_hat) against log m."""
    y = np.log(np.maximum(1 - np.array(curve[key], float), 1e-12))   # [len(ms), draws]
    X = np.log(np.array(ms, float))
    X = X - X.mean()
    return (X @ (y - y.mean(0))) / (X @ X)


RIVALS = {"m^-1, a 1/m rate": -1.0, "m^-1/4": -0.25}
LOG_FACTORS = 0.1     # the slope's resolution: gamma_hat is an adversarial upper estimate whose search power
#                       varies with m, and the lemma's rate holds up to log factors


def claims(result: dict) -> list[ClaimRow]:
    ms = result["ms"]
    parts, verdicts = [], []
    for c in result["curves"]:
        w = c["widths"]
        m, lo, hi = mean_ci(_slopes(c, ms))
        verdicts.append(laws.judge_exponent((m, lo, hi), -0.5, RIVALS, tolerance=LOG_FACTORS))
        parts.append(f"{c.get('label') or f'k={w[0]}, d={len(w) - 1}'}: {m:.3f} [{lo:.3f}, {hi:.3f}]")
    v = combine(verdicts)
    screened = [c for c in result["curves"] if c["random"] is not None]
    over = (f"; random pairs overestimate gamma in "
            f"{np.mean([np.all(np.array(c['random']) >= np.array(c['adversarial'])) for c in screened]):.0%} of the "
            "shapes" if screened else "")
    out = [ClaimRow(
        "srec.rate", "Bora et al. 2017, Lemma 4.2",
        "1 - gamma_hat(m) of a Gaussian A on the range of a d-layer ReLU net decays like sqrt(k d log n / m)",
        f"for every k and depth: the CI of the log-log slope of (1 - gamma) vs m, widened by {LOG_FACTORS} for the "
        "log factors, covers -0.5 and excludes the rival laws " + ", ".join(f"{v:g} ({k})" for k, v in RIVALS.items()),
        "slopes " + "; ".join(parts) + f" (adversarial gamma, m = {ms[0]}..{ms[-1]}{over})", v,
        f"95% t-intervals over {len(result['curves'][0]['adversarial'][0])} independent instances per shape "
        "(fresh G and A each)")]
    worst, ok = 0.0, True
    level = 1 - 0.01 / len(result["tail"])  # Bonferroni: 99% for the family of m values
    for t in result["tail"]:
        lo_, hi_ = wilson(t["hits"], t["draws"], level)
        ok &= lo_ <= t["exact"] <= hi_
        worst = max(worst, abs(t["hits"] / t["draws"] - t["exact"]))
    out.append(ClaimRow(
        "srec.fixed_x_tail", "Bora et al. 2017, Lemma 4.3 (fixed-x event); docs/theory_notes.md §1 [D]",
        "P(||Ax|| > 2||x||) for A_ij ~ N(0, 1/m) equals P(chi2_m > 4m)",
        "exact chi-square tail for m in " + ",".join(str(t["m"]) for t in result["tail"]),
        f"max |simulated - exact| = {worst:.4f} over {result['tail'][0]['draws']} draws each",
        "holds" if ok else "fails",
        "simultaneous 99% Wilson intervals (Bonferroni) contain the exact value for every m" if ok
        else "a simultaneous 99% Wilson interval misses the exact value"))
    return out


CONTROLS = (
    Control("repeated_rows", "A whose m rows repeat its first min(ms) rows (too few independent rows)",
            ("srec.rate",), lambda res: replace_in(res, ("curves",), [{**c, "adversarial": c["repeated"]}
                                                                     for c in res["curves"]])),
    *(Control(f"law_{name.split(',')[0]}", f"1 - gamma_hat(m) bent to the rival rate {rate:g} (times (m/m_0)^("
              f"{rate:g} + 1/2), the measured noise kept)", ("srec.rate",),
              lambda res, rate=rate: _bent(res, rate)) for name, rate in RIVALS.items()),
    Control("wrong_variance", "A_ij ~ N(0, 1.2/m) instead of N(0, 1/m)", ("srec.fixed_x_tail",),
            lambda res: replace_in(res, ("tail",), [{**t, "hits": t["hits_wrong_variance"]} for t in res["tail"]])),
)


def plot(result: dict):
    """1 - gamma_hat against sqrt(k d log n / m) for every net shape (mean over instances, with the repeated-rows
    control), and the fixed-x tail, drawn from the saved result."""
    import matplotlib.pyplot as plt
    ms = np.array(result["ms"], float)
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    for c in result["curves"]:
        w = c["widths"]
        k, d, n = w[0], len(w) - 1, w[-1]
        xs = np.sqrt(k * d * np.log(n) / ms)
        line, = a.loglog(xs, 1 - np.mean(c["adversarial"], 1), "o-", label=c.get("label") or f"k={k}, d={d}")
        if c["random"] is not None:
            a.loglog(xs, 1 - np.mean(c["random"], 1), "s:", color=line.get_color(), alpha=0.6)
        a.loglog(xs, 1 - np.mean(c["repeated"], 1), "x--", color=line.get_color(), alpha=0.6)
    a.set_xlabel("sqrt(k d log n / m)")
    a.set_ylabel("1 - gamma_hat")
    a.set_title("S-REC on the range of random ReLU nets")
    from matplotlib.lines import Line2D
    styles = [Line2D([], [], color="grey", ls=ls, marker=mk, label=lab) for ls, mk, lab in
              (("-", "o", "adversarial pairs"), (":", "s", "random pairs"), ("--", "x", "repeated rows (control)"))]
    a.legend(handles=a.get_legend_handles_labels()[0] + styles, fontsize=7)
    tm = [t["m"] for t in result["tail"]]
    b.semilogy(tm, [t["exact"] for t in result["tail"]], "-", label="exact chi-square tail")
    cis = [wilson(t["hits"], t["draws"]) for t in result["tail"]]
    p = [t["hits"] / t["draws"] for t in result["tail"]]
    lo_hi = np.maximum(0, [[pi - c[0] for pi, c in zip(p, cis, strict=True)],     # >= 0: rounding at p = 0
                           [c[1] - pi for pi, c in zip(p, cis, strict=True)]])
    b.errorbar(tm, p, yerr=lo_hi, fmt="o", label="simulated (95% CI)")
    b.semilogy(tm, [t["hits_wrong_variance"] / t["draws"] for t in result["tail"]], "x", label="variance 1.2/m "
               "(control)")
    b.set_xlabel("m")
    b.set_ylabel("P(||Ax|| > 2||x||)")
    b.legend(fontsize=7)
    fig.tight_layout()
    return fig
