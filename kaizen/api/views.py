"""The JSON API v1 (/api/v1/...): observations, improvements and their moves, five whys,
reflections and the monthly report's metrics. Each view parses with the schemas, calls one
service (the same ones the pages use) and answers; the OpenAPI document comes from here.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint as PageBlueprint
from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from marshmallow import ValidationError

from kaizen.api import schemas as s
from kaizen.api.core import (
    ApiError,
    api_user,
    next_link,
    require,
    token_id,
    validation_fields,
)
from kaizen.api.reference import api_reference
from kaizen.extensions import db
from kaizen.models import Area, Improvement, Observation, Role, Team, utcnow
from kaizen.services import api_data, improvements, moves, observations, root_causes
from kaizen.services.flow_data import Scope
from kaizen.services.idempotency import InvalidKey, valid_key
from kaizen.services.improvements import CardInputError, StaleCard
from kaizen.services.months import Month
from kaizen.services.reports import month_metrics
from kaizen.services.scope import NotYourTeam, works_on_team

observations_bp = Blueprint(
    "api-observations",
    __name__,
    url_prefix="/api/v1/observations",
    description="Waste observations reported on the shop floor (or by a machine).",
)
improvements_bp = Blueprint(
    "api-improvements",
    __name__,
    url_prefix="/api/v1/improvements",
    description="Improvement cards on the board, their moves and reflections.",
)
root_causes_bp = Blueprint(
    "api-root-causes",
    __name__,
    url_prefix="/api/v1/root-causes",
    description="Five-whys records: the ladder of steps, the root cause and its links.",
)
reflections_bp = Blueprint(
    "api-reflections",
    __name__,
    url_prefix="/api/v1/reflections",
    description="Reflections on finished improvements: the learning hub.",
)
metrics_bp = Blueprint(
    "api-metrics",
    __name__,
    url_prefix="/api/v1/metrics",
    description="The monthly report's numbers, computed from the card-move log.",
)
BLUEPRINTS = (observations_bp, improvements_bp, root_causes_bp, reflections_bp, metrics_bp)
guide = PageBlueprint("api-guide", __name__)

# What a missing record of each kind is called in a 404's message.
NOT_FOUND = {
    "observation": _l("There is no observation with id %(id)s."),
    "card": _l("There is no card with id %(id)s."),
    "reflection": _l("There is no reflection with id %(id)s."),
    "reflection on the card": _l("There is no reflection on the card with id %(id)s."),
    "record": _l("There is no record with id %(id)s."),
    "five-whys record": _l("There is no five-whys record with id %(id)s."),
}
KEY_HEADER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "description": "8 to 64 letters, digits or - _ . : ; a retry with the same key is stored once",
    "schema": {"type": "string"},
}


def _idempotency_key() -> str | None:
    """The Idempotency-Key header, kept apart per token (two clients may pick one key)."""
    raw = request.headers.get("Idempotency-Key")
    try:
        key = valid_key(raw)
    except InvalidKey as error:
        raise ApiError(400, str(error), fields={"Idempotency-Key": str(error)}) from error
    if key is None:
        return None
    return f"t{token_id()}:" + hashlib.sha256(key.encode()).hexdigest()[:48]


def _found(value: Any, kind: str, ident: int) -> Any:
    if value is None:
        raise ApiError(404, str(NOT_FOUND[kind]) % {"id": ident})
    return value


def _slug(model: type[Team] | type[Area], slug: str | None, field: str) -> Any:
    """The team or area named by a slug in a request (None for none); 422 when unknown."""
    if not slug:
        return None
    finder = api_data.team_by_slug if model is Team else observations.area_by_slug
    found = finder(db.session, slug)
    if found is None:
        unknown = (
            _("There is no team “%(slug)s”.", slug=slug)
            if model is Team
            else _("There is no area “%(slug)s”.", slug=slug)
        )
        raise ApiError(422, unknown, fields={field: _("Unknown slug.")})
    return found


def _page(page: api_data.Page) -> dict[str, Any]:
    return {"items": page.items, "next": next_link(page.next_cursor)}


# --------------------------------------------------------------------------------------
# Observations
# --------------------------------------------------------------------------------------

OBSERVATION_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": s.ObservationCreate},
        "multipart/form-data": {"schema": s.ObservationUpload},
    },
}


@observations_bp.route("", methods=["GET"])
@observations_bp.arguments(s.ObservationQuery, location="query")
@observations_bp.response(200, s.ObservationPage)
def list_observations(query: dict[str, Any]) -> dict[str, Any]:
    """Observations, newest first, filtered by area, waste and time."""
    require(Role.VIEWER)
    area = _slug(Area, query["area"], "area")
    wanted = api_data.ObservationFilter(
        area_id=area.id if area else None,
        waste=query["waste"],
        since=s.naive_utc(query["since"]),
        until=s.naive_utc(query["until"]),
    )
    return _page(api_data.observation_page(db.session, wanted, query["limit"], query["cursor"]))


def _observation_input() -> observations.ObservationInput:
    """The report sent, as JSON or as multipart/form-data with a photo; 422 when invalid."""
    try:
        if request.mimetype == "multipart/form-data":
            data = s.ObservationUpload().load(request.form.to_dict())
            photo = request.files.get("photo")
            data["photo"] = photo.read() if photo else None
        elif request.is_json:
            data = s.ObservationCreate().load(request.get_json())
        else:
            raise ApiError(415, _("Send JSON (application/json) or multipart/form-data."))
    except ValidationError as error:
        raise ApiError(
            422, _("Some fields need another look."), fields=validation_fields(error)
        ) from error
    return observations.ObservationInput(
        area=data["area"],
        waste=data["waste"].value,
        description=data["description"],
        minutes_lost=data["minutes_lost"],
        frequency=data["frequency"].value if data["frequency"] else None,
        photo=data.get("photo"),
        anonymous=data["anonymous"],
    )


@observations_bp.route("", methods=["POST"])
@observations_bp.doc(requestBody=OBSERVATION_BODY, parameters=[KEY_HEADER])
@observations_bp.response(201, s.ObservationOut)
def create_observation() -> tuple[dict[str, Any], int, dict[str, str]]:
    """Report an observation (the tablet's form, for machines); a retry with the same
    Idempotency-Key answers with the first report and stores nothing new."""
    require(Role.VIEWER)
    key = _idempotency_key()
    done = observations.submit_observation(db.session, _observation_input(), api_user(), key=key)
    if done.errors or done.observation is None:
        fields = {("Idempotency-Key" if k == "form_key" else k): v for k, v in done.errors.items()}
        raise ApiError(422, _("Some fields need another look."), fields=fields)
    found = api_data.observation(db.session, done.observation.id)
    location = url_for(".get_observation", observation_id=done.observation.id)
    return _found(found, "observation", done.observation.id), 201, {"Location": location}


@observations_bp.route("/<int:observation_id>", methods=["GET"])
@observations_bp.response(200, s.ObservationOut)
def get_observation(observation_id: int) -> dict[str, Any]:
    """One observation."""
    require(Role.VIEWER)
    found = api_data.observation(db.session, observation_id)
    return _found(found, "observation", observation_id)


# --------------------------------------------------------------------------------------
# Improvements (cards), their moves and reflections
# --------------------------------------------------------------------------------------


def _card_changes(data: dict[str, Any]) -> dict[str, Any]:
    """A card's fields as sent (slugs, a username) as the card service takes them (ids)."""
    changes = {k: v for k, v in data.items() if k not in ("area", "owner", "team", "version")}
    if "area" in data:
        area = _slug(Area, data["area"], "area")
        changes["area_id"] = area.id if area else None
    if data.get("team"):
        changes["team_id"] = _slug(Team, data["team"], "team").id
    if "owner" in data:
        owner = api_data.user_by_username(db.session, data["owner"])
        if data["owner"] and owner is None:
            raise ApiError(
                422, _("There is no such account."), fields={"owner": _("Unknown username.")}
            )
        changes["owner_id"] = owner.id if owner else None
    return changes


def _card_refused(error: Exception) -> ApiError:
    """The API's answer to a card change the card services refused."""
    if isinstance(error, StaleCard):
        return ApiError(409, improvements.STALE_MESSAGE, "stale_version")
    if isinstance(error, NotYourTeam):
        return ApiError(403, error.message, "other_team")
    if isinstance(error, CardInputError):
        return ApiError(422, _("Some fields need another look."), fields=error.errors)
    raise error


@improvements_bp.route("", methods=["GET"])
@improvements_bp.arguments(s.ImprovementQuery, location="query")
@improvements_bp.response(200, s.ImprovementPage)
def list_improvements(query: dict[str, Any]) -> dict[str, Any]:
    """Cards, newest first, filtered by column, team and area."""
    team = _slug(Team, query["team"], "team")
    area = _slug(Area, query["area"], "area")
    wanted = api_data.CardFilter(
        column=query["column"],
        team_id=team.id if team else None,
        area_id=area.id if area else None,
    )
    return _page(api_data.improvement_page(db.session, wanted, query["limit"], query["cursor"]))


@improvements_bp.route("", methods=["POST"])
@improvements_bp.arguments(s.ImprovementCreate)
@improvements_bp.response(201, s.ImprovementOut)
def create_improvement(data: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """File a card in its team's Ideas column (members of that team)."""
    user = require(Role.MEMBER)
    found, missing = api_data.by_ids(db.session, Observation, data.pop("observations"))
    if missing:
        raise ApiError(422, _("Unknown observation."), fields={"observations": str(missing)})
    team = _slug(Team, data["team"], "team")
    title = data.pop("title")
    try:
        card = improvements.new_card(
            db.session,
            team=team,
            created_by=user,
            title=title,
            observations=found,
            fields=_card_changes(data),
        )
    except (NotYourTeam, CardInputError) as error:
        raise _card_refused(error) from error
    location = url_for(".get_improvement", improvement_id=card.id)
    return (
        _found(api_data.improvement(db.session, card.id), "card", card.id),
        201,
        {"Location": location},
    )


@improvements_bp.route("/<int:improvement_id>", methods=["GET"])
@improvements_bp.response(200, s.ImprovementOut)
def get_improvement(improvement_id: int) -> dict[str, Any]:
    """One card."""
    return _found(api_data.improvement(db.session, improvement_id), "card", improvement_id)


@improvements_bp.route("/<int:improvement_id>", methods=["PATCH"])
@improvements_bp.arguments(s.ImprovementUpdate)
@improvements_bp.response(200, s.ImprovementOut)
def update_improvement(data: dict[str, Any], improvement_id: int) -> dict[str, Any]:
    """Change a card's fields, on the version last read (409 if it changed since)."""
    user = require(Role.MEMBER)
    card: Improvement = _found(api_data.card(db.session, improvement_id), "card", improvement_id)
    changes = _card_changes(data)
    teams = {card.team_id, changes.get("team_id", card.team_id)}
    try:
        if not all(works_on_team(user, team) for team in teams):
            raise NotYourTeam()
        improvements.update_improvement(
            db.session, card, expected_version=data["version"], changes=changes
        )
    except (NotYourTeam, CardInputError, StaleCard) as error:
        raise _card_refused(error) from error
    return _found(api_data.improvement(db.session, improvement_id), "card", improvement_id)


MOVE_REFUSALS: dict[type, tuple[int, str]] = {
    moves.CardNotFound: (404, "not_found"),
    moves.StaleVersion: (409, "stale_version"),
    moves.OtherTeamsCard: (403, "other_team"),
    moves.WipLimitExceeded: (422, "wip_limit"),
    moves.SoftLimitNeedsReason: (422, "reason_required"),
    moves.OutcomeRequired: (422, "outcome_required"),
    moves.MoveKeyReused: (422, "idempotency_key_reused"),
}


@improvements_bp.route("/<int:improvement_id>/move", methods=["POST"])
@improvements_bp.arguments(s.MoveIn)
@improvements_bp.doc(parameters=[KEY_HEADER])
@improvements_bp.response(200, s.MoveOut)
def move_improvement(data: dict[str, Any], improvement_id: int) -> moves.MoveResult:
    """Move a card (the board's one move path: WIP limits, versions, outcomes, the log)."""
    user = require(Role.MEMBER)
    try:
        return moves.move_card(
            db.session,
            improvement_id,
            data["to"],
            data["position"],
            data["version"],
            user,
            reason=data["reason"],
            outcome=data["outcome"],
            key=_idempotency_key(),
        )
    except moves.MoveRefused as error:
        status, code = MOVE_REFUSALS.get(type(error), (422, "invalid_move"))
        field = {"reason_required": "reason", "outcome_required": "outcome"}.get(code)
        fields = {field: str(error)} if field else {}
        raise ApiError(status, str(error), code, fields=fields) from error


@improvements_bp.route("/<int:improvement_id>/moves", methods=["GET"])
@improvements_bp.response(200, s.CardMoveList)
def list_card_moves(improvement_id: int) -> dict[str, Any]:
    """A card's move log, oldest first (append-only; every flow metric comes from it)."""
    _found(api_data.card(db.session, improvement_id), "card", improvement_id)
    return {"items": api_data.card_moves(db.session, improvement_id)}


@improvements_bp.route("/<int:improvement_id>/reflection", methods=["GET"])
@improvements_bp.response(200, s.ReflectionOut)
def get_reflection(improvement_id: int) -> dict[str, Any]:
    """The reflection on a finished card."""
    found = api_data.reflection_of(db.session, improvement_id)
    return _found(found, "reflection on the card", improvement_id)


@improvements_bp.route("/<int:improvement_id>/reflection", methods=["POST"])
@improvements_bp.arguments(s.ReflectionIn)
@improvements_bp.response(201, s.ReflectionOut, description="Written")
@improvements_bp.alt_response(200, schema=s.ReflectionOut, description="Rewritten")
def write_reflection(data: dict[str, Any], improvement_id: int) -> tuple[dict[str, Any], int]:
    """Write (201) or rewrite (200) the three answers on a card in Done."""
    user = require(Role.MEMBER)
    card: Improvement = _found(api_data.card(db.session, improvement_id), "card", improvement_id)
    existed = card.reflection is not None
    try:
        if not works_on_team(user, card.team_id):
            raise NotYourTeam()
        improvements.save_reflection(
            db.session,
            card,
            learnt=data["learnt"],
            take_forward=data["take_forward"],
            do_differently=data["do_differently"],
            anonymous=data["anonymous"],
            author=user,
            expected_version=data["version"],
        )
    except (NotYourTeam, CardInputError, StaleCard) as error:
        raise _card_refused(error) from error
    written = api_data.reflection_of(db.session, improvement_id)
    return _found(written, "reflection", improvement_id), 200 if existed else 201


@reflections_bp.route("", methods=["GET"])
@reflections_bp.arguments(s.PageQuery, location="query")
@reflections_bp.response(200, s.ReflectionPage)
def list_reflections(query: dict[str, Any]) -> dict[str, Any]:
    """Reflections, newest first."""
    return _page(api_data.reflection_page(db.session, query["limit"], query["cursor"]))


# --------------------------------------------------------------------------------------
# Five whys
# --------------------------------------------------------------------------------------


def _record_input(data: dict[str, Any]) -> root_causes.RecordInput:
    return root_causes.RecordInput(
        problem=data["problem"],
        steps=[(step["why"], step["because"]) for step in data["steps"]],
        root_cause=data["root_cause"],
        category=data["category"],
        countermeasure=data["countermeasure"],
        status=data["status"],
        observation_ids=data["observations"],
        improvement_ids=data["improvements"],
    )


def _save_record(record: Any, data: dict[str, Any]) -> int:
    """Save a whole record through the five-whys service; its id."""
    user = require(Role.MEMBER)
    try:
        return root_causes.save_record(db.session, record, _record_input(data), user).id
    except NotYourTeam as error:
        raise ApiError(403, error.message, "other_team") from error
    except root_causes.RootCauseError as error:
        fields = {error.field or "steps": str(error)}
        raise ApiError(422, str(error), fields=fields) from error


@root_causes_bp.route("", methods=["POST"])
@root_causes_bp.arguments(s.RootCauseIn)
@root_causes_bp.response(201, s.RootCauseOut)
def create_root_cause(data: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Write a five-whys record with its steps in order and its links."""
    record_id = _save_record(None, data)
    location = url_for(".get_root_cause", root_cause_id=record_id)
    return (
        _found(api_data.root_cause(db.session, record_id), "record", record_id),
        201,
        {"Location": location},
    )


@root_causes_bp.route("/<int:root_cause_id>", methods=["GET"])
@root_causes_bp.response(200, s.RootCauseOut)
def get_root_cause(root_cause_id: int) -> dict[str, Any]:
    """One five-whys record."""
    found = api_data.root_cause(db.session, root_cause_id)
    return _found(found, "five-whys record", root_cause_id)


@root_causes_bp.route("/<int:root_cause_id>", methods=["PUT"])
@root_causes_bp.arguments(s.RootCauseIn)
@root_causes_bp.response(200, s.RootCauseOut)
def replace_root_cause(data: dict[str, Any], root_cause_id: int) -> dict[str, Any]:
    """Replace a record's problem, steps, conclusion and links with what is sent."""
    record = _found(api_data.record(db.session, root_cause_id), "five-whys record", root_cause_id)
    _save_record(record, data)
    return _found(api_data.root_cause(db.session, root_cause_id), "record", root_cause_id)


# --------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------


def _metrics(query: dict[str, Any]) -> Any:
    """The month's metrics for the scope asked for (the monthly report's numbers)."""
    now = utcnow()
    month = Month.parse(query["month"]) if query["month"] else Month.of(now)
    if month is None:
        raise ApiError(422, _("Give the month as YYYY-MM."), fields={"month": _("Not a month.")})
    team = _slug(Team, query["team"], "team")
    area = _slug(Area, query["area"], "area")
    scope = Scope(team_id=team.id if team else None, area_id=area.id if area else None)
    working = query["days"] == "working"
    return month_metrics(db.session, month, now, scope, working)


@metrics_bp.route("/cycle-times", methods=["GET"])
@metrics_bp.arguments(s.MetricsQuery, location="query")
@metrics_bp.response(200, s.CycleTimes)
def cycle_times(query: dict[str, Any]) -> dict[str, Any]:
    """Cycle times of the improvements finished in a month, with 50/85/95th percentiles."""
    figures = _metrics(query)
    items = [
        {
            **vars(f),
            "started_at": api_data.aware(f.started_at),
            "finished_at": api_data.aware(f.finished_at),
        }
        for f in figures.finished
    ]
    return {
        "month": figures.month.code,
        "days": query["days"],
        "percentiles": figures.cycle_percentiles,
        "items": items,
    }


@metrics_bp.route("/throughput", methods=["GET"])
@metrics_bp.arguments(s.MetricsQuery, location="query")
@metrics_bp.response(200, s.Throughput)
def throughput(query: dict[str, Any]) -> dict[str, Any]:
    """Improvements finished per month, by outcome, for the twelve months up to `month`."""
    rows = _metrics(query).throughput
    return {"items": [{**vars(r), "month": r.month.code, "total": r.total} for r in rows]}


@metrics_bp.route("/observations", methods=["GET"])
@metrics_bp.arguments(s.MetricsQuery, location="query")
@metrics_bp.response(200, s.ObservationCounts)
def observation_counts(query: dict[str, Any]) -> dict[str, Any]:
    """Observations per waste per month, for the twelve months up to `month`."""
    rows = _metrics(query).observations
    return {
        "items": [
            {
                "month": r.month.code,
                "counts": {w.value: n for w, n in r.counts.items()},
                "total": r.total,
            }
            for r in rows
        ]
    }


# --------------------------------------------------------------------------------------
# The readable docs, drawn from the same OpenAPI document
# --------------------------------------------------------------------------------------


@guide.route("/api/v1/docs")
def docs() -> str:
    """The API's reference as a page: every operation, its parameters, body and answers."""
    spec = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
    sections, schemas = api_reference(spec)
    return render_template("api/docs.html", sections=sections, schemas=schemas)
