"""The l1-ball projection against honest memory baselines, all measured in one run (interleaved medians).

Usage: python benchmarks/projection.py [--sizes 1e3 1e4 1e5 1e6 1e7] [--repeats 7] [--slow-limit 1e6]

Baselines per size: ``sum`` (one read pass), ``copy`` (read + write into a preallocated tensor: the limit of any
projection that writes its answer) and ``clone`` (read + write into a fresh allocation). Every method is printed in
milliseconds and as a multiple of ``copy``. Radii: ``many`` = 0.5 ||v||_1 (most entries survive the threshold: the
hard case for Condat-type methods) and ``few`` = 10 (a handful survive). Then the shapes the solvers use: the DCGAN
ILO round's batched codes (4 restarts x 8192 / 32768) beside one DCGAN ILO step, and the StyleGAN-2 rounds' latent,
noise and state segments at 256² and 1024² (one segmented call vs one projection per tensor). Targets (issue 18):
``fast`` <= 8x copy at n = 1e7 in both regimes; the 4 x 8192 projection <= 5% of one DCGAN ILO step.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from ilo_solver.optim.projection import SegmentedL1Projector, project_l1_ball, project_l1_ball_around

METHODS = ("fast", "condat", "michelot", "batched", "sort", "bisect")


def _medians(fns: dict, repeats: int) -> dict:
    """Median seconds of each function, timed in turn within every repeat (a load change hits all rows alike)."""
    for fn in fns.values():
        fn()   # warm-up (numba compilation, allocator)
    ts = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            t = time.perf_counter()
            fn()
            ts[k].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in ts.items()}


def _flat_table(sizes, repeats, slow_limit, g):
    print(f"{'n':>9} {'radius':>6} {'sum ms':>8} {'copy ms':>8} {'clone x':>8} " +
          " ".join(f"{m + ' x':>10}" for m in METHODS))
    for n in map(int, sizes):
        v = torch.randn(1, n, generator=g)
        out = torch.empty_like(v)
        for label, r in (("many", 0.5 * float(v.abs().sum())), ("few", 10.0)):
            fns = {"sum": lambda v=v: v.sum(), "copy": lambda v=v, out=out: out.copy_(v), "clone": v.clone}
            for m in METHODS:
                if m not in ("bisect", "sort") or n <= slow_limit:
                    fns[m] = lambda v=v, r=r, m=m: project_l1_ball(v, r, method=m)
            t = _medians(fns, repeats)
            row = " ".join(f"{t[m] / t['copy']:>10.1f}" if m in t else f"{'-':>10}" for m in METHODS)
            print(f"{n:>9} {label:>6} {1e3 * t['sum']:>8.3f} {1e3 * t['copy']:>8.3f} {t['clone'] / t['copy']:>8.1f} "
                  + row)


def _dcgan_table(repeats, g):
    from ilo_solver.generators.dcgan import load_dcgan_faces
    G = load_dcgan_faces()
    print("\nDCGAN ILO round: 4 restarts, the code's l1 projection (auto) vs one Adam step of the round")
    for split in (1, 2, 3):   # the codes [512,4,4], [256,8,8], [128,16,16]: 4 x 8192, 4 x 16384, 4 x 32768
        code = G.forward_to(G.sample_latent(4, rng=g), split).detach()
        center = code + 0.01 * torch.randn(code.shape, generator=g)
        target = torch.rand(4, 3, 64, 64, generator=g) * 2 - 1
        var = code.clone().requires_grad_(True)
        opt = torch.optim.Adam([var], lr=0.01)

        def step(var=var, opt=opt, split=split, target=target):
            opt.zero_grad()
            ((G.forward_from(var, split) - target) ** 2).flatten(1).mean(1).sum().backward()
            opt.step()
        fns = {"ILO step": step, "projection": lambda code=code, center=center: project_l1_ball_around(
            code, center, 50.0)}
        t = _medians(fns, repeats)
        print(f"  split {split}, code {list(code.shape)}: step {1e3 * t['ILO step']:.1f} ms, projection "
              f"{1e3 * t['projection']:.2f} ms = {100 * t['projection'] / t['ILO step']:.1f}% of the step")


def _segment_fns(vs, cs) -> dict:
    seg = SegmentedL1Projector([v.numel() for v in vs], [1000.0] * len(vs))
    outs = [torch.empty_like(v) for v in vs]
    return {"copy": lambda: torch._foreach_copy_(outs, vs), "segmented": lambda: seg(vs, cs),
            "per tensor": lambda: [project_l1_ball_around(v.reshape(1, -1), c.reshape(1, -1), 1000.0)
                                   for v, c in zip(vs, cs, strict=True)]}


def _stylegan_table(repeats, g):
    from ilo_solver.generators.stylegan2 import StyleGAN2Generator
    print("\nStyleGAN-2 ILO round segments (latent, opened noises, state), radius 1000 each")
    for size, stage in ((256, 3), (1024, 4)):
        with torch.device("meta"):
            G = StyleGAN2Generator(size)
            w = torch.zeros(1, G.n_latent, G.style_dim)
            noises = G.stored_noises()
            st = None
            for j in range(stage):
                st = G.stage(j, st, w, noises)
        shapes = [tuple(w.shape)] + [tuple(n.shape) for n in noises[:5 + 2 * stage]] + [tuple(s.shape) for s in st]
        vs = [torch.randn(s, generator=g) for s in shapes]
        cs = [v + 0.1 * torch.randn(v.shape, generator=g) for v in vs]
        t = _medians(_segment_fns(vs, cs), repeats)
        n = sum(v.numel() for v in vs)
        print(f"  {size}², stage {stage}: {len(vs)} tensors, {n} entries: copy {1e3 * t['copy']:.2f} ms, segmented "
              f"{t['segmented'] / t['copy']:.1f}x, per tensor {t['per tensor'] / t['copy']:.1f}x")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=float, nargs="+", default=[1e3, 1e4, 1e5, 1e6, 1e7])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--slow-limit", type=float, default=1e6, help="largest n for the 'sort' and 'bisect' rows")
    ap.add_argument("--skip-solvers", action="store_true", help="only the flat table")
    args = ap.parse_args(argv)
    g = torch.Generator().manual_seed(0)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, float32, batch 1 (flat table)")
    _flat_table(args.sizes, args.repeats, args.slow_limit, g)
    if not args.skip_solvers:
        _dcgan_table(args.repeats, g)
        _stylegan_table(args.repeats, g)


if __name__ == "__main__":
    main()
