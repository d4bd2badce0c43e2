"""Shared pieces of the verification checks: claim rows, confidence intervals, executors, result files."""
from __future__ import annotations

import concurrent.futures as cf
import contextlib
import dataclasses
import json
import math
import multiprocessing
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy import stats

from ilo_solver.storage import dumps, save_figure, write_atomically

__all__ = ["ClaimRow", "Control", "evaluate", "replace_in", "paired_bootstrap", "threshold_verdict", "combine",
           "nested_rows", "bisect_grid", "wilson", "mean_ci", "SerialExecutor", "make_executor", "dask_executor",
           "single_threaded_worker", "save_json", "load_json", "save_figure", "set_threads", "load_generator"]

VERDICTS = ("holds", "fails", "inconclusive", "not falsifiable")
NOT_FALSIFIABLE = "not falsifiable"


@dataclasses.dataclass(frozen=True)
class ClaimRow:
    """One row of the claim report. ``controls``: (control name, the verdict ``claims()`` gives the same experiment
    with that ingredient broken) pairs, filled in by :func:`evaluate`. A row only reads "holds" when every one of its
    controls reads "fails"; otherwise "not falsifiable" (at this size)."""
    id: str
    source: str
    statement: str
    predicted: str
    measured: str
    verdict: str
    ci: str = ""
    controls: tuple = ()

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")


@dataclasses.dataclass(frozen=True)
class Control:
    """A negative control: the same experiment with one ingredient deliberately broken.

    ``run()`` of the check computes the broken variant alongside the real one (same instances, same seeds: a paired
    control); ``apply(result)`` returns the result with the real ingredient replaced by the broken one, which the
    check's own ``claims()`` then judges. Each claim named in ``claims`` must come out "fails" on it."""
    name: str
    breaks: str
    claims: tuple
    apply: Callable[[dict], dict]


def evaluate(check, result: dict) -> list[ClaimRow]:
    """The check's claim rows on ``result`` with their controls' verdicts attached, and "holds" downgraded to "not
    falsifiable" where a control does not come out "fails". Every claim must have at least one control."""
    rows = check.claims(result)
    ids = [r.id for r in rows]
    verdicts: dict[str, list] = {i: [] for i in ids}
    for c in check.CONTROLS:
        broken = {r.id: r.verdict for r in check.claims(c.apply(result))}
        for cid in c.claims:
            if cid not in verdicts:
                raise ValueError(f"control {c.name!r} of {check.ID} names an unknown claim {cid!r}")
            verdicts[cid].append((c.name, broken[cid]))
    out = []
    for r in rows:
        ctl = tuple(verdicts[r.id])
        if not ctl:
            raise ValueError(f"claim {r.id} has no negative control: every claim must be able to fail")
        verdict = r.verdict
        if verdict == "holds" and any(v != "fails" for _, v in ctl):
            verdict = NOT_FALSIFIABLE
        out.append(dataclasses.replace(r, verdict=verdict, controls=ctl))
    return out


def replace_in(result: dict, path: tuple, value) -> dict:
    """A deep copy of ``result`` with ``result[path[0]][path[1]]... = value`` (for controls' ``apply``)."""
    import copy
    out = copy.deepcopy(result)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


