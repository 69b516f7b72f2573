"""QR codes that open an area's tablet entry form, as inline SVG for printing."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import segno


@dataclass(frozen=True)
class AreaCode:
    """One printable code: the area, the address it opens and the SVG that encodes it."""

    name: str
    slug: str
    team: str | None
    url: str
    svg: str


def observe_url(base_url: str, observe_path: str, area_slug: str) -> str:
    """The absolute `/observe?area=<slug>` address a printed code points at."""
    return f"{base_url.rstrip('/')}{observe_path}?{urlencode({'area': area_slug})}"


def qr_svg(url: str, title: str = "") -> str:
    """An inline SVG QR code for `url`, sized by CSS (no fixed width or height)."""
    # Quartile error correction survives a scuffed or partly dirty print on the shop floor.
    code = segno.make(url, error="q", micro=False, boost_error=False)
    return str(
        code.svg_inline(
            scale=1,
            border=4,
            omitsize=True,
            title=title or None,
            svgclass="qr-code",
            lineclass="qr-line",
            dark="#000",
            light="#fff",
        )
    )
