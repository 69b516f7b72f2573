"""Teams and areas: the lists, creating, renaming and archiving them, and each team's board
settings (leads of the team, admins)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from kaizen.accounts.access import require_role
from kaizen.extensions import db
from kaizen.models import Area, BoardColumn, Role, Team, User
from kaizen.services import teams
from kaizen.services.exports import areas_table, teams_table
from kaizen.services.scope import acts_on_every_team, manages_team, works_on_team
from kaizen.services.teams import (
    LimitSetting,
    TeamSettingsError,
    limit_settings,
    list_teams,
    save_team_settings,
    team_by_slug,
)
from kaizen.teams.forms import AreaForm, TeamForm, TeamSettingsForm
from kaizen.web import csv_download

bp = Blueprint("teams", __name__)


@bp.get("/teams")
def index() -> str:
    """Every team with its areas and WIP limits; leads get a link to the settings."""
    me = current_user._get_current_object() if current_user.is_authenticated else None
    rows = [
        TeamRow(team, limit_settings(team), works_on_team(me, team.id), manages_team(me, team.id))
        for team in list_teams(db.session)
    ]
    return render_template(
        "teams/index.html",
        teams=[row for row in rows if row.team.archived_at is None],
        archived=[row for row in rows if row.team.archived_at is not None],
        is_lead=bool(me and me.can(Role.LEAD)),
        is_admin=bool(me and me.can(Role.ADMIN)),
    )


@bp.get("/teams/export.csv")
def export() -> Response:
    """Every team with its cycle start and WIP limits, as CSV; open like the teams page."""
    return csv_download(teams_table(list_teams(db.session)), "kaizen-teams")


@bp.get("/areas/export.csv")
def areas_export() -> Response:
    """Every area of a team, as the teams page lists them, as CSV."""
    return csv_download(areas_table(list_teams(db.session)), "kaizen-areas")


@dataclass(frozen=True)
class TeamRow:
    """A team as the teams page shows it, with what this person may do with it."""

    team: Team
    limits: list[LimitSetting]
    can_file: bool
    can_manage: bool


@bp.route("/teams/<slug>/settings", methods=["GET", "POST"])
@require_role(Role.LEAD)
def settings(slug: str) -> Response | tuple[str, int] | str:
    """A team's WIP limits (blank = no limit, soft or hard) and its cycle start column."""
    team = _team_to_manage(slug)
    if request.method == "GET":
        current: dict[str, Any] = {"cycle_start_column": team.cycle_start_column.value}
        for setting in limit_settings(team):
            current[f"{setting.column.value}_limit"] = setting.wip_limit
            current[f"{setting.column.value}_mode"] = setting.mode.value
        form = TeamSettingsForm(data=current)
    else:
        form = TeamSettingsForm()
    if request.method == "POST" and form.validate():
        try:
            save_team_settings(
                db.session,
                team,
                limits=form.limits(),
                cycle_start_column=BoardColumn(form.cycle_start_column.data),
            )
        except TeamSettingsError as error:
            for name, message in error.errors.items():
                form[name].errors = [*form[name].errors, message]
        else:
            flash(_("Settings for %(team)s saved.", team=team.name), "success")
            return redirect(url_for(".settings", slug=team.slug))
    status = 422 if form.errors else 200
    return render_template("teams/settings.html", team=team, form=form), status


def _me() -> User:
    """The signed-in account (the views below all need one)."""
    return cast(User, current_user._get_current_object())


def _team_or_404(slug: str) -> Team:
    team = team_by_slug(db.session, slug)
    if team is None:
        abort(404)
    return team


def _team_to_manage(slug: str) -> Team:
    """The team, or 404; 403 unless this person manages it (its lead, or an admin)."""
    team = _team_or_404(slug)
    if not manages_team(_me(), team.id):
        abort(403)
    return team


def _show_errors(form: FlaskForm, errors: dict[str, str]) -> None:
    """Put a service's messages beside the fields they name."""
    for name, message in errors.items():
        field = form[name] if name in form else form["name"]
        field.errors = [*field.errors, message]


