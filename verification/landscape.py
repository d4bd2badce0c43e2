r"""Hand-Voroninski landscape checks (docs/theory_notes.md §7): the spurious critical point near :math:`-\rho_dx_0`,
gradient
descent with and without the negation step, and the WDC deviation decaying with width."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch

from ilo_solver.generators import ReLUGenerator
from ilo_theory import landscape as L
from ilo_theory import laws

from ._common import ClaimRow, Control, combine, mean_ci, paired_bootstrap, replace_in, threshold_verdict, wilson

ID = "landscape"


@dataclasses.dataclass(frozen=True)
class Config:
    depths: tuple = (2, 3, 4, 5)
    width: int = 4000
    line_points: int = 601
    gd_starts: int = 40
    gd_steps: int = 600
    gd_widths: tuple = (2, 200, 400, 800)   # depth 3: deep enough for plain descent to stall at -rho_d x0
    wdc_widths: tuple = (50, 200, 800, 3200)
    wdc_pairs: int = 300
    wdc_climb: int = 60
    wdc_networks: int = 8            # independent layers per width (the CI of the exponent is over them)
    networks: int = 20          # independent networks per depth for the spurious point
    gd_networks: int = 5


DEFAULT = Config()
QUICK = Config(depths=(2, 3), width=800, line_points=301, gd_starts=20, gd_steps=300, wdc_widths=(50, 400, 3200),
               wdc_pairs=60, wdc_climb=30, wdc_networks=4, networks=10, gd_networks=3)


def _spurious(depth, width, points, gen):
    G = ReLUGenerator((2,) + (width,) * depth, rng=gen, dtype=torch.float32)
    x0 = torch.tensor([1.0, 0.0])
    t = torch.linspace(0, 1.5, points)
    with torch.no_grad():
        f = ((G(-t[:, None] * x0) - G(x0[None])) ** 2).sum(1)
    return float(t[int(torch.argmin(f))])


def _gd(G, x0, starts, steps, negate, gen):
    d = G.num_blocks
    # half random starts, half hard ones: on the ray through -x0 (the spurious point's basin), slightly perturbed
    hard = starts // 2
    t = 0.2 + 1.3 * torch.rand(hard, 1, generator=gen, dtype=torch.float64)
    x = torch.cat([torch.randn(starts - hard, 2, generator=gen, dtype=torch.float64) * 1.5,
                   -t * x0 + 0.02 * torch.randn(hard, 2, generator=gen, dtype=torch.float64)])
    target = G(x0[None])
    lr = 0.5 * 2 ** d
    for _ in range(steps):
        x.requires_grad_(True)
        f = 0.5 * ((G(x) - target) ** 2).sum(1)
        (g,) = torch.autograd.grad(f.sum(), x)
        with torch.no_grad():
            x = x - lr * g
            if negate:  # Huang-Hand-Heckel-Voroninski: negate if that lowers the loss
                fx = ((G(x) - target) ** 2).sum(1)
                fm = ((G(-x) - target) ** 2).sum(1)
                x = torch.where((fm < fx)[:, None], -x, x)
    x = x.detach()
    near_x0 = (x - x0).norm(dim=1) <= 0.1 * x0.norm()
    near_sp = (x + L.rho(d) * x0).norm(dim=1) <= 0.25 * x0.norm()
    return int(near_x0.sum()), int(near_sp.sum()), x.numpy()


def _wdc_sup(W, rng, pairs, climb):
    """An adversarial sup of the WDC deviation over (x, y): the worst of ``pairs`` random pairs, then a random
    local search (``climb`` perturbations of shrinking size, kept when they raise the deviation) from the 5 worst."""
    k = W.shape[1]
    cand = [(L.wdc_deviation(W, x, y), x, y) for x, y in rng.standard_normal((pairs, 2, k))]
    cand.sort(key=lambda c: -c[0])
    best = cand[0][0]
    for dev, x, y in cand[:5]:
        for i in range(climb):
            step = 0.3 * (1 - i / climb) + 0.01
            x2, y2 = x + step * rng.standard_normal(k), y + step * rng.standard_normal(k)
            d2 = L.wdc_deviation(W, x2, y2)
            if d2 > dev:
                dev, x, y = d2, x2, y2
        best = max(best, dev)
    return best


def run(cfg: Config, *, seed: int, executor) -> dict:
    gen = torch.Generator().manual_seed(seed)
    spurious = [dict(d=d, t_hat=[_spurious(d, cfg.width, cfg.line_points, gen) for _ in range(cfg.networks)],
                     rho=L.rho(d)) for d in cfg.depths]
    x0 = torch.tensor([1.0, 0.3], dtype=torch.float64)
    gd = {"plain": dict(near_x0=0, near_spurious=0, n=0, ends=[]),
          "with negation": dict(near_x0=0, near_spurious=0, n=0, ends=[])}
    for _ in range(cfg.gd_networks):      # independent networks; both methods from the same starts' law
        G = ReLUGenerator(cfg.gd_widths, rng=gen)
        for negate in (False, True):
            a, b, ends = _gd(G, x0, cfg.gd_starts, cfg.gd_steps, negate, gen)
            row = gd["with negation" if negate else "plain"]
            row["near_x0"] += a
            row["near_spurious"] += b
            row["n"] += cfg.gd_starts
            row["ends"].extend(ends.tolist())
    rng = np.random.default_rng(seed)
    wdc = []
    k = 5
    fixed = rng.standard_normal((2, k))          # one pair (x, y) for every layer: the fixed-pair control
    for n in cfg.wdc_widths:
        row = dict(n=n, deviation=[], deviation_repeated=[], deviation_fixed=[],
                   predicted=math.sqrt(k * math.log(n) / n))
        for _ in range(cfg.wdc_networks):
            W = rng.standard_normal((n, k)) / math.sqrt(n)
            # the control: a layer of only 10 distinct rows, repeated (rescaled to the same row variance)
            Wr = np.repeat(rng.standard_normal((10, k)), -(-n // 10), axis=0)[:n] / math.sqrt(n)
            row["deviation"].append(_wdc_sup(W, rng, cfg.wdc_pairs, cfg.wdc_climb))
            row["deviation_repeated"].append(_wdc_sup(Wr, rng, cfg.wdc_pairs, cfg.wdc_climb))
            row["deviation_fixed"].append(L.wdc_deviation(W, *fixed))
        wdc.append(row)
    return dict(spurious=spurious, gd=gd, x0=x0.numpy(), rho_gd=L.rho(len(cfg.gd_widths) - 1), wdc=wdc,
                rho_table={d: L.rho(d) for d in range(1, max(cfg.depths) + 2)})


def claims(result: dict) -> list[ClaimRow]:
    sp = result["spurious"]
    table = {int(d): r for d, r in result["rho_table"].items()}
    parts, verdicts = [], []
    for s_ in sp:
        d = s_["d"]
        gaps = [abs(table[d] - table[e]) for e in (d - 1, d + 1) if e in table]
        tol = 0.5 * min(gaps)               # below half the gap to the neighbouring depths' rho
        m, lo, hi = mean_ci(s_["t_hat"])
        off = abs(m - s_["rho"])
        half = (hi - lo) / 2
        verdicts.append("holds" if off + half < tol else "fails" if off - half > tol else "inconclusive")
        parts.append(f"d={d}: {m:.3f} [{lo:.3f}, {hi:.3f}] vs rho_d {s_['rho']:.3f} (tol {tol:.3f})")
    v = combine(verdicts)
    rows = [ClaimRow(
        "landscape.spurious_point", "Hand & Voroninski 2018, Thm 1 (rho_d)",
        "Along -x0 the loss of a random ReLU net has its minimiser near -rho_d x0",
        "mean t_hat within half the gap to the neighbouring rho_(d+-1) of rho_d, at every depth",
        "; ".join(parts), v, f"95% t-intervals over {len(sp[0]['t_hat'])} independent networks per depth")]
    plain, neg = result["gd"]["plain"], result["gd"]["with negation"]
    lo, hi = wilson(neg["near_x0"], neg["n"])
    rows.append(ClaimRow(
        "landscape.negation_step", "Huang, Hand, Heckel, Voroninski 2018",
        "Gradient descent with the negation check reaches x0 from every start (without it, runs can stall "
        "near -rho_d x0)", "with negation: all starts reach x0 (half random, half on the ray through -x0)",
        f"with negation {neg['near_x0']}/{neg['n']} reach x0; plain {plain['near_x0']}/{plain['n']} reach x0, "
        f"{plain['near_spurious']}/{plain['n']} end near -rho_d x0",
        "holds" if neg["near_x0"] == neg["n"] else "fails", f"95% Wilson for 'with negation': [{lo:.3f}, {hi:.3f}]"))
    n = np.array([w["n"] for w in result["wdc"]], float)
    dev = np.array([w["deviation"] for w in result["wdc"]], float).T          # [networks, widths]
    logf = float(np.polyfit(np.log(n), 0.5 * np.log(np.log(n) / n), 1)[0])  # sqrt(k log n / n)'s slope here
    est = laws.power_exponent(dev, n)
    rivals = {"n^-1/4": -0.25, "n^-1": -1.0}
    fixed = np.array([w["deviation_fixed"] for w in result["wdc"]], float).T
    ratio = [paired_bootstrap(dev[:, j], fixed[:, j]) for j in range(n.size)]
    v = combine([laws.judge_exponent(est, -0.5, rivals)] + [threshold_verdict(r[1], r[2], 1.25) for r in ratio])
    rows.append(ClaimRow(
        "landscape.wdc", "Hand & Voroninski 2018, Lemma 9 (WDC)",
        "The WDC deviation of an n x k Gaussian layer, a sup over all pairs (x, y), decays like n^-1/2 (Lemma 9 "
        "bounds it by sqrt(k log n / n); the log n is its union bound's: a sup over a fixed k-dimensional set "
        "scales like sqrt(k / n))",
        "the exponent's 95% CI covers -0.5 and excludes " + ", ".join(f"{v_:g} ({k_})" for k_, v_ in rivals.items())
        + "; the sup exceeds one fixed pair's deviation by > x1.25 at every n (it is a sup)",
        f"exponent {est[0]:.3f} [{est[1]:.3f}, {est[2]:.3f}] (sqrt(k log n / n) would give {logf:.3f} here); mean "
        "sup deviation / sqrt(k log n / n): " + ", ".join(
            f"n={int(a)}: {b:.3f} / {w['predicted']:.3f}"
            for a, b, w in zip(n, dev.mean(0), result["wdc"], strict=True))
        + "; sup / fixed pair: " + ", ".join(f"x{r[0]:.1f} [{r[1]:.1f}, {r[2]:.1f}]" for r in ratio), v,
        f"95% bootstrap over {dev.shape[0]} independent layers per n (exponent: each n resampled on its own; ratio: "
        "paired by layer); each deviation an adversarial sup (random pairs + local search) over (x, y)"))
    return rows


def _wrong_depth(result):
    """Each depth's measurement compared with the next depth's rho (a wrong exponent of the recursion)."""
    table = {int(d): r for d, r in result["rho_table"].items()}
    return replace_in(result, ("spurious",), [{**s, "rho": table[s["d"] + 1]} for s in result["spurious"]])


CONTROLS = (
    Control("wrong_depth", "rho_(d+1) predicted for a depth-d network", ("landscape.spurious_point",), _wrong_depth),
    Control("no_negation", "plain gradient descent (the negation step removed)", ("landscape.negation_step",),
            lambda res: replace_in(res, ("gd", "with negation"), res["gd"]["plain"])),
    Control("repeated_rows", "a layer of 10 distinct rows repeated (not i.i.d. Gaussian)", ("landscape.wdc",),
            lambda res: replace_in(res, ("wdc",), [{**w, "deviation": w["deviation_repeated"]} for w in res["wdc"]])),
    Control("fixed_pair", "one fixed pair (x, y) for every layer instead of the sup over pairs", ("landscape.wdc",),
            lambda res: replace_in(res, ("wdc",), [{**w, "deviation": w["deviation_fixed"]} for w in res["wdc"]])),
)


def plot(result: dict):
    """The claim's figure, drawn from the saved result (save it with :func:`verification._common.save_figure`)."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    sp = result["spurious"]
    d = np.arange(1, 11)
    axes[0].plot(d, [L.rho(int(i)) for i in d], "-", label="rho_d (theory)")
    for s in sp:
        axes[0].plot([s["d"]] * len(s["t_hat"]), s["t_hat"], ".", color="C1", alpha=0.5)
    axes[0].plot([s["d"] for s in sp], [np.mean(s["t_hat"]) for s in sp], "o", color="C1",
                 label="measured minimiser along -x0 (mean; dots: networks)")
    axes[0].set(xlabel="depth d", ylabel="t: the loss's minimiser along -t x0", title="where the spurious point sits")
    axes[0].legend(loc="lower right", fontsize=8)
    x0 = np.array(result["x0"])
    e = np.array(result["gd"]["plain"]["ends"])
    axes[1].plot(e[:, 0], e[:, 1], ".", label="plain GD end points")
    e = np.array(result["gd"]["with negation"]["ends"])
    axes[1].plot(e[:, 0], e[:, 1], "x", label="with negation")
    axes[1].plot([x0[0], -result["rho_gd"] * x0[0]], [x0[1], -result["rho_gd"] * x0[1]], "r*", ms=12,
                 label="x0 and -rho_d x0")
    axes[1].legend(fontsize=7)
    axes[1].set(xlabel="latent coordinate 1", ylabel="latent coordinate 2", title="gradient descent end points")
    n = [w["n"] for w in result["wdc"]]
    axes[2].loglog(n, [np.mean(w["deviation"]) for w in result["wdc"]], "o-", label="sup WDC deviation (mean)")
    axes[2].loglog(n, [np.mean(w["deviation_fixed"]) for w in result["wdc"]], "s:", label="one fixed pair (control)")
    axes[2].loglog(n, [w["predicted"] for w in result["wdc"]], "k--", label="sqrt(k log n / n)")
    axes[2].set(xlabel="width n", ylabel="WDC deviation (operator norm)", title="weight distribution condition")
    axes[2].legend()
    fig.tight_layout()
    return fig
