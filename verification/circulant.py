r"""Partial circulant vs Gaussian measurements (ILO Lemma 1; docs/theory_notes.md §4): the FFT operator against the
dense
oracle, the normalisation :math:`E\|Ax\|^2=\|x\|^2`, and JL distortion / S-REC on the same sets as m grows."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch

from ilo_solver.generators import ReLUGenerator, ReLUGeneratorBatch
from ilo_solver.physics.operators import GaussianCS, PartialCirculant
from ilo_solver.solvers.extended_range import srec_extended_range

from ._common import ClaimRow, Control, combine, mean_ci, paired_bootstrap, replace_in, threshold_verdict

ID = "circulant"


@dataclasses.dataclass(frozen=True)
class Config:
    n: int = 1024
    ms: tuple = (32, 64, 128, 256, 512)
    norm_draws: int = 300
    points: int = 100
    trials: int = 40            # operators per (kind, m): the constant set is one direction per operator
    srec_ms: tuple = (64, 128, 256, 512)
    srec_draws: int = 48        # independent instances (G, A) per m for S-REC on G2(E)
    srec_effect: float = 1.25   # the largest median (1 - gamma_hat) ratio circulant / Gaussian that counts as "as well"
    srec_K: float = 4.0
    srec_steps: int = 100


DEFAULT = Config()
QUICK = Config(ms=(32, 256), norm_draws=100, points=50, trials=20, srec_ms=(64, 512), srec_draws=8, srec_steps=40)


def _sets(n, P, gen):
    """Point sets to embed: random, sparse, smooth and constant vectors (the hard ones for a circulant without
    signs: a cyclic shift of g sees them all alike) and differences of a random generator's outputs."""
    dt = torch.float64
    rnd = torch.randn(P, n, generator=gen, dtype=dt)
    sparse = torch.zeros(P, n, dtype=dt)
    idx = torch.randint(0, n, (P, 5), generator=gen)
    sparse.scatter_(1, idx, torch.randn(P, 5, generator=gen, dtype=dt))
    t = torch.arange(n, dtype=dt) / n
    freq = torch.randint(1, 4, (P, 1), generator=gen).to(dt)
    smooth = torch.cos(2 * math.pi * freq * t + 2 * math.pi * torch.rand(P, 1, generator=gen, dtype=dt)) + 1.5
    const = torch.ones(P, n, dtype=dt) * torch.randn(P, 1, generator=gen, dtype=dt)
    G = ReLUGenerator((8, 128, n), rng=gen)
    z = torch.randn(2 * P, 8, generator=gen, dtype=dt)
    return {"random": rnd, "5-sparse": sparse, "smooth": smooth, "constant": const,
            "generator range differences": G(z[:P]) - G(z[P:])}


KINDS = ("gaussian", "circulant", "circulant without signs")
LOW_PASS = "circulant with a low-pass filter"


