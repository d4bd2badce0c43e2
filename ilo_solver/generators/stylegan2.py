r"""StyleGAN-2 generator (Karras et al., CVPR 2020), config-e/f "skip" architecture, in pure torch.

Module and parameter names follow the widely used rosinality port, so that a ``g_ema`` state dict from a
rosinality-format ``.pt`` loads with ``load_state_dict`` (see :mod:`ilo_solver.generators.checkpoints`):
``style.{1..n_mlp}`` (mapping), ``input.input``, ``conv1``, ``to_rgb1``, ``convs.{i}``, ``to_rgbs.{i}``,
``noises.noise_{i}``.

- Mapping: PixelNorm, then ``n_mlp`` equalised linear layers (lr multiplier 0.01) with leaky ReLU(0.2)·√2.
- Modulated convolution: :math:`w'_{oik}=s_i w_{oik}/\sqrt{\sum_{ik}(s_iw_{oik})^2+10^{-8}}` (demodulation), the
  equalised-lr scale :math:`1/\sqrt{\mathrm{fan\_in}}`; upsampling = transposed conv (stride 2) + [1,3,3,1] blur.
- Noise inputs scaled by a learned per-layer weight; toRGB outputs summed over resolutions (skip architecture).
- ``upfirdn2d`` here is a readable reference (zero insertion, pad, depthwise FIR, decimation); no compiled ops.

This module gives the generator and an explicit synthesis state ``(features, skip)`` per layer, so that running
the layers from any intermediate state equals the full forward pass (tested). The ILO adaptations for StyleGAN-2
(w+ with geocross, progressive noises, per-round radii) live in :mod:`ilo_solver.solvers.ilo_stylegan`; checkpoints
(rosinality ``.pt``, NVIDIA ``.pkl``, ``.safetensors``) are read by :mod:`ilo_solver.generators.checkpoints`.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["StyleGAN2Generator", "upfirdn2d", "default_channels"]

SQRT2 = math.sqrt(2.0)


def upfirdn2d(x: torch.Tensor, kernel: torch.Tensor, up: int = 1, down: int = 1, pad=(0, 0)) -> torch.Tensor:
    """Upsample by zero insertion, pad (pad0 before, pad1 after, both axes; negative crops), filter with the 2-D FIR
    ``kernel`` (true convolution: the kernel is flipped), keep every ``down``-th sample. Shape ``[B, C, H, W]``."""
    B, C, H, W = x.shape
    if up > 1:
        y = x.new_zeros(B, C, H * up, W * up)
        y[:, :, ::up, ::up] = x
        x = y
    p0, p1 = pad
    x = F.pad(x, [max(p0, 0), max(p1, 0), max(p0, 0), max(p1, 0)])
    x = x[:, :, max(-p0, 0):x.shape[2] - max(-p1, 0), max(-p0, 0):x.shape[3] - max(-p1, 0)]
    w = torch.flip(kernel, [0, 1]).to(x.dtype)[None, None].expand(C, 1, *kernel.shape)
    x = F.conv2d(x, w, groups=C)
    return x[:, :, ::down, ::down]


def _make_kernel(k: Sequence[float]) -> torch.Tensor:
    k = torch.tensor(k, dtype=torch.float32)
    k = k[None, :] * k[:, None]
    return k / k.sum()


def default_channels(channel_multiplier: int = 2) -> dict[int, int]:
    """Channels per resolution of the official configs (config-f: multiplier 2; config-e: 1)."""
    cm = channel_multiplier
    return {4: 512, 8: 512, 16: 512, 32: 512, 64: 256 * cm, 128: 128 * cm, 256: 64 * cm, 512: 32 * cm,
            1024: 16 * cm}


class PixelNorm(nn.Module):
    def forward(self, x):
        return x * torch.rsqrt(torch.mean(x ** 2, dim=1, keepdim=True) + 1e-8)


class EqualLinear(nn.Module):
    def __init__(self, in_dim, out_dim, bias_init=0.0, lr_mul=1.0, activation=False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim).div_(lr_mul))
        self.bias = nn.Parameter(torch.full((out_dim,), float(bias_init)))
        self.scale, self.lr_mul, self.activation = lr_mul / math.sqrt(in_dim), lr_mul, activation

    def forward(self, x):
        # lr_mul*b + scale*(x W^T) as one addmm; lrelu(z)*sqrt(2) = lrelu(sqrt(2) z) folds the gain into it too
        g = SQRT2 if self.activation else 1.0
        if x.dim() == 2:
            out = torch.addmm(self.bias.to(x.dtype), x, self.weight.t().to(x.dtype), beta=self.lr_mul * g,
                              alpha=self.scale * g)
        else:
            out = F.linear(x, self.weight * (self.scale * g), self.bias * (self.lr_mul * g))
        return F.leaky_relu(out, 0.2) if self.activation else out


class FusedLeakyReLU(nn.Module):
    """bias + leaky ReLU(0.2) * sqrt(2) (the name keeps the checkpoint key ``activate.bias``)."""

    def __init__(self, channels):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        return F.leaky_relu(x + self.bias.view(1, -1, *[1] * (x.dim() - 2)), 0.2) * SQRT2


class Blur(nn.Module):
    def __init__(self, kernel, pad, upsample_factor=1):
        super().__init__()
        self.register_buffer("kernel", _make_kernel(kernel) * upsample_factor ** 2)
        self.pad = pad

    def forward(self, x):
        return upfirdn2d(x, self.kernel, pad=self.pad)


class Upsample(nn.Module):
    def __init__(self, kernel, factor=2):
        super().__init__()
        self.factor = factor
        self.register_buffer("kernel", _make_kernel(kernel) * factor ** 2)
        p = self.kernel.shape[0] - factor
        self.pad = ((p + 1) // 2 + factor - 1, p // 2)

    def forward(self, x):
        return upfirdn2d(x, self.kernel, up=self.factor, pad=self.pad)


class ModulatedConv2d(nn.Module):
    def __init__(self, in_ch, out_ch, k, style_dim, demodulate=True, upsample=False, blur_kernel=(1, 3, 3, 1)):
        super().__init__()
        self.in_ch, self.out_ch, self.k, self.upsample, self.demodulate = in_ch, out_ch, k, upsample, demodulate
        if upsample:
            factor = 2
            p = (len(blur_kernel) - factor) - (k - 1)
            self.blur = Blur(blur_kernel, pad=((p + 1) // 2 + factor - 1, p // 2 + 1), upsample_factor=factor)
        self.scale = 1 / math.sqrt(in_ch * k * k)
        self.padding = k // 2
        self.weight = nn.Parameter(torch.randn(1, out_ch, in_ch, k, k))
        self.modulation = EqualLinear(style_dim, in_ch, bias_init=1.0)

    def forward(self, x, style, impl: str = "fast"):
        r"""Two pure-torch formulations of the same operation, both NVIDIA's (``modulated_conv2d`` in
        stylegan2-ada-pytorch: ``fused_modconv=False`` and ``True``), property-tested equal to 1e-10 in float64:

        ``impl='fast'`` (default): modulate the input and demodulate the output (one shared weight for the batch;
        the demodulation coefficients from :math:`\sum_i s_i^2\sum_k w_{oik}^2`, a [B, in] × [in, out] product);
        ``impl='ref'``: build every sample's modulated/demodulated weight and run a grouped convolution (the
        paper's Eq. 1 and 3 written literally)."""
        B = x.shape[0]
        s = self.modulation(style)                                       # [B, in]
        w = self.scale * self.weight[0]                                  # [out, in, k, k]
        if impl == "ref":
            wb = w[None] * s[:, None, :, None, None]                     # [B, out, in, k, k]
            if self.demodulate:
                wb = wb * torch.rsqrt(wb.pow(2).sum([2, 3, 4]) + 1e-8)[:, :, None, None, None]
            xg = x.reshape(1, B * self.in_ch, *x.shape[2:])
            if self.upsample:
                wt = wb.transpose(1, 2).reshape(B * self.in_ch, self.out_ch, self.k, self.k)
                out = F.conv_transpose2d(xg, wt.to(x.dtype), stride=2, groups=B)
                return self.blur(out.view(B, self.out_ch, *out.shape[2:]))
            out = F.conv2d(xg, wb.reshape(B * self.out_ch, self.in_ch, self.k, self.k).to(x.dtype),
                           padding=self.padding, groups=B)
            return out.view(B, self.out_ch, *out.shape[2:])
        if impl != "fast":
            raise ValueError(f"impl must be 'fast' or 'ref', got {impl!r}")
        xs = x * s[:, :, None, None]
        if self.upsample:
            out = self.blur(F.conv_transpose2d(xs, w.transpose(0, 1).to(x.dtype), stride=2))
        else:
            out = F.conv2d(xs, w.to(x.dtype), padding=self.padding)
        if self.demodulate:   # sum_{i,k} (s_i w_oik)^2 = sum_i s_i^2 sum_k w_oik^2: no [B, out, in, k, k] tensor
            d = torch.rsqrt(s.pow(2) @ w.pow(2).sum([2, 3]).t() + 1e-8)                      # [B, out]
            out = out * d[:, :, None, None]
        return out


