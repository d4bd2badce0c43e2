r"""The ILO paper's experiments (Daras et al., ICML 2021, §4: Figure 2, Table 1, Figures 6-7) rerun on the offline
prior, each claim judged as the paper's sentence has it, on 20 real photographs, against the strongest baseline.

Usage: ``python -m verification.paper [--quick] [--out DIR] [--workers N | --scheduler ADDRESS] [--force]``
(``make paper``): figures, raw rows (JSON) and a claims table through the verification report machinery
(``DIR/paper.json``, ``paper.png``, ``report.md``/``report.json``, ``tables.md``); a finished result with the same
config and seed is reused unless ``--force``.

**Setting.** The paper's prior is StyleGAN-2 on CelebA-HQ at 1024²; ours is the pretrained 64² DCGAN
(``dcgan-faces``), so the *ratios* between methods are what can carry over.

- **Evaluation set** (every verdict's independent units): 20 real photographs -- the two built-ins (``astronaut``,
  ``grace_hopper``; face crops of ``BUILTIN``) and the 18 colour photographs among the
  vendored public-domain portraits (``face:NN``, :mod:`verification.faces`: 27, 30, 31, 32-46) -- plus 6 generator
  samples ``sample:i`` = G(z_i) (in the range: the negative control of every "ILO beats CSGM" claim, and the check
  that the CSGM baseline is run to convergence). One operator draw per level, shared by the batch; one noise draw per
  image. A CI resamples photos, so it carries between-image variance; each row says how many photos it rests on,
  and a row on fewer than ``min_photos`` cannot read "holds".
- **Claim levels**: inpainting 1, 5, 20, 100 % observed pixels; denoising σ = 25; super-resolution x2 (from 32²),
  x4, x8; partial-circulant CS at m/n = 5 %. "Anywhere between 5 % and 100 %" is judged **per level**.
- **Baselines**: CSGM with plain MSE (PULSE's loss) and with the task's fit (MSE + 0.2 LPIPS where the observation
  is an image >= 32 px), each run to convergence (800 cosine-scheduled Adam steps at lr 0.1, 2 restarts; the
  presets' 400 constant-rate steps recover the generator's own samples at x2 only to ~30 dB). At each claim level
  the **better variant** (lower mean MSE on the held-out curve photos) is the baseline -- never chosen on the
  evaluation set. ILO from the preset table (1 restart: the baseline gets twice ILO's restarts and 2x its steps).
- **Figure 2's curves**: every level of the paper's grid (inpainting observed in {1, ..., 100} %, denoising σ in
  {5, ..., 256} on [0, 255] with the noisy values clipped, super-resolution x{2, ..., 16} by average pooling,
  partial-circulant CS m/n in {1, ..., 50} %) on two held-out greyscale photographs (``face:25``, ``face:26``),
  all four methods (and the unconstrained intermediate search): descriptive, and the choice of the CSGM variant.
- **Table 1**: denoising at σ = 30 with and without SNA, CSGM (MSE + LPIPS) and ILO, on the 20 photos.
- **Figures 6-7**: MSE and LPIPS against the total step budget T for ILO over L = 1 (CSGM), 2, 3, 4 layers, T/L
  steps in each (the preset's learning rates and radius), inpainting 20 %, on the 20 photos.
- Optional: BM3D is not run (``pip install bm3d`` carries a non-commercial licence).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ._claims import CONTROLS, claims
from ._cli import README_BEGIN, README_END, main
from ._figure import plot, tables
from ._problems import METHODS, PANELS, dispatch, problems

__all__ = ["ID", "Config", "DEFAULT", "QUICK", "run", "claims", "CONTROLS", "plot", "tables", "main", "PANELS",
           "METHODS", "README_BEGIN", "README_END"]

ID = "paper"
PHOTOS = ("astronaut", "grace_hopper") + tuple(f"face:{n}" for n in (27, 30, 31, *range(32, 47)))
CLAIM_LEVELS = (("inpaint", 0.01), ("inpaint", 0.05), ("inpaint", 0.2), ("inpaint", 1.0), ("denoise", 25),
                ("superres", 2), ("superres", 4), ("superres", 8), ("circulant", 0.05))


@dataclasses.dataclass(frozen=True)
class Config:
    photos: tuple = PHOTOS                                  # the evaluation set (real photographs)
    samples: tuple = (0, 1, 2, 3, 4, 5)                     # generator samples G(z_i), solved beside the photos
    curve_photos: tuple = ("face:25", "face:26")            # held out: Figure 2's curves, the CSGM variant
    inpaint: tuple = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
    denoise: tuple = (5, 10, 25, 50, 100, 256)              # sigma on [0, 255]
    superres: tuple = (2, 4, 8, 16)
    circulant: tuple = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
    claim_levels: tuple = CLAIM_LEVELS                      # (panel, level) solved on the evaluation set
    restarts: int = 1                                       # ILO and the unconstrained search
    csgm_restarts: int = 2
    csgm_steps: int = 800
    csgm_lr: float = 0.1
    steps_scale: float = 1.0
    sna_sigma: float = 30.0                                 # Table 1
    budgets: tuple = (200, 400, 800)                        # Figures 6-7: total steps T
    layers: tuple = (1, 2, 3, 4)
    runtime_photos: int = 20                                # the first photos of the evaluation set
    min_photos: int = 20                                    # fewer: a row cannot read "holds"

    def __post_init__(self):
        grid = {(p, v) for p in PANELS for v in getattr(self, p)}
        missing = [c for c in self.claim_levels if tuple(c) not in grid]
        if missing:
            raise ValueError(f"claim levels must be on the panels' grids, got {missing}")


DEFAULT = Config()
QUICK = Config(photos=("astronaut", "face:33", "face:41"), samples=(0, 1), curve_photos=("face:25",),
               inpaint=(0.01, 0.05, 0.2), denoise=(25,), superres=(2, 4), circulant=(0.05,),
               claim_levels=(("inpaint", 0.01), ("inpaint", 0.05), ("inpaint", 0.2), ("denoise", 25),
                             ("superres", 2), ("superres", 4), ("circulant", 0.05)),
               csgm_steps=400, steps_scale=0.05, budgets=(40, 160), layers=(1, 4), runtime_photos=2, min_photos=3)


def _problem(panel, level, img, seed):
    """(task, observation ``[1, *out]``) of one image (the batch of one)."""
    return problems(panel, level, img[None], seed)


def _rows(images, panel, level, seed, subset, results: dict) -> list[dict]:
    """Figure-2 rows (one per image) from ``{method: [scores per image]}``; methods not run are None."""
    return [dict(image=str(s), set=subset, panel=panel, level=level, seed=seed,
                 **{m: results.get(m, [None] * len(images))[i] for m in ("mean_face", *METHODS)})
            for i, s in enumerate(images)]


def _better_variant(rows: list[dict]) -> str:
    """The CSGM variant of lower mean MSE on these (held-out) rows; plain MSE where LPIPS does not apply."""
    if not rows or any(r["csgm_lpips"] is None for r in rows):
        return "csgm"
    mean = {m: np.mean([r[m]["mse"] for r in rows]) for m in ("csgm", "csgm_lpips")}
    return min(mean, key=mean.get)


def _collect(results, total: int, desc: str) -> list:
    """The results of one ``executor.map``, in order, with a progress bar (jobs done, time estimate) on stderr."""
    from tqdm import tqdm
    return list(tqdm(results, total=total, desc=desc, unit="job", leave=False))


def run(cfg: Config, *, seed: int, executor) -> dict:
    cells = [(p, v) for p in PANELS for v in getattr(cfg, p)]
    seeds = {c: seed * 1000 + i for i, c in enumerate(cells)}
    curve = tuple(cfg.curve_photos)
    evaluation = tuple(cfg.photos) + tuple(f"sample:{i}" for i in cfg.samples)
    # phase 1 (one pool): the curves on the held-out photos, Table 1 and Figures 6-7 on the evaluation photos
    jobs = [("cell", (p, v, seeds[(p, v)], m, curve)) for p, v in cells for m in ("mean_face", *METHODS)]
    jobs += [("table1", (tuple(cfg.photos), seed * 1000 + 900)),
             ("runtime", (tuple(cfg.photos[:cfg.runtime_photos]), seed * 1000 + 901))]
    out = _collect(executor.map(dispatch, [cfg] * len(jobs), *zip(*jobs, strict=True)), len(jobs), "paper: curves")
    figure2, k = [], 0
    for p, v in cells:
        figure2 += _rows(curve, p, v, seeds[(p, v)], "curve", dict(zip(("mean_face", *METHODS), out[k:k + 5],
                                                                       strict=True)))
        k += 5
    table1, runtime = out[k], out[k + 1]
    # phase 2: at each claim level, the better CSGM variant (chosen on the curve photos) and ILO on the evaluation set
    baseline = {f"{p}:{v}": _better_variant([r for r in figure2 if (r["panel"], r["level"]) == (p, v)])
                for p, v in cfg.claim_levels}
    jobs = [(p, v, seeds[(p, v)], m, evaluation) for p, v in cfg.claim_levels
            for m in ("mean_face", baseline[f"{p}:{v}"], "ilo")]
    out = _collect(executor.map(dispatch, [cfg] * len(jobs), ["cell"] * len(jobs), jobs), len(jobs),
                   "paper: evaluation set")
    for i, (p, v) in enumerate(cfg.claim_levels):
        names = ("mean_face", baseline[f"{p}:{v}"], "ilo")
        figure2 += _rows(evaluation, p, v, seeds[(p, v)], "eval", dict(zip(names, out[3 * i:3 * i + 3], strict=True)))
    return dict(config=dataclasses.asdict(cfg), figure2=figure2, baseline=baseline, table1=table1, runtime=runtime)
