r"""S-REC on the range of a random ReLU generator (Bora et al. 2017, Lemma 4.2) and the fixed-x event.

- :math:`\hat\gamma(m)` from random pairs **and** an adversarial search (Adam on the pair, restarts) -- the
  adversarial value is the honest estimate, random pairs overestimate γ. Lemma 4.2 predicts
  :math:`1-\gamma\propto\sqrt{kd\log n/m}`: we fit the log-log slope of :math:`1-\hat\gamma` against m.
- :math:`P(\|Ax\|>2\|x\|)` against the exact chi-square tail (docs/theory_notes.md §1 [D]).
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch

from ilo_solver.optim import minimize

from ilo_solver.generators import ReLUGenerator
from ilo_solver.operators import GaussianCS
from ilo_theory import srec as T

from ._common import ClaimRow, wilson

ID = "srec"


@dataclasses.dataclass(frozen=True)
class Config:
    widths: tuple = (5, 50, 200)
    ms: tuple = (20, 40, 80, 160, 320)
    trials: int = 3
    random_pairs: int = 10_000
    restarts: int = 10
    adv_steps: int = 300
    tail_ms: tuple = (1, 2, 3, 4, 6, 8)
    tail_draws: int = 40_000


DEFAULT = Config()
QUICK = Config(ms=(20, 80, 320), trials=2, random_pairs=2000, restarts=4, adv_steps=80, tail_draws=10_000)


def _gamma_hats(G, op, pairs, restarts, steps, gen):
    k = G.widths[0]
    z1 = torch.randn(pairs, k, generator=gen, dtype=torch.float64)
    z2 = torch.randn(pairs, k, generator=gen, dtype=torch.float64)

    def ratio(a, b):
        d = G(a) - G(b)
        return op(d).norm(dim=1) / d.norm(dim=1).clamp_min(1e-300)

    with torch.no_grad():
        r_rand = ratio(z1, z2)
    g_rand = float(r_rand.min())
    # adversarial: start from the worst random pairs, Adam on (z1, z2) minimising the ratio
    idx = torch.argsort(r_rand)[:restarts]

    def objective(vs):
        r = ratio(*vs)
        return r, r.detach().min(), None

    res = minimize([z1[idx], z2[idx]], objective, steps=steps, lr=0.02, record=None, keep_best=True,
                   best_init=(r_rand.min(), None))
    return g_rand, float(res.best_score)


def run(cfg: Config, *, seed: int, executor) -> dict:
    gen = torch.Generator().manual_seed(seed)
    G = ReLUGenerator(cfg.widths, rng=gen)
    n, k, d = cfg.widths[-1], cfg.widths[0], len(cfg.widths) - 1
    rows = []
    for m in cfg.ms:
        for t in range(cfg.trials):
            op = GaussianCS((n,), m, rng=gen, dtype=torch.float64)
            g_rand, g_adv = _gamma_hats(G, op, cfg.random_pairs, cfg.restarts, cfg.adv_steps, gen)
            rows.append(dict(m=m, trial=t, gamma_random=g_rand, gamma_adversarial=g_adv))
    # fixed-x event: A x for a fixed x, with A drawn afresh each time
    x = G(torch.randn(1, k, generator=gen, dtype=torch.float64))[0]
    tail = []
    for m in cfg.tail_ms:
        hits = 0
        for start in range(0, cfg.tail_draws, 2000):
            b = min(2000, cfg.tail_draws - start)
            A = torch.randn(b, m, n, generator=gen, dtype=torch.float64) / math.sqrt(m)
            hits += int(((A @ x).norm(dim=1) > 2 * x.norm()).sum())
        tail.append(dict(m=m, hits=hits, draws=cfg.tail_draws, exact=T.norm_exceeds_probability(m)))
    return dict(k=k, d=d, n=n, rows=rows, tail=tail)


def _slope(result):
    ms = np.array(sorted({r["m"] for r in result["rows"]}), float)
    y = np.array([np.mean([1 - r["gamma_adversarial"] for r in result["rows"] if r["m"] == m]) for m in ms])
    X = np.log(ms)
    A = np.vstack([X, np.ones_like(X)]).T
    coef, res, *_ = np.linalg.lstsq(A, np.log(y), rcond=None)
    dof = max(1, len(ms) - 2)
    s2 = float(res[0]) / dof if res.size else 0.0
    se = math.sqrt(s2 / np.sum((X - X.mean()) ** 2))
    return float(coef[0]), se, ms, y


def claims(result: dict) -> list[ClaimRow]:
    slope, se, ms, y = _slope(result)
    lo, hi = slope - 2 * se, slope + 2 * se
    rand_higher = all(r["gamma_random"] >= r["gamma_adversarial"] for r in result["rows"])
    out = [ClaimRow(
        "srec.rate", "Bora et al. 2017, Lemma 4.2",
        "1 - gamma_hat(m) of a Gaussian A on the range of a d-layer ReLU net decays like sqrt(k d log n / m)",
        "log-log slope of (1 - gamma) vs m = -0.5",
        f"slope {slope:.3f} (adversarial gamma; m = {int(ms[0])}..{int(ms[-1])}; random pairs always "
        f"{'over' if rand_higher else 'not always over'}estimate gamma)",
        "holds" if lo <= -0.5 <= hi or abs(slope + 0.5) <= 0.15 else "fails", f"+-2se [{lo:.3f}, {hi:.3f}]")]
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


def plot(result: dict):
    """The claim's figure, drawn from the saved result (save it with :func:`verification._common.save_figure`)."""
    import matplotlib.pyplot as plt
    k, d, n = result["k"], result["d"], result["n"]
    slope, _, ms, y = _slope(result)
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    xs = np.sqrt(k * d * np.log(n) / ms)
    yr = [np.mean([1 - r["gamma_random"] for r in result["rows"] if r["m"] == m]) for m in ms]
    a.plot(xs, y, "o-", label="adversarial search")
    a.plot(xs, yr, "s--", label="random pairs (optimistic)")
    a.set_xlabel("sqrt(k d log n / m)")
    a.set_ylabel("1 - gamma_hat")
    a.set_title(f"S-REC on G(R^k), k={k}, d={d}, n={n}; slope {slope:.2f}")
    a.legend()
    tm = [t["m"] for t in result["tail"]]
    b.semilogy(tm, [t["exact"] for t in result["tail"]], "-", label="exact chi-square tail")
    cis = [wilson(t["hits"], t["draws"]) for t in result["tail"]]
    p = [t["hits"] / t["draws"] for t in result["tail"]]
    lo_hi = [[pi - c[0] for pi, c in zip(p, cis, strict=True)], [c[1] - pi for pi, c in zip(p, cis, strict=True)]]
    b.errorbar(tm, p, yerr=lo_hi, fmt="o", label="simulated (95% CI)")
    b.set_xlabel("m")
    b.set_ylabel("P(||Ax|| > 2||x||)")
    b.legend()
    fig.tight_layout()
    return fig
