"""Loading StyleGAN-2 checkpoints without executing code.

- rosinality-format ``.pt`` (a dict with ``g_ema`` -- converted releases, or training checkpoints with their
  ``args`` Namespace --, or a bare generator state dict), read with ``torch.load(weights_only=True)``; the
  architecture (size, style_dim, n_mlp, channels per resolution) is inferred from the tensor shapes and the state
  dict must match it exactly;
- NVIDIA ``.pkl``: ``stylegan2-ada-pytorch`` / ``stylegan3`` snapshots (``G_ema``) and the original TensorFlow
  StyleGAN-2 release (``Gs``), read by the restricted unpickler of :mod:`~ilo_solver.generators.nvidia_pkl`, which
  never imports or executes the source code such files carry;
- ``.safetensors`` written by :func:`convert_to_safetensors` (no pickle at all; the hyper-parameters that are not
  tensors, such as ``conv_clamp``, travel in the file's metadata).

The average w of training (rosinality's top-level ``latent_avg``, NVIDIA's ``w_avg`` / ``dlatent_avg``; the
safetensors entry ``w_avg``) is kept as ``G.w_avg`` for the truncation trick when the file has it.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
from pathlib import Path

import torch

from ..io.safe_pickle import first_line, safe_torch_load
from .stylegan2 import StyleGAN2Generator, build_checked

__all__ = ["load_generator", "infer_config", "convert_to_safetensors", "convert_checkpoint"]

_META_KEY = "ilo_toolkit.stylegan2_config"
_W_AVG = "w_avg"   # not a state-dict name (those are rosinality's), so it cannot collide


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
    """A StyleGAN-2 generator from a checkpoint file (``.pt``, ``.pkl`` or ``.safetensors``), in eval mode with
    frozen parameters, in the precision it was saved in."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"checkpoint {path} does not exist")
    if path.suffix == ".pkl":
        from .nvidia_pkl import load_nvidia_generator
        return load_nvidia_generator(path)[0].to(device)   # with its w_avg
    cfg_extra, w_avg = {}, None
    if path.suffix == ".safetensors":
        obj, meta = _load_safetensors(path)
        w_avg = obj.pop(_W_AVG, None)
        if _META_KEY in meta:
            try:
                saved = json.loads(meta[_META_KEY])
                cfg_extra = dict(lr_mlp=float(saved.get("lr_mlp", 0.01)), conv_clamp=saved.get("conv_clamp"))
            except (ValueError, TypeError, AttributeError) as e:
                raise ValueError(f"{path}: malformed {_META_KEY} metadata ({e})") from None
            clamp = cfg_extra["conv_clamp"]
            if clamp is not None and not (isinstance(clamp, (int, float)) and math.isfinite(clamp) and clamp > 0):
                raise ValueError(f"{path}: conv_clamp {clamp!r} in the metadata is not a positive number")
    else:
        obj = _load_pt(path)
        if isinstance(obj, dict) and "g_ema" in obj:
            w_avg = obj.get("latent_avg")
    sd = obj.get("g_ema", obj) if isinstance(obj, dict) else None
    if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise ValueError(f"{path} holds neither a 'g_ema' state dict nor a state dict of tensors")
    dtypes = {v.dtype for v in sd.values()}
    if not dtypes <= {torch.float16, torch.bfloat16, torch.float32, torch.float64} or len(dtypes) != 1:
        raise ValueError(f"{path}: the generator's tensors are {sorted(map(str, dtypes))}; one floating dtype "
                         "(float16, bfloat16, float32 or float64) is needed")
    try:
        cfg = infer_config(sd)
        G = build_checked({**cfg, **cfg_extra}, sd, dtype=dtypes.pop())   # keep the saved precision
    except (ValueError, RuntimeError, TypeError) as e:
        raise ValueError(f"{path}: not a StyleGAN-2 generator this toolkit can build ({first_line(e)})") from None
    return _with_w_avg(G, w_avg, path).eval().requires_grad_(False).to(device)


def _load_safetensors(path: Path) -> tuple[dict, dict]:
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load_file
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
        return load_file(path), meta
    except (SafetensorError, OSError, ValueError, TypeError, RuntimeError) as e:
        raise ValueError(f"{path} is not a readable .safetensors file: {e}") from None


def _with_w_avg(G: StyleGAN2Generator, w_avg, path: Path) -> StyleGAN2Generator:
    if w_avg is not None and not isinstance(w_avg, torch.Tensor):
        raise ValueError(f"{path}: the average w is not a tensor ({type(w_avg).__name__})")
    try:
        return G.set_w_avg(w_avg)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None


def convert_to_safetensors(path: str | Path, out: str | Path) -> Path:
    """Write the generator of any supported checkpoint as ``.safetensors`` (no pickle at all when read back);
    the architecture's non-tensor hyper-parameters go into the metadata."""
    from safetensors.torch import save_file
    out = Path(out)
    if out.suffix != ".safetensors":
        raise ValueError(f"out must end in .safetensors, got {out}")
    G = load_generator(path)
    tensors = {k: v.contiguous() for k, v in G.state_dict().items()}
    if G.w_avg is not None:
        tensors[_W_AVG] = G.w_avg.contiguous()
    save_file(tensors, out, metadata={_META_KEY: json.dumps(G.config())})
    return out


def _load_pt(path: Path):
    """:func:`~.safe_pickle.safe_torch_load` (sizes checked, then ``torch.load(weights_only=True)``), with one more
    allowed class: ``argparse.Namespace``, which rosinality's training checkpoints carry as ``args`` (an attribute
    bag: rebuilding it runs no code; what it holds must itself be loadable under ``weights_only``)."""
    return safe_torch_load(path, extra_globals=[argparse.Namespace])


def convert_checkpoint(path: str | Path, out: str | Path) -> dict:
    """``ilo convert``: :func:`convert_to_safetensors` into ``out`` (a new ``.safetensors`` file), written through a
    temporary directory beside it so that a failure leaves nothing; returns the generator's configuration as read
    back from ``out``."""
    import tempfile
    out = Path(out)
    if out.suffix != ".safetensors":
        raise ValueError(f"the output must end in .safetensors, got {out}")
    if out.exists():
        raise ValueError(f"{out} exists; not overwriting it")
    created = out.parent
    while not created.parent.exists():
        created = created.parent   # the first folder this call creates, removed again if the conversion fails
    fresh = not created.exists()
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
            part = convert_to_safetensors(path, Path(tmp) / out.name)
            try:
                os.link(part, out)     # exclusive: a file that appeared meanwhile is never replaced
            except FileExistsError:
                raise ValueError(f"{out} appeared while converting; not overwriting it") from None
    except BaseException:
        if fresh:
            shutil.rmtree(created, ignore_errors=True)
        raise
    G = load_generator(out)
    from ..io.assets import sha256
    return dict(out=str(out), source=str(path), source_sha256=sha256(Path(path)), **G.config(),
                w_avg=G.w_avg is not None)
