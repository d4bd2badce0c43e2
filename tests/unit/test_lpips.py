"""LPIPS on the real backbones (ilo_solver.fit.lpips)."""
import pytest
import torch

from ilo_solver.fit.lpips import lpips


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
