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
from ilo_solver.solvers.extended_range import lipschitz_estimate, srec_extended_range
from ilo_theory import laws

from ._common import (ClaimRow, Control, bisect_grid, combine, load_generator, nested_rows, replace_in,
                      threshold_verdict)

ID = "extended_srec"


@dataclasses.dataclass(frozen=True)
class Config:
    k: int = 4
    n: int = 1024
    ps: tuple = (128, 512, 2048)
    Ks: tuple = (0.0, 2.0, 4.0, 8.0, 11.0)    # common to every p (<= sqrt(128)); sqrt(p)/2 and sqrt(p) added per p
    l2_Ks: tuple = (11.0,)                    # the l2-ball control's radii (sqrt(p) added per p)
    ms: tuple = (8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024)
    alpha: float = 0.4
    delta_frac: float = 0.05
    draws: int = 20
    pairs: int = 400
    hard_pairs: int = 100
    restarts: int = 8
    steps: int = 150
    effect: float = 1.25
    generator: str = ""            # "pkg.module:factory": a user's LayeredGenerator instead of the random nets
    split: int = 1                 # with generator: where E's l1 ball lives (G1 = blocks before it, G2 = after)
    L2: float = 0.0                # with generator: G2's Lipschitz constant (r2 = K delta / L2); 0 = estimated


DEFAULT = Config()
QUICK = Config(n=512, ps=(64, 256), Ks=(0.0, 2.0, 8.0), l2_Ks=(8.0,), ms=(8, 16, 32, 64, 128, 256, 512), draws=6,
               pairs=100, hard_pairs=25, restarts=4, steps=40)


def _K_grid(cfg, p, ball: str = "l1"):
    """The K of one p: the common ones and sqrt(p)/2, sqrt(p) (l1); ``l2_Ks`` and sqrt(p) (the l2 control)."""
    common = cfg.Ks if ball == "l1" else cfg.l2_Ks
    extra = {math.sqrt(p) / 2, math.sqrt(p)} if ball == "l1" else {math.sqrt(p)}
    return sorted(set(float(K) for K in common) | extra)


def _cell(cfg: Config, seed: int, p: int, ball: str, K: float) -> dict:
    """One (p, ball, K) for ``draws`` instances (one batch; G and A are drawn from the seed and p alone, so every K
    of one p sees the same instances): m* per instance by bisection over the m grid."""
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

    hi = bisect_grid(len(ms), I, lambda mid: passes(mid, K))
    return dict(p=p, K=K, ball=ball, m_star=[ms[h] if h < len(ms) else None for h in hi], delta=delta.tolist(),
                L2=L2.tolist())


def _user_cell(cfg: Config, seed: int, ball: str, K: float) -> dict:
    """One (ball, K) on a user's generator (``cfg.generator``, its l1 ball at ``cfg.split``): ``draws`` independent
    Gaussian matrices (drawn from the seed alone, so every K sees the same ones), m* per matrix by bisection."""
    G = load_generator(cfg.generator)
    gen = torch.Generator().manual_seed(seed * 7919 + 1)
    split, ms = cfg.split, list(cfg.ms)
    k, p = math.prod(G.latent_shape(0)), math.prod(G.latent_shape(split))
    dt = next(G.parameters()).dtype
    with torch.no_grad():
        X = G(G.sample_latent(64, rng=gen)).flatten(1)
        code_rms = float(G.forward_to(G.sample_latent(16, rng=gen), split).flatten(1).norm(dim=1).mean()
                         / math.sqrt(p))
    n = X.shape[1]
    delta = cfg.delta_frac * float(X.norm(dim=1).mean())
    L2 = cfg.L2 if cfg.L2 > 0 else lipschitz_estimate(G, split, rng=gen)
    A_full = torch.randn(cfg.draws, max(ms), n, generator=gen, dtype=dt)
    m_star = []
    for i in range(cfg.draws):
        def passes(mid, i=i):
            g = srec_extended_range(G, nested_rows(A_full[i:i + 1], [ms[int(mid[0])]]), r1=2.0 * math.sqrt(k),
                                    r2=K * delta / L2, delta=delta, split=split, pairs=cfg.pairs,
                                    hard_pairs=cfg.hard_pairs if K > 0 else 0, flat=(math.ceil(K * K),),
                                    restarts=cfg.restarts, steps=cfg.steps, lr_u=0.1 * code_rms, ball=ball, rng=gen)
            return (g >= 1 - cfg.alpha).numpy()
        h = int(bisect_grid(len(ms), 1, passes)[0])
        m_star.append(ms[h] if h < len(ms) else None)
    return dict(p=p, K=K, ball=ball, m_star=m_star, delta=[delta] * cfg.draws, L2=[L2] * cfg.draws)


