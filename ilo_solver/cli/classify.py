"""``ilo classify``: classifier-guided generation (ILO §4, Figs. 4-5) -- parse, :func:`ilo_solver.runs.classify`,
write."""
from __future__ import annotations

from pathlib import Path

from ._args import add_output, add_run, parser
from ._names import CLASSES

NAME = "classify"
SUMMARY_KEYS = ("method", "target", "probability", "range_distance", "seconds")


def add_parser(sub) -> None:
    s = parser(sub, NAME, "make a Fashion-MNIST classifier see a class in a generated face (classifier guidance)",
               "ILO with the classifier as the forward operator: the cross-entropy to --class, optionally plus "
               "WEIGHT * MSE to a reference face (--image --anchor W); the l1 radius trades the class probability "
               "against the distance to the generator's range.",
               "ilo classify --class trouser --radius 400 --out guided/")
    s.add_argument("--class", dest="label", required=True, choices=CLASSES, help="the target class")
    s.add_argument("--classifier", default="robust", help="the shipped 'robust' or 'standard' classifier, or a "
                   ".safetensors file from `ilo train-classifier`")
    s.add_argument("--image", help="a reference face (built-in name or file)")
    s.add_argument("--anchor", type=float, default=0.0, metavar="WEIGHT", help="add WEIGHT * MSE(x, --image) to "
                   "the cross-entropy (Fig. 5's morphing of a reference face)")
    s.add_argument("--method", default="ilo", choices=("ilo", "csgm", "unconstrained"))
    s.add_argument("--radius", type=float, default=None, help="l1 radius of every intermediate round (default: the "
                   "preset's; 0 = the CSGM round alone, inf = unconstrained)")
    s.add_argument("--restarts", type=int, default=None, help="starts optimised as one batch (default: 4)")
    s.add_argument("--steps-scale", type=float, default=1.0, help="multiply every step count of the preset")
    add_run(s)
    add_output(s, "metrics.json, config.json, grid.png, reconstruction.png")


def _classifier(name: str, device):
    from ilo_solver.io.assets import AssetError
    from ilo_solver.priors.classifiers import load_classifier, shipped_classifier
    try:
        return (shipped_classifier(name) if name in ("robust", "standard") else load_classifier(Path(name))).to(device)
    except AssetError as e:
        raise ValueError(str(e)) from None


def run(args) -> dict:
    from ilo_solver import presets, runs
    from ilo_solver.io.images import fit_to_prior, load_image
    from ilo_solver.priors.classifiers import class_index
    from ilo_solver.storage import check_output_dir, config_to_dict, write_reconstruction
    device = presets.parse_device(args.device)
    inputs = (args.image, args.classifier)
    check_output_dir(args.out, overwrite=args.overwrite, inputs=inputs)
    judges = {k: _classifier(k, device) for k in ("robust", "standard")}
    clf = judges.get(args.classifier) or _classifier(args.classifier, device)
    ref, note = None, "no reference face"
    if args.image is not None:
        ref, source = load_image(args.image)
        ref, prep = fit_to_prior(ref, 64)
        note = f"reference: {source}; {prep}"
    prior = presets.load_prior("dcgan-faces", device)
    rec, cfg, task = runs.classify(prior.G, clf, class_index(args.label), method=args.method, judges=judges,
                                   reference=ref, anchor=args.anchor, steps_scale=args.steps_scale,
                                   restarts=args.restarts, radius=args.radius,
                                   rng=presets.generator(args.seed), device=device,
                                   progress=not args.no_progress)
    metrics = dict(method=args.method, task="classify", classifier=args.classifier, prior="dcgan-faces",
                   image=args.image, anchor=args.anchor, radius=args.radius, seed=args.seed, **rec.metrics,
                   preprocessing=note)
    config = dict(cli=vars(args), task=dict(name="classify", **task.params), method=config_to_dict(cfg))
    write_reconstruction(args.out, metrics=metrics, config=config, x=rec.x,
                         figure=runs.classify_grid(rec, clf, ref, args.method), overwrite=args.overwrite,
                         inputs=inputs)
    return {k: metrics[k] for k in SUMMARY_KEYS if k in metrics}
