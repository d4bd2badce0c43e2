"""Tasks pair an operator with its noise and data fit (ilo_solver.physics.tasks)."""
import math

import pytest
import torch

from ilo_solver.physics import operators as O
from ilo_solver.physics.tasks import TASKS, make_task


@pytest.mark.parametrize("name", TASKS)
def test_every_task_observes_its_operator_with_its_noise(name, rng):
    x = torch.rand(3, 32, 32, generator=rng) * 2 - 1
    t = make_task(name, x.shape, rng=rng, sigma=0.05, factor=4, ratio=0.25, observed=0.5)
    y = t.observe(x, rng=torch.Generator().manual_seed(0))
    assert y.shape == (1, *t.op.out_shape)
    clean = t.op(x[None])
    if t.sigma > 0:
        assert 0.03 < float((y - clean).std()) < 0.07       # the task's noise, at its level
        assert t.fit.sna_sigma == t.sigma                    # denoising adds noise to x as the fit (SNA)
    else:
        assert torch.equal(y, clean)
    assert t.params and t.name == name


def test_task_parameters_are_checked(rng):
    with pytest.raises(ValueError, match="unknown task"):
        make_task("deblur", rng=rng)
    for bad in (0.0, 1.5, math.nan):
        with pytest.raises(ValueError, match="ratio"):
            make_task("cs-gaussian", rng=rng, ratio=bad)
    for bad in (0.0, -1.0, math.inf):
        with pytest.raises(ValueError, match="sigma"):
            make_task("denoise", rng=rng, sigma=bad)
    with pytest.raises(ValueError):
        make_task("superres", (3, 64, 64), rng=rng, factor=5)


def test_inpainting_takes_a_mask_a_box_or_a_fraction(rng):
    mask = torch.zeros(3, 8, 8)
    mask[:, :4] = 1
    t = make_task("inpaint", (3, 8, 8), rng=rng, mask=mask)
    assert t.params["observed"] == 0.5 and isinstance(t.op, O.Inpainting)
    assert make_task("inpaint", (3, 8, 8), rng=rng, box=(0, 0, 2, 2)).params == dict(box=[0, 0, 2, 2])
    assert make_task("inpaint", (3, 8, 8), rng=rng, observed=0.25).params == dict(observed=0.25)
