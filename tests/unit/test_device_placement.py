"""The GPU code paths, checked without a GPU: every solver runs on PyTorch's ``meta`` device (shapes and devices,
no data). There, a tensor left on the CPU next to a device tensor raises, and so does every read of a value
(``.item()``, ``float(t)``, ``.tolist()``, ``if t:``), the reads that stall a GPU loop. The solvers read only
through :func:`ilo_solver.optim._host.read`, replaced here by a counter: the tests pin where, and how often, they read.
Not covered: SNA's generator on the device (the meta device has no random generator; it needs an accelerator)."""
import math

import pytest
import torch

from ilo_solver.fit.losses import DataFit
from ilo_solver.generators.stylegan2 import StyleGAN2Generator
from ilo_solver.optim import Round, _host
from ilo_solver.physics import operators as O

META = torch.device("meta")
INF = math.inf


@pytest.fixture
def reads(monkeypatch):
    calls = []

    def read(t):
        calls.append(tuple(t.shape))
        return 0 if t.dim() == 0 else [0.0] * len(t)
    monkeypatch.setattr(_host, "read", read)
    return calls


def test_the_meta_device_catches_what_the_tests_rely_on():
    x = torch.randn(3, device=META)
    with pytest.raises((RuntimeError, NotImplementedError)):
        float(x.sum())
    with pytest.raises(RuntimeError, match="device"):
        x * torch.randn(3)   # a CPU tensor (not a 0-d scalar) next to a device tensor
    from ilo_solver.priors.stylegan_latent import from_gaussian
    with pytest.raises(RuntimeError, match="device"):   # the bug this file found: PULSE's fit left on the CPU
        from_gaussian(x, torch.zeros(3), torch.ones(3))


def _style_generator():
    torch.manual_seed(0)   # parameter init of a test model (values are dropped on the meta device)
    return StyleGAN2Generator(32, style_dim=64, n_mlp=2, channels={4: 64, 8: 64, 16: 32, 32: 32}).requires_grad_(False)


@pytest.mark.parametrize("task", ["inpaint", "cs"])
def test_stylegan_solvers_stay_on_the_device_and_read_once_per_round(reads, task):
    from ilo_solver.solvers.ilo_stylegan import StyleCSGMConfig, StyleILOConfig, csgm_stylegan, ilo_stylegan
    G = _style_generator().to(META)
    if task == "inpaint":
        mask = O.random_mask((3, 32, 32), 0.5, rng=torch.Generator().manual_seed(0))
        op = O.Inpainting(mask).to(META)   # the mask travels with the operator
        fit = DataFit(lpips_weight=1.0, lpips_net="vgg", lpips_size=64, dead_zone_weight=0.5)
    else:
        op = O.GaussianCS((3, 32, 32), 50, rng=torch.Generator().manual_seed(0)).to(META)
        fit = DataFit()
    y = op(torch.zeros(1, 3, 32, 32, device=META))
    # finite radii: the segmented l1 projection runs (the default off the CPU)
    rounds = (Round(0, 3, 0.1), Round(1, 2, 0.1, 5.0, 5.0, 5.0), Round(2, 2, 0.1, 5.0, 5.0, 5.0))
    cfg = StyleILOConfig(rounds=rounds, fit=fit, gaussian_fit_samples=100)
    res = ilo_stylegan(G, y, op, config=cfg, rng=torch.Generator().manual_seed(0))
    assert res.x.device == META and res.x.shape == (1, 3, 32, 32) and res.latent.device == META
    assert reads == [(3,), (2,), (2,)]   # one read per round: its loss trace
    reads.clear()
    res = csgm_stylegan(G, y, op, config=StyleCSGMConfig(rounds=(Round(0, 4, 0.1),), restarts=3, fit=fit),
                        rng=torch.Generator().manual_seed(0))
    assert res.x.shape == (1, 3, 32, 32) and res.latent.shape == (1, 64) and res.x.device == META
    assert reads == [(4,), (3,)]   # the trace and the restarts' final objectives, after the loop


