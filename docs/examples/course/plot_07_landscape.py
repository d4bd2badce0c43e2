"""
Step 7 -- Why does gradient descent on the latent work? The Hand-Voroninski landscape
=====================================================================================

**Motivation.** CSGM and ILO minimise :math:`f(z)=\\tfrac12\\|AG(z)-y\\|^2`, a non-convex function of z, by gradient
descent -- and it works. Hand & Voroninski (COLT 2018; IEEE TIT 2020) explained why for random expansive ReLU
networks: the landscape has no spurious local minima except near one point, and that point can be escaped.

**Statement.** For :math:`G(x)=\\mathrm{relu}(W_d\\cdots\\mathrm{relu}(W_1x))` with Gaussian weights (rows
:math:`w_i\\sim N(0,I/n_i)`) wide enough that the *weight distribution condition* (WDC) holds, the gradient of
:math:`\\tfrac12\\|G(x)-G(x_0)\\|^2` concentrates around a deterministic field :math:`h_x`
(:func:`ilo_theory.landscape.expected_gradient`) that vanishes only at :math:`x_0` and near :math:`-\\rho_dx_0`, with
:math:`\\rho_d\\in(0,1)` a constant of the depth (:func:`ilo_theory.landscape.rho`). Huang, Hand, Heckel &
Voroninski (2018) add a *negation check* -- compare the loss at x and -x, keep the better -- after which gradient
descent provably reaches :math:`x_0`.
"""
# %%
# Step 1 -- the expected field and its two zeros
# ----------------------------------------------
# :math:`\rho_d` against depth, and :math:`\|h_x\|` on a grid for a 2-dimensional latent and d = 3.
import matplotlib.pyplot as plt
import numpy as np
import torch

from ilo_solver.generators import ReLUGenerator
from ilo_theory import landscape as L

d = np.arange(1, 21)
x0 = np.array([1.0, 0.0])
u = np.linspace(-1.6, 1.6, 121)
Z = np.array([[np.linalg.norm(L.expected_gradient(np.array([s, t]) + 1e-9, x0, 3)) * 8 for s in u] for t in u])
print("rho_d for d = 1, 2, 5, 10, 20:", [round(L.rho(int(i)), 4) for i in (1, 2, 5, 10, 20)])

# %%
# Step 2 -- gradient descent on a real random network
# ---------------------------------------------------
# A random network 2 → 200 → 400 → 800 (:class:`ilo_solver.generators.relu.ReLUGenerator`), target :math:`G(x_0)`.
# Forty starts on the ray through :math:`-x_0` (the bad basin), each run with and without the negation check; the
# step is of order :math:`2^d` because the gradient carries a factor :math:`2^{-d}`.
G = ReLUGenerator((2, 200, 400, 800), rng=torch.Generator().manual_seed(0))
t0 = torch.tensor(x0)[None]
target = G(t0).detach()
starts = -torch.linspace(0.2, 1.5, 40, dtype=torch.float64)[:, None] * t0 + 0.02 * torch.randn(
    40, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)


def descend(x, negate, steps=300, lr=4.0):
    for _ in range(steps):
        x = x.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(0.5 * ((G(x) - target) ** 2).sum(), x)
        with torch.no_grad():
            x = x - lr * grad
            if negate:
                worse = ((G(-x) - target) ** 2).sum(1) < ((G(x) - target) ** 2).sum(1)
                x = torch.where(worse[:, None], -x, x)
    return x.detach().numpy()


ends = {neg: descend(starts.clone(), neg) for neg in (False, True)}
for neg, e in ends.items():
    print(f"{'with' if neg else 'without'} negation: {np.sum(np.linalg.norm(e - x0, axis=1) < 0.1)}/40 reach x0")

fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained")
a.plot(d, [L.rho(int(i)) for i in d], "o-")
a.set(xlabel="depth d", ylabel="ρ_d", title="where the spurious zero sits: -ρ_d x₀")
im = b.contourf(u, u, np.log10(Z + 1e-6), 30)
fig.colorbar(im, ax=b, label="log₁₀ 2^d ‖h_x‖ (expected gradient, d = 3)")
b.plot(*ends[False].T, "wo", ms=4, label="GD ends, no negation")
b.plot(*ends[True].T, "r*", ms=10, label="GD ends, with negation")
b.plot(-L.rho(3), 0, "kx", ms=10, mew=2, label="-ρ₃ x₀")
b.set(xlabel="x₁", ylabel="x₂", title="the landscape and where descent ends")
b.legend(fontsize=8, loc="lower left")

# %%
# **Reading the figure.** Left: :math:`\rho_d` grows with depth towards 1, so the spurious zero moves out towards
# :math:`-x_0` itself. Right: the expected gradient is small (dark) only at :math:`x_0=(1,0)` and at the cross
# :math:`-\rho_3x_0`; plain descent started on the bad ray ends near the cross (white dots), with the negation check
# every run ends at :math:`x_0` (red stars; printed above: 2/40 against 40/40). The full check
# (:doc:`../claims/plot_claim_landscape`) measures ρ_d on random
# networks, the negation claim with a Wilson interval, and the WDC's :math:`n^{-1/2}` decay with an adversarial
# search over pairs, against rival rates.
#
# Exercises
# ---------
# 1. Start the plain descent from random points ``torch.randn(40, 2) * 1.5`` instead of the bad ray. Predict how
#    many reach :math:`x_0`.
#
# .. raw:: html
#
#    <details><summary>Answer</summary>
#
# Most, not all (38 of 40 here): starts in the half-plane of :math:`x_0` flow to it; starts near the ray through
# :math:`-x_0` can stall at the spurious point. The negation check is what turns "most" into "every".
#
# .. raw:: html
#
#    </details>
#
# 2. Make the network deeper, ``ReLUGenerator((2, 200, 400, 800, 800, 800), ...)`` with ``lr=16.0``, and compare
#    where the plain runs stop with ``L.rho(5)``.
#
# .. raw:: html
#
#    <details><summary>Answer</summary>
#
# Further out: the plain runs stop near -0.55 x₀ (median) against :math:`\rho_5\approx0.68`, where at depth 3 they
# stopped near -0.32 x₀ against :math:`\rho_3\approx0.49` -- the spurious point moves out with depth as the left
# panel says; at finite width the stall point sits a little inside the expected one. (Keep ``lr`` of order
# :math:`2^d`: the gradient shrinks by half per
# layer, :math:`h_x` carries a :math:`2^{-d}`.)
#
# .. raw:: html
#
#    </details>
#
# 3. Narrow the layers to ``(2, 10, 10, 10)``. What fails first, the theory's assumption or the practice?
#
# .. raw:: html
#
#    <details><summary>Answer</summary>
#
# The assumption: the WDC needs :math:`n_i\gtrsim k\log(\cdot)/\varepsilon^2` per layer
# (:func:`ilo_theory.landscape.wdc_width_condition`), far more than 10. The gradient then deviates from
# :math:`h_x` by a lot and the landscape has other stationary points: here plain descent reaches :math:`x_0` from
# none of the 40 starts and even with the negation check only 32 of 40 do -- the guarantee is gone, not just weakened.
#
# .. raw:: html
#
#    </details>
