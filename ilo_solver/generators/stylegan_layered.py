r"""A StyleGAN-2 generator seen as a :class:`~ilo_solver.generators.base.LayeredGenerator`, for the estimators that
need one (S-REC of the range and of the extended ranges, :mod:`ilo_solver.solvers.srec`).

Split 0 is z (mapped to w, broadcast to every layer); split s ≥ 1 is the synthesis state after stage s - 1
(:meth:`~ilo_solver.generators.stylegan2.StyleGAN2Generator.stage`), packed into one flat code: the features, the RGB
skip, and w itself (the later
stages are modulated by it, so G2 must receive it). Noises are the generator's stored maps, fixed. An ℓ1 ball at
split s is therefore a ball over (features, skip, w) together -- a coarser set than ILO's official StyleGAN-2 search
(which moves w+, noises and the previous output with separate radii, :mod:`ilo_solver.solvers.ilo_stylegan`); it is the
set S-REC is estimated on, said so in the results.
"""
from __future__ import annotations

import math

import torch

from .base import LayeredGenerator

__all__ = ["StyleGANLayered"]


class StyleGANLayered(LayeredGenerator):
    """``StyleGANLayered(G)``: blocks = the synthesis stages of ``G`` (block 0 also runs the mapping network)."""

    def __init__(self, G, *, truncation: float = 1.0):
        super().__init__()
        self.G, self.truncation = G, float(truncation)
        p = G.input.input
        with torch.no_grad():
            w = torch.zeros(1, G.n_latent, G.style_dim, dtype=p.dtype, device=p.device)
            state, self._shapes = None, []
            for j in range(G.num_stages):
                state = G.stage(j, state, w, G.stored_noises())
                self._shapes.append((tuple(state[0].shape[1:]), tuple(state[1].shape[1:])))

    @property
    def num_blocks(self) -> int:
        return self.G.num_stages

    def latent_shape(self, i: int) -> tuple[int, ...]:
        i = self._check_split(i)
        if i == 0:
            return (self.G.style_dim,)
        if i == self.num_blocks:
            return self._shapes[-1][1]
        f, s = self._shapes[i - 1]
        return (math.prod(f) + math.prod(s) + self.G.style_dim,)

    def _unpack(self, code: torch.Tensor, i: int):
        f, s = self._shapes[i - 1]
        nf, ns = math.prod(f), math.prod(s)
        B = code.shape[0]
        feats, skip, w = code[:, :nf].reshape(B, *f), code[:, nf:nf + ns].reshape(B, *s), code[:, nf + ns:]
        return (feats, skip), w

    def block(self, i: int, h: torch.Tensor) -> torch.Tensor:
        G = self.G
        if i == 0:
            w = G.truncate(G.mapping(h), self.truncation)
            state = G.stage(0, None, w[:, None].expand(-1, G.n_latent, -1), G.stored_noises())
        else:
            state, w = self._unpack(h, i)
            state = G.stage(i, state, w[:, None].expand(-1, G.n_latent, -1), G.stored_noises())
        if i == self.num_blocks - 1:
            return state[1]
        return torch.cat([state[0].flatten(1), state[1].flatten(1), w], 1)
