"""NVIDIA stylegan2-ada-pytorch ``.pkl`` checkpoints: written by the test in NVIDIA's pickle layout (random weights,
small resolution), loaded by the restricted unpickler, and checked against an independent forward pass with
NVIDIA's semantics; planted payloads are refused and the embedded source is never executed."""
import os
import pickle

import pytest
import torch

from ilo_solver.generators.checkpoints import convert_to_safetensors, load_generator
from ilo_solver.generators.nvidia_pkl import UnsafePickleError, load_nvidia_generator, read_nvidia_pickle

from . import nvidia_format as nv


@pytest.fixture
def sentinel(tmp_path, monkeypatch):
    path = tmp_path / "sentinel"
    monkeypatch.setenv("ILO_TEST_SENTINEL", str(path))
    yield path
    assert not path.exists(), "code embedded in the pickle was executed"


def _ws(G, B=2, seed=1):
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(B, G.style_dim, generator=g)
    return z, torch.randn(B, G.n_latent, G.style_dim, generator=g)


@pytest.mark.parametrize("clamp,protocol", [(None, 4), (0.5, 2), (256.0, 3)])
def test_nvidia_pickle_matches_nvidia_semantics(tmp_path, sentinel, clamp, protocol):
    tree = nv.make_generator(seed=3, conv_clamp=clamp)
    path = tmp_path / "network-snapshot.pkl"
    nv.write_pkl(path, tree, protocol=protocol)
    G, info = load_nvidia_generator(path)
    assert G.conv_clamp == clamp and G.size == 32 and G.n_mlp == 2 and G.channels == {4: 32, 8: 32, 16: 16, 32: 16}
    assert torch.equal(info["w_avg"], tree.children["mapping"].buffers["w_avg"]) and torch.equal(G.w_avg, info["w_avg"])
    z, ws = _ws(G)
    with torch.no_grad():
        assert torch.allclose(G.mapping(z), nv.mapping_forward(tree, z), rtol=1e-5, atol=1e-6)
        ref = nv.synthesis_forward(tree, ws)
        for impl in ("fast", "ref"):
            ours = G.synthesis(ws, impl=impl)
            assert (ours - ref).abs().max() <= 1e-5 * ref.abs().max(), impl   # float32 rounding (6e-7 seen)
        if clamp is not None and clamp < ref.abs().max():   # the clamp is active: without it the image changes
            free = G.__class__(**{**G.config(), "conv_clamp": None})
            free.load_state_dict(G.state_dict())
            assert (free.synthesis(ws) - ref).abs().max() > 1e-2 * ref.abs().max()


def test_conversion_detects_convention_slips(tmp_path, sentinel):
    """The reference is sensitive to the up-conv flip: flipping conv0's kernel changes the image by O(1)."""
    tree = nv.make_generator(seed=4)
    path = tmp_path / "a.pkl"
    nv.write_pkl(path, tree)
    G, _ = load_nvidia_generator(path)
    _, ws = _ws(G)
    ref = nv.synthesis_forward(tree, ws)
    with torch.no_grad():
        G.convs[0].conv.weight.copy_(G.convs[0].conv.weight.flip([3, 4]))
        assert (G.synthesis(ws) - ref).abs().max() > 1e-2 * ref.abs().max()


def test_pkl_to_safetensors_keeps_clamp(tmp_path, sentinel):
    path = tmp_path / "g.pkl"
    nv.write_pkl(path, nv.make_generator(seed=5, conv_clamp=0.25))
    G = load_generator(path)
    st = convert_to_safetensors(path, tmp_path / "g.safetensors")
    H = load_generator(st)
    assert H.conv_clamp == 0.25 and H.config() == G.config()
    _, ws = _ws(G)
    assert torch.equal(H.synthesis(ws), G.synthesis(ws))


class _System:
    def __reduce__(self):
        return (os.system, (f"touch {os.environ['ILO_TEST_SENTINEL']}",))


class _Eval:
    def __reduce__(self):
        return (eval, (f"open({os.environ['ILO_TEST_SENTINEL']!r}, 'w').write('x')",))


@pytest.mark.parametrize("where", ["top", "nested"])
@pytest.mark.parametrize("payload", [_System, _Eval])
def test_planted_payload_is_refused_and_not_run(tmp_path, sentinel, where, payload):
    tree = nv.make_generator(seed=6)
    path = tmp_path / "evil.pkl"
    if where == "top":
        nv.write_pkl(path, tree, payload=payload())
    else:   # hidden in the state of a synthesis layer, next to real tensors
        tree.children["synthesis"].children["b8"].children["conv1"].attrs["padding"] = payload()
        nv.write_pkl(path, tree)
    with pytest.raises(UnsafePickleError, match=r"refusing to load global (posix|nt|os|builtins)\.(system|eval)"):
        load_generator(path)


class Foreign:   # importable and harmless, but not on the allow-list
    pass


def test_foreign_classes_are_refused(tmp_path, sentinel):
    path = tmp_path / "f.pkl"
    nv.write_pkl(path, nv.make_generator(seed=7), extra=dict(augment_pipe=Foreign()))
    with pytest.raises(UnsafePickleError, match="Foreign"):
        read_nvidia_pickle(path)


