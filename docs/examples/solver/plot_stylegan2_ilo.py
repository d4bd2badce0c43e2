"""
ILO on StyleGAN-2: rounds over synthesis stages
===============================================

StyleGAN-2's synthesis network is a chain of *stages*: stage 0 turns the learned constant into a 4×4 feature map
and a 4×4 RGB "skip" image, and every later stage doubles the resolution of both. The state between two stages is
the pair ``(features, skip)``; :meth:`~ilo_solver.generators.stylegan2.StyleGAN2Generator.synthesis` can start
from any stage and state, and running the stages one by one reproduces the full forward pass exactly.

ILO for StyleGAN-2 (Daras et al. 2021, §4.1) uses that structure. Round 0 is PULSE: Adam on w+ (one latent per
layer, in PULSE's Gaussianised space, kept on the sphere of radius √D) and on the first five noise maps, with the
geocross regulariser. Round r starts the synthesis at stage r: the state there becomes a variable too, initialised
by pushing round r−1's solution forward, two more noise maps open, and every variable may move only inside an
:math:`\\ell_1` ball around its start-of-round value (radii increase with r).

This page runs the *control* experiment that needs no pretrained weights: a small StyleGAN-2 with random weights
produces an image (rescaled to [-1, 1], so it lies just outside the range), 70% of its pixels are hidden, and CSGM
(Adam on z), PULSE and ILO try to recover it from the rest. CSGM cannot follow the rescaling through the mapping
network; PULSE gets closer but w+ on the sphere is a hard landscape; ILO's later rounds, which optimise the
intermediate states directly, get much closer. (The same comparison is a unit test.)
"""
import math

import matplotlib.pyplot as plt
import torch

from ilo_solver.fit.losses import DataFit
from ilo_solver.generators.stylegan2 import StyleGAN2Generator
from ilo_solver.io.images import to_uint8
from ilo_solver.optim import Round
from ilo_solver.physics import operators as O
from ilo_solver.presets import solve
from ilo_solver.solvers.ilo_stylegan import StyleCSGMConfig, StyleILOConfig, pulse_config

torch.manual_seed(0)  # the random weights of the generator
G = StyleGAN2Generator(32, style_dim=64, n_mlp=2, channels={4: 64, 8: 64, 16: 32, 32: 32}).requires_grad_(False)
g = torch.Generator().manual_seed(0)
noises = [torch.randn(n.shape, generator=g) for n in G.stored_noises()]
with torch.no_grad():
    w = G.mapping(torch.randn(1, 64, generator=g))
    x = G.synthesis(w, noises)
    x = x / x.abs().max()

# %%
# Stages and states
# -----------------
# Pushing the state through the stages one at a time gives the same image as the full forward pass.
with torch.no_grad():
    wp = w[:, None].expand(-1, G.n_latent, -1)
    state = None
    for j in range(G.num_stages):
        state = G.stage(j, state, wp, noises)
        print(f"after stage {j}: features {list(state[0].shape)}, skip image {list(state[1].shape)}")
    print("staged == full forward pass:", torch.allclose(state[1], G.synthesis(w, noises), atol=1e-6))

# %%
# PULSE vs ILO, 30% of the pixels observed
# ----------------------------------------
op = O.Inpainting(O.random_mask((3, 32, 32), 0.3, rng=torch.Generator().manual_seed(7)))
y = op(x)
fit = DataFit()   # MSE; ``ilo solve`` adds LPIPS-VGG at 256 px as the official code does
inf = math.inf
# a schedule is a tuple of rows Round(stage, steps, lr, radius_latent, radius_noise, radius_state)
ilo_rounds = (Round(0, 150, 0.1),) + tuple(Round(s, 50, 0.1, r, r, r) for s, r in ((1, 50.0), (2, 100.0), (3, 200.0)))
runs = {
    "CSGM": StyleCSGMConfig(rounds=(Round(0, 300, 0.1),), restarts=4, fit=fit),
    "PULSE": pulse_config(300, fit=fit, gaussian_fit_samples=5000),
    "ILO": StyleILOConfig(rounds=ilo_rounds, fit=fit, gaussian_fit_samples=5000),
}
results = {}
for name, cfg in runs.items():
    res = solve(G, y, op, config=cfg, rng=torch.Generator().manual_seed(1))   # the solver that fits the config
    err = float((res.x - x).norm() / x.norm())
    results[name] = (res, err)
    print(f"{name:>5}: relative error {err:.3f}, {sum(res.seconds):.1f} s")

fig, axes = plt.subplots(1, 5, figsize=(11, 2.7))
panels = [("truth", x[0]), ("observed 30%", y[0])] + [(f"{n}: {e:.2f}", r.x[0]) for n, (r, e) in results.items()]
for ax, (title, im) in zip(axes, panels, strict=True):
    ax.imshow(to_uint8(im), interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.axis("off")
plt.tight_layout()

# %%
# The objective, round by round
# -----------------------------
# Each ILO round starts where the previous one stopped (the state is pushed forward, not re-fitted) and drives the
# measurement loss below what PULSE's latent search reaches.
fig, ax = plt.subplots(figsize=(6, 3))
ax.semilogy(results["CSGM"][0].losses[0], label="CSGM (z; best of 4 restarts)")
ax.semilogy(results["PULSE"][0].losses[0], label="PULSE (w+, noises)")
start = 0
for r, trace in enumerate(results["ILO"][0].losses):
    ax.semilogy(range(start, start + len(trace)), trace, label=f"ILO round {r} (stage {r})")
    start += len(trace)
ax.set_xlabel("Adam step")
ax.set_ylabel("MSE + 0.01 geocross")
ax.legend(fontsize=8)
plt.tight_layout()