def _user_p(cfg: Config) -> int:
    """The user's layer width p at ``cfg.split``, checked before any work: the split must lie strictly inside."""
    G = load_generator(cfg.generator)
    if not 0 < cfg.split < G.num_blocks:
        raise ValueError(f"split must lie strictly inside the generator's {G.num_blocks} blocks, got {cfg.split}")
    return math.prod(G.latent_shape(cfg.split))


def run(cfg: Config, *, seed: int, executor) -> dict:
    if cfg.generator:     # one generator: one p (its layer at the split); the p-law row cannot be judged
        p = _user_p(cfg)
        jobs = [(ball, K) for ball in ("l1", "l2") for K in _K_grid(cfg, p, ball)]
        cells = list(executor.map(_user_cell, [cfg] * len(jobs), [seed] * len(jobs), *zip(*jobs, strict=True)))
        cells.sort(key=lambda c: c["K"])
        return dict(config=dict(dataclasses.asdict(cfg), ps=[p]), cells=[c for c in cells if c["ball"] == "l1"],
                    l2=[c for c in cells if c["ball"] == "l2"])
    jobs = [(p, ball, K) for ball in ("l1", "l2") for p in sorted(cfg.ps, reverse=True) for K in _K_grid(cfg, p, ball)]
    jobs.sort(key=lambda j: -j[0] * (j[2] + 1))        # the longest first, for the process pool's balance
    cells = list(executor.map(_cell, [cfg] * len(jobs), [seed] * len(jobs), *zip(*jobs, strict=True)))
    cells.sort(key=lambda c: (c["p"], c["K"]))
    return dict(config=dataclasses.asdict(cfg), cells=[c for c in cells if c["ball"] == "l1"],
                l2=[c for c in cells if c["ball"] == "l2"])


def _m(cell):
    """m* per instance, off-grid as inf."""
    return np.array([math.inf if v is None else v for v in cell["m_star"]], float)


LAWS = (laws.affine_law("K^2", lambda c: c["K"] ** 2), laws.affine_law("K", lambda c: c["K"]),
        laws.affine_law("log(1+K)", lambda c: np.log1p(c["K"])), laws.affine_law("p only", lambda c: 0 * c["K"]))
PREDICTED = "K^2"   # eq. (5): m = O(k d log n + K^2 log p); within one p the K^2 term is the law in K


def _table(cells, p, *, nested: bool = True):
    """m* ``[draws, K]`` (off-grid = inf) and the K of one p, in increasing K. ``nested``: each instance's m* made
    non-decreasing in K (a running maximum): the sets are nested, so a pair that breaks S-REC at a smaller K is a
    pair of every larger set, and m*(K) >= m*(K') for K >= K' -- the adversarial search merely missed it."""
    row = sorted((c for c in cells if c["p"] == p), key=lambda c: c["K"])
    Y = np.array([_m(c) for c in row]).T
    return (np.maximum.accumulate(Y, axis=1) if nested else Y), np.array([c["K"] for c in row])


def law_fit(cells, p, *, effect: float, boot: int = 2000) -> laws.LawComparison:
    """m*(K) at one p judged as the law m*_0 + b K^2 against K, log(1+K) and no K dependence
    (:func:`ilo_theory.laws.compare_laws`: leave-one-cell-out error, exponent profiled and bootstrapped)."""
    Y, K = _table(cells, p)
    return laws.compare_laws(Y, dict(K=K), list(LAWS), PREDICTED, exponent=("K", None, 2.0), boot=boot, effect=effect)


def _fell(cells, p) -> int:
    """Instances whose measured m* fell somewhere as K grew (off-grid = inf counts as the largest)."""
    Y = _table(cells, p, nested=False)[0]
    return int(np.sum(np.any(np.where(np.isfinite(Y[:, 1:]), Y[:, 1:], np.inf) < Y[:, :-1], axis=1)))


