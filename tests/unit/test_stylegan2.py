"""StyleGAN-2 in pure torch at small size: FIR helpers, modulated convolution (fast = reference), staged synthesis,
rosinality-format checkpoints written by the test and loaded back exactly, refusal of unsafe files."""
import pickle

import pytest
import torch

from ilo_solver.generators.checkpoints import infer_config, load_generator
from ilo_solver.generators.stylegan2 import ModulatedConv2d, StyleGAN2Generator, Upsample, _make_kernel, upfirdn2d

SMALL = dict(size=32, style_dim=32, n_mlp=2, channels={4: 32, 8: 32, 16: 16, 32: 16})


def _small(seed=0):
    torch.manual_seed(seed)  # parameter init of a test model; every other draw uses explicit generators
    G = StyleGAN2Generator(**SMALL).double().requires_grad_(False)
    for p in G.parameters():  # non-trivial noise weights and biases so that every path is exercised
        if p.numel() <= 32:
            p.data.normal_(0, 0.1, generator=torch.Generator().manual_seed(p.numel()))
    return G


def test_upfirdn2d_identity_and_constant_preservation():
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    assert torch.equal(upfirdn2d(x, torch.ones(1, 1, dtype=torch.float64)), x)
    up = Upsample((1, 3, 3, 1)).double()
    c = up(torch.full((1, 1, 8, 8), 2.5, dtype=torch.float64))
    assert c.shape == (1, 1, 16, 16) and torch.allclose(c[..., 2:-2, 2:-2], torch.tensor(2.5, dtype=torch.float64))
    k = _make_kernel((1, 3, 3, 1))
    assert float(k.sum()) == pytest.approx(1.0)


@pytest.mark.parametrize("upsample,demod", [(False, True), (True, True), (False, False)])
def test_modulated_conv_fast_equals_reference(upsample, demod):
    torch.manual_seed(1)
    conv = ModulatedConv2d(6, 5, 3 if demod else 1, 7, demodulate=demod, upsample=upsample).double()
    x = torch.randn(3, 6, 8, 8, dtype=torch.float64)
    s = torch.randn(3, 7, dtype=torch.float64)
    a, b = conv(x, s, "fast"), conv(x, s, "ref")
    assert a.shape == b.shape == (3, 5, 16 if upsample else 8, 16 if upsample else 8)
    assert torch.allclose(a, b, atol=1e-10)


def test_shapes_and_staged_synthesis_equals_full():
    G = _small()
    g = torch.Generator().manual_seed(0)
    z = torch.randn(2, 32, generator=g, dtype=torch.float64)
    x = G(z)
    assert x.shape == (2, 3, 32, 32) and G.n_latent == 8 and G.num_layers == 7 and G.num_stages == 4
    w = G.mapping(z)[:, None].expand(-1, G.n_latent, -1)
    state = None
    for j in range(G.num_stages):
        state_next = G.stage(j, state, w, G.stored_noises())
        assert torch.allclose(G.synthesis(w, start=j, state=state) if j else x, x)
        state = state_next
    assert torch.allclose(state[1], x)
    assert torch.allclose(G(z, impl="ref"), x, atol=1e-10)


