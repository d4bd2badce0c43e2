"""The data-fit terms (ilo_solver.fit.losses)."""

import pytest
import torch

from ilo_solver.fit.losses import DataFit, dead_zone_l1, stochastic_noise_addition
from ilo_solver.physics import operators as O


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
