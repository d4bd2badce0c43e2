"""``ilo srec``: estimate the S-REC constant of a generator's range or extended range -- parse,
:func:`ilo_solver.runs.srec_study`, write."""
from __future__ import annotations

from ._args import add_output, floats, ints, parser
from ._names import MEASUREMENTS

NAME = "srec"


def add_parser(sub) -> None:
    r = parser(sub, NAME, "estimate the S-REC constant gamma_hat(m) of a generator's range or extended range",
               "gamma_hat(m) lower-bounds ||A(G(z1)) - A(G(z2))|| / (||G(z1) - G(z2)|| + delta) over the set, found "
               "by screening random pairs and attacking the worst (Bora et al. 2017, Def. 1; ILO Def. 2): how many "
               "measurements m the set needs.",
               "ilo srec --splits 0,1 --ratios 0.01,0.05,0.1 --out srec/")
    r.add_argument("--prior", default="dcgan-faces", help="dcgan-faces, or stylegan2:PATH (split s = after "
                   "synthesis stage s-1; the l1 ball covers that stage's features, skip and w together)")
    r.add_argument("--operator", default="cs-gaussian", choices=MEASUREMENTS)
    r.add_argument("--ratios", type=floats, default=(0.01, 0.02, 0.05, 0.1, 0.2), help="m / n, comma-separated")
    r.add_argument("--splits", type=ints, default=(0,), help="splits s, comma-separated (0: the range of G)")
    r.add_argument("--radius", type=float, default=None, help="r2 of the intermediate l1 ball at every split > 0 "
                   "(default: the ilo preset's radius at that split)")
    r.add_argument("--delta", type=float, default=None,
                   help="the S-REC slack delta (default: 0.05 x the mean image norm of prior samples)")
    r.add_argument("--draws", type=int, default=5, help="independent matrices per m (the CI is over them)")
    r.add_argument("--pairs", type=int, default=200, help="random pairs screened per draw")
    r.add_argument("--restarts", type=int, default=4, help="adversarial searches started from the worst pairs")
    r.add_argument("--steps", type=int, default=100, help="projected Adam steps of each search")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--no-progress", action="store_true", help="say nothing while it runs")
    add_output(r, "srec.json, srec.png")


def run(args) -> dict:
    from ilo_solver import presets, runs
    from ilo_solver.figures import srec_figure
    from ilo_solver.storage import check_output_dir, dumps, save_figure, write_result_dir
    _, checkpoint = presets.parse_prior(args.prior)
    check_output_dir(args.out, overwrite=args.overwrite, inputs=(checkpoint,))
    prior = presets.load_prior(args.prior, "cpu")
    result = runs.srec_study(prior, args.operator, args.ratios, args.splits, radius=args.radius, delta=args.delta,
                             draws=args.draws, pairs=args.pairs, restarts=args.restarts, steps=args.steps,
                             rng=presets.generator(args.seed), progress=not args.no_progress)
    result["cli"] = vars(args)
    title = f"S-REC of {args.prior}, {args.operator}, delta = {result['delta']:.3g}"
    write_result_dir(args.out, {"srec.json": lambda p: p.write_text(dumps(result, indent=1)),
                                "srec.png": lambda p: save_figure(srec_figure(result["curves"], result["n"], title),
                                                                  p)}, overwrite=args.overwrite,
                     inputs=(checkpoint,))
    return dict(splits=list(args.splits), ms=result["ms"], mean={c["split"]: c["mean"] for c in result["curves"]})
