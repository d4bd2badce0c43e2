r"""Real face portraits vendored for evaluation: 45 public-domain portraits of US presidents (see
``verification/data/faces/README.md`` for provenance and licence), each cropped to the face and resized to the
prior's 64².

The crops are written down, not recomputed at run time: ``boxes.json`` holds one square box per portrait (top, left,
side in the original's pixels), made once by :func:`detect_boxes` -- OpenCV's Haar frontal-face cascade
(Viola & Jones 2001; ``haarcascade_frontalface_default.xml``, shipped in the ``opencv-python-headless<5`` wheel,
nothing downloaded), the largest detection whose centre lies in the top 55 % of the picture (a portrait's
subject), framed by :func:`ilo_solver.io.faces.frame_face` -- the square of 0.95 x the detection's side moved down
by 0.08 x that side, the framing of the offline DCGAN's training renders (forehead to chin; checked by eye against
a sample grid). ``ilo solve`` finds the face of a user's photo with the library's rule
(:func:`ilo_solver.io.faces.choose_face`), which agrees with these boxes on 43 of the 45. Rebuilding the
crops (``python -m verification.faces --source ../shared/faces/us-presidents``) needs only Pillow; ``--detect`` also
needs OpenCV and rewrites the box list.

Use: ``load_face(n)`` or the image spec ``face:NN`` in :mod:`verification.paper`; ``portraits("RGB")`` /
``portraits("L")`` list the colour / greyscale originals (25 / 20).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from ilo_solver.io.faces import DROP, MARGIN, Face, frame_face

DIR = Path(__file__).parent / "data" / "faces"
SIZE = 64


def _boxes() -> dict:
    return json.loads((DIR / "boxes.json").read_text())


def portraits(mode: str | None = None) -> list[int]:
    """The numbers of the vendored portraits (order of office; 24 = 22 is left out), all or those whose original
    has PIL mode ``mode`` (``"RGB"`` colour, ``"L"`` greyscale)."""
    b = _boxes()
    return sorted(int(k) for k in b["boxes"] if mode is None or b["modes"][k] == mode)


def load_face(n: int) -> torch.Tensor:
    """Portrait ``n``'s 64² face crop, ``[3, 64, 64]`` in [-1, 1] (greyscale originals repeated on 3 channels)."""
    from PIL import Image
    path = DIR / f"president_{n:02d}.png"
    if not path.is_file():
        raise ValueError(f"no vendored portrait {n} (have {portraits()[0]}..{portraits()[-1]}, 24 left out)")
    with Image.open(path) as im:
        a = np.asarray(im.convert("RGB"), dtype=np.float32)
    return torch.from_numpy(a).permute(2, 0, 1) / 127.5 - 1.0


def detect_boxes(source: Path) -> dict:
    """Square face boxes (top, left, side) for every ``president_NN.png`` in ``source`` (see the module doc)."""
    import cv2
    from PIL import Image
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    boxes, modes = {}, {}
    for path in sorted(source.glob("president_*.png")):
        with Image.open(path) as im:
            modes[path.stem[-2:]] = im.mode
            a = np.asarray(im.convert("L"))
        found = cascade.detectMultiScale(a, scaleFactor=1.05, minNeighbors=6, minSize=(40, 40))
        upper = [b for b in found if b[1] + b[3] / 2 < 0.55 * a.shape[0]]
        if not upper:
            raise ValueError(f"{path.name}: no face found in the top 55 % of the picture")
        x, y, w, h = (int(v) for v in max(upper, key=lambda b: b[2] * b[3]))
        boxes[path.stem[-2:]] = list(frame_face(Face(x, y, w, h, 0.0), margin=MARGIN, drop=DROP))
    return dict(detector="OpenCV haarcascade_frontalface_default (scaleFactor 1.05, minNeighbors 6, minSize 40)",
                margin=MARGIN, drop=DROP, modes=modes, boxes=boxes)


def crop(source: Path, n: int, box) -> np.ndarray:
    """The ``[64, 64, 3]`` uint8 crop of ``source/president_NN.png`` at ``box`` (padded by edge replication where
    the box leaves the picture), antialiased bicubic resize."""
    from PIL import Image
    t, l, s = box
    with Image.open(source / f"president_{n:02d}.png") as im:
        a = np.asarray(im.convert("RGB"))
    pad = max(0, -t, -l, t + s - a.shape[0], l + s - a.shape[1])
    a = np.pad(a, ((pad, pad), (pad, pad), (0, 0)), mode="edge")
    patch = Image.fromarray(a[t + pad:t + pad + s, l + pad:l + pad + s])
    return np.asarray(patch.resize((SIZE, SIZE), Image.Resampling.BICUBIC, reducing_gap=None))


def main(argv=None) -> int:
    from PIL import Image
    ap = argparse.ArgumentParser(prog="python -m verification.faces", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", type=Path, required=True, help="the folder of president_NN.png originals")
    ap.add_argument("--detect", action="store_true", help="rerun the detector and rewrite boxes.json (needs OpenCV)")
    args = ap.parse_args(argv)
    if not args.source.is_dir():
        ap.error(f"--source {args.source} is not a folder")
    if args.detect:
        (DIR / "boxes.json").write_text(json.dumps(detect_boxes(args.source), indent=1) + "\n")
    for key, box in _boxes()["boxes"].items():
        Image.fromarray(crop(args.source, int(key), box)).save(DIR / f"president_{key}.png", optimize=True)
    print(f"wrote {len(_boxes()['boxes'])} crops to {DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
