"""Kiosk tablets (bind, list, revoke, unlock) and TV display links (make, list, revoke)."""

from __future__ import annotations

from typing import cast

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from kaizen.accounts.access import require_role
from kaizen.accounts.forms import SignInForm
from kaizen.accounts.views import attempt_sign_in
from kaizen.devices.forms import DisplayLinkForm, KioskForm
from kaizen.devices.mode import KIOSK_COOKIE, current_kiosk, set_kiosk_cookie
from kaizen.extensions import db
from kaizen.models import Role, User
from kaizen.services import devices
from kaizen.services.scope import NotYourTeam
from kaizen.services.sign_in import SignInLocked

bp = Blueprint("kiosks", __name__)


def _me() -> User:
    """The signed-in account (the views here all need one)."""
    return cast(User, current_user._get_current_object())


@bp.route("/kiosks/new", methods=["GET", "POST"])
@require_role(Role.LEAD)
def bind() -> Response | tuple[str, int]:
    """Turn the tablet in front of the lead into the kiosk of an area of their team."""
    form = KioskForm()
    areas = devices.bindable_areas(db.session, _me())
    form.area_id.choices = [
        (a.id, f"{a.name} ({a.team.name})" if a.team else a.name) for a in areas
    ]
    if form.validate_on_submit():
        try:
            made = devices.bind_kiosk(db.session, form.area_id.data, form.name.data or "", _me())
        except devices.DeviceError as error:
            form.area_id.errors = [*form.area_id.errors, str(error)]
        else:
            # The lead's own sign-in must not stay on a tablet anyone can walk up to.
            logout_user()
            flash(_("This tablet is now a kiosk. Reports made here carry no name."), "success")
            response = redirect(url_for("observations.observe"))
            set_kiosk_cookie(current_app, response, made.secret)
            return response
    status = 422 if form.errors else 200
    return render_template("devices/bind.html", form=form, has_areas=bool(areas)), status


@bp.get("/kiosks")
@require_role(Role.ADMIN)
def index() -> str:
    """Every kiosk tablet, live ones first, with a revoke button each."""
    return render_template("devices/kiosks.html", kiosks=devices.list_kiosks(db.session))


@bp.post("/kiosks/<int:device_id>/revoke")
@require_role(Role.ADMIN)
def revoke(device_id: int) -> Response:
    """Revoke a kiosk: its tablet becomes an ordinary signed-out screen again."""
    if not devices.revoke_kiosk(db.session, device_id):
        abort(404)
    flash(_("Kiosk revoked. That tablet is no longer bound to its area."), "success")
    return redirect(url_for(".index"), 303)


@bp.route("/kiosk/unlock", methods=["GET", "POST"])
def unlock() -> Response | tuple[str, int]:
    """A lead signs in on a kiosk tablet to release it (the kiosk is revoked)."""
    kiosk = current_kiosk()
    if kiosk is None:
        return redirect(url_for("main.home"))
    form = SignInForm()
    if form.validate_on_submit():
        try:
            person = attempt_sign_in(form)
        except SignInLocked as locked:
            form.password.errors.append(str(locked))
            return render_template("devices/unlock.html", form=form, kiosk=kiosk), 429
        if person is not None and person.can(Role.LEAD):
            if kiosk.device_id is not None:
                devices.revoke_kiosk(db.session, kiosk.device_id)
            logout_user()
            login_user(person)
            flash(_("Kiosk unlocked. Welcome, %(name)s.", name=person.display_name), "success")
            response = redirect(url_for("main.home"))
            response.delete_cookie(KIOSK_COOKIE)
            return response
        form.password.errors.append(_("Only a lead or an admin can unlock this kiosk."))
    status = 422 if form.errors else 200
    return render_template("devices/unlock.html", form=form, kiosk=kiosk), status


@bp.route("/display-links", methods=["GET", "POST"])
@require_role(Role.LEAD)
def display_links() -> Response | tuple[str, int]:
    """TV links to a team's board: make one (its address is shown once), list, revoke."""
    form = DisplayLinkForm()
    form.team_id.choices = [(t.id, t.name) for t in devices.displayable_teams(db.session, _me())]
    new_url = None
    if form.validate_on_submit():
        try:
            made = devices.create_display_link(
                db.session, form.team_id.data, form.name.data or "", _me()
            )
        except devices.DeviceError as error:
            form.team_id.errors = [*form.team_id.errors, str(error)]
        else:
            new_url = url_for("board.display", token=made.secret, _external=True)
            form = DisplayLinkForm(formdata=None)
            form.team_id.choices = [
                (t.id, t.name) for t in devices.displayable_teams(db.session, _me())
            ]
    status = 422 if form.errors else 200
    html = render_template(
        "devices/display_links.html",
        form=form,
        links=devices.list_display_links(db.session, _me()),
        new_url=new_url,
    )
    response = make_response(html, status)
    # The page may show a secret address: no cache keeps it.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/display-links/<int:link_id>/revoke")
@require_role(Role.LEAD)
def revoke_display_link(link_id: int) -> Response:
    """Revoke a TV link: the screen showing it gets 'not found' at its next poll."""
    link = devices.display_link(db.session, link_id) or abort(404)
    try:
        devices.revoke_display_link(db.session, link, _me())
    except NotYourTeam:
        abort(403)
    flash(_("TV link revoked. The screen using it no longer shows the board."), "success")
    return redirect(url_for(".display_links"), 303)
