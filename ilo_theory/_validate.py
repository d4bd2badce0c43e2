"""Argument checks shared by every bound: each raises ``ValueError`` naming the offending argument.

Bounds accept Python scalars or numpy arrays (broadcast together); a check fails if *any* entry violates it.
"""
from __future__ import annotations

import numpy as np


def _arr(name: str, x) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if np.any(np.isnan(a)):
        raise ValueError(f"{name} must not be NaN, got {x!r}")
    return a


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


def greater(name: str, x, other_name: str, other) -> None:
    if np.any(np.asarray(x, dtype=float) <= np.asarray(other, dtype=float)):
        raise ValueError(f"{name} must exceed {other_name}, got {name}={x!r}, {other_name}={other!r}")


def scalar_or_array(x):
    """Return a Python float for 0-d results, the array otherwise."""
    a = np.asarray(x)
    return float(a) if a.ndim == 0 else a