def test_rosinality_checkpoint_roundtrip(tmp_path):
    G = _small()
    path = tmp_path / "g.pt"
    latent_avg = torch.randn(32, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    torch.save({"g_ema": G.state_dict(), "latent_avg": latent_avg}, path)
    cfg = infer_config(G.state_dict())
    assert cfg == SMALL
    H = load_generator(path)
    z = torch.randn(2, 32, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert torch.equal(H(z), G(z)) and torch.equal(H.w_avg, latent_avg)
    assert set(H.state_dict()) == set(G.state_dict())   # w_avg is not a state-dict entry (rosinality names only)
    torch.save(G.state_dict(), tmp_path / "bare.pt")
    bare = load_generator(tmp_path / "bare.pt")
    assert torch.equal(bare(z), G(z)) and bare.w_avg is None
    from ilo_solver.generators.checkpoints import convert_to_safetensors
    st = convert_to_safetensors(path, tmp_path / "g.safetensors")
    S = load_generator(st)
    assert torch.equal(S(z), G(z)) and torch.equal(S.w_avg, latent_avg)
    assert torch.equal(S(z, truncation=0.5), H(z, truncation=0.5))
    assert load_generator(convert_to_safetensors(tmp_path / "bare.pt", tmp_path / "b.safetensors")).w_avg is None
    torch.save({"g_ema": G.state_dict(), "latent_avg": torch.zeros(7)}, tmp_path / "badavg.pt")
    with pytest.raises(ValueError, match="badavg.pt: w_avg must be 32 finite values"):
        load_generator(tmp_path / "badavg.pt")
    with pytest.raises(ValueError, match="safetensors"):
        convert_to_safetensors(path, tmp_path / "g.bin")


def test_rosinality_training_checkpoint(tmp_path):
    """stylegan2-pytorch's train.py saves g, d, g_ema, both optimisers, ``args`` (an argparse.Namespace) and
    ada_aug_p: g_ema loads exactly; a Namespace that hides a payload is refused, and the payload never runs."""
    import argparse
    G = _small()
    opt = torch.optim.Adam(G.parameters())
    args = argparse.Namespace(size=32, latent=32, n_mlp=2, lr=0.002, path="lmdb", augment=False, ckpt=None)
    ck = dict(g=G.state_dict(), d={"convs.0.0.weight": torch.zeros(2)}, g_ema=G.state_dict(),
              g_optim=opt.state_dict(), d_optim=opt.state_dict(), args=args, ada_aug_p=0.1)
    torch.save(ck, tmp_path / "010000.pt")
    z = torch.randn(2, 32, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert torch.equal(load_generator(tmp_path / "010000.pt")(z), G(z))
    sentinel = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(sentinel), "w"))
    ck["args"] = argparse.Namespace(size=32, hook=Payload())
    torch.save(ck, tmp_path / "evil.pt")
    with pytest.raises(ValueError, match="weights_only"):
        load_generator(tmp_path / "evil.pt")
    assert not sentinel.exists()


def test_truncation_trick():
    """w_avg + psi (w - w_avg) (Karras et al. 2019): psi = 1 is the identity and needs no average, psi = 0 maps every
    z to the image of w_avg, and truncating without an average is a clear error, not a silent mean estimate."""
    G = _small()
    z = torch.randn(3, 32, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    assert torch.equal(G(z, truncation=1.0), G(z))
    with pytest.raises(ValueError, match="no w_avg"):
        G(z, truncation=0.7)
    w_avg = G.mean_w(2000, rng=torch.Generator().manual_seed(2))
    G.set_w_avg(w_avg)
    assert G.w_avg.shape == (32,) and G.w_avg.dtype == torch.float64
    w = G.mapping(z)
    assert torch.allclose(G.truncate(w, 0.7), w_avg + 0.7 * (w - w_avg), atol=1e-12)
    wp = w[:, None].expand(-1, G.n_latent, -1)
    assert torch.allclose(G.truncate(wp, 0.7)[:, 3], G.truncate(w, 0.7), atol=1e-12)   # w+ rows alike
    x0 = G(z, truncation=0.0)
    assert torch.allclose(x0, G.synthesis(w_avg.expand(3, -1)), atol=1e-10)
    assert torch.allclose(x0[0], x0[2], atol=1e-10)
    with pytest.raises(ValueError, match="w_avg must be 32"):
        G.set_w_avg(torch.zeros(31))
    with pytest.raises(ValueError, match="psi must be finite"):
        G.truncate(w, float("nan"))
    assert G.set_w_avg(None).w_avg is None


def test_unsafe_and_unknown_files_are_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))
    bad = tmp_path / "evil.pt"
    bad.write_bytes(pickle.dumps({"g_ema": Evil()}, protocol=2))
    with pytest.raises(ValueError, match="not a torch.save file"):
        load_generator(bad)
    with pytest.raises(ValueError, match="not a readable network pickle"):
        (tmp_path / "n.pkl").write_bytes(b"x")
        load_generator(tmp_path / "n.pkl")
    torch.save({"g_ema": {"foo": torch.zeros(1)}}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a rosinality"):
        load_generator(tmp_path / "other.pt")
    with pytest.raises(ValueError, match="power of two"):
        StyleGAN2Generator(48)


def test_pulse_latent_tools():
    import math

    from ilo_solver.optim.projection import renormalise
    from ilo_solver.priors.stylegan_latent import from_gaussian, gaussian_fit, geocross
    G = _small()
    mean, std = gaussian_fit(G.style, 32, n=4000, batch=1000, rng=torch.Generator().manual_seed(0))
    assert mean.shape == std.shape == (32,) and torch.all(std > 0)
    z = torch.randn(3000, 32, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    w = G.mapping(z)
    u = (torch.nn.functional.leaky_relu(w, 5.0) - mean) / std  # the Gaussianised coordinates of real w
    assert torch.allclose(from_gaussian(u, mean, std), w, atol=1e-10)
    assert abs(float(u.mean())) < 0.1 and abs(float(u.std()) - 1) < 0.1
    v = torch.randn(2, 1, 32, dtype=torch.float64)
    assert float(geocross(v.expand(-1, 5, -1))) == pytest.approx(0.0, abs=1e-3)   # identical layers: no cost
    orth = torch.zeros(1, 2, 4, dtype=torch.float64)
    orth[0, 0, 0] = orth[0, 1, 1] = 1.0
    assert float(geocross(orth)) == pytest.approx((math.pi / 2) ** 2 * 4 / 2 / 8, rel=1e-6)  # two of four pairs
    r = renormalise(torch.randn(4, 6, 32, dtype=torch.float64), torch.tensor(math.sqrt(32.0), dtype=torch.float64))
    assert torch.allclose(r.norm(dim=-1), torch.full((4, 6), math.sqrt(32.0), dtype=torch.float64))
    with pytest.raises(ValueError, match="latent"):
        geocross(torch.zeros(3, 4))
