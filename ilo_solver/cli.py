"""``ilo`` command line: ``ilo solve ...`` (file I/O lives here only; the algorithms are pure functions)."""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
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
    s.add_argument("--prior", default="dcgan-faces",
                   help="dcgan-faces, or stylegan2:PATH (rosinality .pt, NVIDIA .pkl -- stylegan2-ada, stylegan3 or the "
                        "original TensorFlow release, read without executing it -- or .safetensors)")
    s.add_argument("--image", required=True, help="astronaut, grace_hopper, or a path to an RGB image")
    s.add_argument("--task", required=True, help=", ".join(TASKS))
    s.add_argument("--observed", type=float, default=0.2, help="inpaint: fraction of observed pixels")
    s.add_argument("--box", type=_box, help="inpaint: hide the box TOP,LEFT,HEIGHT,WIDTH instead (pixels of the image as "
                        "resized to the prior's resolution; the box must lie inside it)")
    s.add_argument("--sigma", type=float, default=0.1, help="denoise: noise std on [-1, 1] images")
    s.add_argument("--factor", type=int, default=4, help="superres: downsampling factor")
    s.add_argument("--ratio", type=float, default=0.1, help="cs-*: measurements m / n, in (0, 1]")
    s.add_argument("--method", default="ilo", help=", ".join(METHODS) + ", sgilo (dcgan-faces); pulse (stylegan2)")
    s.add_argument("--dead-zone", type=float, default=0.0, metavar="WEIGHT",
                   help="add WEIGHT * dead-zone l1 (residuals below --dead-zone-tau cost nothing) to the data fit")
    s.add_argument("--dead-zone-tau", type=float, default=0.1, help="dead-zone tolerance on [-1, 1] images "
                   "(official ILO: 0.1)")
    s.add_argument("--restarts", type=int, default=4)
    s.add_argument("--steps-scale", type=float, default=1.0, help="multiply every step count")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--device", default="cpu")
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--score", type=Path, help="sgilo: score model from `ilo train-prior`")
    s.add_argument("--no-progress", action="store_true")
    t = sub.add_parser("train-prior", help="train a score-based prior on a generator's intermediate codes (SGILO)")
    t.add_argument("--prior", default="dcgan-faces", help=f"generator prior: {', '.join(PRIORS)}")
    t.add_argument("--split", type=int, default=1, help="split point whose codes the prior models")
    t.add_argument("--steps", type=int, default=2000)
    t.add_argument("--batch", type=int, default=64)
    t.add_argument("--width", type=int, default=128)
    t.add_argument("--depth", type=int, default=4)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", type=Path, required=True, help="score model file (.pt; a .json config is written beside)")
    t.add_argument("--no-progress", action="store_true")
    c = sub.add_parser("convert", help="write a StyleGAN-2 checkpoint (.pt, NVIDIA .pkl, .safetensors) as .safetensors")
    c.add_argument("checkpoint", type=Path)
    c.add_argument("out", type=Path, help="output file, ending in .safetensors")
    return ap


