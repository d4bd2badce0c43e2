r"""Classifier-guided out-of-distribution generation (ILO paper §4, Figures 4-5) on the offline prior: the radius
as the trade-off between the class and the face manifold, and why the classifier must be robust.

Each problem b has its own start face :math:`x_b=G(z_b)` (z_b ~ N(0, I): independent problems) and a target class
c_b; ILO (the ``dcgan-faces`` ``ilo`` preset started at z_b, :func:`ilo_solver.solvers.guidance.guidance_sweep`)
minimises
:math:`-\log p_{c_b}(x)+\lambda\,\mathrm{MSE}(x,x_b)` (Fig. 5's morph of a reference face) at each radius of a grid,
0 (CSGM: faces only) to inf (the unconstrained intermediate search), for the shipped robust classifier (l2 PGD
adversarial training) and the shipped standard one -- the same problems, starts and seeds for both (paired).

Measured per answer: the guiding classifier's probability of the class, the other classifier's, the distance to the
range (:func:`~ilo_solver.solvers.guidance.range_distance`, RMS per pixel on [-1, 1]) and the RMS distance to the start
face. The paper's statements, as claims:

- **robust_radius_raises_probability** / **robust_radius_leaves_range**: with the robust classifier, a larger radius
  raises the class probability and moves the image away from the range (paired t-CIs over the problems).
- **standard_is_adversarial**: in most problems the standard classifier reaches p >= ``high`` at a smaller RMS
  change from the start face than the robust one does (which mostly never does), and the robust classifier does not
  see the class in that answer (p < 1/2): the change fools one network, it does not draw the class (Wilson CIs).

Controls: the CSGM answers substituted for every radius (no radius effect: claims 1-2 must fail); the probability
of a class other than the guided one (claim 1 must fail); the two classifiers swapped, and the standard classifier's
answers judged by the robust one (claim 3 must fail: a change that fools one classifier does not make the class).
"""
from __future__ import annotations

import base64
import dataclasses
import io
import math

import numpy as np
import torch

from ._common import ClaimRow, Control, combine, mean_ci, replace_in, threshold_verdict, wilson

ID = "guidance"
KINDS = ("robust", "standard")


@dataclasses.dataclass(frozen=True)
class Config:
    classes: tuple = ("trouser", "dress", "sneaker", "ankle-boot")
    per_class: int = 6                  # problems (start faces) per class
    radii: tuple = (0.0, 100.0, 400.0, 1600.0, math.inf)
    anchor: float = 10.0                # lambda of the MSE to the start face
    steps_scale: float = 1.0
    distance_steps: int = 150
    distance_restarts: int = 0          # random starts of the range projection besides the problem's CSGM latent
    high: float = 0.9                   # "high probability"
    rise: float = 0.1                   # claim 1: the probability rises by more than this
    leave: float = 0.02                 # claim 2: the range distance grows by more than this (RMS)


DEFAULT = Config()
QUICK = Config(classes=("trouser", "dress"), per_class=3, radii=(0.0, 400.0, math.inf), steps_scale=0.25,
               distance_steps=60)


def _png(x: torch.Tensor) -> str:
    from PIL import Image

    from ilo_solver.io.images import to_uint8
    buf = io.BytesIO()
    Image.fromarray(to_uint8(x)).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def _sweep(cfg: Config, seed: int, kind: str) -> dict:
    from ilo_solver import presets
    from ilo_solver.fit.losses import DataFit
    from ilo_solver.generators.dcgan import load_dcgan_faces
    from ilo_solver.priors.classifiers import class_index, shipped_classifier
    from ilo_solver.solvers.guidance import class_probability, guidance_sweep
    G = load_dcgan_faces()
    labels = [class_index(c) for c in cfg.classes for _ in range(cfg.per_class)]
    gen = torch.Generator().manual_seed(seed * 1_000_003 + 17)      # the problems: the same for both classifiers
    z = G.sample_latent(len(labels), rng=gen)
    with torch.no_grad():
        refs = G(z)
    clf = {k: shipped_classifier(k) for k in KINDS}
    other = KINDS[1 - KINDS.index(kind)]
    wrong = torch.tensor([(c + 5) % 10 for c in labels])
    out = guidance_sweep(G, clf[kind], labels, refs, list(cfg.radii), anchor_weight=cfg.anchor, init=z,
                         config=presets.configure("dcgan-faces", "ilo", fit=DataFit(), steps_scale=cfg.steps_scale),
                         evaluators={other: clf[other]},
                         distance_steps=cfg.distance_steps, distance_restarts=cfg.distance_restarts,
                         rng=torch.Generator().manual_seed(seed * 7 + 1))
    # the control's probability: a class other than the guided one
    pw = class_probability(clf[kind], out["x"].flatten(0, 1), wrong.repeat(len(cfg.radii)))
    first = [cfg.per_class * i for i in range(len(cfg.classes))]     # the figure: each class's first problem
    return dict(kind=kind, labels=labels, p=out["p"].tolist(), p_other=out[f"p_{other}"].tolist(),
                p_wrong=pw.view(len(cfg.radii), -1).tolist(), distance=out["distance"].tolist(),
                to_reference=out["to_reference"].tolist(), change=out["change"].tolist(),
                images=[[_png(out["x"][r, b]) for r in range(len(cfg.radii))] for b in first],
                references=[_png(refs[b]) for b in first])


