"""Condat's l1-ball projection (Math. Program. 158, 2016, Algorithm of §3 / docs/theory_notes.md §5), compiled with
numba.

Works on one flat float32/float64 numpy array. Expected linear time, one sequential pass plus a short clean-up;
the soft-threshold output is written in one more pass.
"""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def condat_theta(x, a):
    """θ such that sum(max(|x| - θ, 0)) = a, for a > 0 and ||x||_1 > a (Condat 2016, steps 1-5)."""
    N = x.size
    v = np.empty(N, dtype=np.float64)
    vt = np.empty(N, dtype=np.float64)
    nv = 1
    nvt = 0
    v[0] = abs(x[0])
    rho = v[0] - a
    for n in range(1, N):  # step 2
        yn = abs(x[n])
        if yn > rho:
            rho += (yn - rho) / (nv + 1)
            if rho > yn - a:
                v[nv] = yn
                nv += 1
            else:
                for i in range(nv):
                    vt[nvt + i] = v[i]
                nvt += nv
                v[0] = yn
                nv = 1
                rho = yn - a
    for i in range(nvt):  # step 3
        y = vt[i]
        if y > rho:
            v[nv] = y
            nv += 1
            rho += (y - rho) / nv
    changed = True  # step 4
    while changed:
        changed = False
        j = 0
        for i in range(nv):
            y = v[i]
            if y <= rho:
                changed = True
                rho += (rho - y) / (nv - (i - j) - 1) if nv - (i - j) - 1 > 0 else 0.0
            else:
                v[j] = y
                j += 1
        nv = j
    return rho


@numba.njit(cache=True, nogil=True)
def soft_threshold(x, theta, out):
    """out = sign(x) * max(|x| - theta, 0), one pass."""
    for i in range(x.size):
        xi = x[i]
        if xi > theta:
            out[i] = xi - theta
        elif xi < -theta:
            out[i] = xi + theta
        else:
            out[i] = 0.0


@numba.njit(parallel=True, cache=True, nogil=True)
def sum_count_above(x, theta):
    """(Σ_{|x_i|>θ} |x_i|, #{|x_i|>θ}) in one parallel pass: the Newton/Michelot step for θ."""
    s = 0.0
    c = 0
    for i in numba.prange(x.size):
        xi = abs(x[i])
        if xi > theta:
            s += xi
            c += 1
    return s, c


@numba.njit(cache=True, nogil=True)
def gather_above(x, theta, count):
    """The ``count`` values |x_i| > θ, compacted (one pass)."""
    out = np.empty(count, dtype=np.float64)
    j = 0
    for i in range(x.size):
        xi = abs(x[i])
        if xi > theta:
            out[j] = xi
            j += 1
    return out


def fast_theta(x: np.ndarray, a: float, l1: float) -> float:
    """θ for ||x||_1 = l1 > a > 0: a valid lower bound, Newton (= Michelot) passes, then Condat on the survivors.

    - Any subset S gives (Σ_S|x| − a)/|S| ≤ θ* (sum the KKT equation over S); the exact θ of a strided subsample
      is such a bound, and so is (l1 − a)/n.
    - From a lower bound, Newton's step θ ← (Σ_{|x|>θ}|x| − a)/#{|x|>θ} increases monotonically to θ* and is
      exact once the active set stops changing (Michelot 1986): a few parallel passes when the support is large.
    - Once the active set is small (< n/8) it is compacted and Condat's algorithm finishes exactly.
    """
    n = x.size
    theta = (l1 - a) / n
    stride = max(1, n // 65536)
    if stride > 1:
        sub = np.ascontiguousarray(x[::stride])
        if float(np.abs(sub).sum(dtype=np.float64)) > a:
            theta = max(theta, condat_theta(sub, a))
    for _ in range(1000):
        s, c = sum_count_above(x, theta)
        if c == 0:  # the bound was rounded up past max|x| (only for nearly-tight inputs): solve exactly
            return condat_theta(x, a)
        if c < n // 8:
            return condat_theta(gather_above(x, theta, c), a)
        new = (s - a) / c
        if new <= theta:
            return theta
        theta = new
    raise RuntimeError("Newton iteration for the l1 projection did not converge in 1000 passes")
