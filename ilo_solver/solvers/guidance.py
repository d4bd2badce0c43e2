r"""Classifier-guided generation with ILO (Daras et al., ICML 2021, §4 and Figures 4-5), and its two measurements.

The forward operator is a classifier and the "observation" is a class: ILO minimises the cross-entropy
:math:`-\log p_c(G(z))` (Fig. 4), optionally plus ``anchor_weight`` :math:`\cdot\,\mathrm{MSE}(x, x_\mathrm{ref})`
to a reference face (Fig. 5's morphing), over the extended range. The l1 radius of the intermediate rounds is the
trade-off knob: radius 0 is CSGM (the range itself: faces only), larger radii let the image leave the range towards
what the classifier calls class c. Whether that movement is meaningful depends on the classifier: a robust one
(:func:`~ilo_solver.priors.classifiers.shipped_classifier` ``("robust")``) needs the image to change visibly, a standard
one is satisfied by an imperceptible adversarial perturbation.

- :func:`classify_task` -- the :class:`~ilo_solver.physics.tasks.Task` of ``ilo solve --task classify``.
- :func:`range_distance` -- the distance from images to the generator's range, :math:`\min_z\|G(z)-x\|` (RMS per
  pixel), estimated by CSGM: an upper bound (the best of the starts found).
- :func:`guidance_sweep` -- one batch of problems (start faces x classes) solved at every radius of a grid from a
  shared CSGM round, with the class probabilities, range distances and pixel changes of every answer.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import torch

from ..fit.losses import DataFit
from ..optim.loop import minimize
from ..physics.operators import Classifier
from ..physics.tasks import Task
from ..priors.classifiers import CLASSES
from .ilo import ILOConfig, ilo, with_radius

__all__ = ["classify_task", "classify_fit", "class_probability", "range_distance", "guidance_sweep", "GUIDANCE_R1"]

#: The radius of the CSGM round's latent ball, ||z|| <= sqrt(dim z) (the typical norm of z ~ N(0, I)). Without
#: it the cross-entropy alone drives z to norms the generator never saw.
GUIDANCE_R1 = math.sqrt(100)


def classify_fit(anchor_weight: float = 0.0) -> DataFit:
    """Cross-entropy only (Fig. 4), plus ``anchor_weight`` * MSE to the operator's reference (Fig. 5)."""
    return DataFit(mse_weight=0.0, ce_weight=1.0, anchor_weight=anchor_weight)


def classify_task(classifier: torch.nn.Module, label: int, shape=(3, 64, 64), *, num_classes: int = len(CLASSES),
                  reference: torch.Tensor | None = None, anchor_weight: float = 0.0) -> Task:
    """The task "make ``classifier`` say class ``label``": a :class:`~ilo_solver.physics.operators.Classifier` operator,
    the one-hot target as its observation (:meth:`~ilo_solver.physics.tasks.Task.observe` ignores the image) and
    :func:`classify_fit`.
    ``anchor_weight`` > 0 needs a ``reference`` image (``shape``, in [-1, 1])."""
    if anchor_weight > 0 and reference is None:
        raise ValueError("anchor_weight > 0 needs a reference image (the face a morph stays close to)")
    op = Classifier(classifier, shape, num_classes, reference=reference)
    target = op.target(label)
    return Task("classify", op, 0.0, classify_fit(anchor_weight), dict(label=int(label), anchor_weight=anchor_weight),
                target=target)


