"""The JSON API's schemas: they validate what comes in, shape what goes out, and are what
the OpenAPI document at /api/v1/openapi.json is generated from (so it cannot drift).

Codes stay English (`waiting`, `do`, `not_adopted`); times are ISO 8601 in UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from kaizen.input import AMOUNT_MAX, INT_MAX, has_control_characters
from kaizen.models import (
    BoardColumn,
    Frequency,
    Outcome,
    RootCauseCategory,
    RootCauseStatus,
    Waste,
)
from kaizen.models.types import LINE_MAX, TEXT_MAX
from kaizen.services.moves import REASON_MAX_LENGTH
from kaizen.services.observations import MAX_DESCRIPTION, MAX_MINUTES_LOST

PAGE_SIZE = 50
PAGE_SIZE_MAX = 200
SLUG_MAX = 60


def _no_control_characters(value: str) -> None:
    if has_control_characters(value):
        raise ValidationError(_("Text may not hold control characters (such as NUL)."))


def text(max_length: int, *, required: bool = False, blank: bool = True, **kw: Any) -> fields.Str:
    """A string bounded as its column is, with no control characters (tab and newlines ok)."""
    validators: list[Callable[[Any], Any]] = [
        validate.Length(min=0 if blank else 1, max=max_length),
        _no_control_characters,
    ]
    return fields.Str(required=required, validate=validators, **kw)


def whole(low: int = 0, high: int = INT_MAX, *, strict: bool = True, **kw: Any) -> fields.Int:
    """A whole number a 32-bit column holds (in JSON, a string is not a number)."""
    return fields.Int(strict=strict, validate=validate.Range(low, high), **kw)


def code(enum: type, **kw: Any) -> fields.Enum:
    """One of an enum's codes, e.g. `waiting`."""
    return fields.Enum(enum, by_value=True, **kw)


def _amount_in_range(value: Any) -> None:
    if not 0 <= value <= AMOUNT_MAX:
        raise ValidationError(_("Use an amount from 0 to %(most)s.", most=str(AMOUNT_MAX)))


def amount(**kw: Any) -> fields.Decimal:
    """Money: 0 to 9,999,999,999.99, two places; finite (the bound is checked, not typed)."""
    return fields.Decimal(
        places=2,
        allow_nan=False,
        as_string=False,
        validate=_amount_in_range,
        metadata={"description": f"0 to {AMOUNT_MAX}"},
        **kw,
    )


def moment(**kw: Any) -> fields.AwareDateTime:
    """A moment in ISO 8601; a time without an offset is read as UTC."""
    return fields.AwareDateTime(format="iso", default_timezone=UTC, **kw)


def naive_utc(value: datetime | None) -> datetime | None:
    """A moment as the database stores it: naive UTC."""
    return value.astimezone(UTC).replace(tzinfo=None) if value is not None else None


class ErrorDetail(Schema):
    """What went wrong: a stable code, words for a person, and a message per field."""

    code = fields.Str(required=True, metadata={"example": "stale_version"})
    message = fields.Str(required=True)
    field_errors = fields.Dict(
        keys=fields.Str(), values=fields.Str(), required=True, data_key="fields"
    )


class Error(Schema):
    """Every error answer of the API."""

    error = fields.Nested(ErrorDetail, required=True)


# --------------------------------------------------------------------------------------
# Paging and filters
# --------------------------------------------------------------------------------------


class PageQuery(Schema):
    """Newest first; `cursor` is the `next` link's value, `limit` at most 200."""

    limit = whole(1, PAGE_SIZE_MAX, strict=False, load_default=PAGE_SIZE)
    cursor = whole(1, strict=False, load_default=None)


class ObservationQuery(PageQuery):
    """Filters of the observation list."""

    area = text(SLUG_MAX, load_default=None)
    waste = code(Waste, load_default=None)
    since = moment(load_default=None, metadata={"description": "observed at or after"})
    until = moment(load_default=None, metadata={"description": "observed before"})


