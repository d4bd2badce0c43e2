"""``ilo render``: regenerate a result's reconstruction from its saved solution state -- parse,
:func:`ilo_solver.render.render`, write."""
from __future__ import annotations

from pathlib import Path

from ._args import parser

NAME = "render"


def add_parser(sub) -> None:
    r = parser(sub, NAME, "regenerate a result's reconstruction from its saved solution state",
               "Reads RESULT_DIR/state.safetensors (written by ilo solve for csgm / ilo / unconstrained / sgilo "
               "on dcgan-faces; SGILO's is its chain's code samples, rendered as their mean), refuses a prior "
               "whose weights differ from the ones the state was made with, "
               "renders the code through the rest of the generator and compares it with "
               "RESULT_DIR/reconstruction.png (bit for bit on the same machine). --project-back runs Algorithm "
               "1's line 5 first and renders G(z) instead: the closest point of the generator's range.",
               "ilo render out/ --out again.png")
    r.add_argument("result", type=Path, help="a result directory of ilo solve")
    r.add_argument("--out", type=Path, required=True, help="the PNG to write (refused if it exists)")
    r.add_argument("--project-back", type=int, default=0, metavar="STEPS",
                   help="run line 5 (project the code back to the range) for STEPS Adam steps, then render G(z)")


def run(args) -> dict:
    from ilo_solver.render import compare_with_saved, render
    from ilo_solver.storage import save_png
    if args.out.suffix.lower() != ".png":
        raise ValueError(f"--out must end in .png, got {args.out}")
    if args.out.exists():
        raise ValueError(f"{args.out} exists; not overwriting it")
    if not 0 <= args.project_back <= 100_000:
        raise ValueError(f"--project-back must lie in [0, 100000] steps, got {args.project_back}")
    x, meta = render(args.result, project_back=args.project_back)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_png(x, args.out)
    out = dict(out=str(args.out), prior=meta["prior"], method=meta["method"], split=int(meta["split"]))
    if not args.project_back:
        out.update(compare_with_saved(x, args.result))
    return out
