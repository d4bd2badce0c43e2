"""Pinned CPU results of the solvers and of the verification estimators (refactors must not move them).
``python -m tests.unit.pins --write`` records them into ``pinned.json`` beside this file; ``test_pins.py``
recomputes and compares them with a tolerance relative to each summary vector's scale (its docstring says why that
tolerance). ``python -m tests.unit.pins --json FILE`` writes a fresh computation elsewhere (``make
test-portability`` compares those across kernel variants). Each pin is small: a few steps of the real code paths
(masks, LPIPS, SNA, restarts, radii, project-back, the cosine ramp, the ULA and practical chains, best-iterate
tracking).

Every pin runs in **float64, with its random weights drawn in float64**: the last bits of float32 sums differ between
machines (kernel order) and a few hundred optimiser steps amplify them to 1e-4..1e-2 of the result, more than a 5 %
change of a learning rate would move some entries; in float64 the same amplification leaves < 1e-9. The code paths
are the ones float32 runs (the solvers take their dtype from the inputs).
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import sys
from pathlib import Path

import torch

PATH = Path(__file__).with_name("pinned.json")
if os.environ.get("ILO_TEST_MKLDNN") == "0":   # make test-portability's oneDNN-off variant (as tests/conftest.py)
    torch.backends.mkldnn.enabled = False


def _summary(x: torch.Tensor) -> list[float]:
    x = x.detach().double().flatten()
    step = max(1, x.numel() // 40)
    return [float(x.sum()), float((x ** 2).sum())] + [float(v) for v in x[::step][:40]]


def _trace(t) -> list[float]:
    t = torch.as_tensor(t).double().flatten()
    return [float(t.sum()), float(t[-1])] if t.numel() else []


DTYPE = torch.float64   # every pin runs in float64, its random weights drawn in float64: see the module docstring


@contextlib.contextmanager
def _drawn_in_float64():
    """Modules built here draw their random initial weights in float64. float32 ``randn`` is not the same on every
    x86 machine: ATen fills it with a vectorised Box-Muller on AVX2/AVX-512 CPUs and a scalar one elsewhere
    (``ATEN_CPU_CAPABILITY=default``), 1-ulp apart; float64 ``randn`` is one scalar path everywhere."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(DTYPE)
    try:
        yield
    finally:
        torch.set_default_dtype(before)


def _dcgan():
    from ilo_solver.generators.dcgan import load_dcgan_faces
    from ilo_solver.io.images import fit_to_prior, load_image
    return load_dcgan_faces().to(DTYPE), fit_to_prior(load_image("astronaut")[0].to(DTYPE), 64)[0]


def pin_dcgan() -> dict:
    from ilo_solver import presets
    from ilo_solver.physics.tasks import make_task
    G, img = _dcgan()
    out = {}
    for name, task_name, kw, method, extra in (
            ("ilo_inpaint", "inpaint", dict(observed=0.2), "ilo", {}),
            ("csgm_denoise", "denoise", dict(sigma=0.1), "csgm", {}),
            ("unconstrained_circulant", "cs-circulant", dict(ratio=0.1), "unconstrained", {}),
            ("ilo_projectback_gauss", "cs-gaussian", dict(ratio=0.05), "ilo", dict(project_back=True,
                                                                                  project_back_steps=3))):
        gen = torch.Generator().manual_seed(0)
        task = make_task(task_name, rng=gen, **kw)
        y = task.observe(img, rng=gen)
        cfg = presets.configure("dcgan-faces", method, fit=task.fit, restarts=2, steps_scale=0.04, **extra)
        res = presets.solve(G, y, task.op, config=cfg, rng=torch.Generator().manual_seed(1))
        out[name] = dict(x=_summary(res.x), final=_summary(res.final_loss),
                         losses=[_trace(t) for t in res.losses], best=res.best)
    return out


