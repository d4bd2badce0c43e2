"""Reading the user's image: exact conversions are made and said, anything lossy or undefined is one clear error."""
import numpy as np
import pytest
import torch
from PIL import Image

from ilo_solver.io.images import fit_to_prior, load_image, to_uint8


@pytest.fixture
def rgb():
    return np.random.default_rng(0).integers(0, 256, (37, 31, 3), dtype=np.uint8)   # odd, non-square


def test_rgb_round_trip_and_range(tmp_path, rgb):
    Image.fromarray(rgb).save(tmp_path / "a.png")
    x, note = load_image(str(tmp_path / "a.png"))
    assert x.shape == (3, 37, 31) and note == f"file {tmp_path / 'a.png'}"
    assert x.min() >= -1 and x.max() <= 1 and np.array_equal(to_uint8(x), rgb)


def test_exact_conversions_are_made_and_said(tmp_path, rgb):
    ref, _ = load_image(_save(tmp_path / "ref.png", Image.fromarray(rgb)))
    rgba = np.concatenate([rgb, np.full((37, 31, 1), 255, np.uint8)], axis=2)
    x, note = load_image(_save(tmp_path / "a.png", Image.fromarray(rgba, "RGBA")))
    assert torch.equal(x, ref) and "RGBA, converted to RGB exactly" in note
    pal = Image.fromarray(rgb).quantize(64)   # a palette image; its RGB is the palette lookup
    x, note = load_image(_save(tmp_path / "p.png", pal))
    assert np.array_equal(to_uint8(x), np.array(pal.convert("RGB"))) and "(P," in note
    grey = rgb[..., 0]
    x, note = load_image(_save(tmp_path / "g.png", Image.fromarray(grey, "L")))
    assert np.array_equal(to_uint8(x), np.repeat(grey[..., None], 3, axis=2)) and "(L," in note


def test_exif_orientation_is_applied(tmp_path, rgb):
    """A photo stored sideways with EXIF Orientation 6 ("rotate 90° clockwise to view") is read upright."""
    im = Image.fromarray(rgb)
    exif = Image.Exif()
    exif[0x0112] = 6
    im.save(tmp_path / "side.png", exif=exif)
    x, note = load_image(str(tmp_path / "side.png"))
    assert np.array_equal(to_uint8(x), np.rot90(rgb, k=-1)) and "EXIF orientation 6" in note


def test_undefined_or_lossy_inputs_are_refused(tmp_path, rgb):
    rgba = np.concatenate([rgb, np.full((37, 31, 1), 255, np.uint8)], axis=2)
    rgba[3, 4, 3] = 254
    with pytest.raises(ValueError, match=r"transparent pixels \(1\)"):
        load_image(_save(tmp_path / "t.png", Image.fromarray(rgba, "RGBA")))
    with pytest.raises(ValueError, match="CMYK colour space"):
        load_image(_save(tmp_path / "c.jpg", Image.fromarray(rgb).convert("CMYK")))
    with pytest.raises(ValueError, match="16/32 bits per pixel"):
        load_image(_save(tmp_path / "16.png", Image.fromarray(rgb[..., 0].astype(np.uint16) * 257)))
    (tmp_path / "junk.png").write_bytes(b"not an image")
    with pytest.raises(ValueError, match="cannot read"):
        load_image(str(tmp_path / "junk.png"))
    with pytest.raises(ValueError, match="neither a built-in"):
        load_image(str(tmp_path / "missing.png"))


def test_fit_to_prior_says_what_it_did():
    x = torch.linspace(-1, 1, 3 * 37 * 31).reshape(3, 37, 31)
    out, note = fit_to_prior(x, 16)
    assert out.shape == (3, 16, 16) and note == ("centre-cropped 37x31 to 31x31; "
                                                 "resized 31x31 to 16x16 (bicubic, antialiased)")
    same, note = fit_to_prior(x[:, 3:34], 31)
    assert torch.equal(same, x[:, 3:34]) and note == "used as is"


def _save(path, im) -> str:
    im.save(path)
    return str(path)


def _png(path, width, height, depth, colour, raw: bytes) -> str:
    """A PNG written byte by byte (PIL cannot write 16-bit RGB, and a bomb needs a header only)."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw))
                     + chunk(b"IEND", b""))
    return str(path)


def test_hostile_and_silently_lossy_images_are_refused(tmp_path, rgb):
    """The issue's list: 16-bit RGB (was reduced to 8 bits), LAB (was read as RGB), tiny images and strips, EPS (was
    handed to Ghostscript), decompression bombs; an invalid EXIF orientation is said, not called 'upright'."""
    h, w = 12, 10
    raw16 = b"".join(b"\0" + np.full((w, 3), 40000, ">u2").tobytes() for _ in range(h))
    with pytest.raises(ValueError, match="16 bits per channel"):
        load_image(_png(tmp_path / "rgb16.png", w, h, 16, 2, raw16))
    with pytest.raises(ValueError, match="LAB colour space"):
        load_image(_save(tmp_path / "lab.tif", Image.fromarray(rgb).convert("LAB")))
    for shape in ((1, 5000), (5, 5)):
        with pytest.raises(ValueError, match="at least 8 on each side"):
            load_image(_save(tmp_path / "small.png", Image.fromarray(np.zeros((*shape, 3), np.uint8))))
    (tmp_path / "x.eps").write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    with pytest.raises(ValueError, match="cannot read .* as an image \\(PNG, JPEG"):
        load_image(str(tmp_path / "x.eps"))
    with pytest.raises(ValueError, match="decompression bomb"):
        load_image(_png(tmp_path / "bomb.png", 30000, 30000, 8, 2, b""))
    im = Image.fromarray(rgb)
    exif = Image.Exif()
    exif[0x0112] = 99
    im.save(tmp_path / "o99.png", exif=exif)
    x, note = load_image(str(tmp_path / "o99.png"))
    assert np.array_equal(to_uint8(x), rgb) and "not a valid value" in note and "upright" not in note


def test_a_rgb565_bmp_is_read_not_refused_as_16_bits_per_channel(tmp_path):
    """Packed 16-bit pixels (5-6-5 bits per channel) were refused as "16 bits per channel"; PIL expands them to 8
    bits exactly. A 16-bit-per-channel file is still refused (test above)."""
    import struct

    import numpy as np

    from ilo_solver.io.images import load_image
    w, h = 16, 16
    px = np.random.default_rng(0).integers(0, 65536, (h, w), dtype=np.uint16)
    stride = (w * 2 + 3) & ~3
    data = b"".join(px[y].tobytes().ljust(stride, b"\0") for y in range(h - 1, -1, -1))
    dib = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 16, 3, len(data), 2835, 2835, 0, 0)
    dib += struct.pack("<III", 0xF800, 0x07E0, 0x001F)
    off = 14 + len(dib)
    (tmp_path / "565.bmp").write_bytes(b"BM" + struct.pack("<IHHI", off + len(data), 0, 0, off) + dib + data)
    x, note = load_image(str(tmp_path / "565.bmp"))
    assert x.shape == (3, 16, 16) and "565.bmp" in note
    red = ((px[0, 0] >> 11) & 0x1F) * 255 // 31          # the top-left pixel's red, expanded from 5 bits
    assert abs(float(x[0, 0, 0] + 1) * 127.5 - red) <= 8
