"""Loading StyleGAN-2 checkpoints without executing code.

Supported now: rosinality-format ``.pt`` files (a dict with ``g_ema``, or a bare generator state dict), read with
``torch.load(weights_only=True)``, and ``.safetensors`` files written by :func:`convert_to_safetensors`; the architecture (size, style_dim, n_mlp, channels per resolution) is inferred
from the tensor shapes, and the state dict must match it exactly. NVIDIA ``.pkl`` files (stylegan2-ada / stylegan3)
are refused with a clear message: their restricted unpickler is not built yet.
"""
from __future__ import annotations

import re
from pathlib import Path

import torch

from .stylegan2 import StyleGAN2Generator

__all__ = ["load_generator", "infer_config", "convert_to_safetensors"]


def infer_config(sd: dict) -> dict:
    """size, style_dim, n_mlp and channels of a rosinality ``g_ema`` state dict, from its tensor shapes."""
    try:
        style_dim = sd["style.1.weight"].shape[1]
        n_mlp = len({m.group(1) for k in sd if (m := re.fullmatch(r"style\.(\d+)\.weight", k))})
        n_rgb = len({m.group(1) for k in sd if (m := re.fullmatch(r"to_rgbs\.(\d+)\.bias", k))})
        log_size = n_rgb + 2
        channels = {4: sd["input.input"].shape[1]}
        for i in range(3, log_size + 1):
            channels[2 ** i] = sd[f"convs.{2 * (i - 3)}.conv.weight"].shape[1]
    except (KeyError, IndexError, AttributeError) as e:
        raise ValueError(f"not a rosinality StyleGAN-2 generator state dict (missing {e})") from None
    return dict(size=2 ** log_size, style_dim=style_dim, n_mlp=n_mlp, channels=channels)


def load_generator(path: str | Path, device: str | torch.device = "cpu") -> StyleGAN2Generator:
    """A StyleGAN-2 generator from a checkpoint file, in eval mode with frozen parameters."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"checkpoint {path} does not exist")
    if path.suffix == ".pkl":
        raise ValueError(f"{path}: NVIDIA .pkl checkpoints are not supported yet (loading them safely needs a "
                         "restricted unpickler that never imports the pickled source); convert to a rosinality .pt")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file
        obj = load_file(path)
    else:
        obj = _load_pt(path)
    sd = obj.get("g_ema", obj) if isinstance(obj, dict) else None
    if not isinstance(sd, dict):
        raise ValueError(f"{path} holds neither a 'g_ema' state dict nor a state dict")
    cfg = infer_config(sd)
    G = StyleGAN2Generator(**cfg).to(sd["input.input"].dtype)  # keep the saved precision
    G.load_state_dict(sd, strict=True)
    return G.eval().requires_grad_(False).to(device)


def convert_to_safetensors(path: str | Path, out: str | Path) -> Path:
    """Write the generator state dict of a checkpoint as ``.safetensors`` (no pickle at all when read back)."""
    from safetensors.torch import save_file
    G = load_generator(path)
    out = Path(out)
    if out.suffix != ".safetensors":
        raise ValueError(f"out must end in .safetensors, got {out}")
    save_file({k: v.contiguous() for k, v in G.state_dict().items()}, out)
    return out


def _load_pt(path: Path):
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - report any unpickling refusal as one clear error
        raise ValueError(f"{path} could not be loaded safely with weights_only=True: {e}") from None
