"""StyleGAN-2 (random weights, config-f channels) optimisation steps per second and peak memory.

Rows: a plain projector step (Adam on w+, full synthesis, MSE) with the ``fast`` and the grouped-conv ``ref``
modulated convolution; a bare intermediate-layer step that optimises the synthesis state at the middle stage and
runs only the remaining stages; and the library's full steps, timed inside :func:`ilo_stylegan` from its per-round
timings: the PULSE/CSGM round (w+ in PULSE space, geocross, spherical renormalisation of latents and noises) and an
ILO round at the middle stage (the same + the synthesis state, and l1-ball projections of the latent, noise and
state deviations). All with the MSE data fit, so that the rows differ only in the optimisation step. Ratios are to
the fast projector step of the same resolution, measured in one run. CUDA when available (timed with
synchronisation), else CPU. "peak MiB": CUDA peak allocation; "saved MiB": what autograd keeps for the backward
pass of the synthesis (any device; the library rows run at batch 1 and leave it blank); "ops": aten operators
dispatched in one step, forward + backward + Adam (launch count; device-independent; for the library rows with
the l1 projections in their segmented, sync-free form, the GPU default).

Usage: python benchmarks/stylegan2_step.py [--sizes 64 256 1024] [--steps 20] [--batch 1]
"""
from __future__ import annotations

import argparse
import time

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from ilo_solver.fit.losses import DataFit
from ilo_solver.generators.stylegan2 import StyleGAN2Generator
from ilo_solver.optim import Round
from ilo_solver.physics.operators import Identity
from ilo_solver.solvers.ilo_stylegan import StyleILOConfig, ilo_stylegan


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


class _OpCount(TorchDispatchMode):
    """Counts the aten operators dispatched (each one a kernel launch or a view): at batch 1 a GPU step is bound by
    their number, so this device-independent count is the figure of merit there."""

    def __init__(self):
        super().__init__()
        self.n = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.n += 1
        return func(*args, **(kwargs or {}))


def _ops_per_step(step) -> int:
    with _OpCount() as c:
        step()
    return c.n


def _saved_mib(fn) -> float:
    """MiB of tensors autograd saves for the backward pass of ``fn()`` (device-independent memory figure)."""
    total = [0]

    def pack(t):
        total[0] += t.numel() * t.element_size()
        return t
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn()
    return total[0] / 2 ** 20


def _library_config(stage, n, **kw):
    rounds = (Round(0, n, 0.1),) if stage == 0 else (Round(0, 0, 0.1), Round(stage, n, 0.1, 1000.0, 1000.0, 1000.0))
    return StyleILOConfig(rounds=rounds, fit=DataFit(), gaussian_fit_samples=1000, **kw)


def _library_ops(G, target, stage) -> float:
    """aten ops per step of one :func:`ilo_stylegan` round at ``stage`` (2 steps minus 0 steps, halved), with the
    projections in their sync-free segmented form (the GPU default; the CPU default runs them in numba, which the
    count would not see)."""
    op, counts = Identity(tuple(target.shape[1:])), []
    for n in (0, 2):
        with _OpCount() as c:
            ilo_stylegan(G, target, op, config=_library_config(stage, n, projection="segmented"),
                         rng=torch.Generator().manual_seed(0))
        counts.append(c.n)
    return (counts[1] - counts[0]) / 2


def _library_rate(G, target, stage, n, dev):
    """Steps/s of one round of :func:`ilo_stylegan` at ``stage`` (its own per-round timing; a warm-up run first)."""
    cfg = _library_config(stage, n)
    op = Identity(tuple(target.shape[1:]))
    for _ in range(2):   # the first run warms up (allocator, cuDNN heuristics)
        if dev.type == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        res = ilo_stylegan(G, target, op, config=cfg, rng=torch.Generator().manual_seed(0))
    mem = torch.cuda.max_memory_allocated() / 2 ** 20 if dev.type == "cuda" else float("nan")
    return n / res.seconds[-1], mem


def _projector_row(G, w0, noises, target, impl, steps, dev):
    """The plain projector step (Adam on w+ through the whole synthesis): the baseline, written out on purpose
    without the library loop so that the library's rounds are measured against an independent reference."""
    w = w0.clone().requires_grad_(True)
    opt = torch.optim.Adam([w], lr=0.01)

    def step():
        opt.zero_grad(set_to_none=True)
        ((G.synthesis(w, noises, impl=impl) - target) ** 2).mean().backward()
        opt.step()
    saved = _saved_mib(lambda: G.synthesis(w, noises, impl=impl))
    return (f"projector, impl={impl}", *_time(step, steps, dev), saved, _ops_per_step(step))


def _bare_intermediate_row(G, w0, noises, target, steps, dev):
    """Adam on (w+, features, skip) from the middle stage: what an ILO step costs with nothing else around it."""
    mid = G.num_stages // 2
    with torch.no_grad():
        state = None
        for j in range(mid):
            state = G.stage(j, state, w0, noises)
    feats, skip = (t.clone().requires_grad_(True) for t in state)
    w = w0.clone().requires_grad_(True)
    opt = torch.optim.Adam([w, feats, skip], lr=0.01)

    def step():
        opt.zero_grad(set_to_none=True)
        ((G.synthesis(w, noises, start=mid, state=(feats, skip)) - target) ** 2).mean().backward()
        opt.step()
    saved = _saved_mib(lambda: G.synthesis(w, noises, start=mid, state=(feats, skip)))
    return (f"bare intermediate (stage {mid}/{G.num_stages})", *_time(step, steps, dev), saved, _ops_per_step(step))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 256, 1024])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch", type=int, default=1)
    args = ap.parse_args(argv)
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    name = torch.cuda.get_device_name() if dev.type == "cuda" else f"CPU ({torch.get_num_threads()} threads)"
    print(f"torch {torch.__version__} on {name}, batch {args.batch}, float32")
    print(f"{'res':>5} {'step':>28} {'steps/s':>9} {'x fast':>7} {'peak MiB':>9} {'saved MiB':>10} {'ops':>5}")
    g = torch.Generator().manual_seed(0)
    for size in args.sizes:
        torch.manual_seed(0)
        G = StyleGAN2Generator(size).to(dev).requires_grad_(False)
        target = torch.rand(args.batch, 3, size, size, generator=g).to(dev) * 2 - 1
        w0 = G.mapping(torch.randn(args.batch, 512, generator=g).to(dev))[:, None].expand(-1, G.n_latent, -1)
        noises = G.stored_noises()
        rows = [_projector_row(G, w0, noises, target, impl, args.steps, dev) for impl in ("fast", "ref")]
        rows.append(_bare_intermediate_row(G, w0, noises, target, args.steps, dev))
        nan = float("nan")
        rows.append(("library PULSE round", *_library_rate(G, target[:1], 0, args.steps, dev), nan,
                     _library_ops(G, target[:1], 0)))
        mid = G.num_stages // 2
        rows.append((f"library ILO round (stage {mid})", *_library_rate(G, target[:1], mid, args.steps, dev), nan,
                     _library_ops(G, target[:1], mid)))
        base = rows[0][1]
        for label, rate, mem, saved, ops in rows:
            print(f"{size:>5} {label:>28} {rate:>9.2f} {rate / base:>7.2f} {mem:>9.0f} {saved:>10.0f} {ops:>5.0f}")
        del G
        if dev.type == "cuda":
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