def claims(result: dict) -> list[ClaimRow]:
    cfg, cells = result["config"], result["cells"]
    fits = {p: law_fit(cells, p, effect=cfg["effect"]) for p in cfg["ps"]}
    v = combine(f.verdict() for f in fits.values())
    coef = {p: f.coefficient for p, f in fits.items()}
    p_lo, p_hi = min(cfg["ps"]), max(cfg["ps"])
    lp = math.log(p_hi) / math.log(p_lo)
    table = "; ".join(f"p={c['p']},K={c['K']:.1f}: median m* {np.median(_m(c)):g}" for c in cells)
    out = [ClaimRow(
        "extended_srec.grows_with_K", "ILO Theorem 1, eq. (5) and Remark 1 [X]",
        "The m needed for S-REC(G2(E), 1-alpha, delta) grows like K^2 (the K^2 log p term): at each p, m*(K) = "
        "m*_0 + b K^2, not b K, b log(1+K) or a constant",
        f"at every p in {list(cfg['ps'])}: the K^2 law has the least held-out error in >= 90% of bootstrap "
        f"replicates, the fitted exponent's 95% CI covers 2 and m* rises by more than x{cfg['effect']:g} to K = sqrt p",
        " | ".join(f"p={p}: {f.summary()}" for p, f in fits.items())
        + " | instances whose m* fell with K (raised to the running maximum, the sets being nested): "
        + ", ".join(f"p={p}: {_fell(cells, p)}" for p in cfg["ps"])
        + (f" | log p factor: b(p={p_hi}) / b(p={p_lo}) = {coef[p_hi][0] / coef[p_lo][0]:.2f} against "
           f"log {p_hi} / log {p_lo} = {lp:.2f} (eq. (5) is an upper bound: b may grow more slowly)"
           if p_hi > p_lo else ""), v,
        f"{fits[p_lo].ci_text()}; every p its own instances; cells: {table}")]
    K = max(cfg["Ks"])
    p_lo, p_hi = min(cfg["ps"]), max(cfg["ps"])
    if p_lo == p_hi:      # a user's generator: one intermediate width, nothing to compare
        out.append(ClaimRow(
            "extended_srec.not_p", "ILO Theorem 1, eq. (5) [X]; Remark 2",
            "At fixed K the m needed does not grow like the intermediate dimension p (only like log p)",
            "two or more p", f"one p ({p_lo}): a single generator has one intermediate width", "inconclusive", ""))
        return out
    by = {(c["p"], c["K"]): _m(c) for c in cells}
    bound = 2.0 * math.log(p_hi) / math.log(p_lo)
    a, b = by[(p_hi, K)], by[(p_lo, K)]
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))) or not (np.all(a > 0) and np.all(b > 0)):
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
    l2 = {(c["p"], c["K"]): c["m_star"] for c in result["l2"]}
    return replace_in(result, ("cells",), [{**c, "m_star": l2.get((c["p"], c["K"]), c["m_star"])}
                                           for c in result["cells"]])


def _rival(law):
    """m* as it would be under a rival law, with the measured noise (:func:`ilo_theory.laws.rival_data`)."""
    def apply(result):
        cells = []
        for p in result["config"]["ps"]:
            Y, K = _table(result["cells"], p)
            R = laws.rival_data(Y, dict(K=K), law, base_cells=K.min() == K, top_cells=K.max() == K)
            row = sorted((c for c in result["cells"] if c["p"] == p), key=lambda c: c["K"])
            cells += [{**c, "m_star": [None if math.isinf(v) else float(v) for v in R[:, j]]}
                      for j, c in enumerate(row)]
        return replace_in(result, ("cells",), cells)
    return apply


CONTROLS = (
    Control("no_extension", "K -> 0: every cell's m* replaced by the range's own (r2 = 0)",
            ("extended_srec.grows_with_K",), _no_extension),
    Control("l2_ball", "the l1 ball replaced by the l2 ball of the same radius (covering number ~ p) where measured",
            ("extended_srec.grows_with_K", "extended_srec.not_p"), _l2_ball),
    *(Control(f"law_{law.name}", f"m* replaced by the rival law m*_0 + b {law.name} (same rise to K = sqrt p, the "
              "measured noise kept)", ("extended_srec.grows_with_K",), _rival(law)) for law in LAWS[1:]),
)


def plot(result: dict):
    """m* against K per p (per-instance points, medians joined, the fitted K^2 law with its 95% band), and m* against
    p at the common K with the l2-ball control, drawn from the saved result."""
    import matplotlib.pyplot as plt
    cfg, cells = result["config"], result["cells"]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.4))
    top = 2 * max(cfg["ms"])
    for p in cfg["ps"]:
        Y, K = _table(cells, p)
        line, = a.plot(K, np.median(np.minimum(Y, top), 0), "o", label=f"p = {p} (median; dots: instances)")
        for j, k in enumerate(K):
            a.plot(np.full(Y.shape[0], k), np.minimum(Y[:, j], top), ".", color=line.get_color(), alpha=0.25)
        f = law_fit(cells, p, effect=cfg["effect"], boot=400)
        if np.isfinite(f.coefficient[0]):
            kk = np.linspace(0, K.max(), 100)
            base = np.median(Y[:, 0])
            a.plot(kk, base + f.coefficient[0] * kk ** 2, "-", color=line.get_color(), lw=1)
            a.fill_between(kk, base + f.coefficient[1] * kk ** 2, base + f.coefficient[2] * kk ** 2,
                           color=line.get_color(), alpha=0.12)
    a.set_yscale("log")
    a.axhline(max(cfg["ms"]), color="k", lw=0.6, ls=":")
    a.set_xlabel("K  (r2 = K delta / L2)")
    a.set_ylabel(f"m* (gamma_hat >= {1 - cfg['alpha']:.1f}); dotted: end of grid")
    a.set_title("lines: fitted m*_0 + b K^2 (band: 95% bootstrap of b)", fontsize=9)
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
