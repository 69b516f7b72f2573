"""Photos attached to observations: decoded to prove they are pictures, turned upright,
stripped of metadata (GPS, device), shrunk, and given a thumbnail for lists.

The bytes a person uploads are never stored as they came: every photo is decoded by
Pillow and encoded afresh, so nothing but the pixels survives.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_SIDE = 1600
THUMB_SIDE = 320
# A decoded picture this large would take hundreds of megabytes of memory; a phone
# photo has 12-50 million pixels, so 60 million leaves room for every real camera.
MAX_PIXELS = 60_000_000

# Pillow format name -> the Content-Type we store and serve.
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}

# Translated when shown (str of the error), in the reader's language.
TOO_LARGE = _l("Photos can be at most 10 MB.")
NOT_A_PHOTO = _l("This file is not a photo we can use. Please choose a JPEG, PNG or WebP picture.")
DAMAGED = _l("This photo seems damaged or incomplete. Please take it again.")
TOO_MANY_PIXELS = _l("This picture is too large to handle. Please take a normal photo instead.")


class PhotoError(ValueError):
    """The upload cannot be used as a photo; the message says why, in plain words."""


@dataclass(frozen=True)
class ProcessedPhoto:
    """A cleaned photo ready to store: upright, metadata-free, at most 1600 px."""

    data: bytes
    thumbnail: bytes
    content_type: str
    width: int
    height: int


def _decode(raw: bytes) -> Image.Image:
    """Open and fully decode the upload, refusing anything but JPEG, PNG and WebP."""
    try:
        # Opening decodes no pixels yet. Pillow refuses (or, nearer its limit, only warns
        # about) enormous pictures; our lower limit refuses them before they are decoded.
        image = Image.open(io.BytesIO(raw), formats=list(CONTENT_TYPES))
        if image.width * image.height > MAX_PIXELS:
            raise PhotoError(TOO_MANY_PIXELS)
        if image.format == "JPEG":
            # Let the JPEG decoder skip detail we would throw away anyway.
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))
        image.load()
    except PhotoError:
        raise
    except Image.DecompressionBombError as error:
        raise PhotoError(TOO_MANY_PIXELS) from error
    except UnidentifiedImageError as error:
        raise PhotoError(NOT_A_PHOTO) from error
    except (OSError, SyntaxError, ValueError) as error:
        # Pillow reports truncated or corrupt data as OSError (and sometimes SyntaxError).
        raise PhotoError(DAMAGED) from error
    return image


def _normalise_mode(image: Image.Image, image_format: str) -> Image.Image:
    """A pixel mode the format can store and resizing handles well."""
    if image_format == "JPEG":
        return image if image.mode in ("RGB", "L") else image.convert("RGB")
    if image.mode in ("RGB", "RGBA", "L", "LA"):
        return image
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")


def _encode(image: Image.Image, image_format: str) -> bytes:
    """Encode pixels only: no EXIF, no ICC profile, no comments, no XMP."""
    image.info = {}
    out = io.BytesIO()
    if image_format == "JPEG":
        image.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    elif image_format == "WEBP":
        image.save(out, "WEBP", quality=82, method=4)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


def process_photo(raw: bytes) -> ProcessedPhoto:
    """Validate an upload by decoding it and return a clean photo and its thumbnail."""
    if len(raw) > MAX_PHOTO_BYTES:
        raise PhotoError(TOO_LARGE)
    if not raw:
        raise PhotoError(NOT_A_PHOTO)
    decoded = _decode(raw)
    image_format = decoded.format or "PNG"
    ImageOps.exif_transpose(decoded, in_place=True)  # no full-size copy
    image = _normalise_mode(decoded, image_format)
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    thumb = image.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    return ProcessedPhoto(
        data=_encode(image, image_format),
        thumbnail=_encode(thumb, image_format),
        content_type=CONTENT_TYPES[image_format],
        width=image.width,
        height=image.height,
    )
