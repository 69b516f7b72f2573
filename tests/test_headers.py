"""Security headers on every answer, and templates that need no inline script or style."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from kaizen.models import Waste
from kaizen.web import CONTENT_SECURITY_POLICY

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("address", ["/", "/observe", "/login", "/learning", "/no-such-page"])
def test_every_page_carries_the_security_headers(client: FlaskClient, address: str) -> None:
    response = client.get(address)

    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]


def test_health_checks_and_static_files_carry_them_too(client: FlaskClient) -> None:
    for address in ("/livez", "/static/css/kaizen.css"):
        response = client.get(address)
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["X-Frame-Options"] == "DENY"


def test_a_chart_opened_on_its_own_may_style_itself_but_runs_no_script(
    client: FlaskClient,
) -> None:
    response = client.get("/reports/charts/throughput.svg")

    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert policy.startswith("default-src 'none'")
    assert "script-src" not in policy  # default-src 'none' covers scripts
    assert "frame-ancestors 'none'" in policy


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> block"),
    (re.compile(r"\sstyle=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+=", re.I), "an on* handler"),
    (re.compile(r"hx-on", re.I), "hx-on (needs eval)"),
    (re.compile(r"hx-trigger=\"[^\"]*\[", re.I), "an hx-trigger filter (needs eval)"),
    (re.compile(r"javascript:", re.I), "a javascript: address"),
]


def test_no_template_holds_inline_script_or_style() -> None:
    found = [
        f"{path.relative_to(ROOT)}: {what}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for pattern, what in INLINE
        if pattern.search(path.read_text())
    ]
    assert found == []


def test_the_waste_colours_stylesheet_matches_the_vocabulary() -> None:
    css = (ROOT / "static" / "css" / "wastes.css").read_text()
    for waste in Waste:
        colour = waste.info.colour
        rule = f".w-{waste.value} {{ --waste: {colour}; --waste-colour: {colour}; }}"
        assert rule in css, f"static/css/wastes.css needs: {rule}"


def test_htmx_is_told_not_to_add_its_own_style_element(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)

    assert '"includeIndicatorStyles":false' in html
    assert '"allowEval":false' in html
