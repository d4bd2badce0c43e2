r"""The layered-generator interface that ILO needs: :math:`G=B_{L-1}\circ\cdots\circ B_0`.

Split point i (0 ≤ i ≤ L) is the input of block i: split 0 is the latent z, split L is the output image. For a split
i, :math:`G_1` = blocks 0..i-1 (:meth:`~ilo_solver.generators.base.LayeredGenerator.forward_to`) and :math:`G_2` =
blocks i..L-1 (:meth:`~ilo_solver.generators.base.LayeredGenerator.forward_from`), so that
``forward_from(forward_to(z, i), i) == G(z)`` exactly (tested for every adapter).
"""
from __future__ import annotations

import abc

import torch

__all__ = ["LayeredGenerator"]


class LayeredGenerator(torch.nn.Module, abc.ABC):
    """Subclasses implement :attr:`num_blocks`, :meth:`block`, :meth:`latent_shape` and :meth:`sample_latent`."""

    @property
    @abc.abstractmethod
    def num_blocks(self) -> int:
        """L, the number of blocks (splits are 0..L)."""

    @abc.abstractmethod
    def block(self, i: int, h: torch.Tensor) -> torch.Tensor:
        """Map the code at split i to the code at split i+1."""

    @abc.abstractmethod
    def latent_shape(self, i: int) -> tuple[int, ...]:
        """Shape (without batch) of the code at split i."""

    def sample_latent(self, batch: int, *, rng: torch.Generator) -> torch.Tensor:
        """Latents z at split 0 from the prior, N(0, I) by default."""
        p = next(self.parameters())
        return torch.randn((batch, *self.latent_shape(0)), generator=rng, dtype=p.dtype).to(p.device)

    def _check_split(self, i: int) -> int:
        if isinstance(i, bool) or int(i) != i or not 0 <= i <= self.num_blocks:
            raise ValueError(f"split must be an integer in [0, {self.num_blocks}], got {i!r}")
        return int(i)

    def forward_between(self, h: torch.Tensor, i: int, j: int) -> torch.Tensor:
        """Run blocks i..j-1: the code at split i -> the code at split j (i ≤ j)."""
        i, j = self._check_split(i), self._check_split(j)
        if j < i:
            raise ValueError(f"forward_between needs i <= j, got i={i}, j={j}")
        expected = self.latent_shape(i)
        if tuple(h.shape[1:]) != expected:
            raise ValueError(f"code at split {i} must have shape [B, {', '.join(map(str, expected))}], "
                             f"got {list(h.shape)}")
        for b in range(i, j):
            h = self.block(b, h)
        return h

    def forward_to(self, z: torch.Tensor, i: int) -> torch.Tensor:
        """G1: latent -> code at split i."""
        return self.forward_between(z, 0, i)

    def forward_from(self, h: torch.Tensor, i: int) -> torch.Tensor:
        """G2: code at split i -> output."""
        return self.forward_between(h, i, self.num_blocks)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.forward_from(z, 0)
