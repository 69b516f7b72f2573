"""The teams list and each team's board settings (leads only)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from kaizen.accounts.access import require_role
from kaizen.extensions import db
from kaizen.models import BoardColumn, Role
from kaizen.services.exports import areas_table, teams_table
from kaizen.services.teams import (
    TeamSettingsError,
    limit_settings,
    list_teams,
    save_team_settings,
    team_by_slug,
)
from kaizen.teams.forms import TeamSettingsForm
from kaizen.web import csv_download

bp = Blueprint("teams", __name__)


@bp.get("/teams")
def index() -> str:
    """Every team with its areas and WIP limits; leads get a link to the settings."""
    teams = list_teams(db.session)
    return render_template(
        "teams/index.html",
        teams=[(team, limit_settings(team)) for team in teams],
        can_manage=current_user.is_authenticated and current_user.can(Role.LEAD),
        can_file=current_user.is_authenticated and current_user.can(Role.MEMBER),
    )


@bp.get("/teams/export.csv")
def export() -> Response:
    """Every team with its cycle start and WIP limits, as CSV; open like the teams page."""
    return csv_download(teams_table(list_teams(db.session)), "kaizen-teams")


@bp.get("/areas/export.csv")
def areas_export() -> Response:
    """Every area of a team, as the teams page lists them, as CSV."""
    return csv_download(areas_table(list_teams(db.session)), "kaizen-areas")


@bp.route("/teams/<slug>/settings", methods=["GET", "POST"])
@require_role(Role.LEAD)
def settings(slug: str) -> Response | tuple[str, int] | str:
    """A team's WIP limits (blank = no limit, soft or hard) and its cycle start column."""
    team = team_by_slug(db.session, slug)
    if team is None:
        abort(404)
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
            flash(f"Settings for {team.name} saved.", "success")
            return redirect(url_for(".settings", slug=team.slug))
    status = 422 if form.errors else 200
    return render_template("teams/settings.html", team=team, form=form), status
