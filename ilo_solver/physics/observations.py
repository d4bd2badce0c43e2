"""Real degraded photos as observations (no ground truth needed): a low-resolution photo for super-resolution, a
photo with missing pixels for inpainting, a noisy photo for denoising -- turned into the same
:class:`~ilo_solver.physics.tasks.Task` and
observation ``y`` that a simulated measurement gives, at the prior's resolution.

- super-resolution: the low-resolution photo is centre-cropped to a square and resized to ``size / factor`` (the
  operator is :class:`~ilo_solver.physics.operators.SuperResolution`: bicubic, antialiased, as PULSE takes its input);
- inpainting: the photo is fitted to ``size``; the mask comes from ``mask_path`` (white = observed, black =
  missing; grey levels thresholded at one half) or, without one, from the official ILO convention: **pure-black
  pixels (0, 0, 0) are the missing ones** -- the photo's own pure-black pixels too, so give a mask file for photos
  with true blacks --, found at the file's own resolution; the mask is resized with nearest
  neighbours (so a hole stays a hole), the photo with antialiased bicubic;
- denoising: the photo is fitted to ``size``; the noise level is ``sigma`` (on [-1, 1] images) when stated, else
  estimated after the resize by the wavelet median-absolute-deviation estimator of Donoho & Johnstone (1994)
  (:func:`estimate_noise_sigma`), and said.
"""
from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F

from ..io.faces import crop_to_face
from ..io.images import fit_to_prior, image_size, is_lossy, load_image
from .tasks import Task, make_task

__all__ = ["OBSERVABLE_TASKS", "real_observation", "estimate_noise_sigma"]

OBSERVABLE_TASKS = ("superres", "inpaint", "denoise")


def estimate_noise_sigma(x: torch.Tensor) -> float:
    r"""Noise std of an image ``[C, H, W]`` (in its own units), Donoho & Johnstone (1994): the median absolute
    finest-scale diagonal Haar coefficient over 0.6745, :math:`\hat\sigma=\mathrm{med}|HH|/\Phi^{-1}(3/4)`,
    averaged over the channels. :math:`HH=(a-b-c+d)/2` on each 2×2 block is orthonormal, so i.i.d. noise of std
    σ gives HH of std σ, while smooth image content gives HH near 0 (the median ignores the edges)."""
    v = x.detach().double()
    H, W = v.shape[-2] // 2 * 2, v.shape[-1] // 2 * 2
    if H < 2 or W < 2:
        raise ValueError(f"the image is too small to estimate its noise ({list(x.shape)})")
    v = v[..., :H, :W]
    hh = (v[..., 0::2, 0::2] - v[..., 0::2, 1::2] - v[..., 1::2, 0::2] + v[..., 1::2, 1::2]) / 2
    return float((hh.abs().flatten(-2).median(-1).values / 0.6744897501960817).mean())


