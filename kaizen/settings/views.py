"""The plant settings page (admins only): time zone and default language; and the
per-request plant time zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField

from kaizen.accounts.access import require_role
from kaizen.extensions import db
from kaizen.input import KaizenForm
from kaizen.models import Role, utcnow
from kaizen.services.languages import LANGUAGES, LanguageError, stored_plant_language
from kaizen.services.plant_settings import save_plant_settings
from kaizen.services.plant_time import (
    TimeZoneError,
    ZoneSetting,
    stored_zone_name,
    to_local,
    zone_found_by,
    zone_label,
)

bp = Blueprint("settings", __name__)


class PlantSettingsForm(KaizenForm):
    """The plant's IANA time zone and default language."""

    time_zone = StringField(_l("Time zone"))
    language = SelectField(
        _l("Default language"),
        choices=[
            ("", _l("None: each browser's own language")),
            *((language.code, language.name) for language in LANGUAGES),
        ],
    )


@bp.route("/settings/plant", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def plant() -> Response | tuple[str, int] | str:
    """The plant's time zone: how dates and times are shown and where months and days end."""
    default = current_app.config["TIME_ZONE"]
    stored = stored_zone_name(db.session)
    language = stored_plant_language(db.session)
    form = PlantSettingsForm(data={"time_zone": stored or default, "language": language})
    if request.method == "POST" and form.validate():
        try:
            zone = save_plant_settings(
                db.session, time_zone=form.time_zone.data or "", language=form.language.data or ""
            )
        except (TimeZoneError, LanguageError) as error:
            form.time_zone.errors = [str(error)]
        else:
            _remember(zone.key, form.language.data or "")
            flash(_("The plant's time zone is now %(zone)s.", zone=zone.key), "success")
            return redirect(url_for(".plant"))
    status = 422 if form.errors else 200
    now = utcnow()
    return render_template(
        "settings/plant.html",
        form=form,
        default=default,
        stored=stored,
        now=now,
        now_label=zone_label(now),
    ), status


def _remember(zone: str, language: str) -> None:
    """What this worker just saved is in force here at once (others read it within 30 s)."""
    current_app.extensions["plant_zone"].remember(zone)
    current_app.extensions["plant_language"].remember(language)


def register_plant_time(app: Flask) -> None:
    """Each request counts and shows time in the plant's zone; templates get `local`."""

    setting = app.extensions["plant_zone"] = ZoneSetting(app.config["TIME_ZONE"])

    @app.before_request
    def _use_plant_zone() -> None:
        g.plant_zone = zone_found_by(lambda: setting.zone(db.engine))
        g.plant_zone.__enter__()

    @app.teardown_request
    def _forget_plant_zone(_error: BaseException | None) -> None:
        block = g.pop("plant_zone", None)
        if block is not None:
            block.__exit__(None, None, None)

    @app.template_filter("local")
    def _local(moment: datetime | None) -> Any:
        """A stored (UTC) moment as the plant's wall-clock time."""
        return to_local(moment) if moment is not None else None

    @app.template_global("zone_label")
    def _zone_label(moment: datetime | None = None) -> str:
        """The plant zone's abbreviation ('CET', 'UTC') at a stored moment."""
        return zone_label(moment)
