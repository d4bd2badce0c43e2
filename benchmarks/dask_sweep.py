"""A verification sweep on a two-worker Dask cluster against one process, in one run.

Usage: python benchmarks/dask_sweep.py [--jobs 4]
Runs ``verification.theorem1`` at a reduced size (``--jobs`` batches of 2 instances) three ways: in process with
one torch thread (what ``python -m verification`` does by default), on a ``distributed.LocalCluster`` of two
single-threaded worker processes (``--scheduler``), and checks that the rows are identical. The ratio is the
speed-up of the cluster (the start-up of the cluster is timed separately).
"""
from __future__ import annotations

import argparse
import dataclasses
import time

import numba
import torch


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=4)
    args = ap.parse_args(argv)
    from distributed import LocalCluster

    from verification import theorem1
    from verification._common import SerialExecutor, dask_executor, set_threads
    cfg = dataclasses.replace(theorem1.DEFAULT, instances=2 * args.jobs, batch=2, ms=(64, 256),
                              factors=(0.0, 0.5, 1.0, 4.0, theorem1.INF), steps=150, rec_Ks=(1.0, 22.0))
    set_threads(1)
    t = time.perf_counter()
    serial = theorem1.run(cfg, seed=0, executor=SerialExecutor())
    t_serial = time.perf_counter() - t
    t = time.perf_counter()
    with LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None) as lc:
        t_start = time.perf_counter() - t
        with dask_executor(lc.scheduler_address) as ex:
            t = time.perf_counter()
            on_cluster = theorem1.run(cfg, seed=0, executor=ex)
            t_cluster = time.perf_counter() - t
    print(f"theorem1, {cfg.instances} instances in {args.jobs} jobs, torch {torch.__version__}, numba threads "
          f"{numba.get_num_threads()}")
    print("| run | seconds |")
    print("|---|---|")
    print(f"| one process, one thread | {t_serial:.1f} |")
    print(f"| LocalCluster, 2 workers x 1 thread | {t_cluster:.1f} (+ {t_start:.1f} s to start the cluster) |")
    print(f"speed-up {t_serial / t_cluster:.2f}x; rows identical: {serial == on_cluster}")


if __name__ == "__main__":
    main()
