"""Photo handling: decoded to prove it is a picture, upright, metadata-free, at most 1600 px."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from kaizen.services.photos import (
    MAX_PHOTO_BYTES,
    MAX_SIDE,
    THUMB_SIDE,
    PhotoError,
    process_photo,
)

ORIENTATION = 0x0112
MAKE = 0x010F
MODEL = 0x0110
GPS_IFD = 0x8825


def jpeg_with_exif(width: int = 400, height: int = 200, orientation: int = 6) -> bytes:
    """A camera-like JPEG: sideways pixels, an orientation tag, GPS and the device's name."""
    image = Image.new("RGB", (width, height), "red")
    # Mark the left half so the rotation can be checked, not only the size.
    image.paste("blue", (0, 0, width // 2, height))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[MAKE] = "PhoneMaker"
    exif[MODEL] = "Phone 12"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()


def encoded(image: Image.Image, image_format: str, **params: object) -> bytes:
    """The image encoded in memory."""
    out = io.BytesIO()
    image.save(out, image_format, **params)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    """Decode stored bytes again, as a browser would."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_sideways_camera_photo_comes_back_upright() -> None:
    photo = process_photo(jpeg_with_exif(400, 200, orientation=6))

    image = opened(photo.data)
    assert image.size == (200, 400)
    # Orientation 6 means "rotate 90° clockwise to view": the blue left half ends on top.
    top = image.convert("RGB").getpixel((100, 20))
    bottom = image.convert("RGB").getpixel((100, 380))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[2] > 200 and top[0] < 60
    assert bottom[0] > 200 and bottom[2] < 60


def test_a_stored_photo_keeps_no_exif_gps_or_device_name() -> None:
    photo = process_photo(jpeg_with_exif())

    for data in (photo.data, photo.thumbnail):
        image = opened(data)
        assert "exif" not in image.info
        assert len(image.getexif()) == 0
        assert b"PhoneMaker" not in data
        assert b"Phone 12" not in data


def test_a_large_photo_is_shrunk_to_at_most_1600_pixels() -> None:
    photo = process_photo(encoded(Image.new("RGB", (4000, 3000), "green"), "JPEG"))

    assert (photo.width, photo.height) == (1600, 1200)
    assert opened(photo.data).size == (1600, 1200)


def test_a_small_photo_keeps_its_size() -> None:
    photo = process_photo(encoded(Image.new("RGB", (640, 480), "green"), "JPEG"))

    assert opened(photo.data).size == (640, 480)


def test_the_thumbnail_fits_in_320_pixels() -> None:
    photo = process_photo(encoded(Image.new("RGB", (3000, 1000), "green"), "WEBP"))

    thumb = opened(photo.thumbnail)
    assert max(thumb.size) == THUMB_SIDE
    assert thumb.size == (320, 107)


def test_a_png_with_transparency_stays_a_transparent_png() -> None:
    image = Image.new("RGBA", (300, 200), (255, 0, 0, 0))
    image.paste((0, 128, 0, 255), (0, 0, 150, 200))

    photo = process_photo(encoded(image, "PNG"))

    assert photo.content_type == "image/png"
    stored = opened(photo.data)
    assert stored.format == "PNG"
    assert stored.mode == "RGBA"
    alpha = stored.getpixel((250, 100))
    assert isinstance(alpha, tuple) and alpha[3] == 0


def test_a_palette_png_is_accepted() -> None:
    image = Image.new("P", (2000, 100))

    photo = process_photo(encoded(image, "PNG"))

    assert photo.content_type == "image/png"
    assert photo.width == MAX_SIDE


def test_a_webp_photo_stays_webp() -> None:
    photo = process_photo(encoded(Image.new("RGB", (200, 100), "blue"), "WEBP"))

    assert photo.content_type == "image/webp"
    assert opened(photo.data).format == "WEBP"


def test_a_jpeg_stays_jpeg() -> None:
    photo = process_photo(jpeg_with_exif())

    assert photo.content_type == "image/jpeg"
    assert opened(photo.data).format == "JPEG"


def test_a_text_file_renamed_to_jpg_is_refused() -> None:
    with pytest.raises(PhotoError, match="not a photo we can use"):
        process_photo(b"Shift notes: the forklift was late again.\n" * 20)


def test_a_gif_is_refused() -> None:
    gif = encoded(Image.new("RGB", (50, 50), "red"), "GIF")

    with pytest.raises(PhotoError, match="JPEG, PNG or WebP"):
        process_photo(gif)


def test_a_truncated_jpeg_is_refused() -> None:
    whole = encoded(Image.effect_noise((400, 400), 64).convert("RGB"), "JPEG")

    with pytest.raises(PhotoError, match="damaged or incomplete"):
        process_photo(whole[: len(whole) // 2])


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(PhotoError):
        process_photo(b"")


def test_a_file_over_10_mb_is_refused_before_decoding() -> None:
    padded = jpeg_with_exif() + b"\0" * MAX_PHOTO_BYTES

    with pytest.raises(PhotoError, match="at most 10 MB"):
        process_photo(padded)


def test_a_decompression_bomb_is_refused() -> None:
    # A tiny file that claims an enormous picture: 20000 x 20000 pixels of one colour.
    bomb = encoded(Image.new("L", (20000, 20000)), "PNG")
    assert len(bomb) < MAX_PHOTO_BYTES

    with pytest.raises(PhotoError, match="too large to handle"):
        process_photo(bomb)


def test_a_cmyk_jpeg_is_stored_as_rgb() -> None:
    photo = process_photo(encoded(Image.new("CMYK", (100, 100), (0, 255, 255, 0)), "JPEG"))

    assert opened(photo.data).mode == "RGB"
