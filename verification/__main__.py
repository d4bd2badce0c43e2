"""python -m verification [CLAIM ...] [--quick] [--out DIR] [--seed N] [--workers N] [--force]

Runs the checks (all by default), reusing finished results in DIR unless --force (an interrupted run loses nothing
finished), then writes DIR/<claim>.png, DIR/<claim>.json, DIR/report.json and DIR/report.md.
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import dataclasses
import json
import sys
import time
from pathlib import Path

from tqdm import tqdm

from ilo_solver.storage import dumps

from . import CHECKS, report
from ._common import ClaimRow, load_json, make_executor, save_figure, save_json


def _key(name: str, *, quick: bool, seed: int) -> dict:
    cfg = CHECKS[name].QUICK if quick else CHECKS[name].DEFAULT
    # normalised through JSON (tuples -> lists) so that it compares equal to the saved key
    return json.loads(dumps(dict(config=dataclasses.asdict(cfg), seed=seed, quick=quick)))


def _cached(name: str, out: Path, key: dict):
    """The saved {key, seconds, result} of a finished claim with this exact key, else None."""
    path = out / f"{name}.json"
    saved = load_json(path) if path.exists() else None
    return saved if saved is not None and saved.get("key") == key else None


def run_checks(names, *, quick: bool, out: Path, seed: int, executor: cf.Executor, force: bool = False,
               progress: bool = True) -> list[ClaimRow]:
    """Run (or reuse) the checks ``names``, draw their figures, and write the report of every claim that has a
    finished result in ``out`` for these settings -- so running one claim does not drop the others' rows."""
    out.mkdir(parents=True, exist_ok=True)
    for name in tqdm(names, desc="claims", disable=not progress):
        mod = CHECKS[name]
        key = _key(name, quick=quick, seed=seed)
        saved = None if force else _cached(name, out, key)
        if saved is None:
            t = time.perf_counter()
            result = mod.run(mod.QUICK if quick else mod.DEFAULT, seed=seed, executor=executor)
            save_json(out / f"{name}.json", dict(key=key, seconds=time.perf_counter() - t, result=result))
            saved = _cached(name, out, key)  # claims and plots always read the saved form
        save_figure(mod.plot(saved["result"]), out / f"{name}.png")
        if progress:
            new = mod.claims(saved["result"])
            tqdm.write(f"{name}: {saved['seconds']:.1f} s, "
                       + ", ".join(f"{r.id.split('.')[-1]}={r.verdict}" for r in new))
    rows: list[ClaimRow] = []
    for name, mod in CHECKS.items():
        saved = _cached(name, out, _key(name, quick=quick, seed=seed))
        if saved is not None:
            rows.extend(mod.claims(saved["result"]))
    report.write(rows, out)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m verification", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("claims", nargs="*", metavar="CLAIM", help=f"any of {', '.join(CHECKS)} (default: all)")
    ap.add_argument("--quick", action="store_true", help="every check at small size (about 30 s in all)")
    ap.add_argument("--out", type=Path, default=Path("docs/figures"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1, help="processes for the sweeps (default 1: in process)")
    ap.add_argument("--force", action="store_true", help="recompute even if a finished result exists")
    args = ap.parse_args(argv)
    unknown = [c for c in args.claims if c not in CHECKS]
    if unknown:
        ap.error(f"unknown claim(s) {', '.join(unknown)}; choose from {', '.join(CHECKS)}")
    if args.workers < 1:
        ap.error("--workers must be >= 1")
    names = args.claims or list(CHECKS)
    with make_executor(args.workers) as ex:
        rows = run_checks(names, quick=args.quick, out=args.out, seed=args.seed, executor=ex, force=args.force)
    print(f"wrote {args.out / 'report.md'} and {args.out / 'report.json'}:")
    print((args.out / "report.md").read_text())
    return 0 if all(r.verdict in ("holds", "fails", "inconclusive") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
