r"""NVIDIA network pickles -- ``stylegan2-ada-pytorch`` / ``stylegan3`` snapshots and the original TensorFlow
StyleGAN-2 release -- read without executing anything.

An NVIDIA snapshot (``network-snapshot-*.pkl``, and the converted paper models such as ``ffhq.pkl``) is a plain
pickle of ``dict(G=..., D=..., G_ema=..., augment_pipe=..., training_set_kwargs=...)``. Each network is a
``torch_utils.persistence`` object: it pickles as ``_reconstruct_persistent_obj(meta)`` where ``meta`` holds the
*source code of the module that defined the class* (``module_src``), the class name and the object's ``__dict__``
(``_parameters``, ``_buffers``, ``_modules``, hyper-parameters). The official loader ``exec``\ s ``module_src``:
loading a downloaded ``.pkl`` with it runs whatever code the file carries.

Here the :class:`~.safe_pickle.RestrictedUnpickler` (which also restricts what may be *called*, what may have its
state set, and how much may be allocated -- see :mod:`.safe_pickle`) resolves only an explicit allow-list of
globals (checked tensor, storage and numeric-numpy rebuilders, plain containers, ``dnnlib.EasyDict`` → ``dict``)
and turns every persistent object into an inert :class:`PersistentRecord` (class name + state; the source is kept
as text and never compiled). Storages are size-checked, then read with ``torch.load(weights_only=True)``. Any
other global -- ``os.system``, ``builtins.eval``, a class from the embedded source -- stops the load with
:class:`~ilo_solver.io.torch_payload.UnsafePickleError` naming it, before anything is called.

:func:`to_rosinality` then maps ``G_ema`` (the StyleGAN-2 generator of ``training/networks.py``, or
``training/networks_stylegan2.py`` in the stylegan3 repository) onto :class:`~.stylegan2.StyleGAN2Generator`
names. Conventions checked against NVIDIA's code (``modulated_conv2d``, ``SynthesisLayer``, ``ToRGBLayer``,
``SynthesisBlock``, ``legacy.py``), and verified in the tests against an independent NVIDIA-semantics forward pass:

- ``mapping.fc{i}`` → ``style.{i+1}``: same parametrisation (weight stored divided by the lr multiplier, gains
  applied at run time), lrelu·√2;
- ``synthesis.b4.const`` [C,4,4] → ``input.input`` [1,C,4,4]; ``b4.conv1``/``b4.torgb`` → ``conv1``/``to_rgb1``;
  ``b{R}.conv0``/``conv1``/``torgb`` → ``convs.{2k}``/``convs.{2k+1}``/``to_rgbs.{k}``, k = log2 R − 3;
  ``noise_const`` [R,R] → ``noises.noise_{i}`` [1,1,R,R]; ``noise_strength`` [] → ``noise.weight`` [1];
  ``affine`` → ``conv.modulation`` (bias stored with its +1, both ports);
- up-sampling convs (``conv0``): NVIDIA calls a *transposed* convolution with the stored weight unflipped
  (``flip_weight = (up == 1)`` → correlation path), exactly as the rosinality port does; both ports flipped the TF
  kernel once at conversion (``legacy.py``: ``Conv0_up/weight[::-1, ::-1]``), so the weight maps as is;
- demodulated convs: the stored weight maps as is -- it is the TensorFlow weight in both ports (``legacy.py`` and
  rosinality's ``convert_weight.py`` copy it unchanged), so a converted state dict equals rosinality's conversion
  of the same model. NVIDIA's forward pass leaves out the 1/√fan_in factor that demodulation cancels, ours keeps
  it; the two differ only in where the 1e-8 of the demodulation sits (relative effect ~1e-8 · fan_in / Σ(ws)²,
  below float32 resolution);
- toRGB: NVIDIA scales the styles by 1/√fan_in, we scale the weight: the same product, weight maps as is;
- ``conv_clamp`` (clamp after bias + activation, and of each toRGB output) becomes the generator's ``conv_clamp``.

The original TensorFlow release (``stylegan2-ffhq-config-f.pkl``, the generator the ILO paper used) pickles a
``(G, D, Gs)`` tuple of ``dnnlib.tflib.network.Network`` objects whose state carries ``build_module_src``, which
TensorFlow's ``__setstate__`` executes. They become inert :class:`TFNetworkRecord`\ s and
:func:`~.nvidia_tf.tf_to_rosinality` maps ``Gs`` with the names and layouts of NVIDIA's ``legacy.py`` (tested to
give the same generator as the PyTorch snapshot of the same weights).

Refused with a clear message: class-conditional generators (``c_dim > 0``), StyleGAN3 (alias-free) generators,
``architecture`` other than ``'skip'``, image channels other than 3, mapping widths ≠ w_dim, non-[1,3,3,1] filters.
Not reproduced: NVIDIA runs the top ``num_fp16_res`` resolutions in float16 on CUDA (float32 on CPU); we run
float32 everywhere, which equals NVIDIA's CPU output. The ``w_avg`` buffer becomes ``G.w_avg`` (the centre of the
truncation trick).
"""
from __future__ import annotations