def small_stylegan(dtype=torch.float32):
    """(G, x, rng): a random 32² StyleGAN-2 (weights drawn in float32, then cast to ``dtype``), an image it made
    rescaled to max |x| = 1, the generator after the draws (also the control fixture of test_ilo_stylegan.py)."""
    from ilo_solver.generators.stylegan2 import StyleGAN2Generator
    torch.manual_seed(0)
    with _drawn_in_float64() if dtype == DTYPE else contextlib.nullcontext():
        G = StyleGAN2Generator(32, style_dim=64, n_mlp=2, channels={4: 64, 8: 64, 16: 32, 32: 32})
    G = G.requires_grad_(False).to(dtype)
    g = torch.Generator().manual_seed(0)
    z = torch.randn(1, 64, generator=g, dtype=dtype)
    noises = [torch.randn(n.shape, generator=g, dtype=dtype) for n in G.stored_noises()]
    with torch.no_grad():
        x = G.synthesis(G.mapping(z), noises)
    return G, x / x.abs().max(), g


def pin_stylegan() -> dict:
    from ilo_solver import presets
    from ilo_solver.fit.losses import DataFit
    from ilo_solver.physics import operators as O
    G, x, _ = small_stylegan(DTYPE)
    out = {}
    for task in ("cs", "inpaint", "denoise"):
        gen = torch.Generator().manual_seed(7)
        if task == "cs":
            op, fit = O.GaussianCS((3, 32, 32), 300, rng=gen), DataFit()
        elif task == "inpaint":
            op, fit = O.Inpainting(O.random_mask((3, 32, 32), 0.3, rng=gen)), DataFit(lpips_weight=0.2)
        else:
            op, fit = O.Denoising((3, 32, 32), 0.1), DataFit(lpips_weight=0.2, sna_sigma=0.1)
        y = op(x)
        for method in ("csgm", "pulse", "ilo", "unconstrained"):
            extra = dict(restarts=2) if method == "csgm" else dict(gaussian_fit_samples=2000)
            cfg = presets.configure("stylegan2", method, fit=fit, steps_scale=0.08, num_stages=G.num_stages, **extra)
            res = presets.solve(G, y, op, config=cfg, rng=torch.Generator().manual_seed(1))
            out[f"{method}_{task}"] = dict(x=_summary(res.x), latent=_summary(res.latent),
                                           losses=[_trace(t) for t in res.losses])
    return out


def pin_sgilo() -> dict:
    from ilo_solver.priors.score import ScoreModel
    from ilo_solver.solvers.sgilo import SGILOConfig, bayes_parameters, langevin_posterior
    g = torch.Generator().manual_seed(0)
    K, P, N, M = 4, 16, 32, 8
    W = torch.randn(P, K, generator=g, dtype=torch.float64) / math.sqrt(K)
    Bm = torch.randn(N, P, generator=g, dtype=torch.float64) / math.sqrt(N)
    A = torch.randn(M, N, generator=g, dtype=torch.float64) / math.sqrt(M)
    h_star = W @ torch.randn(K, generator=g, dtype=torch.float64)
    y = (A @ Bm @ h_star + 0.1 * torch.randn(M, generator=g, dtype=torch.float64))[None]
    Sinv = torch.linalg.inv(W @ W.T + 0.01 * torch.eye(P, dtype=torch.float64))
    beta, lam = bayes_parameters(0.1)
    out = {}
    cfg = SGILOConfig(mode="calibrated", steps=400, burn_in=100, thin=20, eta=3.5e-4 * beta, beta=beta, lam=lam,
                      t_score=0.1)
    s = langevin_posterior(lambda h: h @ Bm.T, y.expand(8, M), lambda h: h @ A.T, lambda h, t: -h @ Sinv,
                           torch.zeros(8, P, dtype=torch.float64), cfg=cfg, rng=torch.Generator().manual_seed(4))
    out["calibrated_closed_form"] = _summary(s)
    torch.manual_seed(3)
    with _drawn_in_float64():
        model = ScoreModel((P,), width=32, depth=2).eval()
    cfg = SGILOConfig(mode="practical", steps=60, burn_in=20, thin=10, t_score=0.01)
    s = langevin_posterior(lambda h: h @ Bm.T, y.expand(2, M), lambda h: h @ A.T, model,
                           torch.zeros(2, P, dtype=torch.float64), cfg=cfg, rng=torch.Generator().manual_seed(5))
    out["practical"] = _summary(s)
    return out


