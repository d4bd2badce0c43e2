r"""The standard *untrained* prior beside the generative ones: a **deep decoder** (Heckel & Hand, ICLR 2019) fitted
to the one observation -- no training data, the architecture is the prior.

Network (Heckel & Hand 2019, §2, eq. (1)): a fixed random input :math:`B_0\in\mathbb R^{k\times4\times4}` (uniform
on [0, 0.1], drawn from ``rng``), then ``blocks`` blocks of :math:`B_{i+1}=\mathrm{cn}(\mathrm{ReLU}(U_i(B_iC_i)))`
-- :math:`C_i` a 1x1 convolution (k -> k), :math:`U_i` bilinear up-sampling x2 (none in the last block), cn the
channel normalisation (batch norm over the pixels of each channel, with a learned scale and shift) -- and
:math:`x=\mathrm{sigmoid}(B_dC_d)` with :math:`C_d` a 1x1 convolution k -> 3, mapped to [-1, 1]. Only the weights
are fitted: :math:`\min_C\|A(x(C))-y\|^2` by Adam.

**Stopping rule** (stated, never chosen per image or by its truth): a fixed number of steps, 1000. The deep decoder
needs no early stopping in principle because it is *under-parameterised* (Heckel & Hand §3); at 64² with k = 32 it
fits 5,699 weights (:func:`parameter_count`) for 12,288 pixels, which still lets it fit some noise late. The two
defaults were set once, on the two built-in photos (denoising σ = 0.2 and inpainting 40 %, 1 CPU thread): k = 32 /
1000 steps gave 26.4 / 24.5 dB (denoising, astronaut / Grace Hopper) and 25.6 / 23.5 dB (inpainting); 3000 steps
25.3 dB on the astronaut's denoising (the noise being fitted); k = 16 / 1000 steps 23.0 / 22.4 dB on Grace Hopper.
"""
from __future__ import annotations

import dataclasses
import math
import time

import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..optim.loop import SolveResult, minimize

__all__ = ["DeepDecoderConfig", "deep_decoder", "decode", "init_weights", "parameter_count"]


@dataclasses.dataclass(frozen=True)
class DeepDecoderConfig:
    """``channels`` k, ``steps`` Adam steps at ``lr`` (the fixed stopping rule); the number of up-samplings is set
    by the image size (4 x 4 input)."""
    channels: int = 32
    steps: int = 1000
    lr: float = 0.01

    def __post_init__(self):
        for name, lo, hi in (("channels", 1, 1024), ("steps", 1, 10 ** 6)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {v!r}")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be finite and > 0, got {self.lr!r}")


def _ups(size: int) -> int:
    """The up-samplings from 4 x 4 to ``size`` (a power of two >= 8)."""
    ups = int(round(math.log2(size / 4))) if size >= 8 else -1
    if ups < 1 or 4 * 2 ** ups != size:
        raise ValueError(f"the deep decoder builds square images of 4 * 2^j pixels (8, 16, ..., 64, ...), got {size}")
    return ups


def init_weights(k: int, ups: int, *, channels_out: int = 3, rng: torch.Generator, dtype=torch.float32) -> list:
    """The fitted tensors: per block a 1x1 convolution [k, k] and its bias, the norm's scale and shift [k] (blocks =
    ``ups`` + 1), then the output convolution [channels_out, k] and its bias; PyTorch's default uniform init
    (He-uniform bound 1/sqrt(k)) drawn from ``rng``."""
    bound = 1 / math.sqrt(k)

    def u(*shape):
        return (torch.rand(shape, generator=rng, dtype=dtype) * 2 - 1) * bound
    ws = []
    for _ in range(ups + 1):
        ws += [u(k, k), u(k), torch.ones(k, dtype=dtype), torch.zeros(k, dtype=dtype)]
    return ws + [u(channels_out, k), u(channels_out)]


def parameter_count(k: int, ups: int, channels_out: int = 3) -> int:
    """Weights fitted: (ups + 1) blocks of k^2 + 3k, and the output's channels_out (k + 1)."""
    return (ups + 1) * (k * k + 3 * k) + channels_out * (k + 1)


def decode(ws: list, b0: torch.Tensor) -> torch.Tensor:
    """The deep decoder's image ``[B, 3, H, W]`` in [-1, 1] from its weights ``ws`` and input ``b0`` ``[B, k, 4, 4]``
    (see the module docstring)."""
    blocks = (len(ws) - 2) // 4
    h = b0
    for i in range(blocks):
        w, b, g, s = ws[4 * i:4 * i + 4]
        h = F.conv2d(h, w[:, :, None, None], b)
        if i < blocks - 1:
            h = F.interpolate(h, scale_factor=2, mode="bilinear", align_corners=False)
        h = F.relu(h)
        mu, var = h.mean((0, 2, 3), keepdim=True), h.var((0, 2, 3), unbiased=False, keepdim=True)
        h = (h - mu) / torch.sqrt(var + 1e-5) * g[None, :, None, None] + s[None, :, None, None]
    out = F.conv2d(h, ws[-2][:, :, None, None], ws[-1])
    return torch.sigmoid(out) * 2 - 1


def deep_decoder(G, y: torch.Tensor, op, *, config: DeepDecoderConfig, rng: torch.Generator,
                 progress: bool = False) -> SolveResult:
    """Fit a deep decoder to ``y`` ``[1, *op.out_shape]`` (any differentiable operator of a [3, S, S] image, S =
    4 * 2^j); ``G`` is not used (the solver interface is shared)."""
    C, H, W = op.in_shape
    if H != W:
        raise ValueError(f"the deep decoder builds square images, got {H}x{W}")
    ups = _ups(H)
    k = config.channels
    dt = y.dtype
    b0 = (torch.rand((1, k, 4, 4), generator=rng, dtype=dt) * 0.1).to(y.device)
    ws = [w.to(y.device) for w in init_weights(k, ups, channels_out=C, rng=rng, dtype=dt)]
    t0 = time.perf_counter()
    bar = tqdm(total=config.steps, desc="deep decoder", disable=not progress, leave=False)
    res = minimize(ws, lambda vs: ((op(decode(vs, b0)) - y) ** 2).flatten(1).mean(1), steps=config.steps,
                   lr=config.lr, bar=bar, record="per_sample")
    bar.close()
    with torch.no_grad():
        x = decode(res.params, b0)
    return SolveResult(x=x.detach(), losses=[res.trace], seconds=[time.perf_counter() - t0], config=config)
