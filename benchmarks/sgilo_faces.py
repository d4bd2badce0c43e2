"""SGILO vs ILO vs CSGM in the low-measurement regime on the two real photos (pretrained DCGAN faces prior).

Uses the shipped score model of the generator's split-1 codes [512, 4, 4] (or trains one with ``--score NEW.pt``,
the ``ilo train-prior`` equivalent), then reconstructs with 5% inpainting and 2% / 5% Gaussian compressed sensing:
PSNR / SSIM / LPIPS of the posterior mean (SGILO, official "practical" update) and of the ILO / CSGM solutions, with
the posterior spread.

Usage: python benchmarks/sgilo_faces.py [--score PATH] [--train-steps 1500] [--steps-scale 1]
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from ilo_solver import presets
from ilo_solver.fit.metrics import all_metrics
from ilo_solver.generators.dcgan import load_dcgan_faces
from ilo_solver.io.assets import shipped_score_path
from ilo_solver.io.images import fit_to_prior, load_image
from ilo_solver.physics.tasks import make_task
from ilo_solver.priors.score import train_code_prior
from ilo_solver.storage import load_score, save_score

SETTINGS = [("inpaint", dict(observed=0.05)), ("cs-gaussian", dict(ratio=0.02)), ("cs-gaussian", dict(ratio=0.05))]


def config(method: str, fit, steps_scale: float):
    """The preset of ``ilo solve --method METHOD`` (presets.PRESETS['dcgan-faces']): the same config on both paths."""
    return presets.configure("dcgan-faces", method, fit=fit, steps_scale=steps_scale)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--score", type=Path, default=None,
                    help="score model (default: the shipped one, ilo_solver/data/score_dcgan_split1.pt; a path "
                         "that does not exist is trained there first)")
    ap.add_argument("--train-steps", type=int, default=1500)
    ap.add_argument("--steps-scale", type=float, default=1.0)
    ap.add_argument("--images", nargs="+", default=["astronaut", "grace_hopper"])
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/sgilo_faces.json"))
    args = ap.parse_args(argv)
    G = load_dcgan_faces()
    if args.score is None:
        args.score = shipped_score_path()
    if not args.score.exists():
        t = time.perf_counter()
        model, losses = train_code_prior(G, 1, steps=args.train_steps, rng=torch.Generator().manual_seed(0))
        args.score.parent.mkdir(parents=True, exist_ok=True)
        save_score(model, args.score, prior="dcgan-faces", split=1, seed=0, steps=args.train_steps,
                   final_loss=sum(losses[-50:]) / len(losses[-50:]))
        print(f"trained the score model in {time.perf_counter() - t:.0f} s")
    score = load_score(args.score)
    rows = []
    for spec in args.images:
        img = fit_to_prior(load_image(spec)[0], 64)[0]
        for task_name, kw in SETTINGS:
            gen = torch.Generator().manual_seed(0)
            task = make_task(task_name, rng=gen, **kw)
            y = task.observe(img, rng=gen)
            label = f"{task_name} {kw}"
            for method in ("csgm", "ilo", "sgilo"):
                t = time.perf_counter()
                res = presets.solve(G, y, task.op, config=config(method, task.fit, args.steps_scale),
                                    rng=torch.Generator().manual_seed(1), score=score if method == "sgilo" else None)
                x = res.x[0]
                spread = float(res.x_std.mean()) if method == "sgilo" else None
                row = dict(image=spec, setting=label, method=method, seconds=time.perf_counter() - t,
                           spread=spread, **all_metrics(x, img))
                rows.append(row)
                print(json.dumps(row), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=1))
    print("| image | setting | method | PSNR | SSIM | LPIPS | posterior spread | s |\n"
          "|---|---|---|---|---|---|---|---|")
    for r in rows:
        sp = "" if r["spread"] is None else f"{r['spread']:.3f}"
        print(f"| {r['image']} | {r['setting']} | {r['method']} | {r['psnr']:.2f} | {r['ssim']:.3f} | "
              f"{r['lpips']:.3f} | {sp} | {r['seconds']:.0f} |")


if __name__ == "__main__":
    main()