import hashlib
import math
import re
from pathlib import Path

import numpy as np
import torch

from ..io.safe_pickle import RestrictedUnpickler, UnsafePickleError, first_line

__all__ = ["PersistentRecord", "TFNetworkRecord", "read_nvidia_pickle", "to_rosinality",
           "load_nvidia_generator"]


class PersistentRecord:
    """An inert stand-in for one ``torch_utils.persistence`` object: its class name, its ``__dict__`` and the
    sha256 of the module source it carried (the source itself is never compiled or executed)."""

    __slots__ = ("class_name", "state", "source_sha256")

    def __init__(self, class_name: str, state: dict, source_sha256: str):
        self.class_name, self.state, self.source_sha256 = class_name, state, source_sha256

    def __repr__(self):
        return f"PersistentRecord({self.class_name}, source sha256 {self.source_sha256[:12]}…)"

    # -- nn.Module-like views of the recorded state
    def params(self) -> dict:
        return dict(self.state.get("_parameters") or {})

    def buffers(self) -> dict:
        return dict(self.state.get("_buffers") or {})

    def children(self) -> dict:
        return dict(self.state.get("_modules") or {})

    def child(self, name: str) -> PersistentRecord:
        c = self.children().get(name)
        if not isinstance(c, PersistentRecord):
            raise ValueError(f"{self.class_name} has no sub-network {name!r} (has {sorted(self.children())})")
        return c

    def tensor(self, name: str) -> torch.Tensor:
        t = self.params().get(name, self.buffers().get(name))
        if not isinstance(t, torch.Tensor):
            raise ValueError(f"{self.class_name} has no tensor {name!r}")
        return t.detach()


class TFNetworkRecord:
    """An inert stand-in for a TensorFlow-era ``dnnlib.tflib.network.Network`` (the original StyleGAN-2 release,
    e.g. ``stylegan2-ffhq-config-f.pkl``): name, static kwargs, sub-networks and variables. Its pickled state holds
    ``build_module_src``, which the official ``__setstate__`` executes; here it is only hashed."""

    __slots__ = ("name", "static_kwargs", "components", "variables", "source_sha256")
    _safe_build = True   # the restricted unpickler may call __setstate__ on instances (never on the class)

    def __setstate__(self, state):
        if not isinstance(state, dict) or not {"version", "name", "static_kwargs", "variables"} <= set(state):
            raise UnsafePickleError("malformed dnnlib.tflib.network.Network record")
        if state["version"] not in (2, 3, 4):
            raise ValueError(f"TensorFlow network pickle version {state['version']} is not supported (2-4)")
        comps = state.get("components") or {}
        if not isinstance(state["static_kwargs"], dict) or not isinstance(comps, dict):
            raise UnsafePickleError("malformed dnnlib.tflib.network.Network record")
        if not all(isinstance(c, TFNetworkRecord) for c in comps.values()):
            raise UnsafePickleError("a TensorFlow network's components are not networks")
        variables = state["variables"]
        pairs = all(isinstance(kv, tuple) and len(kv) == 2 and isinstance(kv[0], str)
                    and isinstance(kv[1], (np.ndarray, np.generic)) for kv in variables) \
            if isinstance(variables, list) else False
        if not pairs:
            raise UnsafePickleError("a TensorFlow network's variables are not (name, numpy array) pairs")
        self.name, self.static_kwargs, self.components = str(state["name"]), dict(state["static_kwargs"]), dict(comps)
        self.variables = {k: np.asarray(v) for k, v in variables}
        self.source_sha256 = hashlib.sha256(str(state.get("build_module_src", "")).encode()).hexdigest()

    def params(self, prefix: str = "") -> dict[str, np.ndarray]:
        """All variables, sub-networks' under ``component/`` (the names of NVIDIA's ``legacy.py``)."""
        out = {prefix + k: v for k, v in self.variables.items()}
        for name, comp in self.components.items():
            out.update(comp.params(prefix + name + "/"))
        return out


