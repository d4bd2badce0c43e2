r"""Many independent random ReLU generators run as one batch: ``instances`` networks of the same widths, each with
its own weights, applied to contiguous equal groups of rows.

Verification sweeps need a fresh generator per instance (a check over one network measures one draw, not the
theorem's "with high probability over the weights"); looping over instances runs tiny matrix products one at a
time. :class:`ReLUGeneratorBatch` stores the weights as ``[I, n_out, n_in]`` and runs every block as one batched
matrix product (``torch.bmm``) over rows reshaped to ``[I, rows_per_instance, n_in]``.

Rows are instance-major: a batch of ``B`` rows is split into ``I`` groups of ``B / I`` consecutive rows, group i going
through network i. The weights are drawn network by network, layer by layer, exactly as ``I`` consecutive
:class:`~ilo_solver.generators.relu.ReLUGenerator` constructions on the same random generator draw them, so
:meth:`~ilo_solver.generators.relu_batch.ReLUGeneratorBatch.instance` returns network i as a plain ``ReLUGenerator``
(the slow, obviously-correct reference; a property
test checks that the batch equals the loop).
"""
from __future__ import annotations

from collections.abc import Sequence

import torch

from .relu import ReLUGenerator, _ReLUWidths

__all__ = ["ReLUGeneratorBatch"]


class ReLUGeneratorBatch(_ReLUWidths):
    """``instances`` independent ``ReLUGenerator(widths, scaling=scaling)`` networks (no bias) as one module."""

    def __init__(self, instances: int, widths: Sequence[int], *, rng: torch.Generator, scaling: str = "hv",
                 dtype: torch.dtype = torch.float64):
        super().__init__()
        if isinstance(instances, bool) or not isinstance(instances, int) or instances < 1:
            raise ValueError(f"instances must be an integer >= 1, got {instances!r}")
        nets = [ReLUGenerator(widths, rng=rng, scaling=scaling, dtype=dtype) for _ in range(instances)]
        self.widths, self.scaling, self.instances = nets[0].widths, scaling, instances
        self.weights = torch.nn.ParameterList(
            torch.nn.Parameter(torch.stack([net.weights[b].detach() for net in nets]), requires_grad=False)
            for b in range(nets[0].num_blocks))

    def block(self, i: int, h: torch.Tensor) -> torch.Tensor:
        B = h.shape[0]
        if B % self.instances:
            raise ValueError(f"a batch of {B} rows does not split into {self.instances} equal instance groups")
        W = self.weights[i]
        out = torch.bmm(h.reshape(self.instances, B // self.instances, -1), W.transpose(1, 2))
        return torch.relu(out).reshape(B, -1)

    def instance(self, i: int) -> ReLUGenerator:
        """Network i as a plain :class:`~ilo_solver.generators.relu.ReLUGenerator` (same weights)."""
        if not 0 <= i < self.instances:
            raise ValueError(f"instance must be in [0, {self.instances}), got {i!r}")
        net = ReLUGenerator(self.widths, rng=torch.Generator().manual_seed(0), scaling=self.scaling,
                            dtype=self.weights[0].dtype)
        for b, W in enumerate(self.weights):
            net.weights[b].data.copy_(W[i])
        return net

    def lipschitz_upper(self, i: int = 0, j: int | None = None) -> torch.Tensor:
        """Per network ``[I]``: the product of the spectral norms of blocks i..j-1 (relu is 1-Lipschitz)."""
        j = self.num_blocks if j is None else j
        i, j = self._check_split(i), self._check_split(j)
        out = torch.ones(self.instances, dtype=torch.float64)
        for b in range(i, j):
            out = out * torch.linalg.matrix_norm(self.weights[b].double(), 2)
        return out

    def extra_repr(self) -> str:
        return f"instances={self.instances}, widths={self.widths}, scaling={self.scaling!r}"