def test_dcgan_ilo_and_sgilo_stay_on_the_device(reads):
    from ilo_solver.generators.dcgan import load_dcgan_faces
    from ilo_solver.physics.tasks import make_task
    from ilo_solver.presets import configure
    from ilo_solver.priors.score import ScoreModel
    from ilo_solver.solvers.ilo import ilo
    from ilo_solver.solvers.sgilo import SGILOConfig, sgilo
    G = load_dcgan_faces(META)
    for name in ("inpaint", "cs-circulant", "denoise", "superres", "cs-gaussian"):
        task = make_task(name, (3, 64, 64), rng=torch.Generator().manual_seed(0))
        op = task.op.to(META)
        y = op(torch.zeros(1, 3, 64, 64, device=META))
        res = ilo(G, y, op, config=configure("dcgan-faces", "ilo", fit=task.fit, restarts=2, steps_scale=0.01),
                  rng=torch.Generator().manual_seed(0))
        assert res.x.device == META and res.code.device == META
        assert reads == [()], name   # the choice of the restart, once, after the loop
        reads.clear()
    task = make_task("inpaint", (3, 64, 64), rng=torch.Generator().manual_seed(0))
    op = task.op.to(META)
    y = op(torch.zeros(1, 3, 64, 64, device=META))
    score = ScoreModel(G.latent_shape(1), width=16, depth=1).to(META)
    for mode in ("practical", "calibrated"):
        cfg = SGILOConfig(split=1, mode=mode, steps=4, burn_in=1, thin=1, csgm=Round(0, 2, 0.05), restarts=2,
                          fit=task.fit)
        res = sgilo(G, y, op, score, config=cfg, rng=torch.Generator().manual_seed(0))
        assert res.x.device == META and res.samples.shape == (3, 3, 64, 64)
        assert reads == [(), ()], mode   # CSGM's restart choice, then the chain's
        reads.clear()


def test_a_visible_progress_bar_reads_every_tenth_step_only(reads):
    from ilo_solver.generators.dcgan import load_dcgan_faces
    from ilo_solver.solvers.ilo import csgm_config, ilo
    G = load_dcgan_faces(META)
    op = O.GaussianCS((3, 64, 64), 100, rng=torch.Generator().manual_seed(0)).to(META)
    ilo(G, op(torch.zeros(1, 3, 64, 64, device=META)), op, config=csgm_config(25, restarts=2),
        rng=torch.Generator().manual_seed(0), progress=True)
    assert len(reads) == 2 + 1   # the loss shown at steps 10 and 20, then the restart choice


def test_score_training_and_prior_sampling_stay_on_the_device(reads):
    from ilo_solver.priors.score import ScoreModel, sample_prior, train_score
    model = ScoreModel((8, 4, 4), width=16, depth=1).to(META)
    sample = lambda n, g: torch.randn(n, 8, 4, 4, generator=g).to(META)
    losses = train_score(model, sample, steps=5, batch=4, rng=torch.Generator().manual_seed(0))
    assert len(losses) == 5 and reads == [(5,)]   # the loss trace, read once after the loop
    x = sample_prior(model, 3, steps=4, rng=torch.Generator().manual_seed(0))
    assert x.device == META and x.shape == (3, 8, 4, 4) and reads == [(5,)]


def test_lpips_on_another_device_leaves_the_cpu_model_alone():
    """LPIPS caches its networks: using it on a second device must not move the one other callers hold (it did:
    ``Module.to`` is in place, and after a meta-device call the CPU weights were gone)."""
    from ilo_solver.fit.lpips import lpips
    g = torch.Generator().manual_seed(0)
    a, b = (torch.rand(1, 3, 32, 32, generator=g) * 2 - 1 for _ in range(2))
    before = lpips(a, b, "vgg")
    assert lpips(a.to(META), b.to(META), "vgg").device == META
    assert torch.equal(lpips(a, b, "vgg"), before)


@pytest.mark.parametrize("name", sorted(O.OPERATORS))
def test_every_operator_runs_on_the_device(name):
    op = O.OPERATORS[name]((3, 16, 16), torch.Generator().manual_seed(0)).to(META)
    x = torch.zeros(2, 3, 16, 16, device=META)
    y = op.measure(x, 0.1, rng=torch.Generator().manual_seed(1))
    assert y.device == META and tuple(y.shape[1:]) == op.out_shape
    if isinstance(op, O.LinearOperator):
        assert op.A_adjoint(y).device == META and op.A_adjoint(y).shape == x.shape
