"""Argument checks shared by every bound: each raises ``ValueError`` naming the offending argument.

Bounds accept Python scalars or numpy arrays (broadcast together); a check fails if *any* entry violates it.
"""
from __future__ import annotations

import numpy as np


def _arr(name: str, x) -> np.ndarray:
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or an array of numbers, got {x!r:.80}") from None
    if a.size == 0:
        raise ValueError(f"{name} is empty")
    if np.any(np.isnan(a)):
        raise ValueError(f"{name} must not be NaN, got {x!r}")
    if np.any(np.isinf(a)):
        raise ValueError(f"{name} must be finite, got {x!r}")
    return a


def integer(name: str, x, lo: int, hi: int) -> int:
    """A Python int in [lo, hi] (bools, non-integral floats and values beyond ``hi`` -- loops and allocations are
    sized by it -- refused)."""
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)) or not float(x).is_integer():
        raise ValueError(f"{name} must be an integer, got {x!r}")
    if not lo <= int(x) <= hi:
        raise ValueError(f"{name} must lie in [{lo}, {hi}], got {x!r}")
    return int(x)


def positive(name: str, x) -> np.ndarray:
    a = _arr(name, x)
    if np.any(a <= 0):
        raise ValueError(f"{name} must be > 0, got {x!r}")
    return a


def nonnegative(name: str, x) -> np.ndarray:
    a = _arr(name, x)
    if np.any(a < 0):
        raise ValueError(f"{name} must be >= 0, got {x!r}")
    return a


def at_least(name: str, x, lo: float) -> np.ndarray:
    a = _arr(name, x)
    if np.any(a < lo):
        raise ValueError(f"{name} must be >= {lo}, got {x!r}")
    return a


def open_unit(name: str, x) -> np.ndarray:
    a = _arr(name, x)
    if np.any((a <= 0) | (a >= 1)):
        raise ValueError(f"{name} must lie in the open interval (0, 1), got {x!r}")
    return a


def _show(x) -> str:
    """A value as a user wrote it: ``0.5``, not ``np.float64(0.5)`` or ``array(0.5)``."""
    a = np.asarray(x, dtype=float)
    return f"{float(a):g}" if a.ndim == 0 else np.array2string(a, precision=6, threshold=8)


def greater(name: str, x, other_name: str, other) -> None:
    if np.any(np.asarray(x, dtype=float) <= np.asarray(other, dtype=float)):
        raise ValueError(f"{name} must exceed {other_name}, got {name}={_show(x)}, {other_name}={_show(other)}")


def scalar_or_array(x):
    """Return a Python float for 0-d results, the array otherwise."""
    a = np.asarray(x)
    return float(a) if a.ndim == 0 else a
