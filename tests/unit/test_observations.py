"""Real degraded photos as observations: the noise estimator against known noise, the official black-pixel
inpainting convention and mask files (nearest resize: holes stay holes), and low-resolution inputs."""
import numpy as np
import pytest
import torch
from PIL import Image

from ilo_solver.physics.observations import estimate_noise_sigma, real_observation


@pytest.mark.parametrize("sigma", [0.02, 0.1, 0.3])
def test_noise_estimate_on_known_noise(rng, sigma):
    """Donoho-Johnstone's MAD estimate on a smooth image plus i.i.d. N(0, σ²): within 5% (median of 3·32² HH
    coefficients per channel: standard error ~2%)."""
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, 64), torch.linspace(-1, 1, 64), indexing="ij")
    smooth = torch.stack([0.5 * xx, 0.3 * yy, 0.2 * xx * yy]).double()
    est = estimate_noise_sigma(smooth + sigma * torch.randn(smooth.shape, generator=rng, dtype=torch.float64))
    assert abs(est - sigma) < 0.05 * sigma, est
    assert estimate_noise_sigma(smooth) < 1e-3   # no noise, no estimate


def test_inpainting_conventions(tmp_path):
    arr = np.full((128, 96, 3), 120, np.uint8)
    arr[10:30, 10:50] = 0                       # pure black: missing (at the file's resolution)
    Image.fromarray(arr).save(tmp_path / "p.png")
    task, y, note = real_observation("inpaint", tmp_path / "p.png", 32, face_crop=False)
    m = task.op.mask
    assert m.shape == (3, 32, 32) and set(m.unique().tolist()) == {0.0, 1.0} and "official ILO convention" in note
    assert torch.equal(y, task.op(y))            # the observation is zero where the mask is
    mask = np.zeros((128, 96), np.uint8)
    mask[:, 48:] = 255
    Image.fromarray(mask).save(tmp_path / "m.png")
    task, _, note = real_observation("inpaint", tmp_path / "p.png", 32, mask_path=tmp_path / "m.png", face_crop=False)
    assert float(task.op.mask.mean()) == 0.5 and "white = observed" in note
    Image.fromarray(mask[:64]).save(tmp_path / "small.png")
    with pytest.raises(ValueError, match="but the photo is"):
        real_observation("inpaint", tmp_path / "p.png", 32, mask_path=tmp_path / "small.png", face_crop=False)
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(tmp_path / "black.png")
    with pytest.raises(ValueError, match="observes no pixel"):
        real_observation("inpaint", tmp_path / "black.png", 32, face_crop=False)


def test_superres_and_refusals(tmp_path):
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (16, 20, 3), dtype=np.uint8)).save(tmp_path / "l.png")
    task, y, note = real_observation("superres", tmp_path / "l.png", 64, factor=4)
    assert y.shape == (1, 3, 16, 16) and task.op.out_shape == (3, 16, 16) and "centre-cropped 16x20" in note
    Image.fromarray(np.zeros((32, 32, 3), np.uint8) + 9).save(tmp_path / "l32.png")   # was shrunk to 16x16, silently
    with pytest.raises(ValueError, match=r"is 32x32 pixels; with --factor 4 .* needs a 16x16 input \(for this photo: "
                                         r"--factor 2\)"):
        real_observation("superres", tmp_path / "l32.png", 64, factor=4)
    with pytest.raises(ValueError, match="dividing the prior's size"):
        real_observation("superres", tmp_path / "l.png", 64, factor=5)
    with pytest.raises(ValueError, match="not 'cs-gaussian'"):
        real_observation("cs-gaussian", tmp_path / "l.png", 64)
    with pytest.raises(ValueError, match="inpainting only"):
        real_observation("denoise", tmp_path / "l.png", 64, mask_path=tmp_path / "l.png", face_crop=False)


def test_masks_must_be_black_and_white_and_are_size_checked_before_decoding(tmp_path):
    """A colour photo given as --mask (it counted as 60 % observed) and a mask of another size (an 8192² mask was
    decoded, 2.1 GB, before the mismatch was said) are one clear error each."""
    import numpy as np
    from PIL import Image

    from ilo_solver.physics.observations import real_observation
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(photo).save(tmp_path / "p.png")
    Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(tmp_path / "colour.png")
    with pytest.raises(ValueError, match="must be black .missing. and white"):
        real_observation("inpaint", tmp_path / "p.png", 64, mask_path=tmp_path / "colour.png", face_crop=False)
    Image.fromarray(np.zeros((128, 96), np.uint8)).save(tmp_path / "big.png")
    with pytest.raises(ValueError, match="is 96x128 pixels but the photo is 64x64"):
        real_observation("inpaint", tmp_path / "p.png", 64, mask_path=tmp_path / "big.png", face_crop=False)


def test_a_superres_factor_that_leaves_one_pixel_is_refused(tmp_path):
    from ilo_solver.physics import operators as O
    with pytest.raises(ValueError, match="at least 2 pixels"):
        O.SuperResolution((3, 64, 64), 64)
    assert O.SuperResolution((3, 64, 64), 32).out_shape == (3, 2, 2)


def test_an_animated_gif_says_it_used_its_first_frame(tmp_path):
    import numpy as np
    from PIL import Image

    from ilo_solver.io.images import load_image
    frames = [Image.fromarray(np.full((32, 32, 3), v, np.uint8)) for v in (10, 200)]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:])
    assert "(first frame of 2)" in load_image(str(tmp_path / "a.gif"))[1]


def test_a_jpeg_with_black_holes_is_refused_unless_a_threshold_is_stated(tmp_path):
    """JPEG noise turns missing pixels near-black: the tool reported "97.8 % observed" when 40 % was and
    reproduced the holes. Now refused with one line; --black-threshold states the tolerance; an implausible
    observed fraction is flagged."""
    from ilo_solver.physics.observations import real_observation
    rng = np.random.default_rng(0)
    photo = (96 + rng.integers(0, 64, (64, 64, 3))).astype(np.uint8)
    photo[:, :26] = 0                                                   # 40 % of the pixels are holes
    Image.fromarray(photo).save(tmp_path / "holes.jpg", quality=75)
    with pytest.raises(ValueError, match="stored lossily .* Give --mask, or --black-threshold"):
        real_observation("inpaint", tmp_path / "holes.jpg", 64, face_crop=False)
    task, _, note = real_observation("inpaint", tmp_path / "holes.jpg", 64, black_threshold=40, face_crop=False)
    assert abs(task.params["observed"] - 38 / 64) < 0.03 and "--black-threshold 40" in note
    Image.fromarray(np.full((64, 64, 3), 120, np.uint8)).save(tmp_path / "noholes.png")
    photo = np.full((64, 64, 3), 120, np.uint8)
    photo[0, :10] = 0
    Image.fromarray(photo).save(tmp_path / "few.png")
    note = real_observation("inpaint", tmp_path / "few.png", 64, face_crop=False)[2]
    assert "warning: 99.8% observed is implausibly much" in note
    with pytest.raises(ValueError, match="applies without --mask"):
        real_observation("inpaint", tmp_path / "few.png", 64, mask_path=tmp_path / "few.png", black_threshold=3,
                         face_crop=False)