class _EasyDict(dict):
    """``dnnlib.EasyDict`` is a dict with attribute access; as data, a dict is all we need."""


def _reconstruct_persistent_obj(meta):
    if not isinstance(meta, dict) or not {"type", "version", "module_src", "class_name", "state"} <= set(meta):
        raise UnsafePickleError("malformed torch_utils.persistence record")
    if meta["type"] != "class" or not isinstance(meta["class_name"], str) or not isinstance(meta["module_src"], str):
        raise UnsafePickleError(f"unsupported persistence record of type {meta['type']!r}")
    state = meta["state"]
    if state is None:
        state = {}
    if not isinstance(state, dict):
        raise UnsafePickleError(f"persistence record for {meta['class_name']} has a non-dict state")
    return PersistentRecord(meta["class_name"], dict(state), hashlib.sha256(meta["module_src"].encode()).hexdigest())


_GLOBALS = {
    ("torch_utils.persistence", "_reconstruct_persistent_obj"): _reconstruct_persistent_obj,
    ("dnnlib.util", "EasyDict"): _EasyDict,
    ("dnnlib", "EasyDict"): _EasyDict,
    ("dnnlib.tflib.network", "Network"): TFNetworkRecord,
}


def _unpickler(data: bytes) -> RestrictedUnpickler:
    return RestrictedUnpickler(data, globals=_GLOBALS, callables=(_reconstruct_persistent_obj,),
                               classes=(_EasyDict, TFNetworkRecord))


def read_nvidia_pickle(path: str | Path):
    """The top-level object of an NVIDIA network pickle, nothing executed: the PyTorch snapshot dict (networks as
    :class:`PersistentRecord`), or the TensorFlow ``(G, D, Gs)`` tuple / single network (as
    :class:`TFNetworkRecord`)."""
    path = Path(path)
    try:
        data = _unpickler(path.read_bytes()).load()
    except OSError as e:
        raise ValueError(f"{path} cannot be read: {e.strerror or e}") from None
    except UnsafePickleError as e:
        raise UnsafePickleError(f"{path}: {e}") from None
    except Exception as e:  # noqa: BLE001 - truncated/corrupt files: one clear error
        raise ValueError(f"{path} is not a readable network pickle: {type(e).__name__}: {e}") from None
    if isinstance(data, dict) and isinstance(data.get("G_ema"), PersistentRecord):
        return data
    if isinstance(data, TFNetworkRecord) or (isinstance(data, tuple) and len(data) == 3
                                             and all(isinstance(n, TFNetworkRecord) for n in data)):
        return data
    raise ValueError(f"{path} is not an NVIDIA network pickle (neither a dict with a 'G_ema' network nor a "
                     "TensorFlow (G, D, Gs) tuple)")


def _scalar(rec: PersistentRecord, key: str, default=None):
    v = rec.state.get(key, default)
    return v.item() if isinstance(v, (np.generic, torch.Tensor)) else v


def _need(cond: bool, msg: str) -> None:
    if not cond:
        raise ValueError(msg)


_FILTER = torch.tensor([1.0, 3.0, 3.0, 1.0])


