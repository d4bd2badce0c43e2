"""The one preset table: every entry valid, steps_scale and restarts applied once for every prior (or refused
where they do not apply), and solve() dispatching on the config type."""
import dataclasses
import math

import pytest
import torch

from ilo_solver import presets
from ilo_solver.fit.losses import DataFit
from ilo_solver.solvers.ilo import ILOConfig
from ilo_solver.solvers.ilo_stylegan import StyleCSGMConfig, StyleILOConfig
from ilo_solver.solvers.sgilo import SGILOConfig

FIT = DataFit(lpips_weight=0.2)


def _steps(cfg):
    if isinstance(cfg, SGILOConfig):
        return (cfg.steps, cfg.burn_in, cfg.thin, cfg.csgm.steps)
    return tuple(r.steps for r in getattr(cfg, "rounds", ()))   # the classical baselines have no schedule


@pytest.mark.parametrize("prior,method", [(p, m) for p in presets.PRIORS for m in presets.PRESETS[p]])
def test_every_preset_configures(prior, method):
    base = presets.PRESETS[prior][method]
    cfg = presets.configure(prior, method, fit=FIT)
    assert type(cfg) is type(base) and _steps(cfg) == _steps(base)
    want = dataclasses.replace(FIT, lpips_net="vgg", lpips_size=256) if prior == "stylegan2" else FIT
    assert getattr(cfg, "fit", want) == want
    half = presets.configure(prior, method, fit=FIT, steps_scale=0.5)
    assert all(h == max(1, round(s * 0.5)) or (h > s * 0.5 and isinstance(cfg, SGILOConfig))
               for h, s in zip(_steps(half), _steps(base), strict=True))
    if hasattr(base, "restarts"):
        assert presets.configure(prior, method, fit=FIT, restarts=7).restarts == 7
    else:
        assert presets.configure(prior, method, fit=FIT, restarts=1) == cfg
        with pytest.raises(ValueError, match="has one start"):
            presets.configure(prior, method, fit=FIT, restarts=2)


def test_the_tables_agree_where_they_must():
    dc, sg = presets.PRESETS["dcgan-faces"], presets.PRESETS["stylegan2"]
    assert dc["sgilo"].csgm == dc["csgm"].rounds[0]          # SGILO starts from the CSGM preset
    assert dc["ilo"].rounds[0] == dc["unconstrained"].rounds[0]
    assert [r.split for r in dc["ilo"].rounds] == [r.split for r in dc["unconstrained"].rounds] == [0, 1, 2, 3]
    assert all(math.isinf(r.radius) for r in dc["unconstrained"].rounds) and dc["ilo"].rounds[1].radius == 800.0
    assert [r.steps for r in sg["ilo"].rounds] == [50, 50, 25, 25] == [r.steps for r in sg["unconstrained"].rounds]
    assert isinstance(sg["csgm"], StyleCSGMConfig) and isinstance(sg["pulse"], StyleILOConfig)
    small = presets.configure("stylegan2", "ilo", fit=FIT, num_stages=2)
    assert [r.split for r in small.rounds] == [0, 1]


def test_bad_requests_are_one_clear_error():
    with pytest.raises(ValueError, match="unknown prior"):
        presets.configure("biggan", "ilo", fit=FIT)
    with pytest.raises(ValueError, match="choose from csgm, ilo, unconstrained, sgilo"):
        presets.configure("dcgan-faces", "pulse", fit=FIT)
    for bad in (0, -1, 1025, 2.5, True):
        with pytest.raises(ValueError, match="restarts must be an integer"):
            presets.configure("dcgan-faces", "ilo", fit=FIT, restarts=bad)
    for bad in (math.inf, 0.0, math.nan):
        with pytest.raises(ValueError, match="steps_scale"):
            presets.configure("stylegan2", "pulse", fit=FIT, steps_scale=bad)
    assert presets.configure("dcgan-faces", "ilo", fit=FIT, project_back=True).project_back


def test_solve_dispatches_on_the_config(rng):
    from ilo_solver.generators import ReLUGenerator
    from ilo_solver.physics.operators import GaussianCS
    G = ReLUGenerator((3, 8, 16, 20), rng=rng)
    op = GaussianCS((20,), 10, rng=rng, dtype=torch.float64)
    y = op(G(torch.randn(1, 3, generator=rng, dtype=torch.float64)))
    cfg = dataclasses.replace(presets.configure("dcgan-faces", "ilo", fit=DataFit(), steps_scale=0.02),
                              rounds=presets.PRESETS["dcgan-faces"]["ilo"].rounds[:3])
    res = presets.solve(G, y, op, config=_scaled(cfg), rng=torch.Generator().manual_seed(0))
    assert res.x.shape == (1, 20) and len(res.losses) == len(res.seconds) == 3
    with pytest.raises(ValueError, match="needs a score model"):
        presets.solve(G, y, op, config=presets.PRESETS["dcgan-faces"]["sgilo"], rng=rng)
    with pytest.raises(ValueError, match="used by SGILO only"):
        presets.solve(G, y, op, config=cfg, rng=rng, score=object())
    with pytest.raises(ValueError, match="no solver"):
        presets.solve(G, y, op, config=FIT, rng=rng)


def _scaled(cfg: ILOConfig) -> ILOConfig:
    return dataclasses.replace(cfg, rounds=tuple(dataclasses.replace(r, steps=3) for r in cfg.rounds))
