"""``ilo solve``: reconstruct an image from measurements -- parse, :mod:`ilo_solver.runs`, write."""
from __future__ import annotations

import sys

from ._args import add_output, add_run, box, parser, save_size
from ._names import METHODS, TASKS

NAME = "solve"
SUMMARY_KEYS = ("method", "task", "psnr", "ssim", "lpips", "measurement_mse", "seconds")


def add_parser(sub) -> None:
    s = parser(sub, NAME, "reconstruct an image from simulated measurements or a real degraded photo",
               "The truth (--image) is measured by simulation, or a real degraded photo (--observation) is solved "
               "as it is. Images are fitted to the prior's resolution (64x64 for dcgan-faces).",
               "ilo solve --image astronaut --task inpaint --observed 0.2 --method ilo --out out/",
               timed=tuple(f"solve --method {m}" for m in METHODS["dcgan-faces"]))
    g = s.add_argument_group("problem")
    src = g.add_mutually_exclusive_group()
    src.add_argument("--image", help="the truth: astronaut, grace_hopper, or an RGB image file")
    src.add_argument("--observation", help="a real degraded photo (superres: the low-resolution photo; inpaint: a "
                     "photo with missing pixels; denoise: a noisy photo); no truth needed")
    g.add_argument("--task", required=True, choices=TASKS)
    g.add_argument("--mask", help="inpaint with --observation: white = observed, black = missing (default: the "
                   "pure-black pixels of the photo are missing, the official ILO convention)")
    g.add_argument("--black-threshold", type=int, metavar="T", help="inpaint with --observation and no --mask: "
                   "pixels with every channel <= T (0-254) are missing (needed for JPEG: compression lifts black)")
    g.add_argument("--reference", help="with --observation: the clean image, for metrics")
    g.add_argument("--no-face-crop", action="store_true", help="use a photo's centre square instead of finding the "
                   "face (default: an --image file, or a denoise / inpaint --observation, is cut to the largest "
                   "face OpenCV's cascade finds, aligned by the eyes, framed as the prior's faces; no face is an "
                   "error; the built-ins keep their face crops; a superres input is used whole)")
    g.add_argument("--observed", type=float, default=0.2, help="inpaint: fraction of observed pixels, in (0, 1]")
    g.add_argument("--box", type=box, help="inpaint: hide the box TOP,LEFT,HEIGHT,WIDTH instead (pixels of the "
                   "image at the prior's resolution)")
    g.add_argument("--sigma", type=float, default=None, help="denoise: noise std on [-1, 1] images (simulated: "
                   "default 0.1; --observation: estimated from the photo when not given)")
    g.add_argument("--factor", type=int, default=4, help="superres: downsampling factor; the prior reconstructs at "
                   "its own size S (dcgan-faces: 64x64) and the low-resolution --observation must be (S/factor)^2 "
                   "(16x16 at --factor 4, 32x32 at 2): another size is refused, never resized")
    g.add_argument("--ratio", type=float, default=0.1, help="cs-*: measurements m / n, in (0, 1]")
    m = s.add_argument_group("prior and method")
    m.add_argument("--prior", default="dcgan-faces", help="dcgan-faces, or stylegan2:PATH (rosinality .pt, NVIDIA "
                   ".pkl -- stylegan2-ada, stylegan3 or the original TensorFlow release, read without executing it "
                   "-- or .safetensors)")
    m.add_argument("--method", default="ilo", help="dcgan-faces: " + ", ".join(METHODS["dcgan-faces"])
                   + "; stylegan2: " + ", ".join(METHODS["stylegan2"]))
    m.add_argument("--radius", type=float, default=None, help="l1 radius of every intermediate round (dcgan-faces "
                   "ilo/unconstrained; default: the preset's; 0 = the CSGM round alone, inf = unconstrained)")
    m.add_argument("--dead-zone", type=float, default=0.0, metavar="WEIGHT",
                   help="add WEIGHT * dead-zone l1 (residuals below --dead-zone-tau cost nothing) to the data fit")
    m.add_argument("--dead-zone-tau", type=float, default=0.1, help="dead-zone tolerance on [-1, 1] images")
    m.add_argument("--restarts", type=int, default=None,
                   help="starts optimised as one batch (default: the preset's, 4; StyleGAN-2 pulse/ilo: 1)")
    m.add_argument("--steps-scale", type=float, default=1.0, help="multiply every step count of the preset")
    m.add_argument("--samples", type=int, default=None, metavar="N", help="sgilo: also write N posterior samples "
                   "(sample_01.png ...), their pixelwise standard deviation (std.png) and a grid (samples.png), with "
                   "each sample's metrics")
    m.add_argument("--score", help="sgilo: score model from `ilo train-prior` (default: the shipped dcgan-faces "
                   "split-1 model)")
    add_run(s, "seed of the measurement draw and of the solver")
    add_output(s, "metrics.json, config.json, grid.png, reconstruction.png; state.safetensors for ilo render")
    s.add_argument("--save-size", type=save_size, metavar="N", help="also write reconstruction_Npx.png, the "
                   "reconstruction enlarged to N x N (bicubic: no detail is added), e.g. the side of the square cut "
                   "from your photo, which the run prints")