def convert(args) -> dict:
    from .generators.checkpoints import convert_to_safetensors, load_generator
    if args.out.suffix != ".safetensors":
        raise ValueError(f"the output must end in .safetensors, got {args.out}")
    if args.out.exists():
        raise ValueError(f"{args.out} exists; not overwriting it")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.out.parent) as tmp:   # nothing half-written on failure
        part = convert_to_safetensors(args.checkpoint, Path(tmp) / args.out.name)
        part.replace(args.out)
    G = load_generator(args.out)
    return dict(out=str(args.out), **G.config(), w_avg=G.w_avg is not None)


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
    style = args.prior.startswith("stylegan2:")
    if args.prior not in PRIORS and not style:
        raise ValueError(f"unknown --prior {args.prior!r}; available: {', '.join(PRIORS)}, stylegan2:PATH")
    if style and args.method == "sgilo":
        raise ValueError("--method sgilo is available for the dcgan-faces prior only")
    if args.task not in TASKS:
        raise ValueError(f"unknown --task {args.task!r}; choose from {', '.join(TASKS)}")
    if style:
        from .ilo_stylegan import STYLE_METHODS
        if args.method not in STYLE_METHODS:
            raise ValueError(f"unknown --method {args.method!r} for a StyleGAN-2 prior; choose from "
                             f"{', '.join(STYLE_METHODS)}")
    elif args.method not in METHODS + ("sgilo",):
        raise ValueError(f"unknown --method {args.method!r}; choose from {', '.join(METHODS + ('sgilo',))}")
    if args.method == "sgilo" and (args.score is None or not args.score.is_file()):
        raise ValueError("--method sgilo needs --score PATH, a score model written by `ilo train-prior`")
    if not 0 < args.observed <= 1:
        raise ValueError(f"--observed must lie in (0, 1], got {args.observed}")
    if not (args.dead_zone >= 0 and args.dead_zone_tau >= 0):
        raise ValueError("--dead-zone and --dead-zone-tau must be >= 0")
    if args.restarts < 1 or not args.steps_scale > 0:
        raise ValueError("--restarts must be >= 1 and --steps-scale > 0")
    device = parse_device(args.device)
    img, source = load_image(args.image)
    if style:
        from .generators.checkpoints import load_generator
        G = load_generator(args.prior.split(":", 1)[1], device)
        print(f"prior: StyleGAN-2 {G.size}x{G.size}, w {G.style_dim}, mapping {G.n_mlp} layers, "
              f"conv_clamp {G.conv_clamp}", file=sys.stderr)
    else:
        G = load_dcgan_faces(device)
    img, prep = fit_to_prior(img, G.size if style else 64)
    print(f"image: {source}; {prep}", file=sys.stderr)
    gen = torch.Generator().manual_seed(args.seed)
    task = make_task(args.task, img.shape, rng=gen, observed=args.observed, box=args.box, sigma=args.sigma,
                     factor=args.factor, ratio=args.ratio)
    if args.dead_zone > 0:
        task = dataclasses.replace(task, fit=dataclasses.replace(task.fit, dead_zone_weight=args.dead_zone,
                                                                 dead_zone_tau=args.dead_zone_tau))
    if args.method == "sgilo":
        from .score import load_score
        from .sgilo import SGILOConfig
        score = load_score(args.score).to(device)
        cfg = SGILOConfig(split=score_split(score), mode="practical", restarts=args.restarts,
                          steps=max(2, round(300 * args.steps_scale)), burn_in=max(1, round(200 * args.steps_scale)),
                          thin=max(1, round(20 * args.steps_scale)), csgm_steps=max(1, round(200 * args.steps_scale)))
    elif style:
        from .ilo_stylegan import style_method_config
        cfg = style_method_config(args.method, task.fit, G.num_stages, scale=args.steps_scale,
                                  restarts=args.restarts)
    else:
        cfg = method_config(args.method, task.fit, restarts=args.restarts, scale=args.steps_scale)

    # ---- solve
    op = task.op.to(device)
    y = task.observe(img, rng=gen).to(device)
    mask = None if task.mask is None else task.mask.to(device)
    t0 = time.perf_counter()
    extra = {}
    if args.method == "sgilo":
        from .sgilo import sgilo
        res = sgilo(G, y, op, score, config=cfg, rng=gen, fit=task.fit, mask=mask,
                    progress=not args.no_progress)
        x = res.x_mean[0].cpu()
        extra = dict(posterior_spread=float(res.x_std.mean()), samples=int(res.samples.shape[0]))
        cfg_dict = dataclasses.asdict(cfg)
    elif style:
        from .ilo_stylegan import StyleCSGMConfig, csgm_stylegan, ilo_stylegan
        solver = csgm_stylegan if isinstance(cfg, StyleCSGMConfig) else ilo_stylegan
        res = solver(G, y, op, config=cfg, rng=gen, mask=mask, progress=not args.no_progress)
        x = res.x[0].cpu()
        extra = dict(seconds_per_round=res.seconds)
        cfg_dict = json.loads(json.dumps(dataclasses.asdict(cfg), default=str).replace("Infinity", '"inf"'))
    else:
        res = ilo(G, y, op, config=cfg, rng=gen, mask=mask, progress=not args.no_progress)
        x = res.x[0].cpu()
        extra = dict(seconds_per_round=res.seconds)
        cfg_dict = cfg.to_dict()
    seconds = time.perf_counter() - t0
    metrics = dict(method=args.method, task=args.task, prior=args.prior, image=args.image, seed=args.seed,
                   seconds=seconds, **extra, **all_metrics(x, img), preprocessing=f"{source}; {prep}")
    config = dict(cli={k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                  task=dict(name=task.name, noise_sigma=task.sigma, **task.params), method=cfg_dict)
    if style:
        config["generator"] = G.config()

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


def parse_device(name: str) -> torch.device:
    """``cpu``, ``cuda``, ``cuda:N`` or ``mps``, checked to exist here; anything else is one clear error."""
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ValueError(f"--device {name!r} is not a device name; use cpu, cuda, cuda:N or mps") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"--device {name} was asked for but no CUDA device is available")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ValueError(f"--device {name}: there are {torch.cuda.device_count()} CUDA devices")
    elif device.type == "mps":
        if not torch.backends.mps.is_available():
            raise ValueError("--device mps was asked for but no MPS device is available")
    elif device.type != "cpu":
        raise ValueError(f"--device {name}: use cpu, cuda, cuda:N or mps")
    return device


