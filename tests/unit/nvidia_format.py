"""Test fixture: NVIDIA stylegan2-ada-pytorch network pickles written without NVIDIA's code, and an independent
forward pass with NVIDIA's semantics.

The writer reproduces the structure of a real snapshot: ``dict(G, D, G_ema, augment_pipe, training_set_kwargs)``,
each network a ``torch_utils.persistence`` record ``_reconstruct_persistent_obj(dict(type='class', version=6,
module_src=..., class_name=..., state=obj.__dict__))`` whose state is an ``nn.Module.__dict__`` (``_parameters``,
``_buffers``, ``_modules``, hook dicts, ``_init_kwargs`` with ``dnnlib.EasyDict``s, numpy-scalar gains). Tensors are
pickled by torch itself (``_rebuild_parameter`` / ``_rebuild_tensor_v2`` / ``_load_from_bytes``). The embedded
``module_src`` writes a sentinel file if anyone ever executes it.

The reference forward follows NVIDIA's ``training/networks.py`` as written (weights without the 1/sqrt(fan_in)
factor, demodulation on ``weight * styles``, toRGB gain on the styles, ``flip_weight = (up == 1)`` → transposed
convolution with the unflipped weight, noise ``noise_const * noise_strength``, bias_act with gain sqrt(2) and
``conv_clamp``), but computes the up-sampling convolution a different way from the library: zero insertion and a
plain convolution with the spatially flipped kernel, then the [1,3,3,1] FIR -- so a flip or padding slip in the
conversion shows as an O(1) difference.
"""
from __future__ import annotations

import math
import pickle
import sys
import types
from collections import OrderedDict
from contextlib import contextmanager

import numpy as np
import torch
import torch.nn.functional as F


class Node:
    """One persistent object: class name, parameters, buffers, child nodes, plain attributes."""

    def __init__(self, class_name, params=None, buffers=None, children=None, **attrs):
        self.class_name, self.params, self.buffers = class_name, dict(params or {}), dict(buffers or {})
        self.children, self.attrs = dict(children or {}), attrs


def _fir():
    f = torch.tensor([1.0, 3.0, 3.0, 1.0])
    return torch.outer(f, f) / 64


def _fc(gen, fan_in, fan_out, lr=1.0, bias_init=0.0, activation="linear"):
    return Node("FullyConnectedLayer",
                params=dict(weight=torch.randn(fan_out, fan_in, generator=gen) / lr,
                            bias=torch.full([fan_out], float(bias_init)) + 0.1 * torch.randn(fan_out, generator=gen)),
                activation=activation, weight_gain=np.float64(lr / np.sqrt(fan_in)), bias_gain=lr)


def _layer(gen, cin, cout, w_dim, res, up, clamp):
    return Node("SynthesisLayer",
                params=dict(weight=torch.randn(cout, cin, 3, 3, generator=gen),
                            noise_strength=torch.tensor(0.2) + 0.05 * torch.randn([], generator=gen),
                            bias=0.1 * torch.randn(cout, generator=gen)),
                buffers=dict(resample_filter=_fir(), noise_const=torch.randn(res, res, generator=gen)),
                children=dict(affine=_fc(gen, w_dim, cin, bias_init=1.0)),
                resolution=res, up=up, use_noise=True, activation="lrelu", conv_clamp=clamp, padding=1,
                act_gain=np.float64(np.sqrt(2)))


def _torgb(gen, cin, w_dim, clamp):
    return Node("ToRGBLayer", params=dict(weight=torch.randn(3, cin, 1, 1, generator=gen),
                                          bias=0.1 * torch.randn(3, generator=gen)),
                children=dict(affine=_fc(gen, w_dim, cin, bias_init=1.0)), conv_clamp=clamp,
                weight_gain=np.float64(1 / np.sqrt(cin)))


