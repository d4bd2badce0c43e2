"""The original TensorFlow StyleGAN-2 release (``stylegan2-ffhq-config-f.pkl``, the generator the ILO paper used):
its ``Gs`` network, read by :func:`~.nvidia_pkl.read_nvidia_pickle` as an inert
:class:`~.nvidia_pkl.TFNetworkRecord`, mapped onto :class:`~.stylegan2.StyleGAN2Generator` names. The PyTorch
snapshots' mapping is :func:`~.nvidia_pkl.to_rosinality`; both are called by
:func:`~.nvidia_pkl.load_nvidia_generator`."""
from __future__ import annotations

import math
import re

import numpy as np
import torch

from .nvidia_pkl import TFNetworkRecord, _need

__all__ = ["tf_to_rosinality"]


def tf_to_rosinality(Gs: TFNetworkRecord) -> tuple[dict[str, torch.Tensor], dict]:
    """(state dict in :class:`~.stylegan2.StyleGAN2Generator` names, constructor kwargs, + ``w_avg``) for the
    ``Gs`` network of an original TensorFlow StyleGAN-2 pickle. Names and layouts as NVIDIA's ``legacy.py``
    (``_convert_tf_generator``) reads them: dense weights ``[in, out]`` → transposed; conv weights
    ``[kh, kw, in, out]`` → ``[out, in, kh, kw]``, the up-sampling ``Conv0_up`` kernel flipped in both spatial axes
    (as ``legacy.py`` and rosinality's ``convert_weight.py`` do); ``mod_bias`` stored without its +1;
    ``noise{i}`` the noise maps in layer order; ``dlatent_avg`` the W average."""
    kw = Gs.static_kwargs
    _need(int(kw.get("label_size", 0) or 0) == 0, "class-conditional generator (label_size > 0): the label "
          "embedding has no counterpart here")
    _need(int(kw.get("num_channels", 3)) == 3, "only 3-channel (RGB) generators are supported")
    arch = kw.get("architecture", "skip")
    _need(arch == "skip", f"architecture {arch!r}; only 'skip' (config-e/f) is supported")
    _need(list(kw.get("resample_kernel", [1, 3, 3, 1])) == [1, 3, 3, 1], "resample kernel differs from [1,3,3,1]")
    for key in ("nonlinearity", "mapping_nonlinearity"):
        _need(kw.get(key, "lrelu") == "lrelu", f"{key} must be lrelu")
    P = Gs.params()
    _need("synthesis/4x4/Const/const" in P and "synthesis/4x4/Conv/weight" in P,
          "not a StyleGAN-2 synthesis network (configs a-d and StyleGAN-1 use other layers)")
    _need(not any(k.startswith("synthesis/ToRGB_lod") for k in P), "architecture 'orig'; only 'skip' is supported")
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a))
    res = int(kw.get("resolution", 1024))
    log = int(math.log2(res))
    _need(res >= 32 and 2 ** log == res and res <= 1024, f"resolution {res} is not a power of two in 32..1024")
    n_mlp = len([k for k in P if re.fullmatch(r"mapping/Dense\d+/weight", k)])
    w_dim = int(P["mapping/Dense0/weight"].shape[1])
    _need(n_mlp >= 1 and "mapping/LabelConcat/weight" not in P, "unexpected mapping network layout")
    sd: dict[str, torch.Tensor] = {}
    for i in range(n_mlp):
        w = P[f"mapping/Dense{i}/weight"]
        _need(w.shape == (w_dim, w_dim), f"mapping/Dense{i} is {list(w.shape)}; only w_dim-wide mappings load")
        sd[f"style.{i + 1}.weight"], sd[f"style.{i + 1}.bias"] = t(w.T), t(P[f"mapping/Dense{i}/bias"])

    def mod(src: str, dst: str):
        sd[f"{dst}.conv.modulation.weight"] = t(P[f"{src}/mod_weight"].T)
        sd[f"{dst}.conv.modulation.bias"] = t(P[f"{src}/mod_bias"] + 1)

    def conv(src: str, dst: str, noise: int, flip: bool):
        w = P[f"{src}/weight"]
        _need(w.shape[:2] == (3, 3), f"{src}: kernel {list(w.shape[:2])}, expected 3x3")
        if flip:
            w = w[::-1, ::-1]
        sd[f"{dst}.conv.weight"] = t(w.transpose(3, 2, 0, 1))[None]
        mod(src, dst)
        sd[f"{dst}.noise.weight"] = t(np.asarray(P[f"{src}/noise_strength"]).reshape(1))
        sd[f"{dst}.activate.bias"] = t(P[f"{src}/bias"])
        sd[f"noises.noise_{noise}"] = t(P[f"synthesis/noise{noise}"]).reshape(1, 1, *P[f"synthesis/noise{noise}"]
                                                                               .shape[-2:])

    def torgb(src: str, dst: str):
        sd[f"{dst}.conv.weight"] = t(P[f"{src}/weight"].transpose(3, 2, 0, 1))[None]
        mod(src, dst)
        sd[f"{dst}.bias"] = t(P[f"{src}/bias"]).reshape(1, 3, 1, 1)

    channels = {}
    try:
        sd["input.input"] = t(P["synthesis/4x4/Const/const"]).reshape(1, -1, 4, 4)
        conv("synthesis/4x4/Conv", "conv1", 0, False)
        torgb("synthesis/4x4/ToRGB", "to_rgb1")
        channels[4] = int(sd["conv1.conv.weight"].shape[1])
        for i in range(3, log + 1):
            r, k = 2 ** i, i - 3
            conv(f"synthesis/{r}x{r}/Conv0_up", f"convs.{2 * k}", 2 * i - 5, True)
            conv(f"synthesis/{r}x{r}/Conv1", f"convs.{2 * k + 1}", 2 * i - 4, False)
            torgb(f"synthesis/{r}x{r}/ToRGB", f"to_rgbs.{k}")
            channels[r] = int(sd[f"convs.{2 * k + 1}.conv.weight"].shape[1])
    except KeyError as e:
        raise ValueError(f"TensorFlow generator lacks variable {e}") from None
    lr = float(kw.get("mapping_lrmul", 0.01))
    w_avg = t(P["dlatent_avg"]) if "dlatent_avg" in P else None
    cfg = dict(size=res, style_dim=w_dim, n_mlp=n_mlp, channels=channels, lr_mlp=lr, conv_clamp=None)
    return sd, dict(config=cfg, w_avg=w_avg)
