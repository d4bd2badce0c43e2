"""LPIPS, assets, DCGAN adapter, losses, metrics and the ILO loop."""
import math

import pytest
import torch

from ilo_solver.fit import metrics
from ilo_solver.fit.losses import DataFit, dead_zone_l1, stochastic_noise_addition
from ilo_solver.fit.lpips import lpips
from ilo_solver.generators import ReLUGenerator
from ilo_solver.generators.dcgan import load_dcgan_faces
from ilo_solver.optim import Round
from ilo_solver.optim.projection import project_l1_ball
from ilo_solver.physics import operators as O
from ilo_solver.solvers.ilo import ILOConfig, csgm_config, ilo
from ilo_solver.storage import load_state, save_state


# ------------------------------------------------------------------ assets and LPIPS
def test_lpips_basic_properties(rng):
    x = torch.rand(2, 3, 64, 48, generator=rng) * 2 - 1
    y = (x + 0.3 * torch.randn(x.shape, generator=rng)).clamp(-1, 1)
    d = lpips(x, y)
    assert d.shape == (2,) and torch.all(d > 0.01)
    assert torch.allclose(lpips(x, x), torch.zeros(2), atol=1e-7)
    assert torch.allclose(lpips(y, x), d, atol=1e-6)
    x.requires_grad_(True)
    lpips(x, y).sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="LPIPS needs"):
        lpips(x[:, :2], y[:, :2])


@pytest.mark.slow
def test_lpips_vgg_orders_distortions(rng):
    x = torch.rand(1, 3, 64, 64, generator=rng) * 2 - 1
    small = (x + 0.05 * torch.randn(x.shape, generator=rng)).clamp(-1, 1)
    big = (x + 0.5 * torch.randn(x.shape, generator=rng)).clamp(-1, 1)
    assert float(lpips(x, small, "vgg")) < float(lpips(x, big, "vgg"))


# ------------------------------------------------------------------ DCGAN
def test_dcgan_faces_split_and_eval(rng):
    G = load_dcgan_faces()
    z = G.sample_latent(3, rng=rng)
    x = G(z)
    assert x.shape == (3, 3, 64, 64) and x.abs().max() <= 1
    for i in range(G.num_blocks + 1):
        h = G.forward_to(z, i)
        assert tuple(h.shape[1:]) == G.latent_shape(i)
        assert torch.equal(G.forward_from(h, i), x)
    G.train()
    assert not G.training and torch.allclose(G(z[:1]), x[:1], atol=1e-5)  # eval BatchNorm: no batch dependence


