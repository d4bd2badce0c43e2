"""The library's runs, one per command of the CLI, usable from a script as they are: a reconstruction (``ilo
solve``: a :class:`Problem` from :func:`make_problem`, a config from :func:`plan`, :func:`reconstruct` on a loaded
:class:`~ilo_solver.presets.Prior`), classifier guidance (``ilo classify``: :func:`classify`) and an S-REC estimate
(``ilo srec``: :func:`srec_study`). Every option is validated here, once, by the library objects these build
(tasks, presets, rounds, estimators); the CLI only translates flags and writes the files.
"""
from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path

import torch

from . import presets
from .figures import measurement_image, result_grid
from .fit.metrics import all_metrics
from .io.faces import crop_to_face
from .io.images import BUILTIN, fit_to_prior, load_image
from .physics.observations import real_observation
from .physics.tasks import Task, make_task

__all__ = ["Problem", "make_problem", "simulated_problem", "photo_problem", "plan", "Reconstruction", "reconstruct",
           "load_score_for", "classify", "srec_study"]


@dataclasses.dataclass(frozen=True)
class Problem:
    """An inverse problem: the ``task`` (operator, noise, data fit), the observation ``y`` ``[1, *out_shape]``, the
    ``truth`` ``[3, H, W]`` when known (None for a real photo without ``--reference``) and what was done to get
    there (``note``)."""
    task: Task
    y: torch.Tensor
    truth: torch.Tensor | None
    note: str


def make_problem(task: str, size: int, *, rng: torch.Generator, image: str | None = None,
                 observation: str | Path | None = None, mask: str | Path | None = None, reference: str | None = None,
                 **params) -> Problem:
    """Either a simulated measurement of ``image`` (:func:`simulated_problem`, ``params``: observed, box, sigma,
    factor, ratio) or a real degraded photo ``observation`` (:func:`photo_problem`, with its optional ``mask`` and
    clean ``reference``); exactly one of the two."""
    if (image is None) == (observation is None):
        raise ValueError("give either --image (a truth, measured by simulation) or --observation (a real degraded "
                         "photo)")
    if observation is None:
        if mask is not None or reference is not None or params.pop("black_threshold", None) is not None:
            raise ValueError("--mask, --reference and --black-threshold go with --observation")
        return simulated_problem(image, task, size, rng=rng, **params)
    return photo_problem(task, observation, size, factor=params.get("factor", 4), mask=mask,
                         sigma=params.get("sigma"), reference=reference, black_threshold=params.get("black_threshold"),
                         face_crop=params.get("face_crop", True))


def simulated_problem(image: str, task: str, size: int, *, rng: torch.Generator, observed: float = 0.2,
                      box=None, sigma: float | None = None, factor: int = 4, ratio: float = 0.1,
                      face_crop: bool = True) -> Problem:
    """Measure the image ``image`` (a built-in name or a file), fitted to ``size``², with task ``task`` (noise and
    random masks drawn from ``rng``). ``sigma`` None: 0.1. A file is cut to its face first (``face_crop``:
    :func:`ilo_solver.io.faces.crop_to_face`; no face found is an error), else centre-cropped; a built-in keeps its
    written-down face crop."""
    img, source = load_image(image)
    if face_crop and image not in BUILTIN:
        img, _, crop = crop_to_face(img)
        source += f"; {crop.describe()}"
    img, prep = fit_to_prior(img, size)
    t = make_task(task, img.shape, rng=rng, observed=observed, box=box, sigma=0.1 if sigma is None else sigma,
                  factor=factor, ratio=ratio)
    return Problem(t, t.observe(img, rng=rng), img, f"image: {source}; {prep}")


def photo_problem(task: str, path: str | Path, size: int, *, factor: int = 4, mask: str | Path | None = None,
                  sigma: float | None = None, reference: str | None = None,
                  black_threshold: int | None = None, face_crop: bool = True) -> Problem:
    """A real degraded photo (:func:`~ilo_solver.physics.observations.real_observation`); ``reference``: the clean
    image, for metrics only."""
    t, y, note = real_observation(task, path, size, factor=factor, mask_path=mask, sigma=sigma,
                                  black_threshold=black_threshold, face_crop=face_crop)
    ref = None
    if reference is not None:
        ref, rsrc = load_image(reference)
        ref, rprep = fit_to_prior(ref, size)
        note += f"; reference {rsrc}; {rprep}"
    return Problem(t, y, ref, note)