def test_unsupported_generators_get_clear_errors(tmp_path, sentinel):
    cases = [(dict(c_dim=10), "class-conditional"), (dict(architecture="resnet"), "only 'skip'")]
    for kw, msg in cases:
        path = tmp_path / "x.pkl"
        nv.write_pkl(path, nv.make_generator(seed=8, **kw))
        with pytest.raises(ValueError, match=msg):
            load_generator(path)
    sg3 = nv.make_generator(seed=9)
    sg3.children["synthesis"].children["input"] = nv.Node("SynthesisInput")
    nv.write_pkl(tmp_path / "sg3.pkl", sg3)
    with pytest.raises(ValueError, match="StyleGAN3"):
        load_generator(tmp_path / "sg3.pkl")
    (tmp_path / "trunc.pkl").write_bytes((tmp_path / "sg3.pkl").read_bytes()[:100])
    with pytest.raises(ValueError, match="not a readable network pickle"):
        load_generator(tmp_path / "trunc.pkl")
    (tmp_path / "plain.pkl").write_bytes(pickle.dumps({"x": 1}))
    with pytest.raises(ValueError, match="neither a dict with a 'G_ema' network"):
        load_generator(tmp_path / "plain.pkl")


@pytest.mark.parametrize("protocol", [2, 4])
def test_tensorflow_pickle_equals_the_pytorch_snapshot(tmp_path, sentinel, protocol):
    """The original TensorFlow release's layout (``Gs`` with dense [in, out], conv [kh, kw, in, out], flipped
    ``Conv0_up``, ``mod_bias`` without +1, ``noise{i}``) loads to the same generator as the PyTorch snapshot of the
    same weights, and matches the NVIDIA-semantics forward pass."""
    tree = nv.make_generator(seed=11)
    nv.write_pkl(tmp_path / "pt.pkl", tree)
    nv.write_tf_pkl(tmp_path / "tf.pkl", tree, protocol=protocol)
    G_pt, _ = load_nvidia_generator(tmp_path / "pt.pkl")
    G_tf, info = load_nvidia_generator(tmp_path / "tf.pkl")
    assert info["format"] == "tensorflow" and G_tf.config() == G_pt.config()
    assert torch.equal(info["w_avg"], tree.children["mapping"].buffers["w_avg"]) and torch.equal(G_tf.w_avg, G_pt.w_avg)
    for k, v in G_pt.state_dict().items():   # mod_bias - 1 + 1 may round in the last bit
        assert torch.allclose(G_tf.state_dict()[k], v, rtol=1e-6, atol=1e-7), k
    _, ws = _ws(G_tf)
    ref = nv.synthesis_forward(tree, ws)
    assert (G_tf.synthesis(ws) - ref).abs().max() <= 1e-5 * ref.abs().max()


def test_tensorflow_pickles_refused_when_unsupported(tmp_path, sentinel):
    for kw, msg in ((dict(label_size=10), "class-conditional"), (dict(architecture="resnet"), "only 'skip'")):
        nv.write_tf_pkl(tmp_path / "x.pkl", nv.make_generator(seed=12), static_kwargs=kw)
        with pytest.raises(ValueError, match=msg):
            load_generator(tmp_path / "x.pkl")


@pytest.mark.parametrize("edit", ["img_resolution=None", "w_dim=inf", "c_dim=list", "conv_clamp=list", "up=None"])
def test_well_formed_pickles_with_odd_hyper_parameters_are_one_clear_error(tmp_path, sentinel, edit):
    """Hyper-parameters of unexpected types in an otherwise well-formed NVIDIA pickle (each gave a traceback) are
    one ValueError naming the file."""
    tree = nv.make_generator(seed=3)
    syn = tree.children["synthesis"]
    if edit == "img_resolution=None":
        tree.attrs["img_resolution"] = syn.attrs["img_resolution"] = None
    elif edit == "w_dim=inf":
        tree.attrs["w_dim"] = float("inf")
    elif edit == "c_dim=list":
        tree.attrs["c_dim"] = [1, 2]
    elif edit == "conv_clamp=list":
        for block in syn.children.values():
            for layer in getattr(block, "children", {}).values():
                if "conv_clamp" in layer.attrs:
                    layer.attrs["conv_clamp"] = [256]
    else:
        for block in syn.children.values():
            for layer in getattr(block, "children", {}).values():
                if "up" in layer.attrs:
                    layer.attrs["up"] = None
    nv.write_pkl(tmp_path / "odd.pkl", tree)
    try:
        load_generator(tmp_path / "odd.pkl")
    except ValueError as e:
        assert "odd.pkl" in str(e)


def test_protocol_0_and_1_pickles_load_as_protocol_4(tmp_path, sentinel):
    """Protocols 0/1 make instances through copyreg._reconstructor (they were refused): allowed for the record and
    container classes only, empty or with their own container contents, and the result equals protocol 4's."""
    import torch

    from ilo_solver.io.safe_pickle import RestrictedUnpickler, UnsafePickleError
    Gs = {}
    for proto in (0, 1, 4):
        nv.write_pkl(tmp_path / f"p{proto}.pkl", nv.make_generator(seed=1), protocol=proto)
        Gs[proto] = load_generator(tmp_path / f"p{proto}.pkl")
    z = torch.randn(2, Gs[4].style_dim, generator=torch.Generator().manual_seed(0))
    assert all(torch.equal(Gs[p](z), Gs[4](z)) for p in (0, 1))
    evil = b"ccopyreg\n_reconstructor\n(c__builtin__\ndict\nc__builtin__\ndict\nS'x'\ntR."   # a str as a dict's state
    with pytest.raises(UnsafePickleError, match="refusing copyreg._reconstructor"):
        RestrictedUnpickler(evil).load()
