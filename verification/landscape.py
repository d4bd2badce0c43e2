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

from ._common import ClaimRow, wilson

ID = "landscape"


@dataclasses.dataclass(frozen=True)
class Config:
    depths: tuple = (2, 3, 4, 5)
    width: int = 2000
    line_points: int = 601
    gd_starts: int = 100
    gd_steps: int = 600
    gd_widths: tuple = (2, 400, 1600)
    wdc_widths: tuple = (50, 200, 800, 3200)
    wdc_pairs: int = 300


DEFAULT = Config()
QUICK = Config(depths=(2, 3), width=800, line_points=301, gd_starts=30, gd_steps=300, wdc_widths=(50, 400, 3200),
               wdc_pairs=60)


def _spurious(depth, width, points, gen):
    G = ReLUGenerator((2,) + (width,) * depth, rng=gen, dtype=torch.float32)
    x0 = torch.tensor([1.0, 0.0])
    t = torch.linspace(0, 1.5, points)
    with torch.no_grad():
        f = ((G(-t[:, None] * x0) - G(x0[None])) ** 2).sum(1)
    return float(t[int(torch.argmin(f))])


def _gd(G, x0, starts, steps, negate, gen):
    d = G.num_blocks
    x = torch.randn(starts, 2, generator=gen, dtype=torch.float64) * 1.5
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


def run(cfg: Config, *, seed: int, executor) -> dict:
    gen = torch.Generator().manual_seed(seed)
    spurious = [dict(d=d, t_hat=_spurious(d, cfg.width, cfg.line_points, gen), rho=L.rho(d)) for d in cfg.depths]
    G = ReLUGenerator(cfg.gd_widths, rng=gen)
    x0 = torch.tensor([1.0, 0.3], dtype=torch.float64)
    gd = {}
    for negate in (False, True):
        a, b, ends = _gd(G, x0, cfg.gd_starts, cfg.gd_steps, negate, gen)
        gd["with negation" if negate else "plain"] = dict(near_x0=a, near_spurious=b, n=cfg.gd_starts, ends=ends)
    rng = np.random.default_rng(seed)
    wdc = []
    k = 5
    for n in cfg.wdc_widths:
        W = rng.standard_normal((n, k)) / math.sqrt(n)
        dev = max(L.wdc_deviation(W, rng.standard_normal(k), rng.standard_normal(k)) for _ in range(cfg.wdc_pairs))
        wdc.append(dict(n=n, deviation=dev, predicted=math.sqrt(k * math.log(n) / n)))
    return dict(spurious=spurious, gd=gd, x0=x0.numpy(), rho_gd=L.rho(G.num_blocks), wdc=wdc)


def claims(result: dict) -> list[ClaimRow]:
    sp = result["spurious"]
    err = max(abs(s["t_hat"] - s["rho"]) for s in sp)
    rows = [ClaimRow(
        "landscape.spurious_point", "Hand & Voroninski 2018, Thm 1 (rho_d)",
        "Along -x0 the loss of a random ReLU net has its minimiser near -rho_d x0",
        "t_hat = rho_d: " + ", ".join(f"d={s['d']}: {s['rho']:.3f}" for s in sp),
        ", ".join(f"d={s['d']}: {s['t_hat']:.3f}" for s in sp), "holds" if err <= 0.1 else "fails",
        f"max |t_hat - rho_d| = {err:.3f} (finite width)")]
    plain, neg = result["gd"]["plain"], result["gd"]["with negation"]
    lo, hi = wilson(neg["near_x0"], neg["n"])
    rows.append(ClaimRow(
        "landscape.negation_step", "Huang, Hand, Heckel, Voroninski 2018",
        "Gradient descent with the negation check reaches x0 from every start (without it, runs can stall "
        "near -rho_d x0: the fraction observed is reported)", "with negation: all starts reach x0",
        f"with negation {neg['near_x0']}/{neg['n']} reach x0; plain {plain['near_x0']}/{plain['n']} reach x0, "
        f"{plain['near_spurious']}/{plain['n']} end near -rho_d x0",
        "holds" if neg["near_x0"] == neg["n"] else "fails", f"95% Wilson for 'with negation': [{lo:.3f}, {hi:.3f}]"))
    n = np.array([w["n"] for w in result["wdc"]], float)
    dev = np.array([w["deviation"] for w in result["wdc"]])
    slope = float(np.polyfit(np.log(n), np.log(dev), 1)[0])
    rows.append(ClaimRow(
        "landscape.wdc", "Hand & Voroninski 2018, Lemma 9 (WDC)",
        "The WDC deviation of an n x k Gaussian layer decays like sqrt(k log n / n)",
        "log-log slope ~ -0.5 (-0.5 plus a log factor)", f"slope {slope:.3f}; deviations "
        + ", ".join(f"n={int(a)}: {b:.3f}" for a, b in zip(n, dev, strict=True)),
        "holds" if -0.65 <= slope <= -0.3 else "fails"))
    return rows


def plot(result: dict):
    """The claim's figure, drawn from the saved result (save it with :func:`verification._common.save_figure`)."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    sp = result["spurious"]
    d = np.arange(1, 11)
    axes[0].plot(d, [L.rho(int(i)) for i in d], "-", label="rho_d (theory)")
    axes[0].plot([s["d"] for s in sp], [s["t_hat"] for s in sp], "o", label="measured minimiser along -x0")
    axes[0].set_xlabel("depth d")
    axes[0].legend()
    x0 = np.array(result["x0"])
    e = np.array(result["gd"]["plain"]["ends"])
    axes[1].plot(e[:, 0], e[:, 1], ".", label="plain GD end points")
    e = np.array(result["gd"]["with negation"]["ends"])
    axes[1].plot(e[:, 0], e[:, 1], "x", label="with negation")
    axes[1].plot([x0[0], -result["rho_gd"] * x0[0]], [x0[1], -result["rho_gd"] * x0[1]], "r*", ms=12,
                 label="x0 and -rho_d x0")
    axes[1].legend(fontsize=7)
    axes[1].set_title("gradient descent end points")
    n = [w["n"] for w in result["wdc"]]
    axes[2].loglog(n, [w["deviation"] for w in result["wdc"]], "o-", label="max WDC deviation")
    axes[2].loglog(n, [w["predicted"] for w in result["wdc"]], "k--", label="sqrt(k log n / n)")
    axes[2].set_xlabel("width n")
    axes[2].legend()
    fig.tight_layout()
    return fig
