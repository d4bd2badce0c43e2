"""PSNR / SSIM / LPIPS metrics (ilo_solver.fit.metrics)."""
import math

import pytest
import torch

from ilo_solver.fit import metrics


def test_metrics_known_values():
    x = torch.zeros(3, 32, 32)
    assert metrics.psnr(x + 0.1, x) == pytest.approx(20 * math.log10(1 / 0.05), rel=1e-6)  # float32 0.1
    assert metrics.ssim(x, x) == pytest.approx(1.0)
    assert metrics.lpips_metric(x, x) == pytest.approx(0.0, abs=1e-7)


def test_posterior_maps_and_whether_the_spread_predicts_the_error():
    from ilo_solver.fit.metrics import posterior_maps, std_predicts_error
    g = torch.Generator().manual_seed(0)
    truth = torch.zeros(3, 8, 8)
    scale = torch.linspace(0.01, 1.0, 64).view(1, 8, 8).expand(3, 8, 8)   # a spread that grows across the image
    samples = truth + scale * torch.randn(400, 3, 8, 8, generator=g)
    std, err = posterior_maps(samples, truth)
    assert std.shape == err.shape == (3, 8, 8)
    assert torch.allclose(std, scale.double(), rtol=0.15)                # ddof-0 std of 400 draws
    assert torch.allclose(err, samples.double().mean(0).abs())
    # a truth drawn from the same law as the samples: its error is the std's scale -> calibrated
    draw = truth + scale * torch.randn(3, 8, 8, generator=g)
    s = std_predicts_error(posterior_maps(samples, draw)[0], (samples.double().mean(0) - draw).abs())
    assert s["spearman"] > 0.6 and 0.8 < s["coverage"] <= 1.0 and 0.7 < s["scale"] < 1.4
    flipped = std_predicts_error(std.flip(-1).flip(-2), (samples.double().mean(0) - draw).abs())
    assert flipped["spearman"] < -0.3                                     # the spread reversed: anti-predictive
    with pytest.raises(ValueError, match="S >= 2"):
        posterior_maps(samples[:1], truth)
    with pytest.raises(ValueError, match="one shape"):
        std_predicts_error(std, err[:2])
