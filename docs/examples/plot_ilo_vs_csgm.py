"""
ILO vs CSGM on a real face
==========================

A pretrained DCGAN (``gan-face-generate``, trained on synthetic faces) cannot represent a real photograph exactly:
CSGM, which searches only the 100-dimensional latent, is stuck with that *representation error*. ILO first runs
CSGM, then moves into the generator and optimises the intermediate feature maps (splits 1, 2, 3), each inside a
small :math:`\\ell_1` ball around the previous solution, which enlarges the range just enough. Here: the
astronaut's face, 20% of the pixels observed. Reduced step counts so that the page builds in about a minute on a
CPU; ``ilo solve`` and ``benchmarks/real_faces.py`` use the full schedule.
"""
import matplotlib.pyplot as plt
import torch

from ilo_solver.fit.metrics import all_metrics
from ilo_solver.generators.dcgan import load_dcgan_faces
from ilo_solver.io.images import fit_to_prior, load_image, to_uint8
from ilo_solver.physics.tasks import make_task
from ilo_solver.presets import configure
from ilo_solver.solvers.ilo import ilo

G = load_dcgan_faces()
img, _ = fit_to_prior(load_image("astronaut")[0], 64)
gen = torch.Generator().manual_seed(0)
task = make_task("inpaint", rng=gen, observed=0.2)
y = task.observe(img, rng=gen)

panels = [("truth", img), ("observed 20%", y[0])]
for method in ("csgm", "ilo", "unconstrained"):
    cfg = configure("dcgan-faces", method, fit=task.fit, restarts=2, steps_scale=0.5)   # `ilo solve`'s preset
    res = ilo(G, y, task.op, config=cfg, rng=torch.Generator().manual_seed(1))
    m = all_metrics(res.x[0], img)
    print(f"{method:>13}: PSNR {m['psnr']:.2f} dB, SSIM {m['ssim']:.3f}, LPIPS {m['lpips']:.3f}")
    panels.append((f"{method}\n{m['psnr']:.1f} dB", res.x[0]))

fig, axes = plt.subplots(1, len(panels), figsize=(2.4 * len(panels), 2.8))
for ax, (title, im) in zip(axes, panels, strict=True):
    ax.imshow(to_uint8(im))
    ax.set_title(title, fontsize=9)
    ax.axis("off")
plt.tight_layout()