def paired_bootstrap(a, b, *, stat=np.mean, draws: int = 4000, level: float = 0.95, seed: int = 0):
    """Bootstrap CI of ``stat(a) / stat(b)`` resampling the independent instances (the paired index) together:
    ``a`` and ``b`` are measured on the same instances. Returns (estimate, lo, hi)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or a.ndim != 1 or a.size < 2:
        raise ValueError(f"paired samples must be two equal 1-d arrays of >= 2 instances, got {a.shape}, {b.shape}")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, a.size, (draws, a.size))
    ratios = stat(a[idx], axis=1) / np.maximum(stat(b[idx], axis=1), 1e-300)
    q = (1 - level) / 2
    return float(stat(a) / max(stat(b), 1e-300)), float(np.quantile(ratios, q)), float(np.quantile(ratios, 1 - q))


def bisect_grid(length: int, size: int, passes: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """For ``size`` items at once, the least index i of a grid of ``length`` points at which ``passes`` holds
    (assumed monotone in i), by bisection: ``passes(idx)`` gets one grid index per item and returns one bool per
    item; every round evaluates all items (resolved ones at their answer). ``length`` = off the grid."""
    lo, hi = np.full(size, -1), np.full(size, length)    # invariant: lo fails (or -1), hi passes (or off-grid)
    while np.any(hi - lo > 1):
        active = hi - lo > 1
        mid = np.where(active, (lo + hi) // 2, np.minimum(hi, length - 1))
        ok = np.asarray(passes(mid), bool)
        hi = np.where(active & ok, mid, hi)
        lo = np.where(active & ~ok, mid, lo)
    return hi


def combine(verdicts) -> str:
    """One verdict from parts that must all hold: "fails" if any fails, "holds" if all hold, else "inconclusive"."""
    verdicts = list(verdicts)
    return "fails" if "fails" in verdicts else "holds" if all(v == "holds" for v in verdicts) else "inconclusive"


def nested_rows(A_full: torch.Tensor, m) -> torch.Tensor:
    r"""Per item i, the first ``m[i]`` rows of ``A_full[i]`` (``[I, M, n]``, N(0, 1) entries) scaled by
    :math:`1/\sqrt{m_i}`, the rows past ``m[i]`` zero (they add nothing to ``||Ax||``): items with different m in one
    ``[I, max m, n]`` tensor, and the matrices of one item nested in m."""
    m = torch.as_tensor(m, dtype=A_full.dtype)
    top = int(m.max())
    keep = torch.arange(top, dtype=A_full.dtype)[None, :, None] < m[:, None, None]
    return A_full[:, :top] * keep / m.sqrt()[:, None, None]


def threshold_verdict(lo: float, hi: float, threshold: float, *, above: bool = True) -> str:
    """A directional claim with an effect size: "holds" when the whole CI is beyond ``threshold`` (above it, or
    below it with ``above=False``), "fails" when the whole CI is on the wrong side, else "inconclusive"."""
    if above:
        return "holds" if lo > threshold else "fails" if hi < threshold else "inconclusive"
    return "holds" if hi < threshold else "fails" if lo > threshold else "inconclusive"


def wilson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion k/n."""
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    z = stats.norm.ppf(0.5 + level / 2)
    p = k / n
    den = 1 + z * z / n
    c = (p + z * z / (2 * n)) / den
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, c - h), min(1.0, c + h)