def to_rosinality(G: PersistentRecord) -> tuple[dict[str, torch.Tensor], dict]:
    """(state dict in :class:`~.stylegan2.StyleGAN2Generator` names, constructor kwargs, + ``w_avg``) for a
    ``G_ema`` record. Raises ``ValueError`` with the reason for anything this generator cannot represent."""
    _need(G.class_name == "Generator", f"G_ema is a {G.class_name}, not a Generator")
    children = G.children()
    _need("mapping" in children and "synthesis" in children, "G_ema has no mapping/synthesis sub-networks")
    syn, mp = G.child("synthesis"), G.child("mapping")
    if "input" in syn.children() or any(re.fullmatch(r"L\d+_.*", k) for k in syn.children()):
        raise ValueError("this is a StyleGAN3 (alias-free) generator; only StyleGAN-2 generators are supported "
                         "(a stylegan3-repository .pkl trained with --cfg=stylegan2 loads)")
    c_dim, z_dim, w_dim = (int(_scalar(G, k, 0)) for k in ("c_dim", "z_dim", "w_dim"))
    _need(c_dim == 0, f"class-conditional generator (c_dim = {c_dim}): the label embedding has no counterpart here")
    _need(int(_scalar(G, "img_channels", 3)) == 3, "only 3-channel (RGB) generators are supported")
    res = int(_scalar(G, "img_resolution"))
    _need(res >= 32 and res & (res - 1) == 0 and res <= 1024, f"img_resolution {res} is not a power of two in 32..1024")
    _need(z_dim == w_dim, f"z_dim ({z_dim}) must equal w_dim ({w_dim})")

    sd: dict[str, torch.Tensor] = {}
    # ---- mapping
    n_mlp = len([k for k in mp.children() if re.fullmatch(r"fc\d+", k)])
    _need(n_mlp >= 1 and "embed" not in mp.children(), "unexpected mapping network layout")
    lr_mul = None
    for i in range(n_mlp):
        fc = mp.child(f"fc{i}")
        w, b = fc.tensor("weight"), fc.tensor("bias")
        _need(tuple(w.shape) == (w_dim, w_dim), f"mapping.fc{i} is {list(w.shape)}; only w_dim-wide mappings load")
        _need(fc.state.get("activation") == "lrelu", f"mapping.fc{i} activation must be lrelu")
        lm = float(_scalar(fc, "bias_gain"))
        _need(math.isclose(float(_scalar(fc, "weight_gain")), lm / math.sqrt(w_dim), rel_tol=1e-6),
              f"mapping.fc{i}: weight_gain is not lr_multiplier/sqrt(fan_in)")
        _need(lr_mul is None or math.isclose(lm, lr_mul), "mapping layers with different lr multipliers")
        lr_mul = lm
        sd[f"style.{i + 1}.weight"], sd[f"style.{i + 1}.bias"] = w, b
    w_avg = mp.buffers().get("w_avg")

    # ---- synthesis
    log = int(math.log2(res))
    clamps, channels = set(), {}

    def styled(layer: PersistentRecord, prefix: str, noise_key: str, up: int):
        w = layer.tensor("weight")
        _need(w.shape[2:] == (3, 3), f"{prefix}: kernel {list(w.shape[2:])}, expected 3x3")
        _need(int(_scalar(layer, "up", 1)) == up and layer.state.get("activation", "lrelu") == "lrelu"
              and layer.state.get("use_noise", True), f"{prefix}: unexpected layer settings")
        _check_filter(layer, prefix)
        clamps.add(_scalar(layer, "conv_clamp"))
        sd[f"{prefix}.conv.weight"] = w[None]
        sd[f"{prefix}.conv.modulation.weight"] = layer.child("affine").tensor("weight")
        sd[f"{prefix}.conv.modulation.bias"] = layer.child("affine").tensor("bias")
        sd[f"{prefix}.noise.weight"] = layer.tensor("noise_strength").reshape(1)
        sd[f"{prefix}.activate.bias"] = layer.tensor("bias")
        nc = layer.tensor("noise_const")
        sd[f"noises.{noise_key}"] = nc[None, None]

    def torgb(layer: PersistentRecord, prefix: str):
        w = layer.tensor("weight")
        _need(w.shape[0] == 3 and w.shape[2:] == (1, 1), f"{prefix}: toRGB weight {list(w.shape)}")
        _need(math.isclose(float(_scalar(layer, "weight_gain")), 1 / math.sqrt(w.shape[1]), rel_tol=1e-6),
              f"{prefix}: toRGB weight_gain is not 1/sqrt(fan_in)")
        clamps.add(_scalar(layer, "conv_clamp"))
        sd[f"{prefix}.conv.weight"] = w[None]
        sd[f"{prefix}.conv.modulation.weight"] = layer.child("affine").tensor("weight")
        sd[f"{prefix}.conv.modulation.bias"] = layer.child("affine").tensor("bias")
        sd[f"{prefix}.bias"] = layer.tensor("bias").reshape(1, 3, 1, 1)

    expected = {f"b{2 ** i}" for i in range(2, log + 1)}
    _need(set(syn.children()) == expected, f"synthesis blocks {sorted(syn.children())}, expected {sorted(expected)}")
    for i in range(2, log + 1):
        r = 2 ** i
        blk = syn.child(f"b{r}")
        arch = blk.state.get("architecture", "skip")
        _need(arch == "skip", f"synthesis.b{r}: architecture {arch!r}; only 'skip' (config-e/f) is supported")
        _check_filter(blk, f"synthesis.b{r}")
        channels[r] = int(blk.child("conv1").tensor("weight").shape[0])
        if r == 4:
            sd["input.input"] = blk.tensor("const")[None]
            styled(blk.child("conv1"), "conv1", "noise_0", 1)
            torgb(blk.child("torgb"), "to_rgb1")
        else:
            k = i - 3
            styled(blk.child("conv0"), f"convs.{2 * k}", f"noise_{2 * k + 1}", 2)
            styled(blk.child("conv1"), f"convs.{2 * k + 1}", f"noise_{2 * k + 2}", 1)
            torgb(blk.child("torgb"), f"to_rgbs.{k}")
    _need(len(clamps) == 1, f"layers with different conv_clamp values {clamps}")
    clamp = clamps.pop()
    cfg = dict(size=res, style_dim=w_dim, n_mlp=n_mlp, channels=channels, lr_mlp=lr_mul,
               conv_clamp=None if clamp is None else float(clamp))
    return sd, dict(config=cfg, w_avg=w_avg)


