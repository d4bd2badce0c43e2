"""verification.faces: the vendored portrait crops load, are what the committed boxes cut from the originals, and
the box list is complete."""
from pathlib import Path

import numpy as np
import pytest
import torch

from verification import faces

SHARED = Path(__file__).resolve().parents[3] / "shared" / "faces" / "us-presidents"


def test_every_portrait_is_vendored_with_its_box_and_mode():
    ns = faces.portraits()
    assert len(ns) == 45 and 24 not in ns and ns[0] == 1 and ns[-1] == 46
    assert len(faces.portraits("RGB")) + len(faces.portraits("L")) == 45
    x = faces.load_face(33)
    assert x.shape == (3, 64, 64) and x.dtype == torch.float32 and -1 <= float(x.min()) < float(x.max()) <= 1
    grey = faces.load_face(faces.portraits("L")[0])
    assert torch.equal(grey[0], grey[1]) and torch.equal(grey[1], grey[2])
    with pytest.raises(ValueError, match="no vendored portrait 24"):
        faces.load_face(24)


@pytest.mark.skipif(not SHARED.is_dir(), reason="the originals (../shared/faces) are not beside the checkout")
def test_the_crops_are_the_committed_boxes_of_the_originals():
    from PIL import Image
    boxes = faces._boxes()["boxes"]
    for key in ("01", "33", "46"):
        with Image.open(faces.DIR / f"president_{key}.png") as im:
            assert np.array_equal(np.asarray(im.convert("RGB")), faces.crop(SHARED, int(key), boxes[key]))
