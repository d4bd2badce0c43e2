"""S-REC of any generator (ilo_solver.solvers.srec): gamma_hat(m) with CIs over matrix draws, on the range and at a
split."""
import numpy as np
import pytest
import torch

from ilo_solver.generators import ReLUGenerator
from ilo_solver.solvers.srec import srec_curve


def test_curve_shapes_intervals_and_growth():
    G = ReLUGenerator((3, 20, 60), rng=torch.Generator().manual_seed(0))
    c = srec_curve(G, "cs-gaussian", [5, 60], split=1, r2=0.1, delta=0.01, draws=3, pairs=30, restarts=2, steps=10,
                   rng=torch.Generator().manual_seed(1))
    assert c.gammas.shape == (2, 3) and np.all(c.lo <= c.mean) and np.all(c.mean <= c.hi)
    assert c.mean[1] > c.mean[0]       # more measurements, a better-conditioned A on the set
    assert set(c.as_dict()) == {"ms", "split", "r2", "delta", "gammas", "mean", "lo", "hi"}
    circ = srec_curve(G, "cs-circulant", [30], draws=2, pairs=20, restarts=2, steps=5,
                      rng=torch.Generator().manual_seed(1))
    assert 0 < circ.mean[0] < 2


def test_errors():
    G = ReLUGenerator((3, 20, 60), rng=torch.Generator().manual_seed(0))
    g = torch.Generator()
    for kw, match in ((dict(measurement="cs-nope"), "unknown measurement"), (dict(draws=1), "draws"),
                      (dict(ms=[0]), "ms"), (dict(split=2), "split")):
        args = dict(measurement="cs-gaussian", ms=[10]) | kw
        with pytest.raises(ValueError, match=match):
            srec_curve(G, args.pop("measurement"), args.pop("ms"), rng=g, **args)
