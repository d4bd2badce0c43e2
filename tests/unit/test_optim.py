"""The one loop: against a hand-written Adam loop (the reference), its hooks, best-iterate tracking, schedules,
the ULA step's exact stationary law, and the schedule rows' validation."""
import math

import pytest
import torch

from ilo_solver.optim import MAX_STEPS, Round, check_schedule, cosine_ramp, minimize, scale_steps, ula_step
from ilo_solver.optim.projection import project_l1_ball


def _quadratic(rng, device="cpu"):
    A = torch.randn(6, 4, generator=rng, dtype=torch.float64).to(device)
    b = torch.randn(3, 6, generator=rng, dtype=torch.float64).to(device)
    x0 = torch.randn(3, 4, generator=rng, dtype=torch.float64).to(device)
    return A, b, x0, lambda vs: ((vs[0] @ A.T - b) ** 2).sum(1)


def test_minimize_equals_a_hand_written_projected_adam_loop(rng, device):
    A, b, x0, f = _quadratic(rng, device)
    x = x0.clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=0.05)
    trace = []
    for _ in range(30):
        opt.zero_grad()
        loss = f([x])
        loss.sum().backward()
        opt.step()
        with torch.no_grad():
            x.copy_(project_l1_ball(x, 0.5))
        trace.append(loss.detach())

    def proj(vs, k):
        vs[0].copy_(project_l1_ball(vs[0], 0.5))
    res = minimize([x0], f, steps=30, lr=0.05, post_step=proj)
    assert torch.equal(res.params[0], x.detach()) and torch.equal(res.trace, torch.stack(trace))
    assert res.params[0].device == res.trace.device == x0.device
    assert torch.equal(x0, x0.clone()) and not res.params[0].requires_grad   # the input is not modified


def test_records_and_best_iterate(rng):
    A, b, x0, f = _quadratic(rng)
    for record, shape in (("per_sample", (20, 3)), ("sum", (20,)), ("min", (20,)), (None, (0,))):
        assert minimize([x0], f, steps=20, lr=0.05, record=record).trace.shape == shape
    # a huge learning rate makes later iterates worse: the tracked best is the minimum of the pre-step scores
    res = minimize([x0], lambda vs: (f(vs), f(vs).detach().sum(), vs[0].detach().clone()), steps=25, lr=3.0,
                   keep_best=True, record="sum")
    assert float(res.best_score) == float(res.trace.min())
    assert math.isclose(float(f([res.best_value]).sum()), float(res.best_score), rel_tol=1e-12)
    res0 = minimize([x0], lambda vs: (f(vs), f(vs).detach().sum(), None), steps=5, lr=0.05, keep_best=True,
                    best_init=(torch.tensor(-1.0, dtype=torch.float64), None))
    assert float(res0.best_score) == -1.0   # a better starting record is kept
    with pytest.raises(ValueError, match="record"):
        minimize([x0], f, steps=1, lr=0.1, record="all")
    with pytest.raises(ValueError, match="schedule"):
        minimize([x0], f, steps=1, lr=0.1, schedule="linear")


def test_cosine_schedule_is_applied_each_step(rng):
    seen = []
    A, b, x0, f = _quadratic(rng)
    res = minimize([x0], f, steps=10, lr=0.1, schedule="cosine",
                   post_step=lambda vs, k: seen.append(k))
    assert seen == list(range(10)) and res.trace.shape == (10, 3)
    assert cosine_ramp(0, 10, 0.1) == 0.0 and cosine_ramp(5, 10, 0.1) == pytest.approx(0.1 * (0.5 - 0.5 * math.cos(
        (0.5 / 0.75) * math.pi)))
    # the first step has lr 0: the iterate does not move in step 0 (Adam's update is scaled by lr)
    one = minimize([x0], f, steps=1, lr=0.1, schedule="cosine")
    assert torch.equal(one.params[0], x0)


def test_ula_step_has_the_exact_gaussian_stationary_variance(rng):
    """For U(x) = x²/2 the ULA chain x' = (1 - η) x + sqrt(2η/β) ξ is AR(1) with stationary variance
    2 / (β (2 - η)) exactly (the O(η) bias of ULA, in closed form): 20000 independent chains, 400 steps."""
    beta, eta = 4.0, 0.2
    x = torch.zeros(20000, dtype=torch.float64)
    for _ in range(400):
        x = ula_step(x, x, eta=eta, beta=beta, rng=rng)
    exact = 2 / (beta * (2 - eta))
    se = exact * math.sqrt(2 / x.numel())   # sd of a sample variance of Gaussian draws
    assert abs(float(x.var()) - exact) < 5 * se
    assert abs(float(x.var()) - 1 / beta) > 5 * se   # the bias is real at this eta: the test can tell


def test_round_and_schedule_validation():
    assert Round(1, 10.0, 0.1).steps == 10
    for bad, msg in (((0, -1, 0.1), "steps in"), ((0, MAX_STEPS + 1, 0.1), "steps in"), ((-1, 1, 0.1), "split"),
                     ((0, 1, 0.0), "lr must be"), ((0, 1, math.nan), "lr must be"), ((0, True, 0.1), "integer")):
        with pytest.raises(ValueError, match=msg):
            Round(*bad)
    with pytest.raises(ValueError, match="radius must be >= 0"):
        Round(0, 1, 0.1, math.nan)
    rounds = (Round(0, 1, 0.1), Round(2, 1, 0.1, 3.0))
    assert check_schedule(list(rounds), max_split=2) == rounds
    with pytest.raises(ValueError, match="<= 1"):
        check_schedule(rounds, max_split=1)
    with pytest.raises(ValueError, match="Round"):
        check_schedule([(0, 1, 0.1)])
    assert scale_steps(0, 0.5) == 0 and scale_steps(3, 0.01) == 1 and scale_steps(100, 1.5) == 150
    for bad in (0.0, -1.0, math.inf, math.nan):
        with pytest.raises(ValueError, match="steps_scale"):
            scale_steps(10, bad)
    with pytest.raises(ValueError, match="at most"):
        scale_steps(10, 1e12)


def test_one_rate_per_parameter():
    """``lr`` per parameter (Adam groups): equal rates give the single-rate run bit for bit; a different rate
    changes only its own parameter; bad rates are refused."""
    a0, b0 = torch.ones(3, dtype=torch.float64), torch.ones(2, dtype=torch.float64)

    def objective(vs):
        return (vs[0] ** 2).sum() + ((vs[1] - 3) ** 2).sum()

    one = minimize([a0, b0], objective, steps=5, lr=0.1, record=None)
    both = minimize([a0, b0], objective, steps=5, lr=(0.1, 0.1), record=None)
    assert all(torch.equal(u, v) for u, v in zip(one.params, both.params, strict=True))
    mixed = minimize([a0, b0], objective, steps=5, lr=(0.1, 0.01), record=None, schedule="cosine")
    solo = minimize([a0], lambda vs: (vs[0] ** 2).sum(), steps=5, lr=0.1, record=None, schedule="cosine")
    assert torch.equal(mixed.params[0], solo.params[0]) and not torch.equal(mixed.params[1], one.params[1])
    for bad in ((0.1,), (0.1, -1.0), (0.1, float("nan"))):
        with pytest.raises(ValueError, match="lr"):
            minimize([a0, b0], objective, steps=1, lr=bad)