class ImprovementQuery(PageQuery):
    """Filters of the improvement list."""

    column = code(BoardColumn, load_default=None)
    team = text(SLUG_MAX, load_default=None)
    area = text(SLUG_MAX, load_default=None)


class MetricsQuery(Schema):
    """The monthly report's scope: a month (default this one), a team, an area."""

    month = fields.Str(
        load_default=None,
        validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$"),
        metadata={"example": "2026-11"},
    )
    team = text(SLUG_MAX, load_default=None)
    area = text(SLUG_MAX, load_default=None)
    days = fields.Str(load_default="calendar", validate=validate.OneOf(["calendar", "working"]))


# --------------------------------------------------------------------------------------
# Observations
# --------------------------------------------------------------------------------------


class ObservationCreate(Schema):
    """A report: what the tablet's entry form asks, as JSON."""

    area = text(SLUG_MAX, required=True, blank=False, metadata={"example": "press-1"})
    waste = code(Waste, required=True)
    description = text(MAX_DESCRIPTION, required=True, blank=False)
    minutes_lost = whole(0, MAX_MINUTES_LOST, load_default=None, allow_none=True)
    frequency = code(Frequency, load_default=None, allow_none=True)
    anonymous = fields.Bool(
        load_default=True,
        metadata={"description": "true (the default) stores no reporter at all"},
    )


class ObservationUpload(ObservationCreate):
    """The same report as multipart/form-data, with an optional photo (JPEG, PNG, WebP)."""

    minutes_lost = fields.Int(load_default=None, validate=validate.Range(0, MAX_MINUTES_LOST))
    photo = fields.Raw(
        load_default=None, metadata={"type": "string", "format": "binary"}, allow_none=True
    )


class ObservationOut(Schema):
    """One observation."""

    id = fields.Int(required=True)
    observed_at = moment(required=True)
    area = fields.Str(required=True)
    area_name = fields.Str(required=True)
    waste = code(Waste, required=True)
    description = fields.Str(required=True)
    minutes_lost = fields.Int(required=True, allow_none=True)
    frequency = code(Frequency, required=True, allow_none=True)
    anonymous = fields.Bool(required=True)
    reporter = fields.Str(required=True, allow_none=True)
    has_photo = fields.Bool(required=True)
    improvements = fields.List(fields.Int(), required=True)
    root_causes = fields.List(fields.Int(), required=True)


class ObservationPage(Schema):
    """A page of observations; `next` is the address of the next page, or null."""

    items = fields.List(fields.Nested(ObservationOut), required=True)
    next = fields.Str(required=True, allow_none=True)


# --------------------------------------------------------------------------------------
# Improvements (cards) and their moves
# --------------------------------------------------------------------------------------


class ImprovementFields(Schema):
    """What a person may write on a card."""

    title = text(LINE_MAX, blank=False)
    problem = text(TEXT_MAX)
    countermeasure = text(TEXT_MAX)
    area = text(SLUG_MAX, allow_none=True)
    waste = code(Waste, allow_none=True)
    owner = text(80, allow_none=True, metadata={"description": "an account's username"})
    expected_minutes_per_week = whole(allow_none=True)
    expected_cost = amount(allow_none=True)
    actual_minutes_per_week = whole(allow_none=True)
    actual_cost = amount(allow_none=True)


class ImprovementCreate(ImprovementFields):
    """A new card in its team's Ideas column."""

    title = text(LINE_MAX, required=True, blank=False)
    team = text(SLUG_MAX, required=True, blank=False)
    observations = fields.List(whole(1), load_default=list, validate=validate.Length(max=50))


class ImprovementUpdate(ImprovementFields):
    """Changes to a card, made on the version last read (409 when someone was faster)."""

    version = whole(1, required=True)
    team = text(SLUG_MAX)


class MoveIn(Schema):
    """Move a card to a column (at the end, or at `position`)."""

    to = code(BoardColumn, required=True)
    version = whole(1, required=True)
    position = whole(0, allow_none=True, load_default=None)
    reason = text(REASON_MAX_LENGTH, load_default=None, allow_none=True)
    outcome = code(Outcome, load_default=None, allow_none=True)


