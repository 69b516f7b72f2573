"""Photo rules a person would notice when broken: the size limits, what is stripped, which
pixel modes come out. Written to kill mutants of kaizen/services/photos.py.

The limits are written out as numbers here on purpose (not imported), so that a changed
limit in the code fails a test.
"""

from __future__ import annotations

import struct
import zlib

import pytest
from PIL import Image, ImageCms, PngImagePlugin

from kaizen.services.photos import PhotoError, _decode, process_photo
from tests.test_photos import encoded, opened

TEN_MB = 10 * 1024 * 1024


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a size but holds no pixels: enough to be judged by its size alone."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def test_a_photo_of_exactly_10_mb_is_accepted() -> None:
    picture = encoded(Image.new("RGB", (64, 48), "orange"), "PNG")
    # Bytes after the end of a PNG are ignored by decoders: the file is 10 MB, the picture small.
    upload = picture + b"\0" * (TEN_MB - len(picture))
    assert len(upload) == TEN_MB

    photo = process_photo(upload)

    assert (photo.width, photo.height) == (64, 48)


def test_a_photo_one_byte_over_10_mb_is_refused() -> None:
    picture = encoded(Image.new("RGB", (64, 48), "orange"), "PNG")
    upload = picture + b"\0" * (TEN_MB + 1 - len(picture))

    with pytest.raises(PhotoError, match="at most 10 MB"):
        process_photo(upload)


def test_a_picture_over_60_megapixels_is_refused_before_it_is_decoded() -> None:
    # 61 million pixels: under Pillow's own bomb limit, so only our guard refuses it.
    with pytest.raises(PhotoError, match="too large to handle"):
        process_photo(png_header_only(7625, 8000))


def test_a_picture_of_exactly_60_megapixels_is_not_refused_for_its_size() -> None:
    # It holds no pixels, so it is refused as damaged: judged on its content, not its size.
    with pytest.raises(PhotoError, match="seems damaged"):
        process_photo(png_header_only(7500, 8000))


def test_a_png_keeps_no_colour_profile_or_text() -> None:
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "Jane Doe")
    text.add_itxt("Comment", "Taken at press line 3")
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    upload = encoded(Image.new("RGB", (40, 30), "red"), "PNG", pnginfo=text, icc_profile=profile)
    assert {"icc_profile", "Author", "Comment"} <= set(opened(upload).info)

    photo = process_photo(upload)

    for stored in (photo.data, photo.thumbnail):
        assert opened(stored).info == {}


def test_a_jpeg_keeps_no_colour_profile_or_comment() -> None:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    upload = encoded(
        Image.new("RGB", (40, 30), "red"), "JPEG", icc_profile=profile, comment=b"Jane's phone"
    )

    photo = process_photo(upload)

    info = opened(photo.data).info
    assert "icc_profile" not in info and "comment" not in info


@pytest.mark.parametrize(
    ("mode", "colour", "stored_mode"),
    [
        ("L", 128, "L"),
        ("LA", (128, 200), "LA"),
        ("RGBA", (10, 20, 30, 128), "RGBA"),
        ("RGB", (10, 20, 30), "RGB"),
        ("I;16", 40000, "RGB"),
    ],
)
def test_a_png_is_stored_in_a_mode_that_keeps_its_grey_colour_and_transparency(
    mode: str, colour: object, stored_mode: str
) -> None:
    photo = process_photo(encoded(Image.new(mode, (20, 20), colour), "PNG"))

    assert opened(photo.data).mode == stored_mode
    assert photo.content_type == "image/png"


def test_a_palette_png_without_transparency_is_stored_as_rgb() -> None:
    photo = process_photo(encoded(Image.new("RGB", (20, 20), "green").convert("P"), "PNG"))

    assert opened(photo.data).mode == "RGB"


def test_a_palette_png_with_a_transparent_colour_keeps_its_transparency() -> None:
    image = Image.new("P", (20, 20), 0)
    image.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    image.paste(1, (0, 0, 10, 20))

    photo = process_photo(encoded(image, "PNG", transparency=0))

    stored = opened(photo.data)
    assert stored.mode == "RGBA"
    assert stored.getpixel((15, 5))[3] == 0 and stored.getpixel((5, 5))[3] == 255


def test_a_grey_jpeg_stays_grey() -> None:
    photo = process_photo(encoded(Image.new("L", (20, 20), 90), "JPEG"))

    assert opened(photo.data).mode == "L"
    assert photo.content_type == "image/jpeg"


def encoded_as_stored(image: Image.Image, image_format: str) -> bytes:
    """The encoder settings photos are stored with: small files, enough detail to read a label."""
    settings: dict[str, dict[str, object]] = {
        "JPEG": {"quality": 85, "optimize": True, "progressive": True},
        "WEBP": {"quality": 82, "method": 4},
        "PNG": {"optimize": True},
    }
    return encoded(image, image_format, **settings[image_format])


def scene(mode: str = "RGB") -> Image.Image:
    """A small picture with detail, so that encoder settings show in the bytes."""
    image = Image.linear_gradient("L").resize((120, 90)).convert(mode)
    image.paste("white" if mode != "L" else 255, (20, 20, 60, 50))
    return image


@pytest.mark.parametrize("image_format", ["JPEG", "WEBP", "PNG"])
def test_a_photo_is_stored_with_the_agreed_quality_and_compression(image_format: str) -> None:
    upload = encoded(
        scene(), image_format, **({"lossless": True} if image_format == "WEBP" else {})
    )
    pixels = opened(upload)

    photo = process_photo(upload)

    assert photo.data == encoded_as_stored(pixels, image_format)


def test_a_stored_jpeg_is_progressive_so_it_shows_early_on_a_slow_network() -> None:
    photo = process_photo(encoded(scene(), "JPEG", quality=95))

    assert opened(photo.data).info.get("progressive") == 1


def test_a_huge_jpeg_is_decoded_at_a_smaller_scale_to_spare_memory() -> None:
    # 6400 x 4800: half the scale still covers the 1600 pixels we keep.
    upload = encoded(Image.new("L", (6400, 4800), 128), "JPEG")

    assert _decode(upload).size == (3200, 2400)


def test_a_huge_png_is_decoded_whole() -> None:
    upload = encoded(Image.new("L", (1800, 100), 128), "PNG")

    assert _decode(upload).size == (1800, 100)


def test_an_empty_upload_is_refused_as_not_a_photo() -> None:
    with pytest.raises(PhotoError) as refused:
        process_photo(b"")

    assert str(refused.value) == (
        "This file is not a photo we can use. Please choose a JPEG, PNG or WebP picture."
    )


def test_the_thumbnail_of_a_jpeg_is_a_jpeg_too() -> None:
    photo = process_photo(encoded(scene(), "JPEG"))

    assert opened(photo.thumbnail).format == "JPEG" and photo.content_type == "image/jpeg"


def test_photo_and_thumbnail_are_shrunk_with_the_sharp_lanczos_filter() -> None:
    upload = encoded(Image.linear_gradient("L").resize((1700, 256)).convert("RGB"), "PNG")
    expected_photo, expected_thumb = opened(upload), opened(upload)
    expected_photo.thumbnail((1600, 1600), Image.Resampling.LANCZOS)
    expected_thumb.thumbnail((1600, 1600), Image.Resampling.LANCZOS)
    expected_thumb.thumbnail((320, 320), Image.Resampling.LANCZOS)

    photo = process_photo(upload)

    assert opened(photo.data).tobytes() == expected_photo.tobytes()
    assert opened(photo.thumbnail).tobytes() == expected_thumb.tobytes()