def pin_sgilo_dcgan() -> dict:
    from ilo_solver.optim import Round
    from ilo_solver.physics.tasks import make_task
    from ilo_solver.priors.score import ScoreModel
    from ilo_solver.solvers.sgilo import SGILOConfig, sgilo
    G, img = _dcgan()
    gen = torch.Generator().manual_seed(0)
    task = make_task("cs-gaussian", rng=gen, ratio=0.05)
    y = task.observe(img, rng=gen)
    torch.manual_seed(3)
    with _drawn_in_float64():
        score = ScoreModel(G.latent_shape(1), width=32, depth=2).eval()
    cfg = SGILOConfig(split=1, mode="practical", steps=8, burn_in=4, thin=2, csgm=Round(0, 8, 0.05), restarts=2,
                      fit=task.fit)
    res = sgilo(G, y, task.op, score, config=cfg, rng=torch.Generator().manual_seed(1))
    return dict(x_mean=_summary(res.x), x_std=_summary(res.x_std), best=res.best)


def pin_verification() -> dict:
    """The verification estimators as redesigned for the falsifiable checks (issue 12: batched independent
    instances, the library's S-REC estimator); pinned when they were written, so later refactors keep them."""
    from verification import extended_srec, srec, theorem1
    out = {}
    cfg = dataclasses.replace(theorem1.QUICK, p=64, n=128, factors=(0.0, 1.0, math.inf), ms=(16,), batch=2,
                              instances=2, restarts=2, steps=30, srec_pairs=20, srec_hard=5, srec_restarts=2,
                              srec_steps=10, alg1=1)
    out["theorem1_batch"] = theorem1._batch(cfg, 0, 0)
    cfg = dataclasses.replace(extended_srec.QUICK, n=128, ps=(32,), Ks=(0.0, 2.0), ms=(16, 64), draws=2, pairs=30,
                              hard_pairs=5, restarts=2, steps=10)
    out["extended_srec_cell"] = [extended_srec._cell(cfg, 0, 32, "l1", K) for K in (0.0, 2.0)]
    cfg = dataclasses.replace(srec.QUICK, ms=(10, 20), draws=2, random_pairs=50, restarts=2, adv_steps=10)
    out["srec_curves"] = srec._curves(cfg, 0, (3, 20, 60))
    out["langevin_ula"] = langevin_pin()
    return out


def langevin_pin() -> list[float]:
    from ilo_solver.generators import ReLUGenerator
    from verification import langevin
    gen = torch.Generator().manual_seed(12)
    G = ReLUGenerator((2, 10, 20), rng=gen)
    zs = torch.tensor([0.5, -0.3], dtype=torch.float64)
    samples, hit = langevin._ula(G, zs, 4.0, 1e-3, torch.zeros(6, 2, dtype=torch.float64), 60, gen, record_from=10,
                                 ball=0.3)
    return [float(samples.sum()), float((samples ** 2).sum())] + [float(v) for v in hit]


PINS = dict(dcgan=pin_dcgan, stylegan=pin_stylegan, sgilo=pin_sgilo, sgilo_dcgan=pin_sgilo_dcgan,
            verification=pin_verification)


#: torch threads the pins run with (recorded with 2; ``ILO_PIN_THREADS`` overrides, as ``make test-portability``'s
#: one-thread variant does: in float64 the count moves the pins by < 1e-9 of their scale)
THREADS = int(os.environ.get("ILO_PIN_THREADS", "2"))


def run(name: str):
    """One pin's numbers, computed with the recording's thread count (and the caller's restored after)."""
    before = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    try:
        return PINS[name]()
    finally:
        torch.set_num_threads(before)


def compute() -> dict:
    return {k: run(k) for k in PINS}


if __name__ == "__main__":
    if "--write" in sys.argv:   # --write [NAME ...]: all pins, or only those named (the others and _meta kept)
        names = [a for a in sys.argv[sys.argv.index("--write") + 1:] if a in PINS] or list(PINS)
        saved = json.loads(PATH.read_text()) if PATH.exists() else {}
        saved.update({k: run(k) for k in names})
        PATH.write_text(json.dumps(saved, indent=0))
        print(f"wrote {', '.join(names)} into {PATH}")
    elif "--json" in sys.argv:  # --json FILE: every pin, computed now, written to FILE (pinned.json untouched)
        Path(sys.argv[sys.argv.index("--json") + 1]).write_text(json.dumps(compute(), indent=0))
    else:
        sys.exit("usage: python -m tests.unit.pins --write [NAME ...] | --json FILE")