class MoveOut(Schema):
    """What a move did: the card's new column, position and version."""

    id = fields.Int(required=True, attribute="card_id")
    from_column = code(BoardColumn, required=True, data_key="from")
    to_column = code(BoardColumn, required=True, data_key="to")
    position = fields.Int(required=True)
    version = fields.Int(required=True)
    moved = fields.Bool(required=True, attribute="column_changed")
    finished = fields.Bool(required=True)
    outcome = code(Outcome, required=True, allow_none=True)


class CardMoveOut(Schema):
    """One entry of a card's move log (append-only)."""

    id = fields.Int(required=True)
    from_column = code(BoardColumn, required=True, allow_none=True, data_key="from")
    to_column = code(BoardColumn, required=True, data_key="to")
    moved_at = moment(required=True)
    moved_by = fields.Str(required=True, allow_none=True)
    reason = fields.Str(required=True, allow_none=True)


class CardMoveList(Schema):
    """A card's whole move log, oldest first."""

    items = fields.List(fields.Nested(CardMoveOut), required=True)


class ImprovementOut(Schema):
    """One card."""

    id = fields.Int(required=True)
    title = fields.Str(required=True)
    problem = fields.Str(required=True)
    countermeasure = fields.Str(required=True)
    team = fields.Str(required=True)
    area = fields.Str(required=True, allow_none=True)
    waste = code(Waste, required=True, allow_none=True)
    owner = fields.Str(required=True, allow_none=True)
    column = code(BoardColumn, required=True)
    position = fields.Int(required=True)
    blocked = fields.Bool(required=True)
    blocked_reason = fields.Str(required=True, allow_none=True)
    outcome = code(Outcome, required=True, allow_none=True)
    expected_minutes_per_week = fields.Int(required=True, allow_none=True)
    expected_cost = fields.Float(required=True, allow_none=True)
    actual_minutes_per_week = fields.Int(required=True, allow_none=True)
    actual_cost = fields.Float(required=True, allow_none=True)
    version = fields.Int(required=True)
    created_at = moment(required=True)
    started_at = moment(required=True, allow_none=True)
    finished_at = moment(required=True, allow_none=True)
    observations = fields.List(fields.Int(), required=True)
    root_causes = fields.List(fields.Int(), required=True)
    has_reflection = fields.Bool(required=True)


class ImprovementPage(Schema):
    """A page of cards; `next` is the address of the next page, or null."""

    items = fields.List(fields.Nested(ImprovementOut), required=True)
    next = fields.Str(required=True, allow_none=True)


# --------------------------------------------------------------------------------------
# Five whys and reflections
# --------------------------------------------------------------------------------------


class StepIn(Schema):
    """One rung of the ladder: the question and its answer."""

    why = text(TEXT_MAX, required=True, blank=False)
    because = text(TEXT_MAX, required=True, blank=False)


class RootCauseIn(Schema):
    """A whole five-whys record: its steps in order, the conclusion and its links."""

    problem = text(TEXT_MAX, required=True, blank=False)
    steps = fields.List(
        fields.Nested(StepIn), required=True, validate=validate.Length(min=1, max=20)
    )
    root_cause = text(TEXT_MAX, load_default="")
    category = code(RootCauseCategory, load_default=None, allow_none=True)
    countermeasure = text(TEXT_MAX, load_default="")
    status = code(RootCauseStatus, load_default=RootCauseStatus.OPEN)
    observations = fields.List(whole(1), load_default=list, validate=validate.Length(max=100))
    improvements = fields.List(whole(1), load_default=list, validate=validate.Length(max=100))

    @validates_schema
    def countermeasure_before_status(self, data: dict[str, Any], **_kw: Any) -> None:
        """A chosen or verified record names its countermeasure (as on the page)."""
        if (
            data.get("status", RootCauseStatus.OPEN) is not RootCauseStatus.OPEN
            and not (data.get("countermeasure") or "").strip()
        ):
            raise ValidationError(
                _("Choose a countermeasure before marking it chosen or verified."),
                "countermeasure",
            )


