"""``python -m verification.paper``: run (or reuse) the paper's experiments and write the report, figure and
tables (``make paper``)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

README_BEGIN = "<!-- paper:begin (python -m verification.paper --readme README.md) -->"
README_END = "<!-- paper:end -->"


def main(argv=None) -> int:
    mod = sys.modules["verification.paper"]
    ap = argparse.ArgumentParser(prog="python -m verification.paper", description=mod.__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a small grid at 5%% of the steps (about 2 min)")
    ap.add_argument("--out", type=Path, default=None, help="default: docs/paper (results/paper-quick with --quick)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1, help="processes (default 1: in process)")
    ap.add_argument("--scheduler", metavar="ADDRESS", help="a dask.distributed scheduler instead of processes")
    ap.add_argument("--force", action="store_true", help="recompute even if a finished result exists")
    ap.add_argument("--replot", action="store_true", help="redraw the figure even if its result is unchanged")
    ap.add_argument("--readme", type=Path, help="also rewrite the table between the paper markers of this README")
    args = ap.parse_args(argv)
    if args.workers < 1:
        ap.error("--workers must be >= 1")
    if args.scheduler is not None and args.workers != 1:
        ap.error("--scheduler and --workers are exclusive")
    out = args.out or (Path("results/paper-quick") if args.quick else Path("docs/paper"))
    if args.quick and out.resolve() == Path("docs/paper").resolve():
        ap.error("--quick results never go into the committed docs/paper; choose another --out")
    if args.readme is not None:   # checked before the run, not after it
        text = args.readme.read_text() if args.readme.is_file() else None
        if text is None or README_BEGIN not in text or README_END not in text:
            ap.error(f"--readme {args.readme} is not a file with the paper markers {README_BEGIN} ... {README_END}")
    from ilo_solver.storage import write_atomically
    from verification.__main__ import run_checks
    from verification._common import dask_executor, load_json, make_executor, set_threads
    if args.workers == 1:
        set_threads(1)
    try:
        with (dask_executor(args.scheduler) if args.scheduler is not None else make_executor(args.workers)) as ex:
            run_checks([mod.ID], quick=args.quick, out=out, seed=args.seed, executor=ex, force=args.force,
                       checks={mod.ID: mod}, replot=args.replot)
    except (RuntimeError, OSError, ValueError) as e:
        ap.exit(2, f"python -m verification.paper: error: {e}\n")
    write_atomically(out / "tables.md", mod.tables(load_json(out / f"{mod.ID}.json")["result"]))
    if args.readme is not None:
        from verification.report import update_readme
        update_readme(args.readme, out / "report.json", begin=README_BEGIN, end=README_END)
    print((out / "report.md").read_text())
    return 0
