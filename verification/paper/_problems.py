"""The paper's problems and the jobs that solve them: truths (photos, vendored portraits, generator samples), one
observation per image under an operator shared by a batch of images, and every method run on the whole batch at
once (:func:`ilo_solver.solvers.ilo_many`)."""
from __future__ import annotations

import dataclasses
import functools

import torch

PANELS = ("inpaint", "denoise", "superres", "circulant")
METHODS = ("csgm", "csgm_lpips", "ilo", "unconstrained")


def truth(spec, G) -> torch.Tensor:
    """``sample:i`` = G(z_i) (seeded), ``face:NN`` a vendored portrait (:mod:`verification.faces`), else a built-in
    photo or a file, face-cropped / resized to 64²."""
    from ilo_solver.io.images import fit_to_prior, load_image
    spec = str(spec)
    if spec.startswith("sample:"):
        with torch.no_grad():
            return G(G.sample_latent(1, rng=torch.Generator().manual_seed(10_000 + int(spec[7:]))))[0]
    if spec.startswith("face:"):
        from verification.faces import load_face
        return load_face(int(spec[5:]))
    return fit_to_prior(load_image(spec)[0], 64)[0]


def problems(panel: str, level, imgs: torch.Tensor, seed: int):
    """(task, observations ``[B, *out]``) for a batch of images ``[B, 3, 64, 64]`` under one operator (one mask,
    one matrix) drawn from ``seed``; the noise of denoising (one draw per image) is clipped to the image range."""
    from ilo_solver.physics.tasks import make_task
    gen = torch.Generator().manual_seed(seed)
    shape = tuple(imgs.shape[1:])
    if panel == "inpaint":
        task = make_task("inpaint", shape, rng=gen, observed=float(level))
    elif panel == "denoise":
        sigma = 2.0 * float(level) / 255.0                      # [0, 255] -> [-1, 1] units
        task = make_task("denoise", shape, rng=gen, sigma=sigma)
        noise = torch.randn(imgs.shape, generator=gen, dtype=imgs.dtype)
        return task, (imgs + sigma * noise).clamp(-1, 1)
    elif panel == "superres":
        task = make_task("superres", shape, rng=gen, factor=int(level))
    elif panel == "circulant":
        task = make_task("cs-circulant", shape, rng=gen, ratio=float(level))
    else:
        raise ValueError(f"panel must be one of {', '.join(PANELS)}, got {panel!r}")
    return task, torch.cat([task.observe(im, rng=gen) for im in imgs])


def method_config(method: str, fit, cfg):
    """CSGM (``csgm``: plain MSE, SNA kept for denoising as part of the task's fit; ``csgm_lpips``: the task's fit)
    run to convergence -- ``cfg.csgm_steps`` Adam steps at ``cfg.csgm_lr`` on a cosine schedule with
    ``cfg.csgm_restarts`` restarts (the presets' 400 constant-rate steps leave it short of the generator's own
    samples) -- and ILO / the unconstrained search from :data:`ilo_solver.presets.PRESETS` (``restarts`` aside)."""
    from ilo_solver.fit.losses import DataFit
    from ilo_solver.optim import Round, scale_steps
    from ilo_solver.presets import configure
    from ilo_solver.solvers.ilo import ILOConfig
    if method in ("csgm", "csgm_lpips"):
        f = fit if method == "csgm_lpips" else DataFit(sna_sigma=fit.sna_sigma)
        return ILOConfig(rounds=(Round(0, scale_steps(cfg.csgm_steps, cfg.steps_scale), cfg.csgm_lr),),
                         restarts=cfg.csgm_restarts, fit=f, schedule="cosine")
    return configure("dcgan-faces", method, fit=fit, restarts=cfg.restarts, steps_scale=cfg.steps_scale)


def scores(x: torch.Tensor, img: torch.Tensor) -> dict:
    from ilo_solver.fit.metrics import all_metrics
    return dict(mse=float(((x - img) ** 2).mean()), **all_metrics(x, img))