class NoiseInjection(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, x, noise):
        return torch.addcmul(x, noise, self.weight)


def _clamp(x: torch.Tensor, conv_clamp: float | None) -> torch.Tensor:
    return x if conv_clamp is None else x.clamp(-conv_clamp, conv_clamp)


class StyledConv(nn.Module):
    def __init__(self, in_ch, out_ch, k, style_dim, upsample=False, blur_kernel=(1, 3, 3, 1), conv_clamp=None):
        super().__init__()
        self.conv = ModulatedConv2d(in_ch, out_ch, k, style_dim, upsample=upsample, blur_kernel=blur_kernel)
        self.noise = NoiseInjection()
        self.activate = FusedLeakyReLU(out_ch)
        self.conv_clamp = conv_clamp

    def forward(self, x, style, noise, impl="fast"):
        return _clamp(self.activate(self.noise(self.conv(x, style, impl), noise)), self.conv_clamp)


class ToRGB(nn.Module):
    def __init__(self, in_ch, style_dim, upsample=True, blur_kernel=(1, 3, 3, 1), conv_clamp=None):
        super().__init__()
        if upsample:
            self.upsample = Upsample(blur_kernel)
        self.conv = ModulatedConv2d(in_ch, 3, 1, style_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(1, 3, 1, 1))
        self.conv_clamp = conv_clamp

    def forward(self, x, style, skip=None, impl="fast"):
        out = _clamp(self.conv(x, style, impl) + self.bias, self.conv_clamp)
        return out if skip is None else out + self.upsample(skip)


