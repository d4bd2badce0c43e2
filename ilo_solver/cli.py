"""``ilo`` command line: ``ilo solve ...`` (file I/O lives here only; the algorithms are pure functions)."""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from . import presets
from .physics.observations import OBSERVABLE_TASKS, real_observation
from .physics.tasks import TASKS, make_task


def _box(s: str) -> tuple[int, int, int, int]:
    try:
        v = tuple(int(t) for t in s.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--box needs TOP,LEFT,HEIGHT,WIDTH integers, got {s!r}") from None
    if len(v) != 4:
        raise argparse.ArgumentTypeError(f"--box needs 4 integers TOP,LEFT,HEIGHT,WIDTH, got {s!r}")
    return v


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """Defaults shown where they say something: not for None/False, nor where the help states its own."""

    def _get_help_string(self, action):
        if action.default in (None, False) or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="ilo", description="Intermediate Layer Optimization for inverse problems.",
                                 formatter_class=_Help)
    sub = ap.add_subparsers(dest="command", required=True)
    s = sub.add_parser("solve", help="reconstruct an image from simulated measurements",
                       formatter_class=_Help)
    s.add_argument("--prior", default="dcgan-faces",
                   help="dcgan-faces, or stylegan2:PATH (rosinality .pt, NVIDIA .pkl -- stylegan2-ada, stylegan3 or "
                        "the original TensorFlow release, read without executing it -- or .safetensors)")
    s.add_argument("--image", help="astronaut, grace_hopper, or a path to an RGB image: the truth, whose "
                   "measurement is simulated")
    s.add_argument("--observation", type=Path, help="a real degraded photo instead (superres: the low-resolution "
                   "photo; inpaint: a photo with missing pixels; denoise: a noisy photo); no truth needed")
    s.add_argument("--mask", type=Path, help="inpaint with --observation: white = observed, black = missing "
                   "(default: the pure-black pixels of the photo are missing, the official ILO convention)")
    s.add_argument("--reference", help="with --observation: the clean image, for metrics (same built-ins or path)")
    s.add_argument("--task", required=True, help=", ".join(TASKS) + ", classify (classifier guidance: no "
                   "measurement, --class says what the Fashion-MNIST classifier must see; --image is then an "
                   "optional reference face)")
    s.add_argument("--class", dest="label", help="classify: the target class (t-shirt, trouser, pullover, dress, "
                   "coat, sandal, shirt, sneaker, bag, ankle-boot)")
    s.add_argument("--classifier", default="robust", help="classify: the shipped 'robust' or 'standard' "
                   "Fashion-MNIST classifier, or a .safetensors file from `ilo train-classifier`")
    s.add_argument("--anchor", type=float, default=0.0, metavar="WEIGHT", help="classify: add WEIGHT * MSE(x, "
                   "--image) to the cross-entropy (Fig. 5's morphing of a reference face); needs --image")
    s.add_argument("--radius", type=float, default=None, help="the l1 radius of every intermediate round "
                   "(dcgan-faces ilo/unconstrained; default: the preset's; 0 = the CSGM round alone, inf = "
                   "unconstrained) -- the trade-off knob of classifier guidance")
    s.add_argument("--observed", type=float, default=0.2, help="inpaint: fraction of observed pixels")
    s.add_argument("--box", type=_box, help="inpaint: hide the box TOP,LEFT,HEIGHT,WIDTH instead (pixels of the "
                        "image as resized to the prior's resolution; the box must lie inside it)")
    s.add_argument("--sigma", type=float, default=None, help="denoise: noise std on [-1, 1] images (simulated: "
                   "default 0.1; --observation: estimated from the photo when not given)")
    s.add_argument("--factor", type=int, default=4, help="superres: downsampling factor")
    s.add_argument("--ratio", type=float, default=0.1, help="cs-*: measurements m / n, in (0, 1]")
    s.add_argument("--method", default="ilo", help="dcgan-faces: " + ", ".join(presets.methods("dcgan-faces"))
                   + "; stylegan2: " + ", ".join(presets.methods("stylegan2")))
    s.add_argument("--dead-zone", type=float, default=0.0, metavar="WEIGHT",
                   help="add WEIGHT * dead-zone l1 (residuals below --dead-zone-tau cost nothing) to the data fit")
    s.add_argument("--dead-zone-tau", type=float, default=0.1, help="dead-zone tolerance on [-1, 1] images "
                   "(official ILO: 0.1)")
    s.add_argument("--restarts", type=int, default=None,
                   help="starts optimised as one batch (default: the preset's, 4; StyleGAN-2 pulse/ilo: 1)")
    s.add_argument("--steps-scale", type=float, default=1.0, help="multiply every step count of the preset")
    s.add_argument("--seed", type=int, default=0, help="seed of the measurement draw and of the solver")
    s.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or mps")
    s.add_argument("--out", type=Path, required=True,
                   help="result directory (metrics.json, config.json, grid.png, reconstruction.png)")
    s.add_argument("--overwrite", action="store_true", help="replace an existing, non-empty --out directory")
    s.add_argument("--score", type=Path, help="sgilo: score model from `ilo train-prior` (default: the shipped "
                   "dcgan-faces split-1 model, ilo_solver/data/score_dcgan_split1.pt)")
    s.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    t = sub.add_parser("train-prior", help="train a score-based prior on a generator's intermediate codes (SGILO)",
                       formatter_class=_Help)
    t.add_argument("--prior", default="dcgan-faces", help="generator prior (dcgan-faces)")
    t.add_argument("--split", type=int, default=1, help="split point whose codes the prior models")
    t.add_argument("--steps", type=int, default=2000, help="training steps")
    t.add_argument("--batch", type=int, default=64, help="codes per step")
    t.add_argument("--width", type=int, default=128, help="hidden channels of the score network")
    t.add_argument("--depth", type=int, default=4, help="residual blocks of the score network")
    t.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    t.add_argument("--seed", type=int, default=0, help="seed of the codes and the noise")
    t.add_argument("--out", type=Path, required=True, help="score model file (.pt; a .json config is written beside)")
    t.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    k = sub.add_parser("train-classifier", help="train the Fashion-MNIST classifier that guides `ilo solve --task "
                       "classify` (standard, or robust by l2 PGD adversarial training)", formatter_class=_Help)
    k.add_argument("--robust", action="store_true", help="PGD adversarial training (Madry et al. 2018) in the l2 "
                   "ball of radius --eps")
    k.add_argument("--eps", type=float, default=1.5, help="--robust: l2 radius of the training attack, on 28x28 "
                   "images in [0, 1]")
    k.add_argument("--pgd-steps", type=int, default=7, help="--robust: PGD steps of the training attack")
    k.add_argument("--eval-eps", type=float, default=1.5, help="l2 radius of the test-time attack")
    k.add_argument("--eval-steps", type=int, default=20, help="PGD steps of the test-time attack")
    k.add_argument("--epochs", type=int, default=8)
    k.add_argument("--batch", type=int, default=128)
    k.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (cosine-annealed to 0)")
    k.add_argument("--width", type=int, default=16, help="channels of the first conv block (the second has 2x)")
    k.add_argument("--hidden", type=int, default=64, help="units of the hidden dense layer")
    k.add_argument("--seed", type=int, default=0, help="seed of the initialisation, the batches and the attacks")
    k.add_argument("--data", type=Path, default=None, help="directory of the Fashion-MNIST idx .gz files (default: "
                   "$ILO_FASHION_MNIST, else /usr/share/datasets/fashion-mnist)")
    k.add_argument("--out", type=Path, required=True, help="weights file (.safetensors; a .json is written beside)")
    k.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    r = sub.add_parser("srec", help="estimate the S-REC constant gamma_hat(m) of a generator's range or extended "
                       "range (how many measurements it needs)", formatter_class=_Help)
    r.add_argument("--prior", default="dcgan-faces", help="dcgan-faces, or stylegan2:PATH (split s = after synthesis "
                   "stage s-1; the l1 ball covers that stage's features, skip and w together)")
    r.add_argument("--operator", default="cs-gaussian", help="cs-gaussian or cs-circulant")
    r.add_argument("--ratios", type=_floats, default=(0.01, 0.02, 0.05, 0.1, 0.2), help="m / n, comma-separated")
    r.add_argument("--splits", type=_ints, default=(0,), help="splits s, comma-separated (0: the range of G)")
    r.add_argument("--radius", type=float, default=None, help="r2 of the intermediate l1 ball at every split > 0 "
                   "(default: the ilo preset's radius at that split; split 0 is the range, r2 = 0)")
    r.add_argument("--delta", type=float, default=None,
                   help="the S-REC slack delta (default: 0.05 x the mean image norm of prior samples)")
    r.add_argument("--draws", type=int, default=5, help="independent matrices per m (the CI is over them)")
    r.add_argument("--pairs", type=int, default=200, help="random pairs screened per draw")
    r.add_argument("--restarts", type=int, default=4, help="adversarial searches started from the worst pairs")
    r.add_argument("--steps", type=int, default=100, help="projected Adam steps of each search")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--out", type=Path, required=True, help="result directory (srec.json, srec.png)")
    r.add_argument("--overwrite", action="store_true", help="replace an existing, non-empty --out directory")
    c = sub.add_parser("convert", help="write a StyleGAN-2 checkpoint (.pt, NVIDIA .pkl, .safetensors) as .safetensors")
    c.add_argument("checkpoint", type=Path, help="the checkpoint to read (never executed)")
    c.add_argument("out", type=Path, help="output file, ending in .safetensors")
    return ap


