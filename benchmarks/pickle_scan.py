"""The cost of the opcode pre-scan (ilo_solver.io.pickle_scan) against loading the checkpoint it guards.

    python benchmarks/pickle_scan.py [--mb 400]

Rows: the shipped DCGAN weights (torch zip, 14 MB), a torch.save of a StyleGAN-2-sized state dict (--mb MB of float32
tensors in ~300 entries, torch zip), and the same dict as a protocol-4 pickle of numpy arrays (the shape of an
NVIDIA/TF network pickle) read by the restricted unpickler. Medians of 5, in one run.
"""
from __future__ import annotations

import argparse
import pickle
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from ilo_solver.io.assets import package_file
from ilo_solver.io.pickle_scan import scan_pickle
from ilo_solver.io.safe_pickle import RestrictedUnpickler, check_torch_payload, safe_torch_load


def _median(f, n=5) -> float:
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=400)
    args = ap.parse_args(argv)
    g = torch.Generator().manual_seed(0)
    per = args.mb * 2 ** 20 // 4 // 300
    sd = {f"layer{i}.weight": torch.randn(per, generator=g) for i in range(300)}
    with tempfile.TemporaryDirectory() as d:
        big = Path(d) / "big.pt"
        torch.save(sd, big)
        rows = []
        for name, path in (("DCGAN weights.tar (zip)", package_file("gan_face_generate", "weights.tar")),
                           (f"state dict {args.mb} MB (zip)", big)):
            data = path.read_bytes()
            scan = _median(lambda data=data: check_torch_payload(data))
            load = _median(lambda path=path: torch.load(path, map_location="cpu", weights_only=True))
            safe = _median(lambda path=path: safe_torch_load(path))
            rows.append((name, len(data), scan, load, safe))
        arrays = {k: v.numpy() for k, v in sd.items()}
        raw = pickle.dumps(arrays, protocol=4)
        scan = _median(lambda: scan_pickle(raw))
        np_globals = {("numpy.core.multiarray", "_reconstruct"): None}
        del np_globals
        load = _median(lambda: RestrictedUnpickler(raw).load(), n=3)
        rows.append((f"numpy pickle {args.mb} MB (restricted unpickler, scan included)", len(raw), scan, load, load))
    print(f"torch {torch.__version__}, numpy {np.__version__}, threads {torch.get_num_threads()}")
    print(f"{'file':<62} {'MB':>7} {'scan s':>8} {'load s':>8} {'scan/load':>9}")
    for name, size, scan, load, _safe in rows:
        print(f"{name:<62} {size / 2 ** 20:7.1f} {scan:8.3f} {load:8.3f} {100 * scan / load:8.1f}%")


if __name__ == "__main__":
    main()