def mean_ci(x, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t interval."""
    x = np.asarray(x, float).ravel()
    m = float(x.mean())
    if x.size < 2:
        return m, m, m
    h = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return m, m - h, m + h


class SerialExecutor(cf.Executor):
    """A concurrent.futures.Executor that runs everything in the calling process (the default, --workers 1)."""

    def submit(self, fn: Callable, /, *args, **kwargs) -> cf.Future:
        """Run ``fn(*args, **kwargs)`` now; its result (or exception) in a finished future."""
        f: cf.Future = cf.Future()
        try:
            f.set_result(fn(*args, **kwargs))
        except BaseException as e:  # noqa: BLE001 - delivered through the future, as executors do
            f.set_exception(e)
        return f

    def map(self, fn: Callable, *iterables: Iterable, timeout=None, chunksize=1):
        """``fn`` over the zipped iterables, lazily, in order, in this process."""
        return (fn(*a) for a in zip(*iterables, strict=False))


def set_threads(n: int) -> None:
    """numba's and torch's thread counts (numba first: launching its OpenMP layer resets the count torch reads)."""
    import numba
    import torch
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    torch.set_num_threads(n)


def single_threaded_worker() -> None:
    """Pool initializer: one torch thread and one numba thread per worker process. Without it every worker runs
    torch's and numba's full thread pools on the same cores, and their spinning threads made ``--workers 2`` eight
    times slower than one process (``theorem1 --quick`` on 2 cores: 143 s, vs 17 s in process and 15 s with this
    initializer and fresh workers, each importing torch once)."""
    set_threads(1)


MAX_WORKERS = 256   # processes one run may start (a typo of 10**6 would fork-bomb the machine)


def make_executor(workers: int) -> cf.Executor:
    """In-process for one worker, else a process pool of single-threaded workers started fresh by a fork server
    (or spawned where there is none), never forked from this process: once numba's OpenMP threads run here, a
    forked child aborts."""
    if workers < 1 or workers > MAX_WORKERS:
        raise ValueError(f"workers must lie in [1, {MAX_WORKERS}], got {workers}")
    if workers == 1:
        return SerialExecutor()
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method),
                                  initializer=single_threaded_worker)


@contextlib.contextmanager
def dask_executor(address: str):
    """A ``concurrent.futures.Executor`` on a ``dask.distributed`` cluster at ``address`` (the optional extra
    ``dask``): ``Client.get_executor(pure=False)`` -- every call runs, identical calls are never merged, and the seeds
    are explicit arguments of the cells, so a sweep gives the same rows as in process. Every call runs with one torch
    and one numba thread (as the process pool's workers), which also makes the rows bit-identical to an in-process
    run with one thread."""
    if not isinstance(address, str) or not re.fullmatch(r"(tcp|tls|inproc|ucx|ws|wss)://\S+", address):
        raise ValueError(f"--scheduler needs a scheduler address such as tcp://host:8786, got {address!r}")
    try:
        from distributed import Client
    except ImportError:
        raise RuntimeError("--scheduler needs dask.distributed: pip install -e '.[dask]' (make test installs it)") \
            from None
    with Client(address) as client:
        yield _OneThreadEach(client.get_executor(pure=False))


class _OneThread:
    """``fn`` run with one torch and one numba thread: numba's count is per calling thread, and a Dask worker runs
    tasks in its own pool threads (set once per worker, numba kept its default there and two workers on two cores
    ran 3x slower than one process, their spinning threads fighting)."""

    def __init__(self, fn: Callable):
        self.fn = fn

    def __call__(self, *args, **kwargs):
        set_threads(1)
        return self.fn(*args, **kwargs)


class _OneThreadEach(cf.Executor):
    """An executor whose every call runs through :class:`_OneThread`."""

    def __init__(self, inner: cf.Executor):
        self.inner = inner

    def submit(self, fn, /, *args, **kwargs):
        return self.inner.submit(_OneThread(fn), *args, **kwargs)

    def map(self, fn, *iterables, timeout=None, chunksize=1):
        return self.inner.map(_OneThread(fn), *iterables, timeout=timeout)

    def shutdown(self, wait=True, **kwargs):
        self.inner.shutdown(wait=wait, **kwargs)


def save_json(path: Path, obj: Any) -> None:
    """Strict JSON in the toolkit's one convention (non-finite floats as ``"inf"``/``"nan"`` strings,
    :mod:`ilo_solver.storage`), written atomically: a crash leaves either the old file or the new one."""
    write_atomically(Path(path), dumps(obj, indent=1))


def load_json(path: Path) -> Any:
    return json.loads(Path(path).read_text())


def load_generator(spec: str):
    """A user's generator from ``"pkg.module:factory"`` (``python -m verification srec --generator ...``): the module
    is imported (from the current directory or the path), ``factory()`` is called, and the result must be a
    :class:`~ilo_solver.generators.base.LayeredGenerator`. Every failure is one ValueError naming the spec."""
    import importlib

    from ilo_solver.generators.base import LayeredGenerator
    mod_name, sep, attr = str(spec).partition(":")
    if not sep or not mod_name or not attr.isidentifier():
        raise ValueError(f"--generator {spec!r}: expected 'package.module:factory' (a function returning a "
                         "LayeredGenerator)")
    import sys
    if "" not in sys.path and "." not in sys.path:
        sys.path.insert(0, "")          # the current directory, as `python -m` does for the user's own module
    try:
        factory = getattr(importlib.import_module(mod_name), attr)
    except (ImportError, AttributeError) as e:
        raise ValueError(f"--generator {spec!r}: cannot import it: {e}") from None
    G = factory()
    if not isinstance(G, LayeredGenerator):
        raise ValueError(f"--generator {spec!r}: the factory returned a {type(G).__name__}, not a LayeredGenerator "
                         "(ilo_solver.generators.base: a generator cut into blocks)")
    return G
