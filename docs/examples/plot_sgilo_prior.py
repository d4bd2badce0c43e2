"""
From an l1 ball to a learned prior (SGILO)
==========================================

ILO constrains the intermediate code to a small :math:`\\ell_1` ball around the range of the first layers -- a
hand-made prior. Score-Guided ILO (Daras et al., ICML 2022) learns the distribution of the intermediate codes with a
score-based model (a VP-SDE, :math:`\\beta` from 0.1 to 20) and samples the posterior with Langevin dynamics:

.. math::
    h\\leftarrow h-\\eta\\big(\\nabla_h\\|A(G_2(h))-y\\|^2-\\lambda s_\\theta(h,t)\\big)
    +\\sqrt{2\\eta/\\beta}\\,u.

Here everything is linear, so every answer is known in closed form: :math:`G_1(z)=Wz` makes the prior of the
codes :math:`N(0,WW^T)` (rank 4 in 16 dimensions), :math:`G_2(h)=Bh` and a Gaussian A make the posterior Gaussian.
We train a small score model by denoising score matching, compare it with the exact score, and run the calibrated
chain (:func:`ilo_solver.solvers.sgilo.bayes_parameters` makes it target the Bayesian posterior). The official code's
"practical" mode (Adam + a tiny score drift + fixed noise) is a different algorithm; the README's benchmark shows
both ILO and SGILO on real faces.
"""
import math

import matplotlib.pyplot as plt
import torch

from ilo_solver.priors.score import ScoreModel, train_score
from ilo_solver.solvers.sgilo import SGILOConfig, bayes_parameters, langevin_posterior

g = torch.Generator().manual_seed(0)
k, p, n, m, sigma_y, t = 4, 16, 32, 8, 0.1, 0.1
W = torch.randn(p, k, generator=g, dtype=torch.float64) / math.sqrt(k)
B = torch.randn(n, p, generator=g, dtype=torch.float64) / math.sqrt(n)
A = torch.randn(m, n, generator=g, dtype=torch.float64) / math.sqrt(m)

model = ScoreModel((p,), width=128, depth=3).double()
losses = train_score(model, lambda b, gen: torch.randn(b, k, generator=gen, dtype=torch.float64) @ W.T,
                     steps=800, batch=256, lr=2e-3, rng=g)

sde = model.sde
tt = torch.tensor(t, dtype=torch.float64)
S_t = sde.alpha(tt) ** 2 * W @ W.T + sde.sigma(tt) ** 2 * model.std ** 2 * torch.eye(p, dtype=torch.float64)
x = torch.randn(2000, p, generator=g, dtype=torch.float64) @ torch.linalg.cholesky(S_t).T
with torch.no_grad():
    err = float((model(x, t) + x @ torch.linalg.inv(S_t)).norm() / (x @ torch.linalg.inv(S_t)).norm())
print(f"relative error of the learned score at t = {t}: {err:.3f}")

h_star = W @ torch.randn(k, generator=g, dtype=torch.float64)
y = (A @ B @ h_star + sigma_y * torch.randn(m, generator=g, dtype=torch.float64))[None]
AB = A @ B
cov = torch.linalg.inv(AB.T @ AB / sigma_y ** 2 + torch.linalg.inv(S_t))
mean = cov @ AB.T @ y[0] / sigma_y ** 2
beta, lam = bayes_parameters(sigma_y)
cfg = SGILOConfig(mode="calibrated", steps=8000, burn_in=3000, thin=20, eta=3.5e-4 * beta, beta=beta, lam=lam,
                  t_score=t)
s = langevin_posterior(lambda h: h @ B.T, y.expand(32, m), lambda h: h @ A.T, model, mean.expand(32, p).clone(),
                       cfg=cfg, rng=g).reshape(-1, p)
print(f"posterior mean error / sd: {float(((s.mean(0) - mean).abs() / cov.diag().sqrt()).max()):.3f}, "
      f"covariance relative error: {float((torch.cov(s.T) - cov).norm() / cov.norm()):.3f}")

fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
a.semilogy(losses)
a.set_title("denoising score matching loss")
a.set_xlabel("step")
b.scatter(cov.diag().sqrt(), torch.cov(s.T).diag().sqrt(), s=12)
lim = float(cov.diag().sqrt().max()) * 1.1
b.plot([0, lim], [0, lim], "k--", lw=0.8)
b.set_xlabel("exact posterior sd")
b.set_ylabel("Langevin sample sd (learned score)")
plt.tight_layout()