class StepOut(Schema):
    """One step of a record."""

    why = fields.Str(required=True)
    because = fields.Str(required=True)


class RootCauseOut(Schema):
    """One five-whys record."""

    id = fields.Int(required=True)
    problem = fields.Str(required=True)
    steps = fields.List(fields.Nested(StepOut), required=True)
    root_cause = fields.Str(required=True)
    category = code(RootCauseCategory, required=True, allow_none=True)
    countermeasure = fields.Str(required=True)
    status = code(RootCauseStatus, required=True)
    observations = fields.List(fields.Int(), required=True)
    improvements = fields.List(fields.Int(), required=True)
    created_at = moment(required=True)
    updated_at = moment(required=True)


class ReflectionIn(Schema):
    """The three questions every finished improvement asks (at least one answered)."""

    version = whole(1, required=True, metadata={"description": "the card's version"})
    learnt = text(TEXT_MAX, load_default="")
    take_forward = text(TEXT_MAX, load_default="")
    do_differently = text(TEXT_MAX, load_default="")
    anonymous = fields.Bool(load_default=False)


class ReflectionOut(Schema):
    """One reflection on a finished improvement."""

    id = fields.Int(required=True)
    improvement = fields.Int(required=True)
    outcome = code(Outcome, required=True, allow_none=True)
    learnt = fields.Str(required=True)
    take_forward = fields.Str(required=True)
    do_differently = fields.Str(required=True)
    author = fields.Str(required=True, allow_none=True)
    created_at = moment(required=True)
    updated_at = moment(required=True)


class ReflectionPage(Schema):
    """A page of reflections, newest first."""

    items = fields.List(fields.Nested(ReflectionOut), required=True)
    next = fields.Str(required=True, allow_none=True)


# --------------------------------------------------------------------------------------
# Metrics: the monthly report's numbers
# --------------------------------------------------------------------------------------


class PercentilesOut(Schema):
    """The 50th, 85th and 95th percentiles, in days (null when nothing finished)."""

    count = fields.Int(required=True)
    p50 = fields.Float(required=True, allow_none=True)
    p85 = fields.Float(required=True, allow_none=True)
    p95 = fields.Float(required=True, allow_none=True)


class CycleTimeOut(Schema):
    """One improvement finished in the month."""

    id = fields.Int(required=True)
    title = fields.Str(required=True)
    outcome = code(Outcome, required=True, allow_none=True)
    started_at = moment(required=True, allow_none=True)
    finished_at = moment(required=True)
    cycle_days = fields.Float(required=True, allow_none=True)
    lead_days = fields.Float(required=True, allow_none=True)


class CycleTimes(Schema):
    """Cycle times of the month's finished improvements, with their percentiles."""

    month = fields.Str(required=True)
    days = fields.Str(required=True)
    percentiles = fields.Nested(PercentilesOut, required=True)
    items = fields.List(fields.Nested(CycleTimeOut), required=True)


class ThroughputMonth(Schema):
    """Improvements finished in one month, by outcome."""

    month = fields.Str(required=True)
    adopted = fields.Int(required=True)
    not_adopted = fields.Int(required=True)
    reopened = fields.Int(required=True)
    total = fields.Int(required=True)


class Throughput(Schema):
    """Throughput of the twelve months up to the month asked for."""

    items = fields.List(fields.Nested(ThroughputMonth), required=True)


class WasteMonth(Schema):
    """Observations reported in one month, per waste code."""

    month = fields.Str(required=True)
    counts = fields.Dict(keys=fields.Str(), values=fields.Int(), required=True)
    total = fields.Int(required=True)


class ObservationCounts(Schema):
    """Observations per waste per month, for the twelve months up to the month asked for."""

    items = fields.List(fields.Nested(WasteMonth), required=True)
