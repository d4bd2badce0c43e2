"""S-REC of the pretrained DCGAN faces prior (64x64x3, n = 12288): gamma_hat(m) on the range (split 0) and on the
extended ranges the ilo preset searches (splits 1, 2, 3 with the preset's l1 radius), delta = 0.05 x the mean image
norm, for Gaussian and partial-circulant A, with t-intervals over independent matrices. Writes
docs/figures/srec_dcgan.json and .png (the docs page "S-REC of the DCGAN faces prior").

Usage: python benchmarks/srec_dcgan.py [--draws 3] [--steps 60] [--out docs/figures]
The same through the command line: ilo srec --operator cs-circulant --ratios ... --splits 0,1,2
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from ilo_solver import presets
from ilo_solver.generators.dcgan import load_dcgan_faces
from ilo_solver.solvers.srec import srec_curve, typical_delta
from ilo_solver.storage import dumps, write_atomically

RATIOS = (0.001, 0.003, 0.01, 0.03, 0.1)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--draws", type=int, default=3)
    ap.add_argument("--pairs", type=int, default=64)
    ap.add_argument("--restarts", type=int, default=4)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--splits", default="0,1,2,3")
    ap.add_argument("--out", type=Path, default=Path("docs/figures"))
    args = ap.parse_args(argv)
    G = load_dcgan_faces("cpu")
    n = 3 * 64 * 64
    ms = [max(1, round(r * n)) for r in RATIOS]
    rng = torch.Generator().manual_seed(0)
    delta = typical_delta(G, rng=rng)
    t = time.perf_counter()
    splits = [int(s) for s in args.splits.split(",")]
    curves = {op: [srec_curve(G, op, ms, split=s, r2=presets.ilo_radius("dcgan-faces", s), delta=delta,
                              draws=args.draws, pairs=args.pairs, restarts=args.restarts, steps=args.steps,
                              rng=rng).as_dict() for s in splits]
              for op in ("cs-gaussian", "cs-circulant")}
    seconds = time.perf_counter() - t
    result = dict(n=n, ratios=RATIOS, delta=delta, curves=curves, seconds=seconds,
                  settings=vars(args) | {"out": str(args.out)})
    write_atomically(args.out / "srec_dcgan.json", dumps(result, indent=1))
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, (op, cs) in zip(axes, curves.items(), strict=True):
        for c in cs:
            x = np.array(c["ms"]) / n
            line, = ax.semilogx(x, c["mean"], "o-", label=f"split {c['split']}, r2 = {c['r2']:g}")
            ax.fill_between(x, c["lo"], c["hi"], color=line.get_color(), alpha=0.2)
        ax.set_title(f"DCGAN faces, {op}, delta = {delta:.3g}")
        ax.set_xlabel("m / n")
        ax.legend(fontsize=8)
    axes[0].set_ylabel("adversarial gamma_hat (mean, 95% t-band)")
    fig.tight_layout()
    fig.savefig(args.out / "srec_dcgan.png", dpi=110)
    print("| op | split | " + " | ".join(f"m/n={r:g}" for r in RATIOS) + " |")
    print("|---|---|" + "---|" * len(RATIOS))
    for op, cs in curves.items():
        for c in cs:
            print(f"| {op} | {c['split']} | " + " | ".join(f"{m:.3f} [{lo:.3f}, {hi:.3f}]" for m, lo, hi in
                                                        zip(c["mean"], c["lo"], c["hi"], strict=True)) + " |")
    print(f"{seconds:.0f} s; wrote {args.out / 'srec_dcgan.json'} and .png")


if __name__ == "__main__":
    main()
