"""StyleGAN-2 (random weights, config-f channels) optimisation steps per second and peak memory.

Rows: a plain projector step (Adam on w+, full synthesis, MSE) with the ``fast`` and the grouped-conv ``ref``
modulated convolution, and an intermediate-layer step that optimises the synthesis state at the middle stage and
runs only the remaining stages (what ILO's later rounds do). Ratios are to the fast projector step of the same
resolution, measured in one run. CUDA when available (timed with synchronisation), else CPU.

Usage: python benchmarks/stylegan2_step.py [--sizes 64 256 1024] [--steps 20] [--batch 1]
"""
from __future__ import annotations

import argparse
import time

import torch

from ilo_solver.generators.stylegan2 import StyleGAN2Generator


def _time(step, n, dev):
    for _ in range(3):
        step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    t = time.perf_counter()
    for _ in range(n):
        step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    mem = torch.cuda.max_memory_allocated() / 2 ** 20 if dev.type == "cuda" else float("nan")
    return n / (time.perf_counter() - t), mem


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 256, 1024])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch", type=int, default=1)
    args = ap.parse_args(argv)
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    name = torch.cuda.get_device_name() if dev.type == "cuda" else f"CPU ({torch.get_num_threads()} threads)"
    print(f"torch {torch.__version__} on {name}, batch {args.batch}, float32")
    print(f"{'res':>5} {'step':>28} {'steps/s':>9} {'x fast':>7} {'peak MiB':>9}")
    g = torch.Generator().manual_seed(0)
    for size in args.sizes:
        torch.manual_seed(0)
        G = StyleGAN2Generator(size).to(dev).requires_grad_(False)
        target = torch.rand(args.batch, 3, size, size, generator=g).to(dev) * 2 - 1
        w0 = G.mapping(torch.randn(args.batch, 512, generator=g).to(dev))[:, None].expand(-1, G.n_latent, -1)
        noises = G.stored_noises()
        rows = []
        for impl in ("fast", "ref"):
            w = w0.clone().requires_grad_(True)
            opt = torch.optim.Adam([w], lr=0.01)

            def step():
                opt.zero_grad(set_to_none=True)
                ((G.synthesis(w, noises, impl=impl) - target) ** 2).mean().backward()
                opt.step()
            rows.append((f"projector, impl={impl}", *_time(step, args.steps, dev)))
        mid = G.num_stages // 2
        with torch.no_grad():
            state = None
            for j in range(mid):
                state = G.stage(j, state, w0, noises)
        feats, skip = (t.clone().requires_grad_(True) for t in state)
        w = w0.clone().requires_grad_(True)
        opt = torch.optim.Adam([w, feats, skip], lr=0.01)

        def ilo_step():
            opt.zero_grad(set_to_none=True)
            ((G.synthesis(w, noises, start=mid, state=(feats, skip)) - target) ** 2).mean().backward()
            opt.step()
        rows.append((f"intermediate (stage {mid}/{G.num_stages})", *_time(ilo_step, args.steps, dev)))
        base = rows[0][1]
        for label, rate, mem in rows:
            print(f"{size:>5} {label:>28} {rate:>9.2f} {rate / base:>7.2f} {mem:>9.0f}")
        del G
        if dev.type == "cuda":
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