def _check_filter(rec: PersistentRecord, where: str) -> None:
    f = rec.buffers().get("resample_filter")
    if f is None:
        return
    ref = torch.outer(_FILTER, _FILTER) / 64
    _need(tuple(f.shape) == (4, 4) and torch.allclose(f.double(), ref.double(), atol=1e-6),
          f"{where}: resample filter differs from [1,3,3,1]")


def load_nvidia_generator(path: str | Path):
    """(StyleGAN2Generator in eval mode, info dict with ``w_avg``, the format and the embedded source's sha256) from
    an NVIDIA ``.pkl``: a stylegan2-ada-pytorch / stylegan3 snapshot (``G_ema``) or an original TensorFlow StyleGAN-2
    pickle (``Gs``)."""
    from .stylegan2 import build_checked

    data = read_nvidia_pickle(path)
    tf = not isinstance(data, dict)
    net = (data[2] if isinstance(data, tuple) else data) if tf else data["G_ema"]
    try:
        from .nvidia_tf import tf_to_rosinality
        sd, info = tf_to_rosinality(net) if tf else to_rosinality(net)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
    except (TypeError, KeyError, AttributeError, IndexError, RecursionError, OverflowError, ZeroDivisionError,
            RuntimeError) as e:   # hyper-parameters of unexpected types or shapes in a well-formed pickle
        raise ValueError(f"{path}: not a StyleGAN-2 network this toolkit can convert ({type(e).__name__}: "
                         f"{str(e).splitlines()[0][:200] if str(e) else 'malformed record'})") from None
    try:
        cfg, dtype = dict(info["config"]), sd["input.input"].dtype
    except (KeyError, TypeError, AttributeError, ValueError) as e:
        raise ValueError(f"{path}: the network records no usable configuration ({type(e).__name__}: {e})") from None
    if not dtype.is_floating_point:
        raise ValueError(f"{path}: the generator's tensors are {dtype}, not floating point")
    try:
        G = build_checked(cfg, {k: v.to(dtype) for k, v in sd.items()}, dtype=dtype, strict=False)
        res = G.load_state_dict({k: v.to(dtype) for k, v in sd.items()}, strict=False)
    except (RuntimeError, ValueError, TypeError, KeyError, AttributeError, OverflowError) as e:
        raise ValueError(f"{path}: the converted weights do not fit a StyleGAN-2 generator ({first_line(e)})") \
            from None
    missing = [k for k in res.missing_keys if not k.endswith(".kernel")]   # blur kernels: fixed buffers
    if missing or res.unexpected_keys:
        raise ValueError(f"{path}: conversion left parameters unset {missing} or unused {res.unexpected_keys}")
    info.update(source_sha256=net.source_sha256, format="tensorflow" if tf else "pytorch")
    try:
        G.set_w_avg(info["w_avg"])
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
    return G.eval().requires_grad_(False), info