def run(cfg: Config, *, seed: int, executor) -> dict:
    sweeps = list(executor.map(_sweep, [cfg] * 2, [seed] * 2, KINDS))
    return dict(config=dataclasses.asdict(cfg), **{s["kind"]: s for s in sweeps})


def _change_at_high(s: dict, cfg: dict) -> tuple[np.ndarray, np.ndarray]:
    """Per problem: the RMS change from the start face of the first radius whose answer reaches p >= high (inf
    when none does), and that radius's index (-1: none)."""
    p, d = np.array(s["p"]), np.array(s["to_reference"])
    ok = p >= cfg["high"]
    first = np.where(ok.any(0), ok.argmax(0), -1)
    change = np.where(first >= 0, d[np.maximum(first, 0), np.arange(p.shape[1])], np.inf)
    return change, first


def _labels(cfg: dict) -> list[str]:
    return [f"{float(r):g}" for r in cfg["radii"]]    # saved results hold inf as the string "inf"


def _fmt(v) -> str:
    return ", ".join(f"{x:.2f}" for x in v)


def claims(result: dict) -> list[ClaimRow]:
    cfg, rob, std = result["config"], result["robust"], result["standard"]
    radii = _labels(cfg)
    n = len(rob["labels"])
    p, dist = np.array(rob["p"]), np.array(rob["distance"])
    m1, lo1, hi1 = mean_ci(p[-1] - p[0])
    m2, lo2, hi2 = mean_ci(dist[-1] - dist[0])
    src = "ILO §4, Figs. 4-5 (robust classifier guidance)"
    ci = f"paired 95% t-CI over {n} independent problems (start face, class)"
    rows = [
        ClaimRow("guidance.robust_radius_raises_probability", src,
                 "With a robust classifier as the operator, a larger radius raises the class probability",
                 f"mean p(r2 = {radii[-1]}) - p(r2 = 0) > {cfg['rise']:g}",
                 f"mean p over r2 = {', '.join(radii)}: {_fmt(p.mean(1))}; rise {m1:.3f}",
                 threshold_verdict(lo1, hi1, cfg["rise"]), f"{ci}: [{lo1:.3f}, {hi1:.3f}]"),
        ClaimRow("guidance.robust_radius_leaves_range", src,
                 "... and moves the image further from the generator's range (the trade-off of the radius)",
                 f"mean range distance at r2 = {radii[-1]} minus at r2 = 0 > {cfg['leave']:g} (RMS on [-1, 1])",
                 f"mean distance over r2: {_fmt(dist.mean(1))}; growth {m2:.3f}",
                 threshold_verdict(lo2, hi2, cfg["leave"]), f"{ci}: [{lo2:.3f}, {hi2:.3f}]")]
    d_std, first = _change_at_high(std, cfg)
    d_rob, _ = _change_at_high(rob, cfg)
    k1 = int((d_std < d_rob).sum())
    judged = np.array(std["p_other"])[np.maximum(first, 0), np.arange(n)]
    k2 = int(((first >= 0) & (judged < 0.5)).sum())
    l1, h1 = wilson(k1, n)
    l2, h2 = wilson(k2, n)
    fin = d_std[np.isfinite(d_std)]
    rows.append(ClaimRow(
        "guidance.standard_is_adversarial", "ILO §4 (a non-robust classifier yields adversarial noise)",
        "A standard classifier reaches high class probability at a smaller pixel change than a robust one needs, "
        "and what it reaches does not show the class (adversarial)",
        f"in > 50% of the problems: the standard reaches p >= {cfg['high']:g} at a smaller RMS change from the "
        f"start face than the robust does (inf if never), and the robust classifier gives that answer p < 0.5",
        f"smaller change: {k1}/{n} (standard: median RMS change {np.median(fin) if fin.size else math.inf:.3f}, "
        f"{fin.size}/{n} reach p >= {cfg['high']:g}; robust: {int(np.isfinite(d_rob).sum())}/{n} reach it); "
        f"robust p < 0.5 on the standard's answer: {k2}/{n} (mean {judged[first >= 0].mean() if k1 else math.nan:.3f})",
        combine([threshold_verdict(l1, h1, 0.5), threshold_verdict(l2, h2, 0.5)]),
        f"95% Wilson over {n} independent problems: [{l1:.2f}, {h1:.2f}], [{l2:.2f}, {h2:.2f}]"))
    return rows


