"""Real test images that work offline, and fitting any RGB image to a prior's square resolution.

Built-ins (public domain): ``astronaut`` (scikit-image, 512x512) and ``grace_hopper`` (matplotlib sample data,
512x600), each with a face box chosen to match the tight face crops that face generators are trained on.
"""
from __future__ import annotations

import re

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["BUILTIN", "FORMATS", "load_image", "fit_to_prior", "to_uint8", "image_size", "is_lossy"]

# name -> (top, left, size) of the face crop in the original image
BUILTIN = {"astronaut": (30, 150, 170), "grace_hopper": (140, 180, 180)}


def _builtin(name: str) -> np.ndarray:
    if name == "astronaut":
        from skimage import data
        return data.astronaut()
    import matplotlib.cbook as cbook
    from PIL import Image
    with Image.open(cbook.get_sample_data("grace_hopper.jpg")) as im:
        return np.array(im.convert("RGB"))


_EXACT_TO_RGBA = ("P", "L", "LA", "1", "PA")   # PIL modes whose conversion to RGBA loses nothing
#: The formats read (of a GIF, its first frame). Any other format PIL knows is refused before a decoder runs
#: (EPS, for one, is handed to Ghostscript).
FORMATS = ("PNG", "JPEG", "BMP", "TIFF", "WEBP", "GIF")
MIN_SIDE = 8                 # pixels; a smaller image (or a 1-pixel strip, cropped to 1x1) carries no face
MAX_PIXELS = 64 * 2 ** 20    # decompression bombs: refused before decoding


def _read_file(path: Path) -> tuple[np.ndarray, str]:
    import warnings

    from PIL import Image, ImageOps, UnidentifiedImageError
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(path, formats=FORMATS)
        with im:
            if im.width * im.height > MAX_PIXELS:
                raise ValueError(f"{path} is {im.width}x{im.height} pixels, over the limit of {MAX_PIXELS} "
                                 "(a decompression bomb, or an image far larger than any prior)")
            if min(im.width, im.height) < MIN_SIDE:
                raise ValueError(f"{path} is {im.width}x{im.height} pixels; at least {MIN_SIDE} on each side is "
                                 "needed")
            mode, fmt, frames = im.mode, im.format, getattr(im, "n_frames", 1)   # read while the file is open
            if mode.startswith(("I", "F")):
                raise ValueError(f"{path} holds {mode} samples (16/32 bits per pixel); reading it would drop "
                                 "bits silently: convert it to 8-bit RGB first")
            if mode not in (*_EXACT_TO_RGBA, "RGB", "RGBA"):
                raise ValueError(f"{path} is a {fmt} image in the {mode} colour space; an RGB image is needed "
                                 "(or grey, palette, RGBA without transparency): convert it first, e.g. with "
                                 "PIL's Image.convert('RGB')")
            # 16 bits per *channel* (rawmodes RGB;16B/L/N); packed 16-bit pixels (BGR;16 = RGB565, BGR;15) are
            # 5-6 bits per channel, which PIL expands to 8 exactly
            if any(re.search(r";16[BLN]", str(t.args)) for t in im.tile) or im.info.get("bits", 8) > 8:
                raise ValueError(f"{path} holds 16 bits per channel; reading it would drop half of them "
                                 "silently: convert it to 8-bit RGB first")
            orientation = im.getexif().get(0x0112, 1)   # EXIF Orientation (phone photos are stored sideways)
            if orientation in range(2, 9):
                im = ImageOps.exif_transpose(im)          # the rotation/flip it asks for: exact
            if mode in _EXACT_TO_RGBA:   # palette, grey, grey+alpha, 1-bit: exact conversions
                im = im.convert("RGBA")
            arr = np.array(im)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError) as e:
        raise ValueError(f"cannot read {path} as an image ({', '.join(FORMATS)}): {e}") from None
    note = f"file {path}"
    if orientation in range(2, 9):
        note += f" (turned upright: EXIF orientation {orientation})"
    elif orientation != 1:
        note += f" (EXIF orientation {orientation!r} is not a valid value 1-8: used as stored)"
    if frames > 1:
        note += f" (first frame of {frames})"
    if mode in _EXACT_TO_RGBA or mode == "RGBA":
        transparent = int((arr[..., 3] < 255).sum())
        if transparent:
            raise ValueError(f"{path} ({mode}) has transparent pixels ({transparent}); flatten it onto a "
                             "background first (what lies behind them is not defined)")
        arr = arr[..., :3]
        note += f" ({mode}, converted to RGB exactly)"
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
        raise ValueError(f"{path} has mode {mode} (shape {arr.shape}); an 8-bit RGB image is needed (or grey, "
                         f"palette, RGBA without transparency); convert it first, e.g. with PIL's "
                         f"Image.convert('RGB')")
    return arr, note


def load_image(spec: str) -> tuple[torch.Tensor, str]:
    """(image [3, H, W] in [-1, 1], description). ``spec`` is a built-in name or a path to an RGB image file in
    one of :data:`FORMATS`."""
    if spec in BUILTIN:
        t, l, s = BUILTIN[spec]
        arr = _builtin(spec)[t:t + s, l:l + s]
        note = f"built-in '{spec}', face crop rows {t}:{t + s}, cols {l}:{l + s}"
    else:
        path = Path(spec)
        if not path.is_file():
            raise ValueError(f"image {spec!r} is neither a built-in ({', '.join(BUILTIN)}) nor a readable file")
        arr, note = _read_file(path)
    x = torch.from_numpy(np.ascontiguousarray(arr)).permute(2, 0, 1).float() / 127.5 - 1.0
    return x, note


def fit_to_prior(x: torch.Tensor, size: int) -> tuple[torch.Tensor, str]:
    """Centre-crop to a square and resize to ``size`` (bicubic, antialiased); returns the image and what was done."""
    _, H, W = x.shape
    s = min(H, W)
    top, left = (H - s) // 2, (W - s) // 2
    out = x[:, top:top + s, left:left + s]
    note = [] if (s, s) == (H, W) else [f"centre-cropped {H}x{W} to {s}x{s}"]
    if s != size:
        out = F.interpolate(out[None], size=(size, size), mode="bicubic", antialias=True, align_corners=False)[0]
        note.append(f"resized {s}x{s} to {size}x{size} (bicubic, antialiased)")
    return out.clamp(-1, 1), "; ".join(note) or "used as is"


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """[3, H, W] in [-1, 1] -> HxWx3 uint8."""
    return ((x.detach().float().clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).cpu().numpy()


def is_lossy(path: str | Path) -> bool:
    """Whether the image file is stored lossily (JPEG; WEBP unless lossless), from its header."""
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(path, formats=FORMATS) as im:
            return im.format == "JPEG" or (im.format == "WEBP" and not im.info.get("lossless", False))
    except (UnidentifiedImageError, OSError) as e:
        raise ValueError(f"cannot read {path} as an image ({', '.join(FORMATS)}): {e}") from None


def image_size(path: str | Path) -> tuple[int, int]:
    """(width, height) of an image file from its header, nothing decoded (a size check before a large decode)."""
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(path, formats=FORMATS) as im:
            return im.width, im.height
    except (UnidentifiedImageError, OSError) as e:
        raise ValueError(f"cannot read {path} as an image ({', '.join(FORMATS)}): {e}") from None
