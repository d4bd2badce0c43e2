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


@numba.njit(parallel=True, cache=True, nogil=True, fastmath={"reassoc", "contract"})
def sum_count_above(x, theta):
    """(Σ_{|x_i|>θ} |x_i|, #{|x_i|>θ}) in one parallel pass: the Newton/Michelot step for θ. Branch-free (0/1
    masks) so that it vectorises: a data-dependent branch per entry mispredicts on random data (8x slower)."""
    s = 0.0
    c = 0.0
    for i in numba.prange(x.size):
        u = np.float64(abs(x[i]))
        m = np.float64(u > theta)
        s += u * m
        c += m
    return s, int(c)


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


# ------------------------------------------------------------------------------------------ sampled start
@numba.njit(parallel=True, cache=True, nogil=True)
def soft_threshold_parallel(x, theta, out):
    """out = sign(x) * max(|x| - theta, 0) = x − clamp(x, −θ, θ), branch-free, in parallel."""
    for i in numba.prange(x.size):
        xi = x[i]
        out[i] = xi - min(max(xi, -theta), theta)


def sampled_theta(x: np.ndarray, a: float, l1: float, *, sample: int = 65536) -> float:
    r"""θ* for ||x||_1 = l1 > a > 0, exactly: Newton's (= Michelot's) passes from a lower bound taken just below a
    strided subsample's estimate.

    The subsample of s entries solves the scaled problem :math:`\sum_{sub}(u-\hat	heta)_+=a\,s/n`; lo is the
    subsample entry ~4√s ranks below :math:`\hat	heta` (about 4 standard deviations of the subsample's count).
    lo is used only if it is a lower bound, :math:`f(lo)=\sum_{|x|>lo}(|x|-lo)-a\ge0`, checked exactly by the first
    pass (which is also the first Newton step); then θ ← (Σ_{|x|>θ}|x| − a)/#{|x|>θ} increases to θ* and stops
    exactly (Michelot 1986), in a few vectorised passes because lo is close. Otherwise :func:`fast_theta` decides
    (same answer, from its own bound)."""
    n = x.size
    stride = max(1, n // sample)
    sub = np.abs(np.ascontiguousarray(x[::stride]).astype(np.float64))
    a_sub = a * sub.size / n
    if not sub.sum() > a_sub:
        return fast_theta(x, a, l1)
    th = condat_theta(sub, a_sub)
    k = min(sub.size - 1, max(64, int(4 * np.sqrt(sub.size))))
    below = sub[sub < th]
    if below.size == 0:
        return fast_theta(x, a, l1)
    lo = float(np.partition(below, max(0, below.size - 1 - k))[max(0, below.size - 1 - k)])
    lo = max(lo, (l1 - a) / n)
    s, c = sum_count_above(x, lo)
    if c == 0 or s - c * lo - a < 0:   # not a lower bound: the subsample misled (ties, periodic data)
        return fast_theta(x, a, l1)
    theta = lo
    for _ in range(1000):
        new = (s - a) / c
        if not new > theta:
            return theta
        theta = new
        s, c = sum_count_above(x, theta)
        if c == 0:
            return fast_theta(x, a, l1)
    return fast_theta(x, a, l1)


@numba.njit(parallel=True, cache=True, nogil=True)
def project_rows(x, radii, out):
    """Every row of ``x`` [B, n] onto its ball (radius ``radii[b]``; inf = none), the rows in parallel, Condat's θ
    within a row: the solvers' many small projections in one call. Returns False if a row has a non-finite entry
    (its output is then undefined)."""
    B = x.shape[0]
    finite = np.ones(B, np.bool_)
    for b in numba.prange(B):
        row = x[b]
        l1 = 0.0
        for i in range(row.size):
            l1 += abs(row[i])
        if not np.isfinite(l1):
            finite[b] = False
            continue
        r = radii[b]
        if np.isinf(r) or l1 <= r:
            out[b, :] = row
        elif r == 0.0:
            out[b, :] = 0.0
        else:
            soft_threshold(row, condat_theta(row, r), out[b])
    return finite.all()


@numba.njit(parallel=True, cache=True, nogil=True, fastmath={"reassoc", "contract"})
def abs_sum(x):
    """Σ|x_i| in float64, in parallel (non-finite when an entry is)."""
    s = 0.0
    for i in numba.prange(x.size):
        s += np.float64(abs(x[i]))
    return s
