"""Theorem 1 sweep cost: the batched estimator over instances × radii against a loop over instances, in one run.

Usage: python benchmarks/theorem1_batch.py [--instances 10] [--steps 50] [--repeats 3]
The verification check solves eq. (4) for I independent instances (own G and A each) at T radii with R restarts:
batched, that is one tensor of I·T·R rows through :class:`ReLUGeneratorBatch` (``torch.bmm``); the loop runs each
instance's T·R rows through its own :class:`ReLUGenerator`; the cells run one fit per (instance, radius), the
design before batching. Same draws, same answers (tested); the ratios are the point.
"""
from __future__ import annotations

import argparse
import math
import statistics
import time

import torch

from ilo_solver.generators import ReLUGeneratorBatch
from ilo_solver.solvers.extended_range import fit_extended_range
from verification import theorem1


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instances", type=int, default=10)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--m", type=int, default=128)
    args = ap.parse_args(argv)
    cfg = theorem1.DEFAULT
    I, T, k, p, n, m = args.instances, len(cfg.factors), cfg.k, cfg.p, cfg.n, args.m
    g = torch.Generator().manual_seed(0)
    G = ReLUGeneratorBatch(I, (k, p, n), rng=g)
    nets = [G.instance(i) for i in range(I)]
    A = torch.randn(I, m, n, generator=g, dtype=torch.float64) / math.sqrt(m)
    x = G(torch.randn(I, k, generator=g, dtype=torch.float64))
    y = torch.bmm(A, x[:, :, None])[:, :, 0].repeat_interleave(T, 0)
    r2 = torch.tensor([0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, math.inf][:T]).repeat(I)
    kw = dict(r1=3.0, restarts=cfg.restarts, steps=args.steps, lr=cfg.lr, lr_u=0.01, schedule="cosine")

    def batched():
        fit_extended_range(G, y, op=A, r2=r2, rng=torch.Generator().manual_seed(1), **kw)

    def loop():
        gen = torch.Generator().manual_seed(1)
        for i in range(I):
            fit_extended_range(nets[i], y[i * T:(i + 1) * T], op=A[i:i + 1], r2=r2[i * T:(i + 1) * T], rng=gen,
                               **kw)

    def cells():   # one fit per (instance, radius): the old per-cell design
        gen = torch.Generator().manual_seed(1)
        for i in range(I * T):
            fit_extended_range(nets[i // T], y[i:i + 1], op=A[i // T:i // T + 1], r2=r2[i:i + 1], rng=gen, **kw)

    times = {"batched": [], "loop": [], "cells": []}
    for _ in range(args.repeats):      # interleaved: a load change hits all alike
        for name, fn in (("batched", batched), ("loop", loop), ("cells", cells)):
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    b, lp, c = (statistics.median(times[k]) for k in ("batched", "loop", "cells"))
    rows = I * T * cfg.restarts
    print(f"eq. (4), {I} instances x {T} radii x {cfg.restarts} restarts = {rows} rows, k={k}, p={p}, n={n}, m={m}, "
          f"{args.steps} steps, torch threads {torch.get_num_threads()}")
    print(f"| path | seconds (median of {args.repeats}) | per step [ms] |")
    print("|---|---|---|")
    print(f"| batched (ReLUGeneratorBatch, one tensor) | {b:.2f} | {1e3 * b / args.steps:.1f} |")
    print(f"| loop over instances (ReLUGenerator each) | {lp:.2f} | {1e3 * lp / args.steps:.1f} |")
    print(f"| loop over instances x radii (one fit per cell) | {c:.2f} | {1e3 * c / args.steps:.1f} |")
    print(f"loop / batched = {lp / b:.2f}x; cells / batched = {c / b:.2f}x")


if __name__ == "__main__":
    main()
