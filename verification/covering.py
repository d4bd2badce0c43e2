r"""Covering numbers of the :math:`\ell_1` ball (docs/theory_notes.md §3): bounds against ε with ε* marked, Maurey's
lemma by
Monte Carlo, an explicit Maurey net for tiny p, and why uniform samples are a weak lower estimate."""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from ilo_theory import covering as C

from ._common import ClaimRow, mean_ci

ID = "covering"


@dataclasses.dataclass(frozen=True)
class Config:
    ps: tuple = (64, 1024)
    mc_p: int = 200
    qs: tuple = (1, 2, 4, 8, 16, 32, 64, 128)
    mc_draws: int = 2000
    net_ps: tuple = (2, 3, 6)
    net_points: int = 3000
    uniform_p: int = 256


DEFAULT = Config()
QUICK = Config(qs=(1, 4, 16, 64), mc_draws=400, net_ps=(2, 3), net_points=500)


def _maurey_mse(rng, x, r, q, draws):
    """E||x - mean of q atoms||^2, atoms ±r e_j with prob |x_j|/r, 0 with the rest (Maurey's empirical method)."""
    p = x.size
    probs = np.concatenate([np.abs(x) / r, [max(0.0, 1 - np.abs(x).sum() / r)]])
    idx = rng.choice(p + 1, size=(draws, q), p=probs / probs.sum())
    means = np.zeros((draws, p))
    for j in range(q):
        sel = idx[:, j] < p
        means[np.nonzero(sel)[0], idx[sel, j]] += r * np.sign(x[idx[sel, j]])
    means /= q
    return float(((means - x) ** 2).sum(1).mean())


def run(cfg: Config, *, seed: int, executor) -> dict:
    rng = np.random.default_rng(seed)
    r = 1.0
    curves = {}
    for p in cfg.ps:
        eps = np.geomspace(1e-3, 1.0, 600)
        M, Vv = C.log_covering_maurey(p, r, eps), C.log_covering_volumetric(p, r, eps)
        better = Vv >= M
        # numerical crossover read off the curves: the smallest eps beyond which Maurey stays below
        last_bad = np.nonzero(~better)[0]
        measured = float(eps[last_bad[-1] + 1]) if last_bad.size else float(eps[0])
        curves[str(p)] = dict(eps=eps, maurey=M, volumetric=Vv, schutt=C.log_covering_schutt(p, r, eps),
                              sudakov=C.log_covering_sudakov(p, r, eps),
                              volume_lower=C.log_covering_l1_volume_lower(p, r, eps),
                              eps_star=C.crossover_scale(p, r), eps_c=C.crossover_scale_continuous(p, r),
                              eps_star_curve=measured)
    p = cfg.mc_p
    pts = {"l1-sphere": C.sample_l1_ball(rng, p, r, 1, sphere=True)[0]}
    for s in (2, 5, 25):  # s = 1 is degenerate: the atom is x itself and the error is 0
        x = np.zeros(p)
        x[rng.choice(p, s, replace=False)] = r / s
        pts[f"sparse s={s}"] = x
    mc = {name: [_maurey_mse(rng, x, r, q, cfg.mc_draws) for q in cfg.qs] for name, x in pts.items()}
    nets = []
    for pp in cfg.net_ps:
        eps = r / 2
        q = int(C.maurey_q(r, eps))
        net = C.maurey_net(pp, r, q)
        x = np.vstack([C.sample_l1_ball(rng, pp, r, cfg.net_points),
                       np.eye(pp) * r, -np.eye(pp) * r])
        dist = np.min(np.linalg.norm(x[:, None] - net[None], axis=2), axis=1)
        nets.append(dict(p=pp, eps=eps, q=q, size=len(net), bound=(2 * pp + 1) ** q, max_dist=float(dist.max())))
    u = C.sample_l1_ball(rng, cfg.uniform_p, r, 2000)
    # exact value: E||x - mean||^2 = (E||a||^2 - ||x||^2)/q = (r ||x||_1 - ||x||_2^2)/q <= r^2/q
    exact = {name: [(r * np.abs(x).sum() - (x ** 2).sum()) / q for q in cfg.qs] for name, x in pts.items()}
    return dict(curves=curves, qs=list(cfg.qs), mc=mc, mc_exact=exact, mc_p=p, nets=nets,
                uniform=dict(p=cfg.uniform_p, mean_l2=float(np.linalg.norm(u, axis=1).mean()),
                             predicted=r * math.sqrt(2 / cfg.uniform_p)))