def _operator(kind, n, m, gen):
    if kind == "gaussian":
        return GaussianCS((n,), m, rng=gen, dtype=torch.float64)
    op = PartialCirculant((n,), m, rng=gen, dtype=torch.float64)
    if kind == "circulant without signs":   # a control: the random signs removed
        op.signs.fill_(1.0)
    if kind == LOW_PASS:                    # a control: g band-limited to its lowest n/32 frequencies (rescaled)
        spec = torch.fft.rfft(op.filter)
        spec[n // 32:] = 0
        g = torch.fft.irfft(spec, n=n)
        op.filter.copy_(g * (op.filter.norm() / g.norm()))
    return op


def run(cfg: Config, *, seed: int, executor) -> dict:
    gen = torch.Generator().manual_seed(seed)
    n = cfg.n
    op = PartialCirculant((n,), cfg.ms[0], rng=gen, dtype=torch.float64)
    x = torch.randn(4, n, generator=gen, dtype=torch.float64)
    oracle = op.dense_oracle()
    oracle_err = float(np.abs(op(x).numpy() - x.numpy() @ oracle.T).max())
    # the control: an oracle that forgets the signs (the FFT path must disagree with it)
    unsigned_err = float(np.abs(op(x).numpy() - x.numpy() @ (oracle * op.signs.numpy()[None, :]).T).max())
    # normalisation: ||Ax||^2/||x||^2 over fresh operators for three kinds of x
    probes = {"random": torch.randn(1, n, generator=gen, dtype=torch.float64),
              "1-sparse": torch.eye(n, dtype=torch.float64)[:1], "constant": torch.ones(1, n, dtype=torch.float64)}
    norms = {k: [float((PartialCirculant((n,), cfg.ms[0], rng=gen, dtype=torch.float64)(v) ** 2).sum()
                       / (v ** 2).sum()) for _ in range(cfg.norm_draws)] for k, v in probes.items()}
    sets = _sets(n, cfg.points, gen)
    jl = []
    for m in cfg.ms:
        for kind in KINDS:
            for t in range(cfg.trials):
                A = _operator(kind, n, m, gen)
                for name, V in sets.items():
                    ratio = (A(V) ** 2).sum(1) / (V ** 2).sum(1)
                    jl.append(dict(m=m, kind=kind, trial=t, set=name, distortion=float((ratio - 1).abs().max()),
                                   rms=float((ratio - 1).pow(2).mean()), gamma=float(ratio.sqrt().min())))
    return dict(n=n, ms=list(cfg.ms), m_norm=cfg.ms[0], oracle_err=oracle_err, unsigned_oracle_err=unsigned_err,
                norms=norms, jl=jl, srec=_srec_extended(cfg, gen), srec_effect=cfg.srec_effect)


def _srec_extended(cfg: Config, gen) -> dict:
    """Adversarial S-REC of ILO's extended range G2(E) (k = 4, p = 128, n; r2 = K delta / L2) for Gaussian, partial
    circulant and unsigned circulant A on the same independent instances (ILO Lemma 1's setting)."""
    I, n = cfg.srec_draws, cfg.n
    G = ReLUGeneratorBatch(I, (4, 128, n), rng=gen)
    L2 = G.lipschitz_upper(1, 2)
    delta = 0.05 * G(torch.randn(I * 32, 4, generator=gen, dtype=torch.float64)).norm(dim=1).view(I, 32).mean(1)
    out = {kind: [] for kind in (*KINDS, LOW_PASS)}
    for m in cfg.srec_ms:
        for kind in out:
            A = torch.stack([_operator(kind, n, m, gen).dense() for _ in range(I)])
            g = srec_extended_range(G, A, r1=4.0, r2=cfg.srec_K * delta / L2, delta=delta, pairs=200,
                                    hard_pairs=50, flat=(math.ceil(cfg.srec_K ** 2),), restarts=4,
                                    steps=cfg.srec_steps, rng=gen)
            out[kind].append(g.tolist())
    return dict(ms=list(cfg.srec_ms), K=cfg.srec_K, **out)


def _avg(result, kind, m, key, set_=None):
    return float(np.mean([r[key] for r in result["jl"] if r["kind"] == kind and r["m"] == m
                          and (set_ is None or r["set"] == set_)]))


def claims(result: dict) -> list[ClaimRow]:
    rows = [ClaimRow("circulant.fft_oracle", "docs/theory_notes.md §4 implementation [D]",
                     "The FFT partial circulant equals P_Omega circulant(g) D / sqrt(m) (scipy dense oracle)",
                     "max abs difference <= 1e-10", f"{result['oracle_err']:.2e}",
                     "holds" if result["oracle_err"] <= 1e-10 else "fails")]
    parts, ok = [], True
    for k, v in result["norms"].items():
        m, lo, hi = mean_ci(v, 0.99)
        ok &= lo <= 1 <= hi
        parts.append(f"{k}: {m:.3f} [{lo:.3f}, {hi:.3f}]")
    rows.append(ClaimRow("circulant.isotropy", "docs/theory_notes.md §4 normalisation [D]",
                         "E||Ax||^2 = ||x||^2 for every fixed x (each row is a signed cyclic shift of g)",
                         "1 for random, sparse and constant x", "; ".join(parts),
                         "holds" if ok else "fails", "99% t-intervals"))
    sets = sorted({r["set"] for r in result["jl"]})
    ratios = {(m, st): (_avg(result, "circulant", m, "rms", st) / _avg(result, "gaussian", m, "rms", st)) ** 0.5
              for m in result["ms"] for st in sets}
    worst = max(ratios, key=ratios.get)
    per_set = {st: max(ratios[(m, st)] for m in result["ms"]) for st in sets}
    rows.append(ClaimRow(
        "circulant.jl_vs_gaussian", "ILO Lemma 1 [X]; Krahmer-Ward 2011; Hinrichs-Vybiral 2011",
        "Partial circulant A with random signs embeds random, sparse, smooth and constant vectors and generator "
        "differences nearly as well as a Gaussian A (theory pays polylog factors, e.g. log^4 n)",
        "rms distortion ratio circulant/Gaussian < 2 for every set and m (rms of ||Ax||^2/||x||^2 - 1 over the "
        "set's points and the operators)",
        "worst ratio per set over m: " + ", ".join(f"{st}: {v:.2f}" for st, v in per_set.items())
        + f"; worst {ratios[worst]:.2f} (m = {worst[0]}, {worst[1]})",
        "holds" if ratios[worst] < 2.0 else "fails",
        f"mean over {max(r['trial'] for r in result['jl']) + 1} operators per (m, set); the log^4 n factor of the "
        f"bound is not visible at n = {result['n']}"))
    sr = result["srec"]
    eff = result.get("srec_effect", 1.5)
    gap = [paired_bootstrap(1 - np.array(c), 1 - np.array(g))
           for c, g in zip(sr["circulant"], sr["gaussian"], strict=True)]
    rows.append(ClaimRow(
        "circulant.srec_extended", "ILO Lemma 1 [X]",
        "S-REC(G2(E), gamma, delta) with a partial circulant A holds about as with a Gaussian A (same m)",
        f"mean (1 - gamma_hat) circulant / Gaussian < {eff:g} at every m (95% CI entirely below)",
        "per m " + ", ".join(f"{m}: gamma_hat {np.median(g):.3f} (Gaussian) vs {np.median(c):.3f} (circulant), "
                             f"ratio {r[0]:.2f} [{r[1]:.2f}, {r[2]:.2f}]"
                             for m, g, c, r in zip(sr["ms"], sr["gaussian"], sr["circulant"], gap, strict=True))
        + "; without the signs: " + ", ".join(
            f"{np.median(c):.3f}" for c in sr["circulant without signs"]),
        combine(threshold_verdict(r[1], r[2], eff, above=False) for r in gap),
        f"paired bootstrap 95% CIs of the ratio of means over {len(sr['gaussian'][0])} independent instances per m "
        f"(k=4, p=128, K={sr['K']:g}; the instance's G shared by the matrices)"))
    return rows


def _unsigned(result):
    jl = [r for r in result["jl"] if r["kind"] != "circulant"]
    jl = [{**r, "kind": "circulant"} if r["kind"] == "circulant without signs" else r for r in jl]
    return replace_in(result, ("jl",), jl)


def _wrong_scale(result):
    """The 1/sqrt(n) normalisation of a full circulant kept after subsampling m rows: ||Ax||^2 scaled by m/n."""
    f = result["m_norm"] / result["n"]
    return replace_in(result, ("norms",), {k: [v * f for v in vs] for k, vs in result["norms"].items()})


CONTROLS = (
    Control("oracle_without_signs", "the dense oracle rebuilt without the diagonal of signs",
            ("circulant.fft_oracle",), lambda res: {**res, "oracle_err": res["unsigned_oracle_err"]}),
    Control("wrong_scale", "normalised by 1/sqrt(n) instead of 1/sqrt(m)", ("circulant.isotropy",), _wrong_scale),
    Control("no_signs", "the partial circulant without its random signs (D = I)", ("circulant.jl_vs_gaussian",),
            _unsigned),
    Control("low_pass_filter", "g band-limited to its lowest n/32 frequencies instead of i.i.d. Gaussian",
            ("circulant.srec_extended",),
            lambda res: replace_in(res, ("srec", "circulant"), res["srec"][LOW_PASS])),
    Control("no_signs_srec", "the partial circulant without its random signs (D = I) on G2(E)",
            ("circulant.srec_extended",),
            lambda res: replace_in(res, ("srec", "circulant"), res["srec"]["circulant without signs"])),
)


def plot(result: dict):
    """The claim's figure, drawn from the saved result (save it with :func:`verification._common.save_figure`)."""
    import matplotlib.pyplot as plt
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(17, 4.2), layout="constrained")
    sr = result["srec"]
    for kind, style in (("gaussian", "o-"), ("circulant", "s--"), ("circulant without signs", "x:"),
                        (LOW_PASS, "v-.")):
        c.semilogx(sr["ms"], [np.median(g) for g in sr[kind]], style, label=kind)
    c.set_xlabel("m")
    c.set_ylabel("median adversarial gamma_hat on G2(E)")
    c.set_title(f"S-REC of the extended range, K = {sr['K']:g}")
    c.legend(fontsize=8)
    from matplotlib.lines import Line2D
    ms = result["ms"]
    kinds = (("gaussian", "o-"), ("circulant", "s--"), ("circulant without signs", "x:"))
    sets = sorted({r["set"] for r in result["jl"]})
    colours = dict(zip(sets, plt.rcParams["axes.prop_cycle"].by_key()["color"], strict=False))
    for name in sets:
        for kind, style in kinds:
            a.loglog(ms, [_avg(result, kind, m, "distortion", name) for m in ms], style, color=colours[name])
            b.semilogx(ms, [_avg(result, kind, m, "gamma", name) for m in ms], style, color=colours[name])
    a.loglog(ms, 3 * np.sqrt(np.log(500) / np.array(ms)), "k:")
    a.set_xlabel("m")
    a.set_ylabel("max | ||Ax||^2/||x||^2 - 1 |")
    b.set_xlabel("m")
    b.set_ylabel("min ||Ax||/||x|| (S-REC gamma on the set)")
    handles = ([Line2D([], [], color=colours[n], lw=3, label=f"set: {n}") for n in sets]
               + [Line2D([], [], color="grey", ls=st[1:], marker=st[0], label=k) for k, st in kinds]
               + [Line2D([], [], color="k", ls=":", label="~ sqrt(log P / m)")])
    fig.legend(handles=handles, fontsize=8, loc="outside right upper")
    for ax, grid in ((a, ms), (b, ms), (c, sr["ms"])):     # the measured m's as plain ticks (no crowded minor labels)
        ax.set_xticks(grid, [str(m) for m in grid])
        ax.minorticks_off()
    fig.suptitle(f"partial circulant vs Gaussian, n = {result['n']}")
    return fig
