"""CSGM vs ILO vs unconstrained intermediate optimisation with the pretrained DCGAN faces prior, on two real photos
(astronaut, grace_hopper) and on images the generator produced itself (controls, where CSGM has no representation
error), for all five tasks: PSNR / SSIM / LPIPS and seconds. Also: batched restarts vs a loop of restarts.

Usage: python benchmarks/real_faces.py [--images astronaut grace_hopper control:0 control:1] [--tasks ...]
       [--restarts 4] [--steps-scale 1.0] [--out results/real_faces.json]
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from ilo_solver.fit.metrics import all_metrics
from ilo_solver.generators.dcgan import load_dcgan_faces
from ilo_solver.io.images import fit_to_prior, load_image
from ilo_solver.physics.tasks import TASKS, make_task
from ilo_solver.presets import configure
from ilo_solver.solvers.ilo import ilo

METHODS = ("csgm", "ilo", "unconstrained")


def method_config(method, fit, *, restarts, scale):
    """The preset of ``ilo solve --method METHOD --prior dcgan-faces`` (presets.PRESETS)."""
    return configure("dcgan-faces", method, fit=fit, restarts=restarts, steps_scale=scale)


def _image(spec, G):
    if spec.startswith("control:"):
        with torch.no_grad():
            return G(G.sample_latent(1, rng=torch.Generator().manual_seed(int(spec.split(":")[1]))))[0]
    return fit_to_prior(load_image(spec)[0], 64)[0]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", nargs="+", default=["astronaut", "grace_hopper", "control:0", "control:1"])
    ap.add_argument("--tasks", nargs="+", default=list(TASKS))
    ap.add_argument("--restarts", type=int, default=4)
    ap.add_argument("--steps-scale", type=float, default=1.0)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/real_faces.json"))
    args = ap.parse_args(argv)
    G = load_dcgan_faces()
    rows = []
    for spec in args.images:
        img = _image(spec, G)
        for task_name in args.tasks:
            gen = torch.Generator().manual_seed(0)
            task = make_task(task_name, rng=gen)
            y = task.observe(img, rng=gen)
            for method in METHODS:
                cfg = method_config(method, task.fit, restarts=args.restarts, scale=args.steps_scale)
                t = time.perf_counter()
                res = ilo(G, y, task.op, config=cfg, rng=torch.Generator().manual_seed(1))
                row = dict(image=spec, task=task_name, method=method, seconds=time.perf_counter() - t,
                           **all_metrics(res.x[0], img))
                rows.append(row)
                print(json.dumps(row), flush=True)
    # batched restarts vs a loop of single-restart runs (same total restarts, same steps)
    img = _image(args.images[0], G)
    task = make_task("cs-gaussian", rng=torch.Generator().manual_seed(0))
    y = task.observe(img, rng=torch.Generator().manual_seed(0))
    cfg1 = method_config("ilo", task.fit, restarts=1, scale=args.steps_scale)
    cfgR = method_config("ilo", task.fit, restarts=args.restarts, scale=args.steps_scale)
    t = time.perf_counter()
    loop = [ilo(G, y, task.op, config=cfg1, rng=torch.Generator().manual_seed(1 + i))
            for i in range(args.restarts)]
    t_loop = time.perf_counter() - t
    best_loop = min(loop, key=lambda r: float(r.final_loss[0]))
    t = time.perf_counter()
    batched = ilo(G, y, task.op, config=cfgR, rng=torch.Generator().manual_seed(1))
    t_batch = time.perf_counter() - t
    restarts = dict(restarts=args.restarts, loop_seconds=t_loop, batched_seconds=t_batch,
                    loop_psnr=all_metrics(best_loop.x[0], img)["psnr"],
                    batched_psnr=all_metrics(batched.x[0], img)["psnr"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(dict(rows=rows, restarts=restarts), indent=1))
    print(table(rows))
    print(f"\nrestarts ({args.restarts}, cs-gaussian, {args.images[0]}): loop {t_loop:.1f} s "
          f"(PSNR {restarts['loop_psnr']:.2f}), batched {t_batch:.1f} s (PSNR {restarts['batched_psnr']:.2f}), "
          f"speed-up {t_loop / t_batch:.2f}x")


def table(rows) -> str:
    out = ["| image | task | " + " | ".join(f"{m} PSNR / SSIM / LPIPS / s" for m in METHODS) + " |",
           "|---|---|" + "---|" * len(METHODS)]
    keys = sorted({(r["image"], r["task"]) for r in rows}, key=lambda k: (k[0], TASKS.index(k[1])))
    for im, task in keys:
        cells = []
        for m in METHODS:
            r = next(r for r in rows if r["image"] == im and r["task"] == task and r["method"] == m)
            cells.append(f"{r['psnr']:.2f} / {r['ssim']:.3f} / {r['lpips']:.3f} / {r['seconds']:.0f}")
        out.append(f"| {im} | {task} | " + " | ".join(cells) + " |")
    real = [r for r in rows if not r["image"].startswith("control")]
    if real:
        mean = {m: np.mean([r["psnr"] for r in real if r["method"] == m]) for m in METHODS}
        out.append("\nmean PSNR on real photos: " + ", ".join(f"{m} {v:.2f} dB" for m, v in mean.items()))
    return "\n".join(out)


if __name__ == "__main__":
    main()
