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
