r"""Find and frame the face in a user's photo, so that a face prior sees a face framed as its training faces are.

Detector: OpenCV's Haar frontal-face cascade (Viola & Jones 2001, ``haarcascade_frontalface_default.xml``) and eye
cascade, both shipped inside the ``opencv-python-headless<5`` wheel -- nothing is downloaded at run time (OpenCV 5
wheels no longer ship the cascades, hence the pin). Rule, stated and never tuned on a result:

1. detect on the grey image (scale step 1.05, 5 neighbours, faces >= 40 px), each detection with its cascade
   confidence (level weight);
2. keep the detections whose confidence is at least half the best one's and take the **largest** of them (the
   subject, not a confident face in the background, nor a large low-confidence false positive);
3. align by the eyes where the eye cascade finds exactly two eyes in the face's upper half: the photo is turned
   about the face centre so that the eyes are level (turns above ``MAX_TURN`` degrees are refused as
   implausible and not applied);
4. crop the square of side ``MARGIN`` x the detection's side, centred ``DROP`` x the side below the
   detection's centre (forehead to chin: the framing of the offline DCGAN's training renders, checked by eye against
   a sample grid), padding by edge replication where the square leaves the photo.

Measured on the 45 public-domain portraits of ``verification/data/faces`` (boxes there checked by eye): the rule's
box overlaps the checked box (IoU > 0.5) on 43 of 45 (``tests/unit/test_faces_io.py``).
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch

__all__ = ["Face", "FaceCrop", "detect_faces", "choose_face", "eye_angle", "frame_face", "crop_to_face",
           "MARGIN", "DROP", "MAX_TURN"]

MARGIN = 0.95     # crop side / detection side
DROP = 0.08       # crop centre below the detection centre, in detection sides
MAX_TURN = 30.0   # degrees: an eye pair tilted more than this is taken for a false eye detection


@dataclasses.dataclass(frozen=True)
class Face:
    """One detection: the box (x, y, w, h) in pixels and the cascade's confidence."""
    x: int
    y: int
    w: int
    h: int
    weight: float


@dataclasses.dataclass(frozen=True)
class FaceCrop:
    """What :func:`crop_to_face` did: the face chosen (of ``found``), the turn (degrees, counter-clockwise, about
    ``center``) and the square (top, left, side) cut from the turned photo."""
    face: Face
    found: int
    turn: float
    center: tuple[float, float]
    box: tuple[int, int, int]

    def describe(self) -> str:
        f, (t, l, s) = self.face, self.box
        turn = f"turned {self.turn:+.1f} deg to level the eyes; " if self.turn else "eyes not aligned (not found); "
        return (f"face found at x={f.x}, y={f.y}, {f.w}x{f.h} px (confidence {f.weight:.1f}; {self.found} "
                f"detection(s)); {turn}cropped rows {t}:{t + s}, cols {l}:{l + s}")


def _cv2():
    try:
        import cv2
    except ImportError as e:
        raise ValueError("face detection needs OpenCV: pip install 'opencv-python-headless<5' (or pass "
                         "--no-face-crop for a centre crop)") from e
    if not hasattr(cv2, "CascadeClassifier"):
        raise ValueError(f"this OpenCV ({cv2.__version__}) ships no Haar cascades: pip install "
                         "'opencv-python-headless<5' (or pass --no-face-crop for a centre crop)")
    return cv2


def _grey(rgb: np.ndarray) -> np.ndarray:
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"need an 8-bit RGB image [H, W, 3], got {rgb.dtype} {rgb.shape}")
    return np.ascontiguousarray(np.round(rgb @ np.array([0.299, 0.587, 0.114])).clip(0, 255).astype(np.uint8))


def detect_faces(rgb: np.ndarray) -> list[Face]:
    """Every frontal face the cascade finds in ``rgb`` (uint8 [H, W, 3]), with its confidence."""
    cv2 = _cv2()
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    boxes, _, weights = cascade.detectMultiScale3(_grey(rgb), scaleFactor=1.05, minNeighbors=5, minSize=(40, 40),
                                                  outputRejectLevels=True)
    return [Face(*map(int, b), float(w)) for b, w in zip(boxes, np.ravel(weights), strict=True)]


def choose_face(faces: list[Face]) -> Face:
    """The largest of the detections whose confidence is at least half the best one's."""
    if not faces:
        raise ValueError("no face to choose from")
    best = max(f.weight for f in faces)
    return max((f for f in faces if f.weight >= 0.5 * best), key=lambda f: f.w * f.h)