def plan(prior: str, method: str, fit, *, steps_scale: float = 1.0, restarts: int | None = None,
         radius: float | None = None, dead_zone: float = 0.0, dead_zone_tau: float = 0.1,
         num_stages: int | None = None, samples: int | None = None, **overrides):
    """The run's config: ``PRESETS[prior][method]`` configured (:func:`~ilo_solver.presets.configure`) with ``fit``
    plus the dead-zone term (weight ``dead_zone``, tolerance ``dead_zone_tau``), and every intermediate radius set to
    ``radius`` where given (:func:`~ilo_solver.solvers.ilo.with_radius`); ``samples`` N (SGILO only): the chain's
    thinning set so that it keeps at least N samples after burn-in (``posterior_samples`` takes the last N)."""
    if dead_zone != 0:
        fit = dataclasses.replace(fit, dead_zone_weight=dead_zone, dead_zone_tau=dead_zone_tau)
    cfg = presets.configure(prior, method, fit=fit, steps_scale=steps_scale, restarts=restarts,
                            num_stages=num_stages, **overrides)
    if samples is not None:
        from .solvers.sgilo import SGILOConfig
        if not isinstance(cfg, SGILOConfig):
            raise ValueError(f"--samples applies to --method sgilo (a posterior sampler), not {method!r}")
        after = cfg.steps - cfg.burn_in
        if isinstance(samples, bool) or not isinstance(samples, int) or not 1 <= samples <= after:
            raise ValueError(f"--samples must be an integer in [1, {after}] (the chain's steps after burn-in at this "
                             f"--steps-scale), got {samples!r}")
        cfg = dataclasses.replace(cfg, thin=max(1, after // samples))
    return cfg if radius is None else presets.with_radius(cfg, radius)


def posterior_samples(rec: Reconstruction, n: int, truth: torch.Tensor | None) -> tuple[dict, dict]:
    """The last ``n`` image samples of an SGILO reconstruction as files -- ``sample_01.png`` ..., ``mean.png`` (their
    pixelwise mean), ``std.png`` (the pixelwise standard deviation over the samples, channel mean, scaled so that
    white = its maximum, which the metrics give) and ``samples.png`` (a grid) -- and metrics: each sample's and their
    mean's against the truth, and whether the spread predicts the error
    (:func:`~ilo_solver.fit.metrics.std_predicts_error`)."""
    from .fit.metrics import posterior_maps, std_predicts_error
    from .storage import save_figure, save_png
    s = rec.result.samples[-n:].cpu()
    mean, std = s.mean(0), s.std(0, unbiased=False).mean(0, keepdim=True) if n > 1 else torch.zeros(1, *s.shape[2:])
    top = float(std.max())
    files = {f"sample_{i + 1:02d}.png": (lambda p, x=x: save_png(x, p)) for i, x in enumerate(s)}
    files["std.png"] = lambda p: save_png((std / max(top, 1e-12) * 2 - 1).expand(3, -1, -1), p)
    files["mean.png"] = lambda p: save_png(mean, p)
    labels = [f"sample {i + 1}" for i in range(min(n, 7))] + ["mean of the samples"]
    files["samples.png"] = lambda p: save_figure(result_grid([*s[:7], mean], labels), p, dpi=100)
    metrics = dict(samples_written=n, std_max=top, std_mean=float(std.mean()))
    if truth is not None:
        metrics["sample_metrics"] = [all_metrics(x, truth) for x in s]
        metrics["samples_mean_metrics"] = all_metrics(mean, truth)
        if n > 1:   # does the spread predict the error (verification.uncertainty judges it on generator samples)
            metrics["std_predicts_error"] = std_predicts_error(*posterior_maps(s, truth))
    return files, metrics


def load_score_for(G, path: str | Path | None, device):
    """SGILO's score model (``path``, or the shipped dcgan-faces split-1 model) and the split of ``G`` whose code
    shape it models."""
    from .io.assets import AssetError, shipped_score_path
    from .solvers.sgilo import split_for
    from .storage import load_score
    try:
        score = load_score(path if path is not None else shipped_score_path()).to(device)
    except AssetError as e:
        raise ValueError(str(e)) from None
    return score, split_for(G, score)


@dataclasses.dataclass(frozen=True)
class Reconstruction:
    """``x`` ``[3, H, W]`` (CPU), the solver's ``result``, the wall time ``seconds`` and the ``metrics`` row."""
    x: torch.Tensor
    result: object
    seconds: float
    metrics: dict

    def grid(self, problem: Problem, label: str):
        """The result figure: truth (when known), the observation, the reconstruction."""
        shown = measurement_image(problem.task.name, problem.task.op, problem.y.cpu(), self.x.shape)
        if problem.truth is not None:
            return result_grid([problem.truth, shown, self.x],
                               ["truth", f"measurement ({problem.task.name})",
                                f"{label}: {self.metrics['psnr']:.2f} dB"])
        return result_grid([shown, self.x], [f"observation ({problem.task.name})", label])


def reconstruct(prior: presets.Prior, problem: Problem, config, *, rng: torch.Generator, score=None,
                device: str | torch.device = "cpu", progress: bool = True) -> Reconstruction:
    """Solve ``problem`` with ``config`` on ``prior`` (:func:`~ilo_solver.presets.solve`) and measure the answer:
    the measurement MSE of A(x) against y, PSNR / SSIM / LPIPS against the truth when known, and for SGILO the
    posterior spread and sample count."""
    op, y = problem.task.op.to(device), problem.y.to(device)
    t0 = time.perf_counter()
    res = presets.solve(prior.G, y, op, config=config, rng=rng, score=score, progress=progress)
    seconds, x = time.perf_counter() - t0, res.x[0].cpu()
    with torch.no_grad():
        fit_mse = float(((op(res.x) - y) ** 2).mean())
    extra = (dict(posterior_spread=float(res.x_std.mean()), samples=int(res.samples.shape[0]))
             if score is not None else {})
    metrics = dict(seconds=seconds, seconds_per_round=res.seconds, measurement_mse=fit_mse, **extra,
                   **(all_metrics(x, problem.truth) if problem.truth is not None else {}), preprocessing=problem.note)
    return Reconstruction(x, res, seconds, metrics)


def classify(G, classifier, label: int, *, method: str = "ilo", judges: dict | None = None, reference=None,
             anchor: float = 0.0, steps_scale: float = 1.0, restarts: int | None = None, radius: float | None = None,
             rng: torch.Generator, device="cpu", progress: bool = True) -> tuple[Reconstruction, object, Task]:
    """Classifier guidance (ILO §4, Figs. 4-5) on the ``dcgan-faces`` prior: make ``classifier`` see class ``label``
    (near ``reference`` ``[3, 64, 64]`` with weight ``anchor``). Returns the reconstruction -- metrics: the class
    probability under the guiding classifier and each of ``judges``, their predicted classes, the distance to the
    range (:func:`~ilo_solver.solvers.guidance.range_distance`) and to the reference --, the config run and the
    task."""
    from .priors.classifiers import CLASSES
    from .solvers.guidance import GUIDANCE_R1, class_probability, classify_task, range_distance
    if method not in ("ilo", "csgm", "unconstrained"):
        raise ValueError(f"classifier guidance runs with the ilo, csgm or unconstrained method, not {method!r}")
    if anchor > 0 and reference is None:
        raise ValueError("--anchor needs --image (the reference face the morph stays close to)")
    task = classify_task(classifier, label, reference=reference, anchor_weight=anchor)
    cfg = plan("dcgan-faces", method, task.fit, steps_scale=steps_scale, restarts=restarts, radius=radius,
               r1=GUIDANCE_R1)
    op, y = task.op.to(device), task.observe(None, rng=rng).to(device)
    t0 = time.perf_counter()
    res = presets.solve(G, y, op, config=cfg, rng=rng, progress=progress)
    seconds, x = time.perf_counter() - t0, res.x.cpu()
    dist, _ = range_distance(G, res.x, starts=res.z[res.best:res.best + 1], steps=200, rng=rng)
    judges = judges or {}
    prob = {k: float(class_probability(j, res.x, label)[0]) for k, j in (("guide", classifier), *judges.items())}
    with torch.no_grad():
        predicted = {k: CLASSES[int(j(res.x).argmax())] for k, j in judges.items()}
    metrics = dict(target=CLASSES[label], seconds=seconds, seconds_per_round=res.seconds, probability=prob["guide"],
                   **{f"probability_{k}": prob[k] for k in judges}, predicted=predicted,
                   range_distance=float(dist[0]),
                   **(dict(to_reference=float(((x - reference[None]) ** 2).mean().sqrt()))
                      if reference is not None else {}))
    return Reconstruction(x[0], res, seconds, metrics), cfg, task


def classify_grid(rec: Reconstruction, classifier, reference, label: str):
    """The classify figure: the reference (when given), the answer, and what the classifier sees."""
    seen = torch.nn.functional.interpolate(classifier.to_fashion(rec.x[None]), size=tuple(rec.x.shape[1:]),
                                           mode="nearest")[0].expand(3, -1, -1)
    title = f"{label}: p({rec.metrics['target']}) = {rec.metrics['probability']:.2f}"
    if reference is not None:
        return result_grid([reference, rec.x, seen * 2 - 1], ["reference", title, "what the classifier sees"])
    return result_grid([rec.x, seen * 2 - 1], [title, "what the classifier sees"])


def srec_study(prior: presets.Prior, operator: str, ratios, splits, *, radius: float | None = None,
               delta: float | None = None, draws: int = 5, pairs: int = 200, restarts: int = 4, steps: int = 100,
               rng: torch.Generator, progress: bool = True) -> dict:
    """γ̂(m) of ``prior``'s range (split 0) or extended range (split s > 0, ℓ1 radius ``radius``, default the ``ilo``
    preset's) for m = ratio · n, with CIs over ``draws`` matrices (:func:`~ilo_solver.solvers.srec.srec_curve`);
    ``delta`` None: 5 % of the mean image norm."""
    from .solvers.srec import MEASUREMENTS, srec_curve, typical_delta
    if operator not in MEASUREMENTS:
        raise ValueError(f"--operator must be one of {', '.join(MEASUREMENTS)}, got {operator!r}")
    if not ratios or not all(0 < r <= 1 for r in ratios):
        raise ValueError(f"--ratios must lie in (0, 1], got {ratios}")
    if len(set(splits)) != len(splits):
        raise ValueError(f"--splits must be distinct, got {splits}")
    for name, v in (("radius", radius), ("delta", delta)):
        if v is not None and not (math.isfinite(v) and 0 <= v <= 1e9):
            raise ValueError(f"--{name} must be finite and in [0, 1e9], got {v}")
    if not (1 <= pairs <= 100_000 and 2 <= draws <= 1000 and steps <= 1_000_000):
        raise ValueError(f"--pairs must lie in [1, 1e5] (each screened pair is held in memory), --draws in [2, 1000] "
                         f"and --steps at most 1e6; got {pairs}, {draws}, {steps}")
    if not (1 <= restarts <= pairs) or steps < 0:
        raise ValueError("--pairs >= --restarts >= 1 and --steps >= 0 are needed")
    if prior.key == "stylegan2" and radius is None and any(s > 0 for s in splits):
        raise ValueError("a StyleGAN-2 split > 0 needs --radius (the l1 ball over the stage's state has no preset)")
    G = prior.layered()
    if not all(0 <= s < G.num_blocks for s in splits):
        raise ValueError(f"--splits must lie in [0, {G.num_blocks - 1}], got {splits}")
    n = math.prod(G.latent_shape(G.num_blocks))
    ms = sorted({max(1, round(r * n)) for r in ratios})
    delta = typical_delta(G, rng=rng) if delta is None else delta
    r2 = {s: 0.0 if s == 0 else presets.ilo_radius(prior.key, s) if radius is None else radius for s in splits}
    curves = []
    for s in splits:
        curves.append(srec_curve(G, operator, ms, split=s, r2=r2[s], delta=delta, draws=draws, pairs=pairs,
                                 restarts=restarts, steps=steps, rng=rng, progress=progress).as_dict())
    return dict(prior=prior.spec, operator=operator, n=n, ms=ms, delta=delta, curves=curves)


#: the most memory ``train_prior`` may plan for (estimated by :func:`score_training_bytes` before anything is built)
MAX_TRAINING_BYTES = 8 * 2 ** 30


def score_training_bytes(shape, width: int, depth: int, batch: int) -> int:
    """An estimate of the memory training a :class:`~ilo_solver.priors.score.ScoreModel` takes: its parameters
    counted on the ``meta`` device (no memory) times 4 float32 copies (weights, gradients, Adam's two moments), plus
    activations of ``batch`` codes through ``depth`` blocks of ``width`` channels (a generous 16 tensors a block)."""
    from .priors.score import ScoreModel
    with torch.device("meta"):
        params = sum(p.numel() for p in ScoreModel(tuple(shape), width=width, depth=depth).parameters())
    spatial = math.prod(shape[1:]) if len(shape) > 1 else 1
    return 16 * params + 4 * 16 * batch * width * spatial * depth


def checkpoint_path(out: str | Path) -> Path:
    """Where ``train-prior`` keeps its resumable checkpoint for the model ``out``: ``out`` + ``.ckpt`` (never the
    output itself, nor its ``.json`` sidecar)."""
    out = Path(out)
    return out.with_name(out.name + ".ckpt")


def train_prior(spec: str, split: int, out: str | Path, *, steps: int = 2000, batch: int = 64, width: int = 128,
                depth: int = 4, lr: float = 1e-3, seed: int = 0, command: str = "", restart: bool = False,
                progress: bool = True) -> dict:
    """``ilo train-prior``: a score model on the codes at ``split`` of the ``spec`` prior
    (:func:`~ilo_solver.priors.score.train_code_prior`), saved to ``out`` (``.pt``) with a ``.json`` sidecar; an
    interrupted run resumes from :func:`checkpoint_path` when the same options are given again (other options are
    refused, naming them; ``restart`` trains afresh). The sidecar records how the saved model was trained."""
    import numpy as np

    from .priors.score import train_code_prior
    from .storage import save_score
    out = Path(out)
    if out.suffix != ".pt":
        raise ValueError(f"--out must end in .pt (its .json sidecar and .pt.ckpt checkpoint are written beside), "
                         f"got {out}")
    if out.exists() or out.with_suffix(".json").exists():
        raise ValueError(f"{out} (or its .json) exists; not overwriting it")
    if out.parent.exists() and not out.parent.is_dir():
        raise ValueError(f"cannot write {out}: {out.parent} is not a directory")
    if not (1 <= steps <= 10_000_000 and 2 <= batch <= 65536 and 1 <= width <= 4096 and 1 <= depth <= 64
            and math.isfinite(lr) and lr > 0):
        raise ValueError("--steps must lie in [1, 1e7], --batch in [2, 65536], --width in [1, 4096], --depth in "
                         f"[1, 64] and --lr be finite and > 0; got steps {steps}, batch {batch}, width {width}, "
                         f"depth {depth}, lr {lr}")
    prior = presets.load_prior(spec, "cpu")
    if prior.key != "dcgan-faces":
        raise ValueError(f"score priors are trained for dcgan-faces, not {spec!r}")
    if not 1 <= split < prior.G.num_blocks:
        raise ValueError(f"--split must lie in [1, {prior.G.num_blocks - 1}], got {split}")
    need = score_training_bytes(prior.G.latent_shape(split), width, depth, batch)
    if need > MAX_TRAINING_BYTES:
        raise ValueError(f"a score network of width {width} and depth {depth} at batch {batch} would need about "
                         f"{need / 2 ** 30:.1f} GiB (weights, gradients, Adam's moments, activations), over "
                         f"{MAX_TRAINING_BYTES / 2 ** 30:.0f} GiB")
    out.parent.mkdir(parents=True, exist_ok=True)
    ck = checkpoint_path(out)
    t0 = time.perf_counter()
    model, losses = train_code_prior(prior.G, split, steps=steps, batch=batch, width=width, depth=depth, lr=lr,
                                     rng=torch.Generator().manual_seed(seed), checkpoint=ck,
                                     settings=dict(prior=spec, seed=seed), restart=restart, progress=progress)
    meta = dict(prior=spec, split=split, seed=seed, steps=steps, batch=batch, lr=lr,
                final_loss=float(np.mean(losses[-50:])), seconds=time.perf_counter() - t0, command=command)
    save_score(model, out, **meta)
    ck.unlink(missing_ok=True)
    return meta