def _floats(s: str) -> tuple[float, ...]:
    try:
        return tuple(float(t) for t in s.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {s!r}") from None


def _ints(s: str) -> tuple[int, ...]:
    try:
        return tuple(int(t) for t in s.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {s!r}") from None


def srec(args) -> dict:
    """``ilo srec``: gamma_hat(m) per split with CIs over matrix draws; everything checked before any work."""
    from .generators.dcgan import load_dcgan_faces
    from .solvers.srec import MEASUREMENTS, srec_curve, typical_delta
    from .storage import check_output_dir, dumps, write_result_dir
    style = args.prior.startswith("stylegan2:")
    if args.prior != "dcgan-faces" and not style:
        raise ValueError(f"--prior must be dcgan-faces or stylegan2:PATH (any LayeredGenerator through the API "
                         f"ilo_solver.srec.srec_curve), got {args.prior!r}")
    if style and args.radius is None and any(s > 0 for s in args.splits):
        raise ValueError("a StyleGAN-2 split > 0 needs --radius (the l1 ball over the stage's state has no preset)")
    if args.operator not in MEASUREMENTS:
        raise ValueError(f"--operator must be one of {', '.join(MEASUREMENTS)}, got {args.operator!r}")
    if not all(0 < r <= 1 for r in args.ratios):
        raise ValueError(f"--ratios must lie in (0, 1], got {args.ratios}")
    for name in ("radius", "delta"):
        if getattr(args, name) is not None:
            _finite(f"--{name}", getattr(args, name))
    if args.draws < 2 or args.pairs < 1 or args.restarts < 1 or args.steps < 0 or args.restarts > args.pairs:
        raise ValueError("--draws >= 2, --pairs >= --restarts >= 1 and --steps >= 0 are needed")
    check_output_dir(args.out, overwrite=args.overwrite)
    if style:
        from .generators.checkpoints import load_generator
        from .generators.stylegan_layered import StyleGANLayered
        G = StyleGANLayered(load_generator(args.prior.split(":", 1)[1], "cpu"))
    else:
        G = load_dcgan_faces("cpu")
    if not all(0 <= s < G.num_blocks for s in args.splits):
        raise ValueError(f"--splits must lie in [0, {G.num_blocks - 1}], got {args.splits}")
    n = math.prod(G.latent_shape(G.num_blocks))
    ms = sorted({max(1, round(r * n)) for r in args.ratios})
    rng = torch.Generator().manual_seed(args.seed)
    delta = typical_delta(G, rng=rng) if args.delta is None else args.delta
    radius = {s: 0.0 if s == 0 else presets.ilo_radius(args.prior, s) if args.radius is None else args.radius
              for s in args.splits}
    curves = [srec_curve(G, args.operator, ms, split=s, r2=radius[s], delta=delta, draws=args.draws,
                         pairs=args.pairs, restarts=args.restarts, steps=args.steps, rng=rng).as_dict()
              for s in args.splits]
    result = dict(prior=args.prior, operator=args.operator, n=n, cli=vars(args), curves=curves)

    def figure(path):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6, 4))
        for c in curves:
            x = np.array(c["ms"]) / n
            line, = ax.semilogx(x, c["mean"], "o-", label=f"split {c['split']}, r2 = {c['r2']:g}")
            ax.fill_between(x, c["lo"], c["hi"], color=line.get_color(), alpha=0.2)
        ax.set_xlabel("m / n")
        ax.set_ylabel("adversarial gamma_hat (mean, 95% t-band)")
        ax.set_title(f"S-REC of {args.prior}, {args.operator}, delta = {delta:.3g}", fontsize=9)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
    write_result_dir(args.out, {"srec.json": lambda p: p.write_text(dumps(result, indent=1)), "srec.png": figure},
                     overwrite=args.overwrite)
    return dict(splits=list(args.splits), ms=ms, mean={c["split"]: c["mean"] for c in curves})


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

    from .io.images import to_uint8
    fig, axes = plt.subplots(1, len(images), figsize=(3 * len(images), 3.3))
    for ax, im, t in zip(axes, images, titles, strict=True):
        ax.imshow(to_uint8(im), interpolation="nearest")
        ax.set_title(t, fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _finite(name: str, v: float, lo: float = 0.0) -> None:
    if not (math.isfinite(v) and v >= lo):
        raise ValueError(f"{name} must be finite and >= {lo:g}, got {v}")


def _check_classify_args(args, prior: str) -> None:
    from .priors.classifiers import class_index
    if prior != "dcgan-faces" or args.method not in ("ilo", "csgm", "unconstrained"):
        raise ValueError("--task classify runs on the dcgan-faces prior with --method ilo, csgm or unconstrained")
    if args.label is None:
        raise ValueError("--task classify needs --class NAME")
    class_index(args.label)
    if args.observation is not None or args.mask is not None or args.reference is not None:
        raise ValueError("--task classify has no observation: --observation, --mask and --reference do not apply "
                         "(--image is the optional reference face)")
    _finite("--anchor", args.anchor)
    if args.anchor > 0 and args.image is None:
        raise ValueError("--anchor needs --image (the reference face the morph stays close to)")
    if args.classifier not in ("robust", "standard") and not Path(args.classifier).is_file():
        raise ValueError(f"--classifier must be robust, standard or an existing .safetensors file, got "
                         f"{args.classifier!r}")
    if args.dead_zone != 0:
        raise ValueError("--dead-zone does not apply to --task classify")


def _check_solve_args(args) -> str:
    """Every option that can be checked before any work (the output location too); returns the prior's table key."""
    from .storage import check_output_dir
    style = args.prior.startswith("stylegan2:")
    prior = "stylegan2" if style else args.prior
    if prior != "dcgan-faces" and not style:
        raise ValueError(f"unknown --prior {args.prior!r}; available: dcgan-faces, stylegan2:PATH")
    if args.method not in presets.methods(prior):
        raise ValueError(f"unknown --method {args.method!r} for the {prior} prior; choose from "
                         f"{', '.join(presets.methods(prior))}")
    if args.task == "classify":
        _check_classify_args(args, prior)
    elif args.task not in TASKS:
        raise ValueError(f"unknown --task {args.task!r}; choose from {', '.join(TASKS)}, classify")
    elif args.label is not None or args.anchor != 0:
        raise ValueError("--class and --anchor go with --task classify")
    if args.radius is not None and (prior != "dcgan-faces" or args.method not in ("ilo", "unconstrained")):
        raise ValueError("--radius applies to the dcgan-faces ilo and unconstrained methods")
    if args.radius is not None and not (args.radius >= 0):
        raise ValueError(f"--radius must be >= 0 (inf: unconstrained), got {args.radius}")
    if args.task != "classify" and (args.image is None) == (args.observation is None):
        raise ValueError("give either --image (a truth, measured by simulation) or --observation (a real degraded "
                         "photo)")
    if args.observation is None and (args.mask is not None or args.reference is not None):
        raise ValueError("--mask and --reference go with --observation")
    if args.observation is not None and args.task not in OBSERVABLE_TASKS:
        raise ValueError(f"--observation applies to {', '.join(OBSERVABLE_TASKS)}, not {args.task}")
    if args.sigma is not None:
        _finite("--sigma", args.sigma)
    if not 0 < args.observed <= 1:
        raise ValueError(f"--observed must lie in (0, 1], got {args.observed}")
    _finite("--dead-zone", args.dead_zone)
    _finite("--dead-zone-tau", args.dead_zone_tau)
    if args.out.is_dir() and any(args.out.iterdir()) and not args.overwrite:
        raise ValueError(f"--out {args.out} exists and is not empty; pass --overwrite to replace it")
    check_output_dir(args.out, overwrite=args.overwrite)
    return prior


def solve(args) -> dict:
    """parse → preset → solve → write: everything is checked before any work, and the outputs appear together."""
    from .fit.metrics import all_metrics
    from .generators.dcgan import load_dcgan_faces
    from .storage import config_to_dict, dumps, load_score, write_result_dir

    prior = _check_solve_args(args)
    if args.task == "classify":
        return solve_classify(args)
    style = prior == "stylegan2"
    device = parse_device(args.device)
    if args.method == "sgilo":
        from .io.assets import AssetError, shipped_score_path
        try:   # the shipped prior (dcgan-faces, split 1) unless --score gives another
            score = load_score(args.score if args.score is not None else shipped_score_path()).to(device)
        except AssetError as e:
            raise ValueError(str(e)) from None
    else:
        score = None
    if style:
        from .generators.checkpoints import load_generator
        G = load_generator(args.prior.split(":", 1)[1], device)
        print(f"prior: StyleGAN-2 {G.size}x{G.size}, w {G.style_dim}, mapping {G.n_mlp} layers, "
              f"conv_clamp {G.conv_clamp}", file=sys.stderr)
    else:
        G = load_dcgan_faces(device)
    size = G.size if style else 64
    rng = torch.Generator().manual_seed(args.seed)
    img, y, task, note = _observe(args, size, rng)
    print(note, file=sys.stderr)
    fit = task.fit if args.dead_zone == 0 else dataclasses.replace(task.fit, dead_zone_weight=args.dead_zone,
                                                                   dead_zone_tau=args.dead_zone_tau)
    cfg = presets.configure(prior, args.method, fit=fit, steps_scale=args.steps_scale, restarts=args.restarts,
                            num_stages=G.num_stages if style else None,
                            **(dict(split=score_split(score)) if score is not None else {}))
    if args.radius is not None:
        cfg = presets.with_radius(cfg, args.radius)

    op, y = task.op.to(device), y.to(device)
    t0 = time.perf_counter()
    res = presets.solve(G, y, op, config=cfg, rng=rng, score=score, progress=not args.no_progress)
    seconds, x = time.perf_counter() - t0, res.x[0].cpu()
    extra = (dict(posterior_spread=float(res.x_std.mean()), samples=int(res.samples.shape[0]))
             if score is not None else {})
    with torch.no_grad():   # the measurement fit of the reconstruction (MSE of A(x) against y)
        fit_mse = float(((op(res.x) - y) ** 2).mean())
    metrics = dict(method=args.method, task=args.task, prior=args.prior, image=args.image,
                   observation=args.observation, seed=args.seed, seconds=seconds, seconds_per_round=res.seconds,
                   measurement_mse=fit_mse, **extra, **(all_metrics(x, img) if img is not None else {}),
                   preprocessing=note)
    config = dict(cli=vars(args), task=dict(name=task.name, noise_sigma=task.sigma, **task.params),
                  method=config_to_dict(cfg), **(dict(generator=G.config()) if style else {}))
    shown = _measurement_image(task, y.cpu(), x.shape)
    grid = (([img, shown, x], ["truth", f"measurement ({args.task})", f"{args.method}: {metrics['psnr']:.2f} dB"])
            if img is not None else ([shown, x], [f"observation ({args.task})", args.method]))
    write_result_dir(args.out, {"metrics.json": lambda p: p.write_text(dumps(metrics, indent=1)),
                                "config.json": lambda p: p.write_text(dumps(config, indent=1)),
                                "grid.png": lambda p: _grid(*grid, p),
                                "reconstruction.png": lambda p: _save_png(x, p)}, overwrite=args.overwrite)
    return metrics


def _classifier(name: str):
    from .io.assets import AssetError
    from .priors.classifiers import load_classifier, shipped_classifier
    try:
        return shipped_classifier(name) if name in ("robust", "standard") else load_classifier(name)
    except AssetError as e:
        raise ValueError(str(e)) from None


def solve_classify(args) -> dict:
    """``ilo solve --task classify``: ILO with the classifier as the forward operator (ILO paper §4, Figs. 4-5)."""
    from .generators.dcgan import load_dcgan_faces
    from .io.images import fit_to_prior, load_image
    from .priors.classifiers import CLASSES, class_index
    from .solvers.guidance import GUIDANCE_R1, class_probability, classify_task, range_distance
    from .storage import config_to_dict, dumps, write_result_dir

    device = parse_device(args.device)
    judges = {k: _classifier(k).to(device) for k in ("robust", "standard")}
    clf = judges[args.classifier] if args.classifier in judges else _classifier(args.classifier).to(device)
    G = load_dcgan_faces(device)
    label = class_index(args.label)
    ref, note = None, "no reference face"
    if args.image is not None:
        ref, source = load_image(args.image)
        ref, prep = fit_to_prior(ref, 64)
        note = f"reference: {source}; {prep}"
    task = classify_task(clf, label, reference=ref, anchor_weight=args.anchor)
    cfg = presets.configure("dcgan-faces", args.method, fit=task.fit, steps_scale=args.steps_scale,
                            restarts=args.restarts, r1=GUIDANCE_R1)
    if args.radius is not None:
        cfg = presets.with_radius(cfg, args.radius)
    rng = torch.Generator().manual_seed(args.seed)
    op, y = task.op.to(device), task.observe(None, rng=rng).to(device)
    t0 = time.perf_counter()
    res = presets.solve(G, y, op, config=cfg, rng=rng, progress=not args.no_progress)
    seconds = time.perf_counter() - t0
    x = res.x.cpu()
    dist, _ = range_distance(G, res.x, starts=res.z[res.best:res.best + 1], steps=200, rng=rng)
    prob = {k: float(class_probability(j, res.x, label)[0]) for k, j in (("guide", clf), *judges.items())}
    with torch.no_grad():
        predicted = {k: CLASSES[int(j(res.x).argmax())] for k, j in judges.items()}
    metrics = dict(method=args.method, task="classify", target=CLASSES[label], classifier=args.classifier,
                   prior=args.prior, image=args.image, anchor=args.anchor, radius=args.radius, seed=args.seed,
                   seconds=seconds, seconds_per_round=res.seconds,
                   probability=prob["guide"], **{f"probability_{k}": prob[k] for k in judges}, predicted=predicted,
                   range_distance=float(dist[0]), preprocessing=note,
                   **(dict(to_reference=float(((x - ref[None]) ** 2).mean().sqrt())) if ref is not None else {}))
    config = dict(cli=vars(args), task=dict(name="classify", **task.params), method=config_to_dict(cfg))
    seen = torch.nn.functional.interpolate(clf.to_fashion(x), size=(64, 64), mode="nearest")[0].expand(3, -1, -1)
    title = f"{args.method}: p({CLASSES[label]}) = {metrics['probability']:.2f}"
    grid = (([ref, x[0], seen * 2 - 1], ["reference", title, "what the classifier sees"]) if ref is not None
            else ([x[0], seen * 2 - 1], [title, "what the classifier sees"]))
    write_result_dir(args.out, {"metrics.json": lambda p: p.write_text(dumps(metrics, indent=1)),
                                "config.json": lambda p: p.write_text(dumps(config, indent=1)),
                                "grid.png": lambda p: _grid(*grid, p),
                                "reconstruction.png": lambda p: _save_png(x[0], p)}, overwrite=args.overwrite)
    return metrics


def _observe(args, size: int, rng: torch.Generator):
    """(truth or None, observation y, task, what was done): simulated from --image, or a real --observation."""
    from .io.images import fit_to_prior, load_image
    if args.observation is None:
        img, source = load_image(args.image)
        img, prep = fit_to_prior(img, size)
        task = make_task(args.task, img.shape, rng=rng, observed=args.observed, box=args.box,
                         sigma=0.1 if args.sigma is None else args.sigma, factor=args.factor, ratio=args.ratio)
        return img, task.observe(img, rng=rng), task, f"image: {source}; {prep}"
    task, y, note = real_observation(args.task, args.observation, size, factor=args.factor, mask_path=args.mask,
                                     sigma=args.sigma)
    ref = None
    if args.reference is not None:
        ref, rsrc = load_image(args.reference)
        ref, rprep = fit_to_prior(ref, size)
        note += f"; reference {rsrc}; {rprep}"
    return ref, y, task, note


def _save_png(x: torch.Tensor, path: Path) -> None:
    from PIL import Image

    from .io.images import to_uint8
    Image.fromarray(to_uint8(x)).save(path)


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
    from .priors.score import train_code_prior
    from .storage import save_score

    if args.prior != "dcgan-faces":
        raise ValueError(f"unknown --prior {args.prior!r}; score priors are trained for dcgan-faces")
    if args.out.exists() or args.out.with_suffix(".json").exists():
        raise ValueError(f"{args.out} (or its .json) exists; not overwriting it")
    if args.out.parent.exists() and not args.out.parent.is_dir():
        raise ValueError(f"cannot write {args.out}: {args.out.parent} is not a directory")
    G = load_dcgan_faces()
    if not 1 <= args.split < G.num_blocks:
        raise ValueError(f"--split must lie in [1, {G.num_blocks - 1}], got {args.split}")
    if not (1 <= args.steps <= 10_000_000 and 2 <= args.batch <= 65536 and 1 <= args.width <= 4096
            and 1 <= args.depth <= 64 and math.isfinite(args.lr) and args.lr > 0):
        raise ValueError("--steps must lie in [1, 1e7], --batch in [2, 65536], --width in [1, 4096], --depth in "
                         f"[1, 64] and --lr be finite and > 0; got steps {args.steps}, batch {args.batch}, width "
                         f"{args.width}, depth {args.depth}, lr {args.lr}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    ck = args.out.with_suffix(".ckpt")
    t0 = time.perf_counter()
    model, losses = train_code_prior(G, args.split, steps=args.steps, batch=args.batch, width=args.width,
                                     depth=args.depth, lr=args.lr, rng=torch.Generator().manual_seed(args.seed),
                                     checkpoint=ck, progress=not args.no_progress)
    meta = dict(prior=args.prior, split=args.split, seed=args.seed, steps=args.steps, batch=args.batch, lr=args.lr,
                final_loss=float(np.mean(losses[-50:])), seconds=time.perf_counter() - t0,
                command="ilo train-prior " + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()
                                                      if k not in ("command", "no_progress")))
    save_score(model, args.out, **meta)
    ck.unlink(missing_ok=True)
    return meta


def train_classifier(args) -> dict:
    from .priors.classifiers import train_and_save
    if not (1 <= args.epochs <= 10_000 and 1 <= args.batch <= 65536 and math.isfinite(args.lr) and args.lr > 0
            and args.pgd_steps >= 1 and args.eval_steps >= 0):
        raise ValueError("--epochs must lie in [1, 10000], --batch in [1, 65536], --lr be finite and > 0, "
                         "--pgd-steps >= 1 and --eval-steps >= 0")
    _finite("--eps", args.eps)
    _finite("--eval-eps", args.eval_eps)
    eps = args.eps if args.robust else 0.0
    opts = [f"--epochs {args.epochs}", f"--batch {args.batch}", f"--lr {args.lr:g}", f"--width {args.width}",
            f"--hidden {args.hidden}", f"--seed {args.seed}", f"--eval-eps {args.eval_eps:g}",
            f"--eval-steps {args.eval_steps}"]
    if args.robust:
        opts = ["--robust", f"--eps {args.eps:g}", f"--pgd-steps {args.pgd_steps}"] + opts
    return train_and_save(out=args.out, data=args.data, epochs=args.epochs, eps=eps, pgd_steps=args.pgd_steps,
                          eval_eps=args.eval_eps, eval_steps=args.eval_steps, batch=args.batch, lr=args.lr,
                          width=args.width, hidden=args.hidden, seed=args.seed,
                          command="ilo train-classifier " + " ".join(opts) + f" --out {args.out.name}",
                          progress=not args.no_progress)


def main(argv=None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    try:
        if args.command == "train-prior":
            print(json.dumps(train_prior(args)))
            return 0
        if args.command == "train-classifier":
            print(json.dumps(train_classifier(args)))
            return 0
        if args.command == "convert":
            print(json.dumps(convert(args)))
            return 0
        if args.command == "srec":
            print(json.dumps(srec(args)))
            return 0
        metrics = solve(args)
    except ValueError as e:
        ap.exit(2, f"ilo: error: {e}\n")
    except OSError as e:   # an output that cannot be written (read-only, under a file, disk full): said, not a trace
        ap.exit(2, f"ilo: error: {e.strerror or e}: {e.filename or ''}\n")
    except KeyboardInterrupt:
        if args.command == "train-prior":
            ap.exit(130, f"ilo: interrupted; the last checkpoint {args.out.with_suffix('.ckpt')} is kept: run the "
                         "same command again to resume\n")
        ap.exit(130, "ilo: interrupted; nothing was written\n")
    print(json.dumps({k: metrics[k] for k in ("method", "task", "psnr", "ssim", "lpips", "measurement_mse", "target",
                                              "probability", "range_distance", "seconds") if k in metrics}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
