"""``ilo`` command line: ``ilo solve ...`` (file I/O lives here only; the algorithms are pure functions)."""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

from .tasks import METHODS, TASKS, make_task, method_config

PRIORS = ("dcgan-faces",)


def _box(s: str) -> tuple[int, int, int, int]:
    try:
        v = tuple(int(t) for t in s.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--box needs TOP,LEFT,HEIGHT,WIDTH integers, got {s!r}") from None
    if len(v) != 4:
        raise argparse.ArgumentTypeError(f"--box needs 4 integers TOP,LEFT,HEIGHT,WIDTH, got {s!r}")
    return v


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="ilo", description="Intermediate Layer Optimization for inverse problems.")
    sub = ap.add_subparsers(dest="command", required=True)
    s = sub.add_parser("solve", help="reconstruct an image from simulated measurements")
    s.add_argument("--prior", default="dcgan-faces", help=f"generator prior: {', '.join(PRIORS)}")
    s.add_argument("--image", required=True, help="astronaut, grace_hopper, or a path to an RGB image")
    s.add_argument("--task", required=True, help=", ".join(TASKS))
    s.add_argument("--observed", type=float, default=0.2, help="inpaint: fraction of observed pixels")
    s.add_argument("--box", type=_box, help="inpaint: hide the box TOP,LEFT,HEIGHT,WIDTH instead")
    s.add_argument("--sigma", type=float, default=0.1, help="denoise: noise std on [-1, 1] images")
    s.add_argument("--factor", type=int, default=4, help="superres: downsampling factor")
    s.add_argument("--ratio", type=float, default=0.1, help="cs-*: measurements m / n, in (0, 1]")
    s.add_argument("--method", default="ilo", help=", ".join(METHODS))
    s.add_argument("--restarts", type=int, default=4)
    s.add_argument("--steps-scale", type=float, default=1.0, help="multiply every step count")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--device", default="cpu")
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--no-progress", action="store_true")
    return ap


def _measurement_image(task, y, shape):
    """A picture of the observation for the grid."""
    if task.name in ("inpaint", "denoise"):
        return y[0].clamp(-1, 1)
    if task.name == "superres":
        return torch.nn.functional.interpolate(y, size=shape[1:], mode="nearest")[0].clamp(-1, 1)
    back = task.op.A_adjoint(y)[0]  # A^T y, rescaled for display
    return (back / back.abs().max().clamp_min(1e-12)).clamp(-1, 1)


def _grid(images, titles, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .images import to_uint8
    fig, axes = plt.subplots(1, len(images), figsize=(3 * len(images), 3.3))
    for ax, im, t in zip(axes, images, titles):
        ax.imshow(to_uint8(im), interpolation="nearest")
        ax.set_title(t, fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def solve(args) -> dict:
    from .generators.dcgan import load_dcgan_faces
    from .ilo import ilo
    from .images import fit_to_prior, load_image
    from .metrics import all_metrics

    # ---- validate everything before any work or any file is written
    if args.prior not in PRIORS:
        raise ValueError(f"unknown --prior {args.prior!r}; available: {', '.join(PRIORS)} "
                         "(StyleGAN-2 checkpoints are not supported yet)")
    if args.task not in TASKS:
        raise ValueError(f"unknown --task {args.task!r}; choose from {', '.join(TASKS)}")
    if args.method not in METHODS:
        raise ValueError(f"unknown --method {args.method!r}; choose from {', '.join(METHODS)}")
    if not 0 < args.observed <= 1:
        raise ValueError(f"--observed must lie in (0, 1], got {args.observed}")
    if args.restarts < 1 or not args.steps_scale > 0:
        raise ValueError("--restarts must be >= 1 and --steps-scale > 0")
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for but no CUDA device is available")
    img, source = load_image(args.image)
    img, prep = fit_to_prior(img, 64)
    print(f"image: {source}; {prep}", file=sys.stderr)
    gen = torch.Generator().manual_seed(args.seed)
    task = make_task(args.task, img.shape, generator=gen, observed=args.observed, box=args.box, sigma=args.sigma,
                     factor=args.factor, ratio=args.ratio)
    cfg = method_config(args.method, task.fit, restarts=args.restarts, scale=args.steps_scale)

    # ---- solve
    G = load_dcgan_faces(device)
    op = task.op.to(device)
    y = task.observe(img, generator=gen).to(device)
    mask = None if task.mask is None else task.mask.to(device)
    t0 = time.perf_counter()
    res = ilo(G, y, op, config=cfg, generator=gen, mask=mask, progress=not args.no_progress)
    seconds = time.perf_counter() - t0
    x = res.x[0].cpu()
    metrics = dict(method=args.method, task=args.task, prior=args.prior, image=args.image, seed=args.seed,
                   seconds=seconds, seconds_per_round=res.seconds, **all_metrics(x, img),
                   preprocessing=f"{source}; {prep}")
    config = dict(cli={k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                  task=dict(name=task.name, noise_sigma=task.sigma, **task.params), ilo=cfg.to_dict())

    # ---- write: into a temporary folder first, then move, so a failure leaves nothing half-written
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.out) as tmp:
        tmp = Path(tmp)
        (tmp / "metrics.json").write_text(json.dumps(metrics, indent=1))
        (tmp / "config.json").write_text(json.dumps(config, indent=1))
        _grid([img, _measurement_image(task, y.cpu(), img.shape), x],
              ["truth", f"measurement ({args.task})", f"{args.method}: {metrics['psnr']:.2f} dB"], tmp / "grid.png")
        for name in ("metrics.json", "config.json", "grid.png"):
            (tmp / name).replace(args.out / name)
    return metrics


def main(argv=None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    try:
        metrics = solve(args)
    except ValueError as e:
        ap.exit(2, f"ilo: error: {e}\n")
    print(json.dumps({k: metrics[k] for k in ("method", "task", "psnr", "ssim", "lpips", "seconds")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
