"""Time of the l1-ball projection against one memory pass (``x.abs().sum()``), all measured in one run.

Usage: python benchmarks/projection.py [--sizes 1e4 1e5 1e6 1e7] [--repeats 5]
Prints a table of median seconds and the ratio to one memory pass; radius = 0.5 ||v||_1 (a large support, the
hard case for Condat-type methods) and radius = 10 (a tiny support).
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from ilo_solver.projection import project_l1_ball


def _median_time(fn, repeats: int) -> float:
    fn()  # warm-up (numba compilation, allocator)
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=float, nargs="+", default=[1e4, 1e5, 1e6, 1e7])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--slow-limit", type=float, default=1e6, help="largest n for the 'bisect' oracle")
    args = ap.parse_args(argv)
    g = torch.Generator().manual_seed(0)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, float32, batch 1")
    print(f"{'n':>10} {'radius':>8} {'pass [s]':>10} " + " ".join(f"{m + ' [x]':>14}" for m in
                                                                ("fast", "condat", "michelot", "sort", "bisect")))
    for n in map(int, args.sizes):
        v = torch.randn(1, n, generator=g)
        t_pass = _median_time(lambda v=v: v.abs().sum(), args.repeats)
        for label, r in (("0.5*l1", 0.5 * float(v.abs().sum())), ("10", 10.0)):
            ratios = []
            for m in ("fast", "condat", "michelot", "sort", "bisect"):
                if m == "bisect" and n > args.slow_limit:
                    ratios.append("-")
                    continue
                t = _median_time(lambda v=v, r=r, m=m: project_l1_ball(v, r, method=m), args.repeats)
                ratios.append(f"{t / t_pass:.1f}")
            print(f"{n:>10} {label:>8} {t_pass:>10.2e} " + " ".join(f"{x:>14}" for x in ratios))


if __name__ == "__main__":
    main()
