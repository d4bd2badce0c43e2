"""Every method beside every other on real photos and on the generator's own images, pretrained DCGAN faces prior,
all five tasks: the classical prior-free baseline of the task (bicubic, biharmonic fill, TV, least squares), the
untrained deep decoder, CSGM, ILO and SGILO -- PSNR *and* LPIPS, so that a reader sees where the generative prior
helps (perceptual quality, identity) and where a one-line method is as good in PSNR. Each method is the preset of
``ilo solve --method METHOD`` (``presets.PRESETS``), run through ``presets.solve``.

Usage: python benchmarks/real_faces.py [--images astronaut grace_hopper face:33 ... control:0] [--tasks ...]
       [--restarts 2] [--steps-scale 1.0] [--out benchmarks/results/real_faces.json]
(``make bench-faces``; ``--readme README.md`` also rewrites the README's headline table.)
"""
from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import numpy as np
import torch

from ilo_solver import presets, runs
from ilo_solver.fit.metrics import all_metrics
from ilo_solver.io.images import fit_to_prior, load_image
from ilo_solver.physics.tasks import TASKS, make_task
from verification.faces import load_face

CLASSICAL = {"inpaint": "fill", "denoise": "tv", "superres": "bicubic", "cs-gaussian": "lstsq",
             "cs-circulant": "lstsq"}
METHODS = ("classical", "deep-decoder", "csgm", "ilo", "sgilo")
LABELS = {"classical": "classical", "deep-decoder": "deep decoder", "csgm": "CSGM", "ilo": "ILO", "sgilo": "SGILO"}
TASK_LABELS = {"inpaint": "inpaint 20%", "denoise": "denoise σ = 0.1", "superres": "super-resolution ×4",
               "cs-gaussian": "CS Gaussian 10%", "cs-circulant": "CS partial circulant 10%"}
BEGIN = "<!-- bench-faces:begin (python benchmarks/real_faces.py --readme README.md) -->"
END = "<!-- bench-faces:end -->"


def _image(spec, G):
    if spec.startswith("control:"):
        with torch.no_grad():
            return G(G.sample_latent(1, rng=torch.Generator().manual_seed(int(spec.split(":")[1]))))[0]
    if spec.startswith("face:"):
        return load_face(int(spec[5:]))
    return fit_to_prior(load_image(spec)[0], 64)[0]


def run_one(prior, score, task, y, method, args):
    name = CLASSICAL[task.name] if method == "classical" else method
    restarts = args.restarts if method in ("csgm", "ilo", "sgilo") else None
    cfg = presets.configure("dcgan-faces", name, fit=task.fit, restarts=restarts, steps_scale=args.steps_scale,
                            **(dict(split=score[1]) if method == "sgilo" else {}))
    t = time.perf_counter()
    res = presets.solve(prior.G, y, task.op, config=cfg, rng=torch.Generator().manual_seed(1),
                        score=score[0] if method == "sgilo" else None)
    return res.x[0], time.perf_counter() - t, name


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", nargs="+", default=["astronaut", "grace_hopper", "face:33", "face:41", "control:0",
                                                    "control:1"])
    ap.add_argument("--tasks", nargs="+", default=list(TASKS), choices=TASKS)
    ap.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    ap.add_argument("--restarts", type=int, default=2)
    ap.add_argument("--steps-scale", type=float, default=1.0)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/real_faces.json"))
    ap.add_argument("--readme", type=Path, help="also rewrite the headline table between the bench-faces markers")
    args = ap.parse_args(argv)
    if args.readme is not None and BEGIN not in args.readme.read_text():
        ap.error(f"{args.readme} has no {BEGIN} marker")
    prior = presets.load_prior("dcgan-faces")
    score = runs.load_score_for(prior.G, None, torch.device("cpu"))
    rows, t0 = [], time.perf_counter()
    for spec in args.images:
        img = _image(spec, prior.G)
        for task_name in args.tasks:
            gen = torch.Generator().manual_seed(0)
            task = make_task(task_name, rng=gen)
            y = task.observe(img, rng=gen)
            for method in args.methods:
                x, seconds, name = run_one(prior, score, task, y, method, args)
                row = dict(image=spec, task=task_name, method=method, solver=name, seconds=seconds,
                           **all_metrics(x, img))
                rows.append(row)
                print(json.dumps(row), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(dict(rows=rows, seconds=time.perf_counter() - t0, images=args.images,
                                        restarts=args.restarts, steps_scale=args.steps_scale), indent=1))
    print(table(rows))
    print("\n" + headline(rows))
    if args.readme is not None:
        text = args.readme.read_text()
        new = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda m: f"{BEGIN}\n{headline(rows)}\n{END}",
                     text, flags=re.S)
        args.readme.write_text(new)


def _real(rows):
    return [r for r in rows if not r["image"].startswith("control")]


def headline(rows) -> str:
    """The README's table: mean PSNR / LPIPS per task and method over the real photos."""
    real = _real(rows)
    methods = [m for m in METHODS if any(r["method"] == m for r in real)]
    n = len({r["image"] for r in real})
    out = [f"Mean PSNR [dB] / LPIPS (lower is better) over {n} real photos (`make bench-faces`; classical: the task's "
           "prior-free baseline -- fill, TV, bicubic, least squares):", "",
           "| task | " + " | ".join(LABELS[m] for m in methods) + " |", "|---|" + "---|" * len(methods)]
    for task in TASKS:
        cells = []
        for m in methods:
            sel = [r for r in real if r["task"] == task and r["method"] == m]
            cells.append(f"{np.mean([r['psnr'] for r in sel]):.2f} / {np.mean([r['lpips'] for r in sel]):.3f}"
                         if sel else "n/a")
        if any(c != "n/a" for c in cells):
            out.append(f"| {TASK_LABELS[task]} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def table(rows) -> str:
    out = ["| image | task | " + " | ".join(f"{LABELS[m]} PSNR / LPIPS / s" for m in METHODS) + " |",
           "|---|---|" + "---|" * len(METHODS)]
    keys = sorted({(r["image"], r["task"]) for r in rows}, key=lambda k: (k[0], TASKS.index(k[1])))
    for im, task in keys:
        cells = []
        for m in METHODS:
            r = next((r for r in rows if r["image"] == im and r["task"] == task and r["method"] == m), None)
            cells.append(f"{r['psnr']:.2f} / {r['lpips']:.3f} / {r['seconds']:.0f}" if r else "n/a")
        out.append(f"| {im} | {task} | " + " | ".join(cells) + " |")
    return "\n".join(out)


if __name__ == "__main__":
    main()