def claims(result: dict) -> list[ClaimRow]:
    rows = []
    c = result["curves"][max(result["curves"], key=int)]
    p = max(map(int, result["curves"]))
    ratio = c["eps_star"] * math.sqrt(p)
    rows.append(ClaimRow(
        "covering.crossover", "docs/theory_notes.md §3 'Crossover' [D]; Vershynin HDP Cor. 0.0.4 vs 4.2.13",
        "Maurey's l1-ball bound beats the volumetric one above eps* ~ sqrt(2) r / sqrt(p)",
        f"eps* sqrt(p)/r -> sqrt 2 = 1.414 (p = {p})",
        f"eps* sqrt(p)/r = {ratio:.3f} (definition); read off the curves {c['eps_star_curve'] * math.sqrt(p):.3f}",
        "holds" if abs(ratio - math.sqrt(2)) < 0.03 * math.sqrt(2) else "fails"))
    qs = np.array(result["qs"], float)
    worst, slopes = 0.0, []
    for mse in result["mc"].values():
        worst = max(worst, max(m * q for m, q in zip(mse, qs, strict=True)))  # MSE * q / r^2 should be <= 1
        slopes.append(np.polyfit(np.log(qs), np.log(np.maximum(mse, 1e-300)), 1)[0])
    m, lo, hi = mean_ci(slopes)
    rel = [mc / ex for name in result["mc"]
           for mc, ex in zip(result["mc"][name], result["mc_exact"][name], strict=True)]
    rows.append(ClaimRow(
        "covering.maurey_lemma", "Maurey's empirical method (HDP §0.0)",
        "E||x - mean of q i.i.d. atoms||^2 <= r^2/q, scaling like 1/q",
        "max_q q*MSE/r^2 <= 1; slope of log MSE vs log q = -1; MSE = (r||x||_1 - ||x||^2)/q exactly",
        f"max q*MSE/r^2 = {worst:.3f}; mean slope {m:.3f} over {len(slopes)} point types; "
        f"simulated/exact in [{min(rel):.3f}, {max(rel):.3f}]",
        "holds" if worst <= 1.05 and lo - 0.02 <= -1 <= hi + 0.02 and max(abs(x - 1) for x in rel) < 0.15
        else "fails", f"slope 95% CI [{lo:.3f}, {hi:.3f}]"))
    ok = all(n["size"] <= n["bound"] and n["max_dist"] <= n["eps"] + 1e-12 for n in result["nets"])
    rows.append(ClaimRow(
        "covering.explicit_net", "Maurey net (HDP Cor. 0.0.4)", "All averages of q atoms form an eps-net of "
        "B_1^p(r) with at most (2p+1)^q points", "size <= (2p+1)^q and max distance <= eps = r/2",
        "; ".join(f"p={n['p']}: {n['size']} <= {n['bound']}, max dist {n['max_dist']:.3f}" for n in result["nets"]),
        "holds" if ok else "fails"))
    u = result["uniform"]
    rows.append(ClaimRow(
        "covering.uniform_samples", "docs/theory_notes.md §3 check (d)",
        "Uniform samples of B_1^p(r) have l2 norm ~ r sqrt(2/p),"
        " so they miss the sparse directions: greedy covers of them are only weak lower estimates",
        f"mean ||x||_2 = {u['predicted']:.4f} (p = {u['p']})", f"{u['mean_l2']:.4f}",
        "holds" if abs(u["mean_l2"] / u["predicted"] - 1) < 0.05 else "fails"))
    return rows


def plot(result: dict):
    """The claim's figure, drawn from the saved result (save it with :func:`verification._common.save_figure`)."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    for ax, (p, c) in zip(axes[:2], result["curves"].items(), strict=True):
        eps = np.array(c["eps"])
        for key, style in (("volumetric", "-"), ("maurey", "-"), ("sudakov", "--"), ("schutt", ":")):
            ax.loglog(eps, c[key], style, label=key)
        ax.loglog(eps, np.maximum(c["volume_lower"], 1e-1), "-", label="volume lower")
        ax.axvline(c["eps_star"], color="k", lw=0.8, label=f"eps* = {c['eps_star']:.3f}")
        ax.set_title(f"log N(B_1^p(1), eps), p = {p}")
        ax.set_xlabel("eps")
        ax.legend(fontsize=7)
    qs = np.array(result["qs"])
    for name, mse in result["mc"].items():
        axes[2].loglog(qs, mse, "o-", label=name)
    axes[2].loglog(qs, 1.0 / qs, "k--", label="r^2/q")
    axes[2].set_title(f"Maurey's lemma, p = {result['mc_p']}")
    axes[2].set_xlabel("q")
    axes[2].set_ylabel("E||x - mean||^2")
    axes[2].legend(fontsize=7)
    fig.tight_layout()
    return fig
