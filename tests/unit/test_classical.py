"""The classical baselines (ilo_solver.solvers.classical) against references: bicubic = torch's interpolation,
least squares = a dense minimum-norm solve, the fills and denoisers = scikit-image on the same arrays; each refuses
an operator it does not apply to, and `ilo solve --method ...` runs them through the registry."""
import json

import numpy as np
import pytest
import torch

from ilo_solver.physics import operators as O
from ilo_solver.solvers.classical import ClassicalConfig, classical, lstsq_cg


def _img(rng, shape=(3, 16, 12)):
    return torch.rand(shape, generator=rng, dtype=torch.float64) * 2 - 1


def test_lstsq_is_the_minimum_norm_solution_of_a_dense_reference(rng):
    x = _img(rng, (3, 8, 8))
    for op in (O.GaussianCS((3, 8, 8), 50, rng=rng, dtype=torch.float64), O.PartialCirculant((3, 8, 8), 40, rng=rng,
                                                                                            dtype=torch.float64)):
        y = op(x[None])
        got = lstsq_cg(op, y, steps=500).flatten()
        A = op.dense(torch.float64)
        ref = torch.linalg.pinv(A) @ y.flatten()   # the minimum-norm least-squares solution
        assert torch.allclose(got, ref, atol=1e-7), float((got - ref).abs().max())


def test_bicubic_fill_tv_nlmeans_match_their_references(rng):
    from skimage import restoration
    x = _img(rng)
    sr = O.SuperResolution((3, 16, 12), 4)
    y = sr(x[None])
    out = classical(None, y, sr, config=ClassicalConfig("bicubic")).x
    ref = torch.nn.functional.interpolate(y, size=(16, 12), mode="bicubic", align_corners=False).clamp(-1, 1)
    assert torch.equal(out, ref)
    ip = O.Inpainting(O.random_mask((3, 16, 12), 0.5, rng=rng))
    yy, xx = torch.meshgrid(torch.linspace(0, 3, 16), torch.linspace(0, 3, 12), indexing="ij")
    x = torch.stack([torch.sin(yy + xx), torch.cos(yy - xx), torch.sin(2 * yy)]).double() * 0.8   # smooth
    out = classical(None, ip(x[None]), ip, config=ClassicalConfig("fill")).x[0]
    obs = ip.mask.bool()
    assert torch.allclose(out[obs], x[obs], atol=1e-6)               # the observed pixels are kept
    assert float(((out - x)[~obs] ** 2).mean()) < 0.05 * float((x[~obs] ** 2).mean())   # a smooth image: close
    dn = O.Denoising((3, 16, 12), 0.2)
    y = dn.measure(x[None], rng=rng)
    arr = ((y[0].permute(1, 2, 0).numpy() + 1) / 2).clip(0, 1)
    tv = classical(None, y, dn, config=ClassicalConfig("tv")).x[0]
    ref = restoration.denoise_tv_chambolle(arr, weight=0.1, channel_axis=-1) * 2 - 1
    assert np.allclose(tv.permute(1, 2, 0).numpy(), ref)
    nl = classical(None, y, dn, config=ClassicalConfig("nlmeans")).x
    assert nl.shape == y.shape and float(((nl - x) ** 2).mean()) < float(((y - x) ** 2).mean())


def test_each_baseline_refuses_what_it_does_not_apply_to(rng):
    with pytest.raises(ValueError, match="applies to SuperResolution, not Denoising"):
        classical(None, torch.zeros(1, 3, 4, 4), O.Denoising((3, 4, 4), 0.1), config=ClassicalConfig("bicubic"))
    with pytest.raises(ValueError, match="kind must be one of"):
        ClassicalConfig("wiener")


def test_ilo_solve_runs_a_classical_baseline_through_the_registry(tmp_path):
    from ilo_solver.cli import main
    out = tmp_path / "b"
    assert main(["solve", "--image", "astronaut", "--task", "superres", "--factor", "4", "--method", "bicubic",
                 "--out", str(out), "--no-progress"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    cfg = json.loads((out / "config.json").read_text())["method"]
    assert m["method"] == "bicubic" and m["psnr"] > 15 and cfg == {"type": "ClassicalConfig", "kind": "bicubic",
                                                                     "cg_steps": 200}