def run(args) -> dict:
    """Validate everything cheap (prior spec, method, output), load the prior, build the problem and the config,
    solve, and write the four result files together."""
    from ilo_solver import presets, runs
    from ilo_solver.storage import check_output_dir, config_to_dict, write_reconstruction
    key, _ = presets.parse_prior(args.prior)
    device = presets.parse_device(args.device)
    inputs = (args.image, args.observation, args.mask, args.reference, args.score)
    check_output_dir(args.out, overwrite=args.overwrite, inputs=inputs)
    prior = presets.load_prior(args.prior, device)
    print(f"prior: {prior.description}", file=sys.stderr)
    rng = presets.generator(args.seed)
    problem = runs.make_problem(args.task, prior.size, rng=rng, image=args.image, observation=args.observation,
                                mask=args.mask, reference=args.reference, observed=args.observed, box=args.box,
                                sigma=args.sigma, factor=args.factor, ratio=args.ratio,
                                black_threshold=args.black_threshold, face_crop=not args.no_face_crop)
    print(problem.note, file=sys.stderr)
    score, extra = None, {}
    if args.method == "sgilo":
        score, split = runs.load_score_for(prior.G, args.score, device)
        extra = dict(split=split)
    cfg = runs.plan(key, args.method, problem.task.fit, steps_scale=args.steps_scale, restarts=args.restarts,
                    radius=args.radius, dead_zone=args.dead_zone, dead_zone_tau=args.dead_zone_tau,
                    num_stages=prior.num_stages, samples=args.samples, **extra)
    rec = runs.reconstruct(prior, problem, cfg, rng=rng, score=score, device=device,
                           progress=not args.no_progress)
    metrics = dict(method=args.method, task=args.task, prior=args.prior, image=args.image,
                   observation=args.observation, seed=args.seed, **rec.metrics)
    files = {}
    from ilo_solver.solvers.ilo import ILOResult
    from ilo_solver.solvers.sgilo import SGILOResult
    if isinstance(rec.result, (ILOResult, SGILOResult)):   # the solution state, for `ilo render`
        from ilo_solver.render import STATE, save_solution
        files[STATE] = lambda p: save_solution(p, rec.result, prior_spec=args.prior, G=prior.layered(),
                                               method=args.method, config=config_to_dict(cfg))
    if args.samples is not None:
        sample_files, sample_metrics = runs.posterior_samples(rec, args.samples, problem.truth)
        files.update(sample_files)
        metrics.update(sample_metrics)
    config = dict(cli=vars(args), task=dict(name=problem.task.name, noise_sigma=problem.task.sigma,
                                            **problem.task.params),
                  method=config_to_dict(cfg), **(dict(generator=prior.G.config()) if key == "stylegan2" else {}))
    write_reconstruction(args.out, metrics=metrics, config=config, figure=rec.grid(problem, args.method), x=rec.x,
                         overwrite=args.overwrite, inputs=inputs, save_size=args.save_size, extra=files)
    return {k: metrics[k] for k in SUMMARY_KEYS if k in metrics}
