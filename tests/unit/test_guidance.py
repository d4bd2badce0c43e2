"""Classifier guidance: the task, the range-distance estimator and the radius sweep (on small stand-ins)."""
import math

import pytest
import torch

from ilo_solver import presets
from ilo_solver.fit.losses import DataFit
from ilo_solver.generators.dcgan import load_dcgan_faces
from ilo_solver.priors.classifiers import FashionClassifier, FashionNet
from ilo_solver.solvers.guidance import classify_task, guidance_sweep, range_distance


@pytest.fixture(scope="module")
def G():
    return load_dcgan_faces()


def _clf():
    torch.manual_seed(0)
    m = FashionClassifier(FashionNet(4, 8).eval())
    for p in m.parameters():
        p.requires_grad_(False)
    return m


def test_range_distance_is_zero_in_the_range_and_positive_off_it(G, rng):
    z = G.sample_latent(2, rng=rng)
    with torch.no_grad():
        x = G(z)
    d, zh = range_distance(G, x, starts=z, restarts=1, steps=5, rng=rng)
    assert torch.all(d < 1e-3) and zh.shape == z.shape
    noise = x + 0.3 * torch.randn(x.shape, generator=rng)
    d2, _ = range_distance(G, noise, starts=z, restarts=1, steps=20, rng=rng)
    assert torch.all(d2 > 0.2)                 # the added noise is 0.3 RMS: mostly orthogonal to the range
    with pytest.raises(ValueError, match="restarts >= 1"):
        range_distance(G, x, restarts=0, rng=rng)
    with pytest.raises(ValueError, match="one latent per image"):
        range_distance(G, x, starts=z[:1], rng=rng)


def test_classify_task_and_its_errors():
    t = classify_task(_clf(), 3)
    assert t.observe(None, rng=torch.Generator()).argmax().item() == 3 and t.fit.ce_weight == 1
    assert t.fit.mse_weight == 0 and t.op.reference is None
    with pytest.raises(ValueError, match="needs a reference"):
        classify_task(_clf(), 3, anchor_weight=1.0)


def test_with_radius_sets_every_intermediate_round():
    cfg = presets.PRESETS["dcgan-faces"]["ilo"]
    assert presets.with_radius(cfg, 0).rounds == cfg.rounds[:1]
    assert [r.radius for r in presets.with_radius(cfg, 50).rounds[1:]] == [50.0] * 3
    with pytest.raises(ValueError, match="radius must be >= 0"):
        presets.with_radius(cfg, -1)
    with pytest.raises(ValueError, match="applies to an ILOConfig"):
        presets.with_radius(presets.PRESETS["stylegan2"]["ilo"], 1.0)


def test_sweep_shares_the_csgm_round_and_measures_every_answer(G, rng):
    clf = _clf()
    z = G.sample_latent(2, rng=rng)
    with torch.no_grad():
        refs = G(z)
    out = guidance_sweep(G, clf, [1, 8], refs, [0.0, 50.0, math.inf], anchor_weight=1.0, init=z,
                         config=presets.configure("dcgan-faces", "ilo", fit=DataFit(), steps_scale=0.03),
                         evaluators={"same": clf}, distance_steps=3, rng=rng)
    assert out["x"].shape == (3, 2, 3, 64, 64) and out["p"].shape == (3, 2)
    assert torch.equal(out["p"], out["p_same"])
    assert torch.all(out["change"][0] == 0) and torch.all(out["distance"][0] < 1e-3)   # radius 0: in the range
    p = torch.softmax(clf(out["x"][1]), 1)[torch.arange(2), torch.tensor([1, 8])]
    assert torch.allclose(out["p"][1], p)
    assert torch.allclose(out["to_reference"], ((out["x"] - refs[None]) ** 2).flatten(2).mean(2).sqrt())
    with pytest.raises(ValueError, match="start at 0"):
        guidance_sweep(G, clf, [1], None, [10.0, 0.0], config=presets.PRESETS["dcgan-faces"]["ilo"], rng=rng)