@functools.lru_cache(maxsize=1)
def mean_face() -> torch.Tensor:
    """The generator's mean image over 1024 samples: the best constant guess of the prior without measurements."""
    from ilo_solver.generators.dcgan import load_dcgan_faces
    G = load_dcgan_faces()
    with torch.no_grad():
        return torch.cat([G(G.sample_latent(256, rng=torch.Generator().manual_seed(77 + i))) for i in range(4)]).mean(0)


def _solve(G, task, ys, config, seed) -> torch.Tensor:
    from ilo_solver.solvers.ilo import ilo_many
    return ilo_many(G, ys, task.op, config=config, rng=torch.Generator().manual_seed(seed + 1))[0]


def _setup(images, panel, level, seed):
    from ilo_solver.generators.dcgan import load_dcgan_faces
    G = load_dcgan_faces()
    imgs = torch.stack([truth(s, G) for s in images])
    return G, imgs, *problems(panel, level, imgs, seed)


def cell_job(cfg, panel: str, level, seed: int, method: str, images: tuple) -> list:
    """One method on every image of ``images`` at one level (one operator): a list of score dicts (None where the
    method does not apply: LPIPS of an observation that is not an image); ``mean_face`` scores the constant guess."""
    G, imgs, task, ys = _setup(images, panel, level, seed)
    if method == "mean_face":
        return [scores(mean_face(), im) for im in imgs]
    if method == "csgm_lpips" and task.fit.lpips_weight == 0:
        return [None] * len(images)
    x = _solve(G, task, ys, method_config(method, task.fit, cfg), seed)
    return [scores(x[i], imgs[i]) for i in range(len(images))]


def table1_job(cfg, images: tuple, seed: int) -> list[dict]:
    """Table 1: denoising at ``cfg.sna_sigma`` with and without SNA, CSGM (MSE + LPIPS) and ILO, per image."""
    G, imgs, task, ys = _setup(images, "denoise", cfg.sna_sigma, seed)
    rows = [dict(image=str(s), seed=seed) for s in images]
    for m in ("csgm_lpips", "ilo"):
        for sna in (True, False):
            fit = task.fit if sna else dataclasses.replace(task.fit, sna_sigma=0.0)
            x = _solve(G, task, ys, method_config(m, fit, cfg), seed)
            for i, row in enumerate(rows):
                row[f"{m}_{'sna' if sna else 'plain'}"] = scores(x[i], imgs[i])
    return rows


def runtime_job(cfg, images: tuple, seed: int) -> list[dict]:
    """Figures 6-7: ILO over L layers (rounds at splits 0 .. L-1) with T/L steps each, for every budget T, on
    inpainting at 20 %; L = 1 is CSGM. One entry per image."""
    from ilo_solver.optim import Round, scale_steps
    from ilo_solver.presets import PRESETS
    from ilo_solver.solvers.ilo import ILOConfig
    G, imgs, task, ys = _setup(images, "inpaint", 0.2, seed)
    preset = PRESETS["dcgan-faces"]["ilo"].rounds                 # lrs 0.05 / 0.02 and radius 800
    out = [dict(image=str(s), seed=seed, runs=[]) for s in images]
    for T in cfg.budgets:
        for L in cfg.layers:
            steps = scale_steps(T // L, cfg.steps_scale)
            rounds = tuple(Round(r.split, steps, r.lr, r.radius) for r in preset[:L])
            x = _solve(G, task, ys, ILOConfig(rounds=rounds, restarts=cfg.restarts, fit=task.fit), seed)
            for i, o in enumerate(out):
                o["runs"].append(dict(T=T, L=L, **scores(x[i], imgs[i])))
    return out


JOBS = {"cell": cell_job, "table1": table1_job, "runtime": runtime_job}


def dispatch(cfg, kind: str, args: tuple):
    """``executor.map`` target: one job of any kind, so that independent kinds share one pool."""
    return JOBS[kind](cfg, *args)