def score_split(score) -> int:
    """The DCGAN split whose code shape the score model was trained for."""
    from .generators.dcgan import _SHAPES
    shape = tuple(score.shape)
    if shape not in _SHAPES[1:-1]:
        raise ValueError(f"score model shape {shape} matches no intermediate split of dcgan-faces")
    return _SHAPES.index(shape)


def train_prior(args) -> dict:
    from .generators.dcgan import load_dcgan_faces
    from .score import ScoreModel, save_score, train_score

    if args.prior not in PRIORS:
        raise ValueError(f"unknown --prior {args.prior!r}; available: {', '.join(PRIORS)}")
    G = load_dcgan_faces()
    if not 1 <= args.split < G.num_blocks:
        raise ValueError(f"--split must lie in [1, {G.num_blocks - 1}], got {args.split}")
    if args.steps < 1 or args.batch < 2:
        raise ValueError("--steps must be >= 1 and --batch >= 2")
    gen = torch.Generator().manual_seed(args.seed)
    model = ScoreModel(G.latent_shape(args.split), width=args.width, depth=args.depth)

    def sample(n, g):
        with torch.no_grad():
            return G.forward_to(G.sample_latent(n, rng=g), args.split)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    ck = args.out.with_suffix(".ckpt")
    t0 = time.perf_counter()
    losses = train_score(model, sample, steps=args.steps, batch=args.batch, lr=args.lr, rng=gen,
                         checkpoint=ck, progress=not args.no_progress)
    meta = dict(prior=args.prior, split=args.split, seed=args.seed, steps=args.steps, batch=args.batch, lr=args.lr,
                final_loss=float(np.mean(losses[-50:])), seconds=time.perf_counter() - t0,
                command="ilo train-prior " + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()
                                                      if k not in ("command", "no_progress")))
    save_score(model, args.out, **meta)
    ck.unlink(missing_ok=True)
    return meta


def main(argv=None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    try:
        if args.command == "train-prior":
            print(json.dumps(train_prior(args)))
            return 0
        if args.command == "convert":
            print(json.dumps(convert(args)))
            return 0
        metrics = solve(args)
    except ValueError as e:
        ap.exit(2, f"ilo: error: {e}\n")
    print(json.dumps({k: metrics[k] for k in ("method", "task", "psnr", "ssim", "lpips", "seconds")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