def eye_angle(rgb: np.ndarray, face: Face) -> float | None:
    """The tilt of the line through the two eyes (degrees, positive = the right-hand eye lower in the picture),
    from the eye cascade on the face's upper half; None unless exactly two eyes are found, one on each side."""
    cv2 = _cv2()
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_eye.xml")
    top = _grey(rgb)[face.y:face.y + face.h // 2 + face.h // 10, face.x:face.x + face.w]
    eyes = cascade.detectMultiScale(top, scaleFactor=1.05, minNeighbors=5, minSize=(face.w // 10, face.w // 10))
    if len(eyes) != 2:
        return None
    (x1, y1, w1, h1), (x2, y2, w2, h2) = sorted(map(tuple, eyes))
    c1, c2 = (x1 + w1 / 2, y1 + h1 / 2), (x2 + w2 / 2, y2 + h2 / 2)
    if not (c1[0] < face.w / 2 < c2[0]):
        return None
    angle = math.degrees(math.atan2(c2[1] - c1[1], c2[0] - c1[0]))
    return angle if abs(angle) <= MAX_TURN else None


def frame_face(face: Face, *, margin: float = MARGIN, drop: float = DROP) -> tuple[int, int, int]:
    """The square (top, left, side) that frames ``face`` as the prior's training faces are framed."""
    side = round(margin * face.w)
    cx, cy = face.x + face.w / 2, face.y + face.h / 2 + drop * face.w
    return round(cy - side / 2), round(cx - side / 2), side


def _turn(x: torch.Tensor, angle: float, center, *, nearest: bool = False) -> torch.Tensor:
    """``x`` [C, H, W] turned by ``angle`` degrees counter-clockwise about ``center`` (x, y), edges replicated."""
    import torch.nn.functional as F
    C, H, W = x.shape
    a = math.radians(angle)
    cx, cy = center
    # output pixel (u, v) samples input at R(-angle) about the centre (image y points down: a = -angle in y-up)
    ys, xs = torch.meshgrid(torch.arange(H, dtype=torch.float64), torch.arange(W, dtype=torch.float64), indexing="ij")
    dx, dy = xs - cx, ys - cy
    sx = cx + math.cos(a) * dx - math.sin(a) * dy
    sy = cy + math.sin(a) * dx + math.cos(a) * dy
    grid = torch.stack([2 * sx / (W - 1) - 1, 2 * sy / (H - 1) - 1], -1)[None].to(x.dtype)
    return F.grid_sample(x[None], grid, mode="nearest" if nearest else "bicubic", padding_mode="border",
                         align_corners=True)[0]


def _cut(x: torch.Tensor, box) -> torch.Tensor:
    t, l, s = box
    _, H, W = x.shape
    pad = max(0, -t, -l, t + s - H, l + s - W)
    if pad:
        import torch.nn.functional as F
        x = F.pad(x[None], (pad, pad, pad, pad), mode="replicate")[0]
    return x[:, t + pad:t + pad + s, l + pad:l + pad + s]


def crop_to_face(photo: torch.Tensor, *, align: bool = True, masks: tuple = ()) -> tuple[torch.Tensor, tuple, FaceCrop]:
    """The face of ``photo`` ([3, H, W] in [-1, 1]) found, aligned by the eyes (``align``) and cut square (see the
    module doc), and each of ``masks`` ([1, H, W], e.g. the observed pixels) turned and cut the same way with
    nearest neighbours. Raises ``ValueError`` when no face is found."""
    rgb = ((photo.detach().float().clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).cpu().numpy()
    faces = detect_faces(rgb)
    if not faces:
        raise ValueError(f"no face found in the {photo.shape[2]}x{photo.shape[1]} photo (OpenCV's frontal-face "
                         "cascade); pass --no-face-crop to use the centre crop instead")
    face = choose_face(faces)
    angle = eye_angle(rgb, face) if align else None
    center = (face.x + face.w / 2, face.y + face.h / 2)
    box = frame_face(face)
    if angle:
        photo = _turn(photo, angle, center).clamp(-1, 1)   # a counter-clockwise turn by the tilt levels the eyes
        masks = tuple(_turn(m, angle, center, nearest=True) for m in masks)
    return _cut(photo, box), tuple(_cut(m, box) for m in masks), FaceCrop(face, len(faces), angle or 0.0, center,
                                                                          box)
