"""The solvers' device → host reads, in one place.

On a GPU every read of a tensor's value from the host (``.item()``, ``float(t)``, ``.tolist()``, ``if t:``) waits
for the device to finish all queued work, so the optimisation loops never read inside a step: they read through
:func:`read` only, at the end of a round or of a run. The tests run the loops on PyTorch's ``meta`` device, where
every value read fails, with :func:`read` replaced by a counter: any other read, or a tensor left on the wrong device,
fails the test without a GPU.
"""
from __future__ import annotations

import torch


def read(t: torch.Tensor):
    """``t.tolist()``: a Python number for a 0-d tensor, nested lists otherwise."""
    return t.tolist()


def read_list(values: list) -> list:
    """The values of a list of 0-d tensors (a loss trace) in one read: ``[]`` for an empty list."""
    return read(torch.stack(values)) if values else []