def make_generator(seed=0, res=32, w_dim=32, n_mlp=2, channels=None, conv_clamp=None, architecture="skip",
                   c_dim=0):
    """A random-weight NVIDIA-layout ``G_ema`` tree."""
    gen = torch.Generator().manual_seed(seed)
    channels = channels or {4: 32, 8: 32, 16: 16, 32: 16}
    mapping = Node("MappingNetwork", buffers=dict(w_avg=torch.randn(w_dim, generator=gen)),
                   children={f"fc{i}": _fc(gen, w_dim, w_dim, lr=0.01, activation="lrelu") for i in range(n_mlp)},
                   z_dim=w_dim, c_dim=c_dim, w_dim=w_dim, num_layers=n_mlp, w_avg_beta=0.995)
    blocks = {}
    for i in range(2, int(math.log2(res)) + 1):
        r = 2 ** i
        ch = dict(conv1=_layer(gen, channels[r], channels[r], w_dim, r, 1, conv_clamp),
                  torgb=_torgb(gen, channels[r], w_dim, conv_clamp))
        params = {}
        if r == 4:
            params["const"] = torch.randn(channels[4], 4, 4, generator=gen)
        else:
            ch["conv0"] = _layer(gen, channels[r // 2], channels[r], w_dim, r, 2, conv_clamp)
        blocks[f"b{r}"] = Node("SynthesisBlock", params=params, buffers=dict(resample_filter=_fir()), children=ch,
                               in_channels=0 if r == 4 else channels[r // 2], resolution=r, img_channels=3,
                               is_last=(r == res), architecture=architecture, use_fp16=False,
                               num_conv=1 if r == 4 else 2, num_torgb=1)
    synthesis = Node("SynthesisNetwork", children=blocks, w_dim=w_dim, img_resolution=res, img_channels=3,
                     num_ws=2 * int(math.log2(res)) - 2)
    init_kwargs = dict(z_dim=w_dim, c_dim=c_dim, w_dim=w_dim, img_resolution=res, img_channels=3,
                       mapping_kwargs=dict(num_layers=n_mlp),
                       synthesis_kwargs=dict(channel_base=512, channel_max=32, conv_clamp=conv_clamp,
                                             architecture=architecture))
    return Node("Generator", children=dict(synthesis=synthesis, mapping=mapping), z_dim=w_dim, c_dim=c_dim,
                w_dim=w_dim, img_resolution=res, img_channels=3, num_ws=synthesis.attrs["num_ws"],
                _init_kwargs=init_kwargs)


# ---------------------------------------------------------------------------------------------------- writer
SENTINEL_SOURCE = ("import pathlib, os\n"
                   "pathlib.Path(os.environ.get('ILO_TEST_SENTINEL', '/tmp/ilo_sentinel')).write_text('executed')\n")


@contextmanager
def _registered(mods: dict):
    """Put ``mods`` into ``sys.modules`` for the duration (pickle checks that a global it writes is importable)."""
    old = {n: sys.modules.get(n) for n in mods}
    sys.modules.update(mods)
    try:
        yield
    finally:
        for n, m in old.items():
            if m is None:
                sys.modules.pop(n, None)
            else:
                sys.modules[n] = m


@contextmanager
def _fake_nvidia_modules():
    """``torch_utils.persistence`` and ``dnnlib.util`` stand-ins, registered only while pickling (pickle checks
    that a global it writes is importable); their reconstructor refuses to run."""
    def _reconstruct_persistent_obj(meta):  # pragma: no cover - must never be called by the library
        raise AssertionError("the real reconstructor was called")

    class EasyDict(dict):
        pass

    mods = {n: types.ModuleType(n) for n in ("torch_utils", "torch_utils.persistence", "dnnlib", "dnnlib.util")}
    _reconstruct_persistent_obj.__module__ = "torch_utils.persistence"
    _reconstruct_persistent_obj.__qualname__ = "_reconstruct_persistent_obj"
    mods["torch_utils.persistence"]._reconstruct_persistent_obj = _reconstruct_persistent_obj
    EasyDict.__module__, EasyDict.__qualname__ = "dnnlib.util", "EasyDict"
    mods["dnnlib.util"].EasyDict = EasyDict
    with _registered(mods):
        yield _reconstruct_persistent_obj, EasyDict


class _Persistent:
    def __init__(self, node, recon, easydict, module_src):
        self.node, self.recon, self.easydict, self.module_src = node, recon, easydict, module_src

    def _wrap(self, v):
        if isinstance(v, dict):
            return self.easydict({k: self._wrap(x) for k, x in v.items()})
        return v

    def __reduce__(self):
        n = self.node
        state = dict(training=False,
                     _parameters=OrderedDict((k, torch.nn.Parameter(v, requires_grad=False))
                                             for k, v in n.params.items()),
                     _buffers=OrderedDict(n.buffers), _non_persistent_buffers_set=set(),
                     _backward_hooks=OrderedDict(), _forward_hooks=OrderedDict(), _forward_pre_hooks=OrderedDict(),
                     _state_dict_hooks=OrderedDict(), _load_state_dict_pre_hooks=OrderedDict(),
                     _modules=OrderedDict((k, _Persistent(c, self.recon, self.easydict, self.module_src))
                                          for k, c in n.children.items()),
                     _init_args=())
        for k, v in n.attrs.items():
            state[k] = self._wrap(v) if k == "_init_kwargs" else v
        meta = dict(type="class", version=6, module_src=self.module_src, class_name=n.class_name, state=state)
        return (self.recon, (meta,))


def write_pkl(path, G: Node, *, extra=None, module_src=SENTINEL_SOURCE, payload=None, protocol=4):
    """Write an NVIDIA-format snapshot with ``G`` as ``G`` and ``G_ema``; ``payload`` (any picklable) is stored
    under ``'payload'`` to plant content."""
    with _fake_nvidia_modules() as (recon, easydict):
        wrap = lambda node: _Persistent(node, recon, easydict, module_src)
        D = Node("Discriminator", params=dict(w=torch.zeros(4)), c_dim=0, img_resolution=G.attrs["img_resolution"])
        data = dict(G=wrap(G), D=wrap(D), G_ema=wrap(G), augment_pipe=None,
                    training_set_kwargs=dict(path="ffhq.zip", resolution=G.attrs["img_resolution"]))
        data.update(extra or {})
        if payload is not None:
            data["payload"] = payload
        with open(path, "wb") as f:
            pickle.dump(data, f, protocol=protocol)


# ---------------------------------------------------------------------------------------------------- reference
def _bias_act(x, b, gain, clamp, lrelu):
    x = x + b.view(1, -1, 1, 1)
    if lrelu:
        x = F.leaky_relu(x, 0.2)
    x = x * gain
    return x if clamp is None else x.clamp(-clamp, clamp)


def _fc_forward(n: Node, x):
    w = n.params["weight"] * float(n.attrs["weight_gain"])
    x = x @ w.t() + n.params["bias"] * n.attrs["bias_gain"]
    return F.leaky_relu(x, 0.2) * math.sqrt(2) if n.attrs["activation"] == "lrelu" else x


def _fir_up(x, pad0, pad1):
    """NVIDIA upfirdn2d with up=2, gain 4: zero insertion, pad, correlate with the (symmetric) filter."""
    B, C, H, W = x.shape
    z = x.new_zeros(B, C, 2 * H, 2 * W)
    z[:, :, ::2, ::2] = x
    z = F.pad(z, [pad0, pad1, pad0, pad1])
    f = (_fir() * 4).to(x.dtype)[None, None].repeat(C, 1, 1, 1)
    return F.conv2d(z, f, groups=C)


def _layer_forward(n: Node, x, w):
    styles = _fc_forward(n.children["affine"], w)                       # [B, I]
    W = n.params["weight"]                                              # [O, I, 3, 3], no fan-in factor
    wm = W[None] * styles[:, None, :, None, None]
    wm = wm * (wm.square().sum([2, 3, 4]) + 1e-8).rsqrt()[:, :, None, None, None]
    outs = []
    for b in range(x.shape[0]):
        if n.attrs["up"] == 2:   # transposed conv with the unflipped weight == zero insertion + conv with flip
            B, C, H, Wd = x[b:b + 1].shape
            z = x.new_zeros(1, C, 2 * H - 1, 2 * Wd - 1)
            z[:, :, ::2, ::2] = x[b:b + 1]
            y = F.conv2d(z, wm[b].flip([2, 3]), padding=2)
            y = F.pad(y, [1, 1, 1, 1])
            f = (_fir() * 4).to(x.dtype)[None, None].repeat(y.shape[1], 1, 1, 1)
            y = F.conv2d(y, f, groups=y.shape[1])
        else:
            y = F.conv2d(x[b:b + 1], wm[b], padding=1)
        outs.append(y)
    y = torch.cat(outs) + n.buffers["noise_const"] * n.params["noise_strength"]
    return _bias_act(y, n.params["bias"], math.sqrt(2), n.attrs["conv_clamp"], True)


def _torgb_forward(n: Node, x, w):
    styles = _fc_forward(n.children["affine"], w) * float(n.attrs["weight_gain"])
    y = torch.einsum("oi,bi,bihw->bohw", n.params["weight"][:, :, 0, 0], styles, x)
    return _bias_act(y, n.params["bias"], 1.0, n.attrs["conv_clamp"], False)


def mapping_forward(G: Node, z):
    x = z * (z.square().mean(1, keepdim=True) + 1e-8).rsqrt()
    mp = G.children["mapping"]
    for i in range(mp.attrs["num_layers"]):
        x = _fc_forward(mp.children[f"fc{i}"], x)
    return x


def synthesis_forward(G: Node, ws):
    """NVIDIA SynthesisNetwork.forward with ``noise_mode='const'``; ``ws`` [B, num_ws, w_dim]."""
    syn = G.children["synthesis"]
    x = img = None
    w_idx = 0
    for i in range(2, int(math.log2(G.attrs["img_resolution"])) + 1):
        blk = syn.children[f"b{2 ** i}"]
        bw = ws[:, w_idx:w_idx + blk.attrs["num_conv"] + 1]
        w_idx += blk.attrs["num_conv"]
        if i == 2:
            x = blk.params["const"][None].repeat(ws.shape[0], 1, 1, 1)
            x = _layer_forward(blk.children["conv1"], x, bw[:, 0])
        else:
            x = _layer_forward(blk.children["conv0"], x, bw[:, 0])
            x = _layer_forward(blk.children["conv1"], x, bw[:, 1])
        if img is not None:
            img = _fir_up(img, 2, 1)
        y = _torgb_forward(blk.children["torgb"], x, bw[:, -1])
        img = y if img is None else img + y
    return img


# ---------------------------------------------------------------------------------------------------- TensorFlow
def tf_variables(G: Node) -> dict:
    """The ``Gs`` variables of the original TensorFlow release for the same weights as ``G`` (the inverse of the
    mapping in NVIDIA's ``legacy.py``): dense [in, out], conv [kh, kw, in, out] with ``Conv0_up`` flipped back,
    ``mod_bias`` without its +1, ``noise{i}`` [1, 1, R, R], ``dlatent_avg``."""
    npy = lambda x: x.detach().numpy().copy()
    mp, syn = G.children["mapping"], G.children["synthesis"]
    mapping = {}
    for i in range(mp.attrs["num_layers"]):
        fc = mp.children[f"fc{i}"]
        mapping[f"Dense{i}/weight"], mapping[f"Dense{i}/bias"] = npy(fc.params["weight"].t()), npy(fc.params["bias"])
    synthesis = {}

    def layer(n: Node, name: str, noise: int | None, flip: bool):
        w = n.params["weight"].permute(2, 3, 1, 0)
        synthesis[f"{name}/weight"] = npy(w.flip([0, 1]) if flip else w)
        synthesis[f"{name}/mod_weight"] = npy(n.children["affine"].params["weight"].t())
        synthesis[f"{name}/mod_bias"] = npy(n.children["affine"].params["bias"] - 1)
        synthesis[f"{name}/bias"] = npy(n.params["bias"])
        if noise is not None:
            synthesis[f"{name}/noise_strength"] = npy(n.params["noise_strength"])
            synthesis[f"noise{noise}"] = npy(n.buffers["noise_const"][None, None])

    for i in range(2, int(math.log2(G.attrs["img_resolution"])) + 1):
        r, blk = 2 ** i, syn.children[f"b{2 ** i}"]
        if r == 4:
            synthesis["4x4/Const/const"] = npy(blk.params["const"][None])
            layer(blk.children["conv1"], "4x4/Conv", 0, False)
        else:
            layer(blk.children["conv0"], f"{r}x{r}/Conv0_up", 2 * i - 5, True)
            layer(blk.children["conv1"], f"{r}x{r}/Conv1", 2 * i - 4, False)
        layer(blk.children["torgb"], f"{r}x{r}/ToRGB", None, False)
    return dict(Gs={"dlatent_avg": npy(mp.buffers["w_avg"])}, mapping=mapping, synthesis=synthesis)


@contextmanager
def _fake_tflib():
    class Network:
        def __init__(self, name, static_kwargs, variables, components, src):
            self.state = dict(version=4, name=name, static_kwargs=static_kwargs, components=components,
                              build_module_src=src, build_func_name="G_main", variables=list(variables.items()))

        def __getstate__(self):
            return self.state

        def __setstate__(self, state):  # pragma: no cover - must never be called by the library
            raise AssertionError("the real Network.__setstate__ was called")

    mods = {n: types.ModuleType(n) for n in ("dnnlib", "dnnlib.tflib", "dnnlib.tflib.network")}
    Network.__module__, Network.__qualname__ = "dnnlib.tflib.network", "Network"
    mods["dnnlib.tflib.network"].Network = Network
    with _registered(mods):
        yield Network


def write_tf_pkl(path, G: Node, *, static_kwargs=None, module_src=SENTINEL_SOURCE, protocol=4):
    """Write ``(G, D, Gs)`` in the layout of the original TensorFlow StyleGAN-2 pickles (``Gs`` from ``G``)."""
    v = tf_variables(G)
    kw = dict(resolution=G.attrs["img_resolution"], num_channels=3, dlatent_size=G.attrs["w_dim"],
              latent_size=G.attrs["w_dim"], label_size=0, mapping_layers=G.children["mapping"].attrs["num_layers"],
              mapping_lrmul=0.01, architecture="skip", resample_kernel=[1, 3, 3, 1], fmap_base=8 << 10)
    kw.update(static_kwargs or {})
    with _fake_tflib() as Network:
        comps = dict(mapping=Network("G_mapping", kw, v["mapping"], {}, module_src),
                     synthesis=Network("G_synthesis", kw, v["synthesis"], {}, module_src))
        Gs = Network("Gs", kw, v["Gs"], comps, module_src)
        D = Network("D", kw, {"4x4/Dense0/weight": np.zeros((4, 1), np.float32)}, {}, module_src)
        with open(path, "wb") as f:
            pickle.dump((Gs, D, Gs), f, protocol=protocol)