@bp.route("/teams/new", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def new_team() -> Response | tuple[str, int]:
    """Add a team (admins)."""
    form = TeamForm()
    if form.validate_on_submit():
        try:
            team = teams.create_team(db.session, form.name.data or "")
        except teams.PlaceError as error:
            _show_errors(form, error.errors)
        else:
            flash(_("Team %(team)s added.", team=team.name), "success")
            return redirect(url_for(".index", _anchor=f"team-{team.slug}"), 303)
    status = 422 if form.errors else 200
    return render_template("teams/team_form.html", form=form, team=None), status


@bp.route("/teams/<slug>/edit", methods=["GET", "POST"])
@require_role(Role.LEAD)
def edit_team(slug: str) -> Response | tuple[str, int]:
    """Rename a team (admins, and the team's own lead); its address stays."""
    team = _team_to_manage(slug)
    form = TeamForm(obj=team)
    if form.validate_on_submit():
        try:
            teams.rename_team(db.session, team, form.name.data or "")
        except teams.PlaceError as error:
            _show_errors(form, error.errors)
        else:
            flash(_("Team renamed to %(team)s.", team=team.name), "success")
            return redirect(url_for(".index", _anchor=f"team-{team.slug}"), 303)
    status = 422 if form.errors else 200
    return render_template("teams/team_form.html", form=form, team=team), status


@bp.post("/teams/<slug>/archive")
@require_role(Role.ADMIN)
def archive_team(slug: str) -> Response:
    """Archive a team: it leaves menus and the plant board, its history stays (admins)."""
    team = _team_or_404(slug)
    teams.set_team_archived(db.session, team, True)
    flash(_("%(team)s is archived. Its cards and history stay.", team=team.name), "success")
    return redirect(url_for(".index"), 303)


@bp.post("/teams/<slug>/restore")
@require_role(Role.ADMIN)
def restore_team(slug: str) -> Response:
    """Bring an archived team back (admins)."""
    team = _team_or_404(slug)
    teams.set_team_archived(db.session, team, False)
    flash(_("%(name)s is back in use.", name=team.name), "success")
    return redirect(url_for(".index"), 303)


def _area_or_404(slug: str) -> Area:
    area = teams.area_by_slug(db.session, slug)
    if area is None:
        abort(404)
    return area


def _area_form(area: Area | None = None) -> AreaForm:
    """The area form, its team choices limited to the teams this person manages."""
    form = AreaForm(obj=area)
    me = _me()
    managed = [(t.id, t.name) for t in teams.list_teams(db.session) if manages_team(me, t.id)]
    blank = [("", _("— no team —"))] if acts_on_every_team(me) else []
    form.team_id.choices = [*blank, *managed]
    return form


@bp.get("/areas")
@require_role(Role.LEAD)
def areas() -> str:
    """Every area with its team and QR code; leads change their own team's (leads, admins)."""
    me = _me()
    rows = [(area, manages_team(me, area.team_id)) for area in teams.list_areas(db.session)]
    return render_template("teams/areas.html", rows=rows, kind_labels=teams.AREA_KIND_LABELS)


@bp.route("/areas/new", methods=["GET", "POST"])
@require_role(Role.LEAD)
def new_area() -> Response | tuple[str, int]:
    """Add an area to a team this person manages."""
    form = _area_form()
    if request.method == "GET" and request.args.get("team"):
        team = team_by_slug(db.session, request.args["team"])
        form.team_id.data = team.id if team else None
    if form.validate_on_submit():
        try:
            area = teams.create_area(
                db.session,
                name=form.name.data or "",
                kind=form.kind.data or "",
                team_id=form.team_id.data,
                by_user=_me(),
            )
        except teams.PlaceError as error:
            _show_errors(form, error.errors)
        else:
            flash(
                _("Area %(area)s added. Print its QR code for the line.", area=area.name), "success"
            )
            return redirect(url_for(".areas"), 303)
    status = 422 if form.errors else 200
    return render_template("teams/area_form.html", form=form, area=None), status


def _area_to_manage(slug: str) -> Area:
    """The area, or 404; 403 unless this person manages its team."""
    area = _area_or_404(slug)
    if not manages_team(_me(), area.team_id):
        abort(403)
    return area


@bp.route("/areas/<slug>/edit", methods=["GET", "POST"])
@require_role(Role.LEAD)
def edit_area(slug: str) -> Response | tuple[str, int]:
    """Rename an area or give it to another team; its QR code keeps working."""
    area = _area_to_manage(slug)
    form = _area_form(area)
    if form.validate_on_submit():
        try:
            teams.update_area(
                db.session,
                area,
                name=form.name.data or "",
                kind=form.kind.data or "",
                team_id=form.team_id.data,
                by_user=_me(),
            )
        except teams.PlaceError as error:
            _show_errors(form, error.errors)
        else:
            flash(_("Area %(area)s saved.", area=area.name), "success")
            return redirect(url_for(".areas"), 303)
    status = 422 if form.errors else 200
    return render_template("teams/area_form.html", form=form, area=area), status


@bp.post("/areas/<slug>/archive")
@require_role(Role.LEAD)
def archive_area(slug: str) -> Response:
    """Archive an area: it leaves the entry form, its kiosks are revoked, reports stay."""
    area = _area_to_manage(slug)
    teams.set_area_archived(db.session, area, True)
    flash(_("%(area)s is archived. Its reports stay.", area=area.name), "success")
    return redirect(url_for(".areas"), 303)


@bp.post("/areas/<slug>/restore")
@require_role(Role.LEAD)
def restore_area(slug: str) -> Response:
    """Bring an archived area back into the entry form."""
    area = _area_to_manage(slug)
    teams.set_area_archived(db.session, area, False)
    flash(_("%(name)s is back in use.", name=area.name), "success")
    return redirect(url_for(".areas"), 303)