# ------------------------------------------------------------------ losses and metrics
def test_losses(rng):
    with pytest.raises(ValueError, match="lpips_weight"):
        DataFit(lpips_weight=-1)
    op = O.GaussianCS((3, 16, 16), 20, rng=rng)
    x = torch.randn(2, 3, 16, 16, generator=rng)
    with pytest.raises(ValueError, match="image measurements"):
        DataFit(lpips_weight=1.0)(x, op, op(x))
    assert torch.all(DataFit()(x, op, op(x)) == 0)
    r = torch.tensor([[0.5, -0.01, 0.002]])
    assert torch.allclose(dead_zone_l1(r, 0.01), torch.tensor([(0.49 + 0 + 0) / 3]))
    a = stochastic_noise_addition(x, 0.1, rng=torch.Generator().manual_seed(1))
    b = stochastic_noise_addition(x, 0.1, rng=torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and not torch.equal(a, x)


def test_metrics_known_values():
    x = torch.zeros(3, 32, 32)
    assert metrics.psnr(x + 0.1, x) == pytest.approx(20 * math.log10(1 / 0.05), rel=1e-6)  # float32 0.1
    assert metrics.ssim(x, x) == pytest.approx(1.0)
    assert metrics.lpips_metric(x, x) == pytest.approx(0.0, abs=1e-7)


# ------------------------------------------------------------------ ILO
def _problem(rng, m=40):
    G = ReLUGenerator((4, 32, 64, 128), rng=rng, bias=True)
    op = O.GaussianCS((128,), m, rng=rng, dtype=torch.float64)
    z = torch.randn(1, 4, generator=rng, dtype=torch.float64)
    u = torch.zeros(1, 32, dtype=torch.float64)
    u[0, :3] = torch.tensor([2.0, -1.5, 1.0])
    x = G.forward_from(G.forward_to(z, 1) + u, 1)  # sparse deviation at split 1: outside the range of G
    return G, op, x, op(x)


def _rounds(splits, steps, lrs, radii):
    """ILO's schedule rows from the paper's lists: CSGM (steps[0], lrs[0]) then one round per split."""
    return (Round(0, steps[0], lrs[0]),) + tuple(Round(s, n, a, r) for s, n, a, r in zip(splits, steps[1:], lrs[1:],
                                                                                          radii, strict=True))


def test_config_validation():
    with pytest.raises(ValueError, match="first round"):
        ILOConfig(rounds=(Round(1, 10, 0.1, 1.0),))
    with pytest.raises(ValueError, match="radius inf"):
        ILOConfig(rounds=(Round(0, 10, 0.1, 1.0),))
    with pytest.raises(ValueError, match="non-decreasing"):
        ILOConfig(rounds=_rounds((2, 1), (1, 1, 1), (1, 1, 1), (1, 1)))
    with pytest.raises(ValueError, match="radius must be >= 0"):
        ILOConfig(rounds=_rounds((1,), (1, 1), (1, 1), (-1,)))
    with pytest.raises(ValueError, match="StyleGAN-2 schedules only"):
        ILOConfig(rounds=(Round(0, 1, 1.0), Round(1, 1, 1.0, 1.0, radius_noise=1.0)))
    with pytest.raises(ValueError, match="an integer"):
        Round(0, 1.5, 0.1)
    with pytest.raises(ValueError, match="lr must be finite"):
        Round(0, 1, float("inf"))


def _cfg(splits=(1, 2), steps=(150, 100, 100), lrs=(0.05, 0.02, 0.02), radii=(3.0, 3.0), **kw):
    return ILOConfig(rounds=_rounds(splits, steps, lrs, radii), **{"restarts": 3, **kw})


def test_ilo_beats_csgm_off_the_range_and_respects_the_ball(rng):
    G, op, x, y = _problem(rng, m=80)
    c = ilo(G, y, op, config=csgm_config(150, 0.05, restarts=3), rng=torch.Generator().manual_seed(0))
    r = ilo(G, y, op, config=_cfg(radii=(5.0, 5.0)), rng=torch.Generator().manual_seed(0))
    assert (r.x - x).norm() < 0.5 * (c.x - x).norm()  # measured here: 0.11 vs 0.86
    assert r.x_all.shape == (3, 128) and r.rounds_done == 3 and len(r.losses) == 3
    assert float(r.final_loss[r.best]) == float(r.final_loss.min())


def test_radius_zero_is_csgm(rng):
    G, op, x, y = _problem(rng)
    c = ilo(G, y, op, config=csgm_config(50, 0.05, restarts=2), rng=torch.Generator().manual_seed(0))
    r = ilo(G, y, op, config=_cfg(steps=(50, 20, 20), radii=(0.0, 0.0), restarts=2),
            rng=torch.Generator().manual_seed(0))
    assert torch.allclose(r.x_all, c.x_all, atol=1e-12)


def test_code_stays_in_the_l1_ball(rng):
    G, op, x, y = _problem(rng)
    cfg = _cfg(splits=(1,), steps=(30, 40), lrs=(0.05, 0.5), radii=(0.7,), restarts=2)
    first = ilo(G, y, op, config=csgm_config(30, 0.05, restarts=2), rng=torch.Generator().manual_seed(3))
    r = ilo(G, y, op, config=cfg, rng=torch.Generator().manual_seed(3))
    center = G.forward_to(first.z, 1)
    dev = (r.code - center).abs().sum(1)
    assert torch.all(dev <= 0.7 * (1 + 1e-9)) and torch.allclose(project_l1_ball(r.code - center, 0.7),
                                                                  r.code - center)


def test_bit_reproducible_and_resumable(rng, tmp_path):
    G, op, x, y = _problem(rng)
    cfg = _cfg(project_back=True, project_back_steps=20)
    a = ilo(G, y, op, config=cfg, rng=torch.Generator().manual_seed(5))
    b = ilo(G, y, op, config=cfg, rng=torch.Generator().manual_seed(5))
    assert torch.equal(a.x_all, b.x_all)
    part = ILOConfig(rounds=cfg.rounds[:2], restarts=3, project_back=True, project_back_steps=20)
    p = ilo(G, y, op, config=part, rng=torch.Generator().manual_seed(5))
    save_state(p, tmp_path / "state.pt")
    resumed = ilo(G, y, op, config=cfg, rng=torch.Generator(), resume=load_state(tmp_path / "state.pt"))
    assert torch.equal(resumed.x_all, a.x_all)
    with pytest.raises(ValueError, match="prefix"):
        ilo(G, y, op, config=_cfg(radii=(9.0, 9.0)), rng=torch.Generator(), resume=p)


def test_bad_observation_shape(rng):
    G, op, x, y = _problem(rng)
    with pytest.raises(ValueError, match="y must have shape"):
        ilo(G, y[:, :5], op, config=_cfg(), rng=rng)
    with pytest.raises(ValueError, match="splits must be <"):
        ilo(G, y, op, config=_cfg(splits=(1, 3)), rng=rng)


def test_linear_heads_are_bit_identical_to_the_lpips_package():
    """Independent check: the v0.1 heads shipped in the `lpips` wheel (read as files, never imported)."""
    import importlib.util
    from pathlib import Path

    import torch as t

    from ilo_solver.fit.lpips import LPIPS
    spec = importlib.util.find_spec("lpips")
    assert spec is not None, "make venv installs lpips==0.1.4 --no-deps for this check"
    root = Path(list(spec.submodule_search_locations)[0]) / "weights" / "v0.1"
    for net in ("alex", "vgg"):
        sd = t.load(root / f"{net}.pth", weights_only=True, map_location="cpu")
        model = LPIPS(net)
        for i in range(5):
            assert t.equal(sd[f"lin{i}.model.1.weight"], model.heads[i].data), (net, i)


def test_datafit_lpips_size_resizes_after_filling():
    import torch.nn.functional as F

    from ilo_solver.fit.losses import DataFit
    from ilo_solver.fit.lpips import lpips
    from ilo_solver.physics.operators import Identity, Inpainting
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(1, 3, 64, 64, generator=g) * 2 - 1, torch.rand(1, 3, 64, 64, generator=g) * 2 - 1
    down = lambda t: F.interpolate(t, size=(32, 32), mode="bicubic", antialias=True, align_corners=False)
    fit = DataFit(mse_weight=0.0, lpips_weight=1.0, lpips_size=32)
    assert torch.allclose(fit(x, Identity((3, 64, 64)), y), lpips(down(x), down(y)))
    assert torch.allclose(DataFit(mse_weight=0.0, lpips_weight=1.0, lpips_size=64)(x, Identity((3, 64, 64)), y),
                          lpips(x, y))   # no resize when already at the size
    mask = (torch.rand(1, 1, 64, 64, generator=g) < 0.5).to(x.dtype).expand(1, 3, 64, 64)
    op = Inpainting(mask[0])
    filled = mask * y + (1 - mask) * x
    assert torch.allclose(fit(x, op, op(y)), lpips(down(x), down(filled)))   # the mask is read from the operator
    with pytest.raises(ValueError, match="lpips_size"):
        DataFit(lpips_size=8)


def test_init_starts_the_csgm_round_from_given_latents(rng):
    G, op, x, y = _problem(rng)
    z0 = torch.randn(2, 4, generator=rng, dtype=torch.float64)
    r = ilo(G, y, op, config=csgm_config(0, 0.05, restarts=2), rng=torch.Generator().manual_seed(0), init=z0)
    assert torch.equal(r.z, z0) and torch.equal(r.x_all, G(z0))     # zero steps: the start itself
    with pytest.raises(ValueError, match="init must be"):
        ilo(G, y, op, config=csgm_config(5, restarts=3), rng=rng, init=z0)


def test_one_observation_per_restart_is_one_problem_per_restart(rng):
    """y [R, m]: restart i answers y[i], identically to solving y[i] alone from the same start."""
    G, op, _, _ = _problem(rng)
    z = torch.randn(2, 4, generator=rng, dtype=torch.float64)
    ys = op(G(z))
    z0 = z + 0.5 * torch.randn(z.shape, generator=rng, dtype=z.dtype)   # not at the answer (Adam would amplify the
    both = ilo(G, ys, op, config=_cfg(steps=(30, 10, 10), restarts=2), rng=torch.Generator().manual_seed(0),
               init=z0)                                                 # rounding-level gradients there)
    one = ilo(G, ys[1:], op, config=_cfg(steps=(30, 10, 10), restarts=1), rng=torch.Generator().manual_seed(0),
              init=z0[1:])
    assert torch.allclose(both.x_all[1], one.x_all[0], atol=1e-10)
    with pytest.raises(ValueError, match="one observation per restart"):
        ilo(G, ys, op, config=_cfg(restarts=3), rng=rng)


def test_classifier_guidance_fit_terms(rng):
    """cross-entropy = torch's for one-hot targets; the anchor term needs the operator's reference."""
    from ilo_solver.fit.losses import cross_entropy
    logits = torch.randn(4, 10, generator=rng, dtype=torch.float64)
    t = torch.nn.functional.one_hot(torch.tensor([1, 3, 3, 9]), 10).double()
    ref = torch.nn.functional.cross_entropy(logits, t.argmax(1), reduction="none")
    assert torch.allclose(cross_entropy(logits, t), ref)
    with pytest.raises(ValueError, match="same shape"):
        cross_entropy(logits, t[:, :5])
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 10)).double()
    x = torch.randn(4, 3, 2, 2, generator=rng, dtype=torch.float64)
    x0 = torch.randn(3, 2, 2, generator=rng, dtype=torch.float64)
    fit = DataFit(mse_weight=0.0, ce_weight=2.0, anchor_weight=3.0)
    op = O.Classifier(net, (3, 2, 2), 10, reference=x0)
    want = 2 * cross_entropy(net(x), t) + 3 * ((x - x0) ** 2).flatten(1).mean(1)
    assert torch.allclose(fit(x, op, t), want)
    with pytest.raises(ValueError, match="needs an operator with a reference"):
        fit(x, O.Classifier(net, (3, 2, 2), 10), t)
    with pytest.raises(ValueError, match="reference must have shape"):
        O.Classifier(net, (3, 2, 2), 10, reference=torch.zeros(3, 2))
    assert torch.equal(op.target(3), torch.nn.functional.one_hot(torch.tensor([3]), 10).float())
    with pytest.raises(ValueError, match="class index"):
        op.target(10)
