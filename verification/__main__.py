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

from . import CHECKS, report
from ._common import ClaimRow, SerialExecutor, load_json, save_json


def run_checks(names, *, quick: bool, out: Path, seed: int, executor: cf.Executor, force: bool = False,
               progress: bool = True) -> list[ClaimRow]:
    out.mkdir(parents=True, exist_ok=True)
    rows: list[ClaimRow] = []
    for name in tqdm(names, desc="claims", disable=not progress):
        mod = CHECKS[name]
        cfg = mod.QUICK if quick else mod.DEFAULT
        # normalised through JSON (tuples -> lists) so that it compares equal to the saved key
        key = json.loads(json.dumps(dict(config=dataclasses.asdict(cfg), seed=seed, quick=quick)))
        path = out / f"{name}.json"
        cached = load_json(path) if path.exists() and not force else None
        if cached is not None and cached.get("key") == key:
            result, seconds = cached["result"], cached["seconds"]
        else:
            t = time.perf_counter()
            result = mod.run(cfg, seed=seed, executor=executor)
            seconds = time.perf_counter() - t
            save_json(path, dict(key=key, seconds=seconds, result=result))
            result = load_json(path)["result"]  # claims and plots always read the saved form
        mod.plot(result, out)
        new = mod.claims(result)
        rows.extend(new)
        if progress:
            tqdm.write(f"{name}: {seconds:.1f} s, " + ", ".join(f"{r.id.split('.')[-1]}={r.verdict}" for r in new))
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
    ex = SerialExecutor() if args.workers == 1 else cf.ProcessPoolExecutor(args.workers)
    with ex:
        rows = run_checks(names, quick=args.quick, out=args.out, seed=args.seed, executor=ex, force=args.force)
    print(f"wrote {args.out / 'report.md'} and {args.out / 'report.json'}:")
    print((args.out / "report.md").read_text())
    return 0 if all(r.verdict in ("holds", "fails", "inconclusive") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