def _square_nearest(mask: torch.Tensor, size: int) -> torch.Tensor:
    """Centre-crop a [1, H, W] mask to a square and resize it with nearest neighbours (holes stay holes)."""
    _, H, W = mask.shape
    s = min(H, W)
    m = mask[:, (H - s) // 2:(H - s) // 2 + s, (W - s) // 2:(W - s) // 2 + s]
    return F.interpolate(m[None].float(), size=(size, size), mode="nearest")[0]


#: with the black-pixel convention, an observed fraction above this is reported as implausible (few holes found)
PLAUSIBLE_OBSERVED = 0.95


def _observed_pixels(photo: torch.Tensor, path, mask_path, black_threshold) -> tuple[torch.Tensor, str]:
    """The observed-pixel map ``[1, H, W]`` of an inpainting photo (a mask file, or the black-pixel convention) and
    what was done."""
    if mask_path is not None:
        if black_threshold is not None:
            raise ValueError("--black-threshold applies without --mask (the mask says which pixels are missing)")
        w, h = image_size(mask_path)   # from the header: a mask of the wrong size is refused before it is decoded
        if (h, w) != tuple(photo.shape[1:]):
            raise ValueError(f"the mask {mask_path} is {w}x{h} pixels but the photo is "
                             f"{photo.shape[2]}x{photo.shape[1]}")
        m, msrc = load_image(str(mask_path))
        grey = bool((m[0] == m[1]).all() and (m[1] == m[2]).all())
        extreme = float(((m > -0.9) & (m < 0.9)).float().mean())
        if not grey or extreme > 0.01:
            raise ValueError(f"the mask {mask_path} must be black (missing) and white (observed): it is "
                             + ("a colour image" if not grey else f"{100 * extreme:.0f}% grey levels")
                             + " -- a photo given as --mask by mistake?")
        observed = (m.mean(0, keepdim=True) > 0).float()   # white (observed) vs black (missing), threshold 1/2
        how = f"mask {msrc} (white = observed)"
    else:
        if black_threshold is not None and not (isinstance(black_threshold, int) and 0 <= black_threshold <= 254):
            raise ValueError(f"--black-threshold must be an integer in [0, 254], got {black_threshold!r}")
        if black_threshold is None and Path(path).is_file() and is_lossy(path):
            near = float(((photo + 1) * 127.5 <= 10).all(0).float().mean())
            raise ValueError(f"{path} is stored lossily (JPEG/WEBP): compression turns pure-black holes into "
                             f"near-black pixels, which the black-pixel convention would count as observed "
                             f"({100 * near:.1f}% of pixels lie within 10 levels of black). Give --mask, or "
                             "--black-threshold T to count pixels with every channel <= T as missing")
        t = 0 if black_threshold is None else black_threshold
        observed = ((photo + 1) * 127.5 > t + 0.5).any(0, keepdim=True).float()
        how = ("mask: the pure-black pixels (0, 0, 0) are the missing ones (official ILO convention)" if t == 0 else
               f"mask: pixels with every channel <= {t} are the missing ones (--black-threshold {t})")
    return observed, how


def real_observation(task: str, path: str | Path, size: int, *, factor: int = 4, mask_path: str | Path | None = None,
                     sigma: float | None = None, black_threshold: int | None = None,
                     face_crop: bool = True) -> tuple[Task, torch.Tensor, str]:
    """(task, observation ``y`` ``[1, *op.out_shape]``, what was done) for a real degraded photo at ``path``.

    Denoising and inpainting photos are cut to the face first (``face_crop``: :func:`ilo_solver.io.faces.crop_to_face`,
    the mask turned and cut with the photo; a photo with no face found is refused), else centre-cropped. A
    super-resolution input is used whole: it must already be the face at the prior's size / factor.

    Inpainting without ``mask_path`` uses the official convention: pure-black pixels are the missing ones. A lossy
    file (JPEG) turns pure black into near-black, so it is refused unless ``black_threshold`` T (0-254, on 8-bit
    levels) says which pixels count as missing (every channel <= T); a found fraction above
    ``PLAUSIBLE_OBSERVED`` is flagged in the note."""
    if task not in OBSERVABLE_TASKS:
        raise ValueError(f"a real observation can be given for {', '.join(OBSERVABLE_TASKS)}, not {task!r} (the "
                         "measurements of compressed sensing are not a photo)")
    if mask_path is not None and task != "inpaint":
        raise ValueError("a mask file applies to inpainting only")
    photo, source = load_image(str(path))
    if task == "superres":
        if not isinstance(factor, int) or factor < 2 or size % factor:
            raise ValueError(f"factor must be an integer >= 2 dividing the prior's size {size}, got {factor!r}")
        side, want = min(photo.shape[1:]), size // factor
        if side != want:   # never resized: shrinking drops what the photo holds, enlarging invents it
            fits = [f for f in range(2, size // 2 + 1) if size % f == 0 and size // f == side]
            raise ValueError(f"the low-resolution photo is {photo.shape[2]}x{photo.shape[1]} pixels; with --factor "
                             f"{factor} the prior's {size}x{size} needs a {want}x{want} input"
                             + (f" (for this photo: --factor {fits[0]})" if fits else
                                " (no integer factor fits this size: crop or resize it yourself)"))
        low, prep = fit_to_prior(photo, want)
        t = make_task("superres", (3, size, size), rng=torch.Generator(), factor=factor)
        return t, low[None], f"observation {source}; {prep} (the low-resolution input of x{factor})"
    if task == "denoise":
        if face_crop:
            photo, _, crop = crop_to_face(photo)
            source += f"; {crop.describe()}"
        x, prep = fit_to_prior(photo, size)
        note = f"observation {source}; {prep}"
        if sigma is None:
            sigma = estimate_noise_sigma(x)
            note += f"; noise sigma estimated as {sigma:.4f} on [-1, 1] (wavelet MAD, Donoho & Johnstone 1994)"
        if not (math.isfinite(sigma) and sigma > 0):
            raise ValueError(f"the noise level must be finite and > 0, got {sigma}")
        return make_task("denoise", (3, size, size), rng=torch.Generator(), sigma=sigma), x[None], note
    # inpainting
    observed, how = _observed_pixels(photo, path, mask_path, black_threshold)
    if face_crop:
        photo, (observed,), crop = crop_to_face(photo, masks=(observed,))
        source += f"; {crop.describe()}"
    x, prep = fit_to_prior(photo, size)
    mask = _square_nearest(observed, size).expand(3, size, size).contiguous()
    if not bool(mask.any()):
        raise ValueError("the mask observes no pixel")
    frac = float(mask[0].mean())
    t = make_task("inpaint", (3, size, size), rng=torch.Generator(), mask=mask)
    note = f"observation {source}; {prep}; {how}, {100 * frac:.1f}% observed"
    if mask_path is None and frac > PLAUSIBLE_OBSERVED:
        note += (f" -- warning: {100 * frac:.1f}% observed is implausibly much for a photo with holes (were they "
                 "pure black? give --mask or --black-threshold)")
    return t, t.op(x[None]), note