def range_distance(G, x: torch.Tensor, *, starts: torch.Tensor | None = None, restarts: int = 1, steps: int = 200,
                   lr: float = 0.05, rng: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    r"""CSGM projection of each image onto the range: :math:`\min_z\|G(z)-x_b\|_2/\sqrt n` by Adam from
    ``restarts`` random latents (plus ``starts[b]``, a known latent near the answer, when given), all images and
    starts in one batch. Returns ``(distance [B], z_hat [B, *latent])``; the distance is an upper bound on the true
    one (a non-convex search finds a point of the range, not necessarily the nearest)."""
    B = x.shape[0]
    if restarts < 0 or (restarts == 0 and starts is None) or steps < 0:
        raise ValueError(f"range_distance needs restarts >= 1 (or starts) and steps >= 0, got {restarts}, {steps}")
    z0 = [G.sample_latent(B * restarts, rng=rng).to(x.dtype)] if restarts > 0 else []
    if starts is not None:
        if starts.shape[0] != B:
            raise ValueError(f"starts must have one latent per image ({B}), got {list(starts.shape)}")
        z0.append(starts.detach().to(x.dtype))
    z0 = torch.cat(z0)                                   # [(restarts [+1]) * B, *latent], image index fastest
    k = z0.shape[0] // B
    target = x.detach().repeat(k, *([1] * (x.dim() - 1)))
    res = minimize([z0], lambda vs: ((G(vs[0]) - target) ** 2).flatten(1).mean(1), steps=steps, lr=lr, record=None)
    z = res.params[0]
    with torch.no_grad():
        d = ((G(z) - target) ** 2).flatten(1).mean(1).view(k, B)
    best = d.argmin(0)
    return d.min(0).values.sqrt(), z.view(k, B, *z.shape[1:])[best, torch.arange(B)]


@torch.no_grad()
def class_probability(classifier: torch.nn.Module, x: torch.Tensor, labels, batch: int = 256) -> torch.Tensor:
    """``softmax(classifier(x[b]))[labels[b]]`` for every image (``labels``: one int for all, or one per image),
    in batches of ``batch``."""
    p = torch.cat([torch.softmax(classifier(x[i:i + batch]), 1) for i in range(0, len(x), batch)])
    labels = torch.as_tensor(labels, dtype=torch.long, device=p.device).expand(len(x))
    return p[torch.arange(len(x), device=p.device), labels]


def guidance_sweep(G, classifier: torch.nn.Module, labels: Sequence[int], references: torch.Tensor | None,
                   radii: Sequence[float], *, config: ILOConfig, anchor_weight: float = 0.0,
                   init: torch.Tensor | None = None, evaluators: dict[str, torch.nn.Module] | None = None,
                   distance_steps: int = 200,
                   distance_restarts: int = 1, rng: torch.Generator) -> dict:
    """Solve problem b = "class ``labels[b]`` (near ``references[b]``)" for every b at once, at every radius.

    ``config`` (e.g. the ``dcgan-faces`` ``ilo`` preset, its steps scaled) with :func:`classify_fit`, one restart per
    problem and the latent ball :data:`GUIDANCE_R1`: one CSGM round shared by all radii (each radius resumes it, so
    the radius-0 answer is every radius's start), then the config's rounds with their radius replaced
    (:func:`~ilo_solver.solvers.ilo.with_radius`); ``init`` (one latent
    per problem, e.g. the references' own) starts the CSGM round instead of random draws. Returns tensors
    indexed ``[radius, b]``: ``x`` the images, ``p`` the guiding classifier's probability of the class,
    ``p_<name>`` each evaluator's, ``distance`` the :func:`range_distance` (started from the problem's CSGM latent
    and ``distance_restarts`` random latents), ``change`` the RMS pixel change from the radius-0 answer and, with
    references, ``to_reference`` the RMS distance to the reference."""
    labels = torch.as_tensor(list(labels), dtype=torch.long)
    B = len(labels)
    if list(radii) != sorted(radii) or not radii or radii[0] != 0:
        raise ValueError(f"radii must be increasing and start at 0 (CSGM), got {list(radii)}")
    shape = tuple(G.latent_shape(G.num_blocks))
    op = Classifier(classifier, shape, len(CLASSES), reference=references)
    y = op.target(labels)
    cfg = dataclasses.replace(config, fit=classify_fit(anchor_weight), restarts=B, r1=GUIDANCE_R1)
    base = ilo(G, y, op, config=with_radius(cfg, 0), rng=rng, init=init)
    xs = [base.x_all]
    for r in radii[1:]:
        res = ilo(G, y, op, config=with_radius(cfg, r), rng=torch.Generator().manual_seed(0), resume=base)
        xs.append(res.x_all)
    x = torch.stack(xs)                                    # [R, B, 3, H, W]
    flat = x.flatten(0, 1)
    lab = labels.repeat(len(radii))
    out = dict(radii=list(map(float, radii)), labels=labels, x=x, z_csgm=base.z,
               p=class_probability(classifier, flat, lab).view(len(radii), B))
    for name, ev in (evaluators or {}).items():
        out[f"p_{name}"] = class_probability(ev, flat, lab).view(len(radii), B)
    d, _ = range_distance(G, flat, starts=base.z.repeat(len(radii), *([1] * (base.z.dim() - 1))),
                          restarts=distance_restarts, steps=distance_steps, rng=rng)
    out["distance"] = d.view(len(radii), B)
    out["change"] = ((x - x[:1]) ** 2).flatten(2).mean(2).sqrt()
    if references is not None:
        out["to_reference"] = ((x - references.reshape(1, B, *shape)) ** 2).flatten(2).mean(2).sqrt()
    return out

