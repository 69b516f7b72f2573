"""Home page, `/healthz`, and what a tablet needs to pin Kaizen as an app and open the entry
form offline (favicon, web app manifest, service worker)."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from kaizen.devices.mode import current_kiosk
from kaizen.extensions import db
from kaizen.i18n import set_language_cookie
from kaizen.models import utcnow
from kaizen.services.languages import save_own_language, shipped
from kaizen.services.overview import database_health, plant_overview

bp = Blueprint("main", __name__)


@bp.get("/")
def home() -> str:
    """The plant at a glance: this month's reports and the board's columns."""
    overview = plant_overview(db.session, utcnow())
    return render_template("main/home.html", overview=overview)


@bp.post("/language")
def choose_language() -> BaseResponse:
    """The one-tap language switch: this device reads Kaizen in the chosen language from now
    on (and so does the signed-in person, kiosks aside), back on the page it was tapped on."""
    code = shipped(request.form.get("language"))
    if code is None:
        abort(400)
    if current_kiosk() is None and current_user.is_authenticated:
        save_own_language(db.session, current_user._get_current_object(), code)
    back = request.form.get("next", "")
    response = redirect(back if _local_path(back) else url_for("observations.observe"), 303)
    set_language_cookie(current_app, response, code)
    return response


@bp.get("/healthz")
def healthz() -> Response:
    """200 `ok` when the app and its database answer and accept writes, 503 otherwise (for
    load balancers: a host whose database refuses writes would lose what people send)."""
    problem = database_health(db.session)
    if problem is None:
        return _plain("ok", 200)
    return _plain(f"{problem}\n", 503)


@bp.get("/livez")
def livez() -> Response:
    """200 `alive` while the process serves requests, whatever the database's state (for a
    supervisor deciding whether to restart the process, which would not mend a database)."""
    return _plain("alive", 200)


def _plain(text: str, status: int) -> Response:
    """A short plain-text answer that no cache keeps."""
    response = make_response(text, status)
    response.mimetype = "text/plain"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The icon browsers ask for at the site's root (pages also link the SVG one)."""
    response = send_from_directory(_static("icons"), "favicon.ico", max_age=7 * 24 * 3600)
    response.mimetype = "image/vnd.microsoft.icon"
    return response


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    """The web app manifest: a tablet pins Kaizen to its home screen and opens it full screen.

    `start` is the page it was pinned from (the entry form of one area, a team's board), so
    the pinned icon opens that page; anything but a local path falls back to the home page.
    """
    start = request.args.get("start", "")
    if not _local_path(start):
        start = url_for("main.home")
    body = {
        "name": "Kaizen",
        "short_name": "Kaizen",
        "description": "Report waste, run the improvement board, learn from every experiment.",
        "start_url": start,
        "scope": "/",
        "display": "fullscreen",
        "display_override": ["fullscreen", "standalone"],
        "background_color": "#f5f6f8",
        "theme_color": "#1f4e79",
        "icons": _icons(),
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    response.cache_control.max_age = 3600
    return response


@bp.get("/sw.js")
def service_worker() -> Response:
    """The service worker (static/js/sw.js), served at the root so it may look after the
    entry form at `/observe`; never cached, so a new version reaches every tablet."""
    response = send_from_directory(_static("js"), "sw.js", max_age=0)
    response.mimetype = "text/javascript"
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


def _icons() -> list[dict[str, str]]:
    """The home-screen icons of the manifest (a maskable one for round launchers)."""
    icons = [
        {"src": f"icons/icon-{size}.png", "sizes": f"{size}x{size}", "type": "image/png"}
        for size in (192, 512)
    ]
    icons.append(
        {
            "src": "icons/icon-maskable-512.png",
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        }
    )
    return [{**icon, "src": url_for("static", filename=icon["src"])} for icon in icons]


def _static(folder: str) -> Path:
    """A folder of the app's static files."""
    return Path(current_app.static_folder or "static") / folder


def _local_path(target: str) -> bool:
    """A path on this site (never another site's address, never a scheme)."""
    return (
        target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and all(ch.isprintable() for ch in target)
        and len(target) <= 300
    )
