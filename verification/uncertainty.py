r"""Does SGILO's posterior spread mean anything? (issue: posterior samples with uncertainty maps.)

SGILO (Daras et al., ICML 2022) samples the posterior of the intermediate code h given y with Langevin dynamics
under a learned score prior; ``ilo solve --method sgilo --samples N`` writes the samples, their mean and their
pixelwise standard deviation. Here the truth is known and in the range -- generator samples x_i = G(z_i) of the
offline DCGAN -- so the std map can be held against the error of the posterior mean.

**Setting.** Super-resolution x4 (16² -> 64², average pooling, noiseless); the preset table's SGILO (the official
"practical" chain at split 1, after a CSGM start), run longer so that each image has ``chain_samples`` samples
(steps 200 + 20 x thin 10); per image, :func:`ilo_solver.fit.metrics.posterior_maps` and
:func:`~ilo_solver.fit.metrics.std_predicts_error`.

**Claim.** Where the sampler is unsure, it is wrong: the per-pixel Spearman correlation between the std map and the
error map of the posterior mean, averaged over independent images, exceeds ``rho`` (0.2) with its Student-t 95 %
CI over images. The calibration (2-sigma coverage, RMS std / RMS error) is reported, not claimed: the practical
chain is not a calibrated sampler (docs/theory_notes.md §6).

Controls (must fail): ``shuffled_std`` -- each std map's pixels permuted (seeded): the same values, no location;
``other_image_std`` -- each image's error held against the *next* image's std map: a spread that only says "faces
are uncertain at hair and edges" would pass it.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import torch

from ._common import ClaimRow, Control, mean_ci, replace_in, threshold_verdict

ID = "uncertainty"


@dataclasses.dataclass(frozen=True)
class Config:
    samples: tuple = tuple(range(20))     # generator samples G(z_i) (verification.paper's seeds): the truths
    factor: int = 4                       # super-resolution factor
    burn_in: int = 200
    thin: int = 10
    chain_samples: int = 20               # samples kept per image (steps = burn_in + chain_samples * thin)
    rho: float = 0.2                      # the claim's floor on the mean per-pixel Spearman correlation
    min_images: int = 10
    steps_scale: float = 1.0              # the CSGM start's steps

    def __post_init__(self):
        if self.chain_samples < 2:
            raise ValueError(f"chain_samples must be >= 2 (a spread needs two samples), got {self.chain_samples}")
        if len(self.samples) < 2:
            raise ValueError("samples: at least two images (the other-image control pairs them)")


DEFAULT = Config()
QUICK = Config(samples=(0, 1, 2, 3), burn_in=40, thin=4, chain_samples=8, min_images=4, steps_scale=0.15)


def _job(cfg: Config, index: int, seed: int) -> dict:
    """SGILO on one generator sample: its std and error maps ``[3, 64, 64]`` and their scores."""
    from ilo_solver.fit.metrics import posterior_maps, std_predicts_error
    from ilo_solver.generators.dcgan import load_dcgan_faces
    from ilo_solver.physics.tasks import make_task
    from ilo_solver.presets import configure
    from ilo_solver.runs import load_score_for
    from ilo_solver.solvers.sgilo import sgilo

    from .paper._problems import truth
    G = load_dcgan_faces()
    score, split = load_score_for(G, None, "cpu")
    x = truth(f"sample:{index}", G)
    gen = torch.Generator().manual_seed(seed * 10_007 + index)
    task = make_task("superres", tuple(x.shape), rng=gen, factor=cfg.factor)
    y = task.observe(x, rng=gen)
    sg = configure("dcgan-faces", "sgilo", fit=task.fit, steps_scale=cfg.steps_scale)
    sg = dataclasses.replace(sg, split=split, burn_in=cfg.burn_in, thin=cfg.thin,
                             steps=cfg.burn_in + (cfg.chain_samples - 1) * cfg.thin + 1)
    res = sgilo(G, y, task.op, score, config=sg, rng=gen)
    std, err = posterior_maps(res.samples, x)
    return dict(image=f"sample:{index}", std=std, err=err, n=int(res.samples.shape[0]),
                rmse=float(err.pow(2).mean().sqrt()), **std_predicts_error(std, err))


def run(cfg: Config, *, seed: int, executor) -> dict:
    from ilo_solver.fit.metrics import std_predicts_error
    jobs = list(executor.map(_job, [cfg] * len(cfg.samples), cfg.samples, [seed] * len(cfg.samples)))
    rng = np.random.default_rng(seed)
    rows = []
    for i, j in enumerate(jobs):
        std, err = j["std"], j["err"]
        perm = torch.from_numpy(rng.permutation(std[0].numel()))
        shuffled = std.flatten(1)[:, perm].reshape(std.shape)
        other = jobs[(i + 1) % len(jobs)]["std"]
        rows.append(dict(image=j["image"], samples=j["n"], rmse=j["rmse"], mean_std=float(std.mean()),
                         own={k: j[k] for k in ("spearman", "coverage", "scale")},
                         shuffled_std=std_predicts_error(shuffled, err),
                         other_image_std=std_predicts_error(other, err)))
    maps = [dict(image=j["image"], std=np.round(j["std"].mean(0).numpy(), 4).tolist(),
                 err=np.round(j["err"].mean(0).numpy(), 4).tolist()) for j in jobs[:3]]
    return dict(config=dataclasses.asdict(cfg), rows=rows, maps=maps)


def claims(result: dict) -> list[ClaimRow]:
    cfg, rows = result["config"], result["rows"]
    rho = np.array([r["own"]["spearman"] for r in rows])
    est, lo, hi = mean_ci(rho)
    verdict = threshold_verdict(lo, hi, cfg["rho"])
    note = ""
    if verdict == "holds" and len(rows) < cfg["min_images"]:
        verdict, note = "inconclusive", f"; too few images to decide (>= {cfg['min_images']} needed)"
    cov = np.mean([r["own"]["coverage"] for r in rows])
    scale = np.median([r["own"]["scale"] for r in rows])
    from scipy.stats import spearmanr
    across = spearmanr([r["mean_std"] for r in rows], [r["rmse"] for r in rows]).statistic
    return [ClaimRow(
        f"{ID}.std_predicts_error", "SGILO (Daras et al., ICML 2022): posterior sampling on intermediate codes",
        "SGILO's pixelwise posterior std predicts where its posterior mean is wrong (generator samples, x4 "
        "super-resolution)",
        f"mean per-pixel Spearman(std, |error|) over images > {cfg['rho']:g}",
        f"mean Spearman {est:.3f} over {len(rows)} images ({rows[0]['samples']} samples each); calibration "
        f"(reported, not claimed): 2-sigma coverage {cov:.2f} (0.95 if calibrated), RMS std / RMS error "
        f"{scale:.2f} (median); across images, Spearman(mean std, RMSE) = {across:.2f}" + note,
        verdict, f"Student t 95% over {len(rows)} images: [{lo:.3f}, {hi:.3f}]")]


def _swap(key: str):
    return lambda res: replace_in(res, ("rows",), [{**r, "own": r[key]} for r in res["rows"]])


CONTROLS = (
    Control("shuffled_std", "each std map's pixels permuted (same values, no location)",
            (f"{ID}.std_predicts_error",), _swap("shuffled_std")),
    Control("other_image_std", "each image's error held against the next image's std map",
            (f"{ID}.std_predicts_error",), _swap("other_image_std")),
)


def plot(result: dict):
    """Top: std and error maps of the first images (channel means); bottom right: the per-image Spearman
    correlation, own std vs the two controls."""
    import matplotlib.pyplot as plt
    maps, rows = result["maps"], result["rows"]
    fig = plt.figure(figsize=(12, 5.6), layout="constrained")
    sub = fig.subfigures(1, 2, width_ratios=[1.5, 1])
    axes = sub[0].subplots(2, len(maps), squeeze=False)
    for c, m in enumerate(maps):
        for r, key, title in ((0, "std", "posterior std"), (1, "err", "|mean - truth|")):
            ax = axes[r][c]
            ax.imshow(np.array(m[key]), cmap="magma")
            ax.set_title(f"{m['image']}: {title}", fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
    ax = sub[1].subplots()
    for k, key in enumerate(("own", "shuffled_std", "other_image_std")):
        v = [r[key]["spearman"] for r in rows]
        ax.scatter(np.full(len(v), k) + np.linspace(-0.15, 0.15, len(v)), v, s=12)
        ax.errorbar(k, np.mean(v), yerr=[[np.mean(v) - mean_ci(v)[1]], [mean_ci(v)[2] - np.mean(v)]], fmt="k_",
                    capsize=6)
    ax.axhline(result["config"]["rho"], color="r", ls="--", lw=0.8, label="claim floor")
    ax.set_xticks([0, 1, 2], ["own std", "shuffled\n(control)", "next image\n(control)"])
    ax.set_xlim(-0.6, 2.6)
    ax.set_title("does the spread predict the error?", fontsize=10)
    ax.set_ylabel("Spearman(std, |error|) per image")
    ax.legend(fontsize=8, loc="upper right")
    return fig
