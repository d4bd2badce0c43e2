"""SGILO vs ILO vs CSGM in the low-measurement regime on the two real photos (pretrained DCGAN faces prior).

Trains (or reuses) a score model on the generator's split-1 codes [512, 4, 4] (``ilo train-prior`` equivalent), then
reconstructs with 5% inpainting and 2% / 5% Gaussian compressed sensing: PSNR / SSIM / LPIPS of the posterior mean
(SGILO, official "practical" update) and of the ILO / CSGM solutions, with the posterior spread.

Usage: python benchmarks/sgilo_faces.py [--score results/score_split1.pt] [--train-steps 1500] [--steps-scale 1]
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from ilo_solver.cli import main as cli_main
from ilo_solver.generators.dcgan import load_dcgan_faces
from ilo_solver.ilo import ilo
from ilo_solver.images import fit_to_prior, load_image
from ilo_solver.metrics import all_metrics
from ilo_solver.score import load_score
from ilo_solver.sgilo import SGILOConfig, sgilo
from ilo_solver.tasks import make_task, method_config

SETTINGS = [("inpaint", dict(observed=0.05)), ("cs-gaussian", dict(ratio=0.02)), ("cs-gaussian", dict(ratio=0.05))]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--score", type=Path, default=Path("results/score_split1.pt"))
    ap.add_argument("--train-steps", type=int, default=1500)
    ap.add_argument("--steps-scale", type=float, default=1.0)
    ap.add_argument("--images", nargs="+", default=["astronaut", "grace_hopper"])
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/sgilo_faces.json"))
    args = ap.parse_args(argv)
    if not args.score.exists():
        t = time.perf_counter()
        cli_main(["train-prior", "--split", "1", "--steps", str(args.train_steps), "--out", str(args.score),
                  "--no-progress"])
        print(f"trained the score model in {time.perf_counter() - t:.0f} s")
    score = load_score(args.score)
    G = load_dcgan_faces()
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
                g = torch.Generator().manual_seed(1)
                if method == "sgilo":
                    s = round(args.steps_scale * 300)
                    cfg = SGILOConfig(split=1, mode="practical", steps=s, burn_in=2 * s // 3, thin=max(1, s // 15),
                                      csgm_steps=round(args.steps_scale * 400))
                    res = sgilo(G, y, task.op, score, config=cfg, rng=g, fit=task.fit, mask=task.mask)
                    x, spread = res.x_mean[0], float(res.x_std.mean())
                else:
                    res = ilo(G, y, task.op, config=method_config(method, task.fit, scale=args.steps_scale),
                              rng=g, mask=task.mask)
                    x, spread = res.x[0], None
                row = dict(image=spec, setting=label, method=method, seconds=time.perf_counter() - t,
                           spread=spread, **all_metrics(x, img))
                rows.append(row)
                print(json.dumps(row), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=1))
    print("| image | setting | method | PSNR | SSIM | LPIPS | posterior spread | s |\n|---|---|---|---|---|---|---|---|")
    for r in rows:
        sp = "" if r["spread"] is None else f"{r['spread']:.3f}"
        print(f"| {r['image']} | {r['setting']} | {r['method']} | {r['psnr']:.2f} | {r['ssim']:.3f} | "
              f"{r['lpips']:.3f} | {sp} | {r['seconds']:.0f} |")


if __name__ == "__main__":
    main()