def _csgm_everywhere(res: dict) -> dict:
    s = res["robust"]
    flat = {k: [s[k][0]] * len(s[k]) for k in ("p", "distance", "to_reference", "change", "p_wrong", "p_other")}
    return replace_in(res, ("robust",), {**s, **flat})


def _judged_by_robust(res: dict) -> dict:
    s = res["standard"]
    return replace_in(res, ("standard",), {**s, "p": s["p_other"]})


CONTROLS = (
    Control("csgm_for_every_radius", "the CSGM (r2 = 0) answers substituted for every radius",
            ("guidance.robust_radius_raises_probability", "guidance.robust_radius_leaves_range"), _csgm_everywhere),
    Control("other_class", "the probability of a class other than the guided one ((c + 5) mod 10)",
            ("guidance.robust_radius_raises_probability",),
            lambda res: replace_in(res, ("robust",), {**res["robust"], "p": res["robust"]["p_wrong"]})),
    Control("classifiers_swapped", "the robust classifier's answers in the standard's place and vice versa",
            ("guidance.standard_is_adversarial",),
            lambda res: {**res, "robust": res["standard"], "standard": res["robust"]}),
    Control("judged_by_robust", "the standard classifier's answers judged by the robust classifier",
            ("guidance.standard_is_adversarial",), _judged_by_robust),
)


def _image(s: str) -> np.ndarray:
    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(s))))


def plot(result: dict):
    """Rows = classes, columns = the start face and increasing radius, for each classifier; beside them the class
    probability and the range distance against the radius (means with 95% t-bands)."""
    import matplotlib.pyplot as plt
    cfg = result["config"]
    radii = _labels(cfg)
    C, R = len(cfg["classes"]), len(radii)
    fig = plt.figure(figsize=(2 * (R + 1) * 0.9 + 4.5, 0.95 * C + 1.4), layout="constrained")
    sub = fig.subfigures(1, 3, width_ratios=[R + 1, R + 1, 4.5])
    for sf, kind in zip(sub[:2], KINDS, strict=True):
        s = result[kind]
        axes = sf.subplots(C, R + 1, squeeze=False)
        for i in range(C):
            for j in range(R + 1):
                ax = axes[i, j]
                ax.imshow(_image(s["references"][i] if j == 0 else s["images"][i][j - 1]), interpolation="nearest")
                ax.set_xticks([])
                ax.set_yticks([])
                if i == 0:
                    ax.set_title("start" if j == 0 else "CSGM" if j == 1 else f"r2={radii[j - 1]}", fontsize=7)
                if j == 0:
                    ax.set_ylabel(cfg["classes"][i], fontsize=8)
        sf.suptitle(f"{kind} classifier", fontsize=9)
    ax1, ax2 = sub[2].subplots(2, 1)
    xs = np.arange(R)
    for kind, style in zip(KINDS, ("o-", "s--"), strict=True):
        s = result[kind]
        for ax, key in ((ax1, "p"), (ax2, "distance")):
            stats = [mean_ci(v) for v in np.array(s[key])]
            line, = ax.plot(xs, [m for m, _, _ in stats], style, label=f"{kind}: {key}")
            ax.fill_between(xs, [lo for _, lo, _ in stats], [hi for _, _, hi in stats], color=line.get_color(),
                            alpha=0.2)
        ax2.plot(xs, np.array(s["to_reference"]).mean(1), style, color="grey", alpha=0.7,
                 label=f"{kind}: change from start")
    ax1.set_ylabel("class probability")
    ax2.set_ylabel("RMS on [-1, 1]")
    for ax in (ax1, ax2):
        ax.set_xticks(xs, radii, fontsize=7)
        ax.legend(fontsize=6)
    ax2.set_xlabel("radius r2 (0 = CSGM)")
    return fig
