"""ilo_solver.solvers.untrained: the deep decoder equals a torch.nn reference built from its description, fits what
it can represent, counts its weights, refuses what it cannot build; and runs as `ilo solve --method deep-decoder`."""
import json

import pytest
import torch

from ilo_solver.physics import operators as O
from ilo_solver.solvers.untrained import DeepDecoderConfig, decode, deep_decoder, init_weights, parameter_count


def _reference(ws, b0):
    """Heckel & Hand's decoder from torch.nn layers: (Conv 1x1, Upsample x2 bilinear, ReLU, BatchNorm2d in training
    mode) per block, no up-sampling in the last block, then Conv 1x1 and a sigmoid (mapped to [-1, 1])."""
    blocks = (len(ws) - 2) // 4
    layers = []
    k = ws[0].shape[0]
    for i in range(blocks):
        conv = torch.nn.Conv2d(k, k, 1).double()
        bn = torch.nn.BatchNorm2d(k, eps=1e-5).double()
        with torch.no_grad():
            conv.weight.copy_(ws[4 * i][:, :, None, None])
            conv.bias.copy_(ws[4 * i + 1])
            bn.weight.copy_(ws[4 * i + 2])
            bn.bias.copy_(ws[4 * i + 3])
        layers += [conv] + ([torch.nn.Upsample(scale_factor=2, mode="bilinear")] if i < blocks - 1 else [])
        layers += [torch.nn.ReLU(), bn]
    out = torch.nn.Conv2d(k, ws[-2].shape[0], 1).double()
    with torch.no_grad():
        out.weight.copy_(ws[-2][:, :, None, None])
        out.bias.copy_(ws[-1])
    net = torch.nn.Sequential(*layers, out, torch.nn.Sigmoid()).train()
    return net(b0) * 2 - 1


def test_decode_equals_the_torch_nn_reference_and_counts_its_weights():
    g = torch.Generator().manual_seed(0)
    ws = init_weights(8, 3, rng=g, dtype=torch.float64)
    ws = [w + 0.1 * torch.randn(w.shape, generator=g, dtype=w.dtype) for w in ws]   # scale/shift not at 1/0
    b0 = torch.rand((1, 8, 4, 4), generator=g, dtype=torch.float64) * 0.1
    x = decode(ws, b0)
    assert x.shape == (1, 3, 32, 32) and float(x.abs().max()) < 1
    assert torch.allclose(x, _reference(ws, b0), atol=1e-10)
    assert sum(w.numel() for w in ws) == parameter_count(8, 3) == 4 * (64 + 24) + 3 * 9


def test_fits_an_image_it_can_represent_from_a_partial_observation():
    g = torch.Generator().manual_seed(1)
    truth = decode(init_weights(8, 2, rng=g), torch.rand((1, 8, 4, 4), generator=g) * 0.1)
    op = O.Inpainting((torch.rand((1, 16, 16), generator=g) < 0.5).float().expand(3, 16, 16).contiguous())
    y = op(truth)
    res = deep_decoder(None, y, op, config=DeepDecoderConfig(channels=8, steps=300, lr=0.02),
                       rng=torch.Generator().manual_seed(2))
    trace = res.losses[0][:, 0]
    assert res.x.shape == (1, 3, 16, 16) and float(trace[-1]) < 0.05 * float(trace[0])
    assert float(((res.x - truth) ** 2).mean()) < float(((y * 0 - truth) ** 2).mean())   # better than nothing


@pytest.mark.parametrize("kw, msg", [(dict(channels=0), "channels must be an integer"),
                                     (dict(steps=1.5), "steps must be an integer"), (dict(lr=0.0), "lr must be")])
def test_config_validation(kw, msg):
    with pytest.raises(ValueError, match=msg):
        DeepDecoderConfig(**kw)


def test_sizes_it_cannot_build_are_refused():
    y = torch.zeros(1, 3, 24, 24)
    with pytest.raises(ValueError, match=r"4 \* 2\^j pixels .* got 24"):
        deep_decoder(None, y, O.Denoising((3, 24, 24), 0.1), config=DeepDecoderConfig(steps=1),
                     rng=torch.Generator())


def test_ilo_solve_method_deep_decoder(tmp_path):
    from ilo_solver.cli import main
    out = tmp_path / "dd"
    assert main(["solve", "--image", "astronaut", "--task", "inpaint", "--method", "deep-decoder", "--steps-scale",
                 "0.02", "--no-progress", "--out", str(out)]) == 0
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["method"]["type"] == "DeepDecoderConfig" and cfg["method"]["steps"] == 20
    assert json.loads((out / "metrics.json").read_text())["psnr"] > 5