class ConstantInput(nn.Module):
    def __init__(self, channels, size=4):
        super().__init__()
        self.input = nn.Parameter(torch.randn(1, channels, size, size))

    def forward(self, batch: int):
        return self.input.expand(batch, -1, -1, -1)


class StyleGAN2Generator(nn.Module):
    """``size`` a power of two in 32..1024; ``channels`` maps resolution → channels (default: the official
    config with ``channel_multiplier``). Latents: z [B, style_dim] → w = mapping(z); w+ = [B, n_latent, style_dim].

    ``conv_clamp``: clamp every conv layer's activation and every toRGB output to ±conv_clamp, as NVIDIA's
    stylegan2-ada-pytorch does for networks trained with ``conv_clamp=256`` (None = no clamp, the paper's and the
    rosinality port's behaviour). It is a hyper-parameter, not a tensor: :meth:`config` returns it with the rest.

    ``w_avg``: the running average of w kept by training (rosinality's ``latent_avg``, NVIDIA's ``mapping.w_avg`` /
    ``dlatent_avg``), set by the checkpoint loaders when the file has one, else None; a non-persistent buffer, so
    ``state_dict`` stays rosinality's. It is what the truncation trick (:meth:`truncate`) pulls towards."""

    def __init__(self, size: int, style_dim: int = 512, n_mlp: int = 8, channel_multiplier: int = 2,
                 channels: dict[int, int] | None = None, blur_kernel=(1, 3, 3, 1), lr_mlp: float = 0.01,
                 conv_clamp: float | None = None):
        super().__init__()
        if conv_clamp is not None and not conv_clamp > 0:
            raise ValueError(f"conv_clamp must be > 0 or None, got {conv_clamp}")
        self.conv_clamp, self.lr_mlp = conv_clamp, lr_mlp
        log_size = int(round(math.log2(size))) if size > 0 else 0
        if size < 32 or size > 1024 or 2 ** log_size != size:
            raise ValueError(f"size must be a power of two in [32, 1024], got {size}")
        self.size, self.style_dim, self.n_mlp, self.log_size = size, style_dim, n_mlp, log_size
        ch = dict(default_channels(channel_multiplier) if channels is None else channels)
        missing = [2 ** i for i in range(2, log_size + 1) if 2 ** i not in ch]
        if missing:
            raise ValueError(f"channels needs entries for resolutions {missing}")
        self.channels = ch
        self.style = nn.Sequential(PixelNorm(), *[EqualLinear(style_dim, style_dim, lr_mul=lr_mlp, activation=True)
                                                  for _ in range(n_mlp)])
        self.input = ConstantInput(ch[4])
        cc = dict(conv_clamp=conv_clamp)
        self.conv1 = StyledConv(ch[4], ch[4], 3, style_dim, blur_kernel=blur_kernel, **cc)
        self.to_rgb1 = ToRGB(ch[4], style_dim, upsample=False, **cc)
        self.num_layers = (log_size - 2) * 2 + 1
        self.noises = nn.Module()
        for i in range(self.num_layers):
            r = 2 ** ((i + 5) // 2)
            self.noises.register_buffer(f"noise_{i}", torch.randn(1, 1, r, r))
        self.convs, self.to_rgbs = nn.ModuleList(), nn.ModuleList()
        in_ch = ch[4]
        for i in range(3, log_size + 1):
            out_ch = ch[2 ** i]
            self.convs.append(StyledConv(in_ch, out_ch, 3, style_dim, upsample=True, blur_kernel=blur_kernel, **cc))
            self.convs.append(StyledConv(out_ch, out_ch, 3, style_dim, blur_kernel=blur_kernel, **cc))
            self.to_rgbs.append(ToRGB(out_ch, style_dim, **cc))
            in_ch = out_ch
        self.n_latent = log_size * 2 - 2
        self.register_buffer("w_avg", None, persistent=False)

    def config(self) -> dict:
        """The constructor arguments that rebuild this architecture (JSON-serialisable)."""
        return dict(size=self.size, style_dim=self.style_dim, n_mlp=self.n_mlp,
                    channels={int(k): int(v) for k, v in self.channels.items() if k <= self.size},
                    lr_mlp=self.lr_mlp, conv_clamp=self.conv_clamp)

    # ------------------------------------------------------------------ latents and noises
    def mapping(self, z: torch.Tensor) -> torch.Tensor:
        return self.style(z)

    def stored_noises(self) -> list[torch.Tensor]:
        return [getattr(self.noises, f"noise_{i}") for i in range(self.num_layers)]

    def set_w_avg(self, w_avg: torch.Tensor | None) -> StyleGAN2Generator:
        """Set (or clear, with None) the average w used by :meth:`truncate`; shape ``[style_dim]`` or
        ``[1, style_dim]``, e.g. a checkpoint's ``latent_avg`` or ``G.mean_w(...)``."""
        if w_avg is not None:
            w_avg = torch.as_tensor(w_avg).detach().reshape(-1)
            if w_avg.numel() != self.style_dim or not torch.isfinite(w_avg).all():
                raise ValueError(f"w_avg must be {self.style_dim} finite values, got shape {list(w_avg.shape)}")
            p = self.input.input
            w_avg = w_avg.to(p.device, p.dtype)
        self.w_avg = w_avg
        return self

    def truncate(self, w: torch.Tensor, psi: float) -> torch.Tensor:
        """The truncation trick (Karras et al. 2019, §3; StyleGAN-2's generator): ``w_avg + psi (w - w_avg)`` for
        w ``[B, D]`` or w+ ``[B, L, D]``; psi = 1 returns ``w`` unchanged and needs no average."""
        if not math.isfinite(psi):
            raise ValueError(f"psi must be finite, got {psi}")
        if psi == 1:
            return w
        if self.w_avg is None:
            raise ValueError("this generator has no w_avg (its checkpoint carried none): set one with "
                             "G.set_w_avg(G.mean_w(10_000, generator=...)) before truncating")
        return torch.lerp(self.w_avg.to(w.dtype), w, psi)

    def mean_w(self, n: int = 10_000, *, rng: torch.Generator) -> torch.Tensor:
        p = self.input.input
        z = torch.randn(n, self.style_dim, generator=rng, dtype=p.dtype).to(p.device)
        with torch.no_grad():
            return self.mapping(z).mean(0, keepdim=True)

    # ------------------------------------------------------------------ synthesis, layer by layer
    @property
    def num_stages(self) -> int:
        """Stage 0 = constant input + conv1 + to_rgb1; stage j ≥ 1 = one resolution (two convs + toRGB)."""
        return self.log_size - 1

    def stage(self, j: int, state, w: torch.Tensor, noises: Sequence[torch.Tensor], impl: str = "fast"):
        """Map the synthesis state ``(features, skip)`` before stage j to the state after it (``state`` is ignored
        for j = 0). ``w`` is w+ [B, n_latent, style_dim]; ``noises`` has ``num_layers`` maps."""
        if j == 0:
            out = self.input(w.shape[0]).to(w.dtype)
            out = self.conv1(out, w[:, 0], noises[0], impl)
            return out, self.to_rgb1(out, w[:, 1], None, impl)
        out, skip = state
        i = 2 * j - 1
        out = self.convs[2 * (j - 1)](out, w[:, i], noises[i], impl)
        out = self.convs[2 * (j - 1) + 1](out, w[:, i + 1], noises[i + 1], impl)
        return out, self.to_rgbs[j - 1](out, w[:, i + 2], skip, impl)

    def synthesis(self, w: torch.Tensor, noises=None, *, start: int = 0, state=None, impl: str = "fast"):
        """Image from w+ (``[B, n_latent, D]``, or ``[B, D]`` broadcast to every layer), running stages
        ``start..`` from ``state`` (the full forward pass for ``start = 0``)."""
        if w.dim() == 2:
            w = w[:, None].expand(-1, self.n_latent, -1)
        if tuple(w.shape[1:]) != (self.n_latent, self.style_dim):
            raise ValueError(f"w+ must have shape [B, {self.n_latent}, {self.style_dim}], got {list(w.shape)}")
        noises = self.stored_noises() if noises is None else list(noises)
        if len(noises) != self.num_layers:
            raise ValueError(f"expected {self.num_layers} noise maps, got {len(noises)}")
        if not 0 <= start < self.num_stages or (start > 0 and state is None):
            raise ValueError(f"start must be in [0, {self.num_stages}) and needs a state when > 0")
        for j in range(start, self.num_stages):
            state = self.stage(j, state, w, noises, impl)
        return state[1]

    def forward(self, z: torch.Tensor, noises=None, impl: str = "fast", truncation: float = 1.0) -> torch.Tensor:
        """Image from z ``[B, style_dim]``; ``truncation`` < 1 applies :meth:`truncate` to w."""
        return self.synthesis(self.truncate(self.mapping(z), truncation), noises, impl=impl)


def build_checked(cfg: dict, sd: dict, *, dtype: torch.dtype, strict: bool = True,
                  max_bytes: int = 8 * 2 ** 30) -> StyleGAN2Generator:
    """A :class:`StyleGAN2Generator` with the configuration ``cfg`` read from a file, loaded with the state dict
    ``sd`` -- checked before anything is allocated: the hyper-parameters' types and ranges, the architecture built
    on the ``meta`` device (no memory) and every parameter's shape compared with the file's tensors (so the model
    cannot be larger than what the file carries: a 1 KB file of zero-size tensors claiming ``style_dim`` 16384 is
    refused, not built), its size at most ``max_bytes``, and every weight finite. ``strict``: every parameter must
    come from ``sd`` (blur kernels and noise buffers are the architecture's own)."""
    for k in ("size", "style_dim", "n_mlp"):
        v = cfg.get(k)
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError(f"{k} must be an integer, got {v!r}")
    if not (1 <= cfg["style_dim"] <= 4096 and 1 <= cfg["n_mlp"] <= 16):
        raise ValueError(f"style_dim must lie in [1, 4096] and n_mlp in [1, 16], got {cfg['style_dim']}, "
                         f"{cfg['n_mlp']}")
    ch = cfg.get("channels") or {}
    if not all(isinstance(c, int) and not isinstance(c, bool) and 1 <= c <= 4096 for c in ch.values()):
        raise ValueError(f"channels must be integers in [1, 4096], got {ch}")
    lr_mlp = cfg.get("lr_mlp", 0.01)
    if not (isinstance(lr_mlp, (int, float)) and math.isfinite(lr_mlp) and lr_mlp > 0):
        raise ValueError(f"lr_mlp must be finite and > 0, got {lr_mlp!r}")
    with torch.device("meta"):
        meta = StyleGAN2Generator(**cfg)
    params = dict(meta.named_parameters())
    wrong = [k for k, v in params.items() if k in sd and tuple(sd[k].shape) != tuple(v.shape)]
    missing = [k for k in params if k not in sd]
    if wrong or (strict and missing):
        raise ValueError("the file's tensors do not match the architecture they describe ("
                         + ", ".join([f"{k}: {tuple(sd[k].shape)} for {tuple(params[k].shape)}" for k in wrong[:3]]
                                     + [f"{k} missing" for k in missing[:3]]) + ")")
    size = sum(v.numel() for v in meta.parameters()) * torch.empty((), dtype=dtype).element_size()
    if size > max_bytes:
        raise ValueError(f"the generator would take {size / 2 ** 30:.1f} GiB, over the limit of "
                         f"{max_bytes / 2 ** 30:.0f} GiB")
    bad = [k for k, v in sd.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if bad:
        raise ValueError(f"non-finite weights (NaN or inf) in {', '.join(bad[:3])}")
    G = StyleGAN2Generator(**cfg).to(dtype)
    G.load_state_dict(sd, strict=strict)
    return G
