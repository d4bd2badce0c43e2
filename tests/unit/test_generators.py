
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ilo_solver.generators import ReLUGenerator, ReLUGeneratorBatch
from ilo_solver.generators.dcgan import load_dcgan_faces


@pytest.mark.parametrize("bias", [False, True])
def test_split_composes_to_G(bias, rng):
    G = ReLUGenerator((4, 30, 50, 70), rng=rng, bias=bias)
    z = torch.randn(5, 4, generator=rng, dtype=torch.float64)
    for i in range(G.num_blocks + 1):
        G1, G2 = G.split(i)
        assert torch.equal(G2(G1(z)), G(z))
        assert G1(z).shape == (5, *G.latent_shape(i))


def test_hv_scaling_halves_squared_norms(rng):
    G = ReLUGenerator((10, 4000, 4000), rng=rng)
    z = torch.randn(20, 10, generator=rng, dtype=torch.float64)
    ratio = (G(z) ** 2).sum(1) / (z ** 2).sum(1)
    assert abs(float(ratio.mean()) - 0.25) < 0.02
    G2 = ReLUGenerator((10, 4000, 4000), rng=rng, scaling="he")
    assert abs(float(((G2(z) ** 2).sum(1) / (z ** 2).sum(1)).mean()) - 1.0) < 0.08


def test_jacobian_matches_autograd_and_lipschitz_order(rng):
    G = ReLUGenerator((3, 20, 25), rng=rng, bias=True)
    z = torch.randn(3, generator=rng, dtype=torch.float64)
    J = torch.autograd.functional.jacobian(lambda v: G(v[None])[0], z)
    assert torch.allclose(G.jacobian(z), J)
    pts = torch.randn(50, 3, generator=rng, dtype=torch.float64)
    assert G.lipschitz_empirical(pts) <= G.lipschitz_upper() * (1 + 1e-12)


def test_errors(rng):
    with pytest.raises(ValueError, match="widths"):
        ReLUGenerator((4,), rng=rng)
    with pytest.raises(ValueError, match="scaling"):
        ReLUGenerator((4, 5), rng=rng, scaling="xavier")
    G = ReLUGenerator((4, 5, 6), rng=rng)
    with pytest.raises(ValueError, match="split"):
        G.forward_to(torch.zeros(1, 4, dtype=torch.float64), 3)
    with pytest.raises(ValueError, match="shape"):
        G.forward_from(torch.zeros(1, 4, dtype=torch.float64), 1)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), instances=st.integers(1, 4), rows=st.integers(1, 3),
       widths=st.sampled_from([(2, 5), (3, 8, 6), (2, 4, 7, 5)]))
def test_a_generator_batch_equals_its_instances(seed, instances, rows, widths):
    """ReLUGeneratorBatch draws its networks as consecutive ReLUGenerator constructions and runs row group i
    through network i: the batch equals the loop (the slow reference) at every split."""
    G = ReLUGeneratorBatch(instances, widths, rng=torch.Generator().manual_seed(seed))
    g = torch.Generator().manual_seed(seed)
    nets = [ReLUGenerator(widths, rng=g) for _ in range(instances)]
    z = torch.randn(instances * rows, widths[0], dtype=torch.float64)
    for s in range(len(widths)):
        h = G.forward_to(z, s)
        loop = torch.cat([nets[i].forward_to(z[i * rows:(i + 1) * rows], s) for i in range(instances)])
        assert torch.allclose(h, loop, rtol=1e-12, atol=1e-14)
    assert torch.allclose(G(z), torch.cat([G.instance(i)(z[i * rows:(i + 1) * rows]) for i in range(instances)]))
    L = G.lipschitz_upper(0)
    assert torch.allclose(L, torch.tensor([n.lipschitz_upper(0) for n in nets], dtype=torch.float64))


def test_generator_batch_errors():
    G = ReLUGeneratorBatch(2, (2, 4), rng=torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match="instance groups"):
        G(torch.zeros(3, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="instance"):
        G.instance(2)
    with pytest.raises(ValueError, match="instances"):
        ReLUGeneratorBatch(0, (2, 4), rng=torch.Generator())


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
