r"""Random-weight ReLU generators :math:`G(z)=\mathrm{relu}(W_d\cdots\mathrm{relu}(W_1z))` (docs/theory_notes.md
conventions),
shared by the verification checks and the solver.

Weights are i.i.d. :math:`N(0,1/n_i)` (``scaling="hv"``, Hand-Voroninski: each layer halves squared norms, so
:math:`\|G(z)\|^2\approx2^{-d}\|z\|^2`) or :math:`N(0,2/n_i)` (``scaling="he"``, norm preserving, Heckel et al.).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from .base import LayeredGenerator

__all__ = ["ReLUGenerator"]


class _ReLUWidths(LayeredGenerator):
    """The layered interface of ReLU nets given by ``widths`` and a list of weights (one network or a batch)."""
    widths: tuple[int, ...]

    @property
    def num_blocks(self) -> int:
        return len(self.weights)

    def latent_shape(self, i: int) -> tuple[int, ...]:
        return (self.widths[self._check_split(i)],)


class ReLUGenerator(_ReLUWidths):
    """``widths = (k, n_1, ..., n_d)``; block i is ``relu(W_{i+1} h + b_{i+1})`` (bias optional, N(0, 1/n_i))."""

    def __init__(self, widths: Sequence[int], *, rng: torch.Generator, scaling: str = "hv",
                 bias: bool = False, dtype: torch.dtype = torch.float64):
        super().__init__()
        widths = tuple(int(w) for w in widths)
        if len(widths) < 2 or any(w < 1 for w in widths):
            raise ValueError(f"widths must hold at least two positive ints (k, n_1, ...), got {widths}")
        if scaling not in ("hv", "he"):
            raise ValueError(f"scaling must be 'hv' (N(0,1/n_i)) or 'he' (N(0,2/n_i)), got {scaling!r}")
        self.widths, self.scaling = widths, scaling
        var = 1.0 if scaling == "hv" else 2.0
        self.weights = torch.nn.ParameterList()
        self.biases = torch.nn.ParameterList() if bias else None
        for n_prev, n_i in zip(widths, widths[1:], strict=False):
            std = math.sqrt(var / n_i)
            self.weights.append(torch.nn.Parameter(
                torch.randn(n_i, n_prev, generator=rng, dtype=torch.float64).to(dtype) * std,
                requires_grad=False))
            if bias:
                self.biases.append(torch.nn.Parameter(
                    torch.randn(n_i, generator=rng, dtype=torch.float64).to(dtype) * std,
                    requires_grad=False))

    def block(self, i: int, h: torch.Tensor) -> torch.Tensor:
        pre = h @ self.weights[i].T
        if self.biases is not None:
            pre = pre + self.biases[i]
        return torch.relu(pre)

    def lipschitz_upper(self, i: int = 0, j: int | None = None) -> float:
        """Upper bound on the Lipschitz constant of blocks i..j-1: the product of spectral norms (relu is
        1-Lipschitz)."""
        j = self.num_blocks if j is None else j
        i, j = self._check_split(i), self._check_split(j)
        return float(math.prod(float(torch.linalg.matrix_norm(self.weights[b].double(), 2)) for b in range(i, j)))

    def jacobian(self, h: torch.Tensor, i: int = 0, j: int | None = None) -> torch.Tensor:
        """Jacobian of blocks i..j-1 at one code ``h`` (shape [n_i]): the active product Λ of Hand-Voroninski."""
        j = self.num_blocks if j is None else j
        J = torch.eye(h.numel(), dtype=h.dtype, device=h.device)
        for b in range(self._check_split(i), self._check_split(j)):
            pre = h @ self.weights[b].T + (self.biases[b] if self.biases is not None else 0)
            J = (pre > 0).to(h.dtype)[:, None] * (self.weights[b] @ J)
            h = torch.relu(pre)
        return J

    def lipschitz_empirical(self, points: torch.Tensor, i: int = 0, j: int | None = None) -> float:
        """Empirical Lipschitz estimate :math:`\\max_h\\|J(h)\\|_{op}` over ``points`` (shape [N, n_i]): a lower
        bound on the true constant, usually far below :meth:`lipschitz_upper`."""
        return max(float(torch.linalg.matrix_norm(self.jacobian(p, i, j), 2)) for p in points)

    def split(self, i: int):
        """(G1, G2) as callables for the split at i."""
        i = self._check_split(i)
        return (lambda z: self.forward_to(z, i)), (lambda h: self.forward_from(h, i))
