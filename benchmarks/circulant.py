"""The partial circulant operator against its honest limit, an rfft + irfft pair of the same length, in one run.

Usage: python benchmarks/circulant.py [--n 3145728] [--ratio 0.1] [--batch 1] [--repeats 21]
A x = [g ⊛ (ξ ⊙ x)]_Ω / √m costs one sign multiply, an rfft, a complex product with the cached spectrum of g, an
irfft and a gather; Aᵀ the scatter, the same FFT pair and the sign multiply. Target: both ≤ 1.3× the pair.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from ilo_solver.physics.operators import PartialCirculant


def _interleaved_medians(fns, repeats: int) -> list[float]:
    """Median seconds of each function, the functions timed in turn within every repeat (on a shared machine a
    load change then hits all of them alike, not one row)."""
    for fn in fns:
        fn()
    ts = [[] for _ in fns]
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            t = time.perf_counter()
            fn()
            ts[i].append(time.perf_counter() - t)
    return [statistics.median(t) for t in ts]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=3 * 1024 * 1024)
    ap.add_argument("--ratio", type=float, default=0.1)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=21)
    args = ap.parse_args(argv)
    g = torch.Generator().manual_seed(0)
    m = max(1, round(args.ratio * args.n))
    op = PartialCirculant((args.n,), m, rng=g)
    x = torch.randn(args.batch, args.n, generator=g)
    y = torch.randn(args.batch, m, generator=g)
    with torch.no_grad():
        pair, a, at = _interleaved_medians([lambda: torch.fft.irfft(torch.fft.rfft(x), n=args.n), lambda: op(x),
                                            lambda: op.A_adjoint(y)], args.repeats)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, float32, n = {args.n}, m = {m}, "
          f"batch {args.batch}")
    print(f"{'':>22} {'ms':>8} {'x pair':>7}")
    for label, t in (("rfft + irfft pair", pair), ("A x", a), ("A^T y", at)):
        print(f"{label:>22} {1e3 * t:>8.2f} {t / pair:>7.2f}")


if __name__ == "__main__":
    main()
