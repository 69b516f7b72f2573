"""Observations: reporting a waste, listing reports with filters, and linking them to
improvement cards and five-whys records."""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.orm import selectinload

from kaizen.models import (
    Area,
    BoardColumn,
    Frequency,
    Improvement,
    Observation,
    Role,
    RootCause,
    Team,
    User,
    Waste,
    observation_improvement,
    utcnow,
)
from kaizen.services import DbSession, webhook_events
from kaizen.services.idempotency import (
    OBSERVATION,
    InvalidKey,
    KeyReused,
    fingerprint,
    once,
    valid_key,
)
from kaizen.services.improvements import create_improvement
from kaizen.services.months import Month
from kaizen.services.photos import PhotoError, ProcessedPhoto, process_photo
from kaizen.services.scope import NotYourTeam, require_team, works_on_record
from kaizen.services.search import OBSERVATIONS, holding, matching, search_words

MAX_MINUTES_LOST = 7 * 24 * 60  # a week: anything longer is a typing slip
MAX_DESCRIPTION = 2000
TITLE_LENGTH = 200
PER_PAGE = 50


# What a person reads beside each field, in their language; the same words for the page and
# the API. Lazy: each is translated when it is shown.
NO_DESCRIPTION = _l("Tell us in a sentence or two what you saw.")
LONG_DESCRIPTION = _l("Please keep it under %(count)s characters.", count=MAX_DESCRIPTION)
MINUTES_RANGE = _l("Minutes lost is between 0 and %(most)s (a week).", most=MAX_MINUTES_LOST)
ALREADY_SENT = _l(
    "This form was already sent with other details. Your text is kept: "
    "tap Report to send it as a new report."
)


class ObservationError(ValueError):
    """An observation could not be saved or linked; the message says why, in plain words."""


@dataclass(frozen=True)
class AreaChoice:
    """An area someone can pick on the entry form."""

    id: int
    slug: str
    name: str
    team: str | None


def area_choices(session: DbSession, *, include_archived: bool = False) -> list[AreaChoice]:
    """Every area in use (or ever, to filter history), by team then name, for pickers."""
    query = (
        select(Area.id, Area.slug, Area.name, Team.name)
        .outerjoin(Team, Area.team_id == Team.id)
        .order_by(Team.name.is_(None), Team.name, Area.name)
    )
    if not include_archived:
        query = query.where(Area.archived_at.is_(None))
    rows = session.execute(query).all()
    return [AreaChoice(id=r[0], slug=r[1], name=r[2], team=r[3]) for r in rows]


def all_areas(session: DbSession) -> list[Area]:
    """Every area by name, with its team loaded."""
    return list(session.scalars(select(Area).options(selectinload(Area.team)).order_by(Area.name)))


def area_by_slug(session: DbSession, slug: str | None) -> Area | None:
    """The area with this slug (case and surrounding spaces ignored), or None."""
    cleaned = (slug or "").strip().lower()
    if not cleaned:
        return None
    return session.scalar(select(Area).where(Area.slug == cleaned))


def create_observation(
    session: DbSession,
    *,
    area: Area,
    waste: Waste,
    description: str,
    minutes_lost: int | None = None,
    frequency: Frequency | None = None,
    photo: ProcessedPhoto | None = None,
    reporter: User | None = None,
    anonymous: bool = True,
    now: datetime | None = None,
) -> Observation:
    """Save a report; an anonymous one stores no reporter at all."""
    text = description.strip()
    if not text:
        raise ObservationError(str(NO_DESCRIPTION))
    if len(text) > MAX_DESCRIPTION:
        raise ObservationError(str(LONG_DESCRIPTION))
    if minutes_lost is not None and not 0 <= minutes_lost <= MAX_MINUTES_LOST:
        raise ObservationError(str(MINUTES_RANGE))
    now = now or utcnow()
    observation = Observation(
        area=area,
        waste=waste,
        description=text,
        minutes_lost=minutes_lost,
        frequency=frequency,
        observed_at=now,
        created_at=now,
        # No hidden name: an anonymous report has no reporter, not a concealed one.
        reporter=None if anonymous else reporter,
    )
    if photo is not None:
        observation.photo = photo.data
        observation.photo_thumb = photo.thumbnail
        observation.photo_type = photo.content_type
    session.add(observation)
    session.flush()
    return observation


@dataclass(frozen=True)
class ObservationInput:
    """A report as submitted by the entry form (or, later, the API): codes and text as typed."""

    area: str | None = None
    waste: str | None = None
    description: str | None = None
    # A whole number, or the text typed into the box ("15", " 15 ", "ten").
    minutes_lost: int | str | None = None
    frequency: str | None = None
    photo: bytes | None = None
    anonymous: bool = True


@dataclass(frozen=True)
class Submitted:
    """What became of a submitted report: saved, or a message for each field to fix."""

    observation: Observation | None
    errors: dict[str, str]
    # A photo that was fine, though something else was not (the page asks to pick it again).
    photo_accepted: bool = False
    # True when the report's key was seen before: the first submit's report, nothing new.
    replayed: bool = False


WASTE_CODES = frozenset(w.value for w in Waste)
FREQUENCY_CODES = frozenset(f.value for f in Frequency)


_WHOLE_NUMBER = re.compile(r"[+-]?\d{1,12}")


def _minutes(value: int | str | None) -> int | None:
    """Minutes lost as a number; None when left empty. ValueError when not a whole number."""
    if isinstance(value, bool):  # JSON true is not a number of minutes
        raise ValueError(value)
    if value is None or isinstance(value, int):
        return value
    text = str(value).strip()
    if not text:
        return None
    if not _WHOLE_NUMBER.fullmatch(text):
        raise ValueError(text)
    return int(text)


def _input_errors(
    session: DbSession, data: ObservationInput
) -> tuple[dict[str, str], Area | None, int | None]:
    """Every field's problem in the words the entry form shows; the area and the minutes."""
    errors: dict[str, str] = {}
    if not data.waste:
        errors["waste"] = _("Tap the kind of waste you saw.")
    elif data.waste not in WASTE_CODES:
        errors["waste"] = _("Tap one of the eight kinds of waste.")
    area = area_by_slug(session, data.area)
    if not (data.area or "").strip():
        errors["area"] = _("Choose the area where you saw it.")
    elif area is None:
        errors["area"] = _("We do not know that area. Please choose one from the list.")
    elif area.archived_at is not None:
        errors["area"] = _("That area is no longer in use. Please choose one from the list.")
    text = (data.description or "").strip()
    if not text:
        errors["description"] = str(NO_DESCRIPTION)
    elif len(text) > MAX_DESCRIPTION:
        errors["description"] = str(LONG_DESCRIPTION)
    minutes = None
    try:
        minutes = _minutes(data.minutes_lost)
    except ValueError:
        errors["minutes_lost"] = _("Minutes lost is a whole number, like 15.")
    if minutes is not None and not 0 <= minutes <= MAX_MINUTES_LOST:
        errors["minutes_lost"] = str(MINUTES_RANGE)
    if data.frequency and data.frequency not in FREQUENCY_CODES:
        errors["frequency"] = _("Choose one of the options.")
    return errors, area, minutes


def submit_observation(
    session: DbSession,
    data: ObservationInput,
    reporter: User | None,
    now: datetime | None = None,
    key: str | None = None,
    fixed_area: Area | None = None,
) -> Submitted:
    """Check a submitted report field by field and save it (committed) when all is well.

    A signed-out tablet always reports anonymously; a photo is checked and cleaned here too.
    A kiosk's report (`fixed_area`) goes to its own area, whatever was posted, with no name.
    With a `key` (the form's, the offline queue's or the API's), a report already stored
    under that key is answered again and nothing new is stored (services/idempotency.py).
    """
    try:
        key = valid_key(key)
    except InvalidKey as error:
        return Submitted(None, {"form_key": str(error)})
    if fixed_area is not None:
        data = replace(data, area=fixed_area.slug, anonymous=True)
        reporter = None
    asked = _fingerprint(data)
    errors, area, minutes = _input_errors(session, data)
    photo = None
    if data.photo:
        try:
            photo = process_photo(data.photo)
        except PhotoError as error:
            errors["photo"] = str(error)
    if errors or area is None:
        return Submitted(None, errors, photo_accepted=photo is not None)

    created: list[Observation] = []

    def write() -> dict[str, Any]:
        observation = create_observation(
            session,
            area=area,
            waste=Waste(str(data.waste)),
            description=data.description or "",
            minutes_lost=minutes,
            frequency=Frequency(data.frequency) if data.frequency else None,
            photo=photo,
            reporter=reporter,
            anonymous=data.anonymous or reporter is None,
            now=now,
        )
        created.append(observation)
        webhook_events.observation_created(session, observation.id, observation.created_at)
        return {"observation_id": observation.id}

    try:
        result, replayed = once(session, OBSERVATION, key, asked, write)
    except KeyReused:
        return Submitted(None, {"form_key": str(ALREADY_SENT)})
    if not replayed:
        # The object in hand: loading it again after the commit could fail the answer.
        return Submitted(created[0], {})
    return Submitted(session.get(Observation, result["observation_id"]), {}, replayed=True)


def _fingerprint(data: ObservationInput) -> str:
    """What the report says, to tell a retry of it from another report under the same key."""
    photo = hashlib.sha256(data.photo).hexdigest() if data.photo else None
    minutes = str(data.minutes_lost).strip() if data.minutes_lost is not None else ""
    return fingerprint(
        (data.area or "").strip().lower(),
        data.waste,
        (data.description or "").strip(),
        minutes,
        data.frequency or None,
        photo,
        data.anonymous,
    )


@dataclass(frozen=True)
class ObservationFilters:
    """What the list is narrowed to; None means 'any'."""

    area_slug: str | None = None
    waste: Waste | None = None
    month: Month | None = None
    unlinked: bool = False
    text: str = ""  # words to search for (services/search.py); best match first
    page: int = 1


@dataclass(frozen=True)
class LinkedCard:
    """An improvement card an observation is linked to."""

    id: int
    title: str
    column: BoardColumn


@dataclass(frozen=True)
class LinkedRootCause:
    """A five-whys record an observation is linked to."""

    id: int
    problem: str


@dataclass(frozen=True)
class ObservationRow:
    """One report as the list shows it."""

    id: int
    observed_at: datetime
    area_name: str
    area_slug: str
    team_id: int | None
    waste: Waste
    description: str
    minutes_lost: int | None
    frequency: Frequency | None
    reporter_name: str | None  # None: reported anonymously
    has_photo: bool
    cards: list[LinkedCard] = field(default_factory=list)
    root_causes: list[LinkedRootCause] = field(default_factory=list)


@dataclass(frozen=True)
class ObservationPage:
    """One page of the filtered list."""

    rows: list[ObservationRow]
    page: int
    pages: int
    total: int
    best_first: bool = False  # a search: the best match first, not the newest

    @property
    def has_previous(self) -> bool:
        """True when there is a newer page."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """True when there is an older page."""
        return self.page < self.pages


def _filtered(
    session: DbSession, query: Select[Any], filters: ObservationFilters, *, ranked: bool = False
) -> tuple[Select[Any], ColumnElement[Any] | None]:
    """Apply the list filters to a query over observations; with words to search for and
    `ranked`, also an expression that sorts the best match first."""
    best_first = None
    words = search_words(filters.text)
    if words and ranked:
        query, best_first = matching(session, query, OBSERVATIONS, words)
    elif words:
        query = query.where(holding(session, OBSERVATIONS, words))
    if filters.area_slug:
        query = query.where(
            Observation.area_id.in_(select(Area.id).where(Area.slug == filters.area_slug))
        )
    if filters.waste is not None:
        query = query.where(Observation.waste == filters.waste)
    if filters.month is not None:
        query = query.where(
            Observation.observed_at >= filters.month.start,
            Observation.observed_at < filters.month.end,
        )
    if filters.unlinked:
        query = query.where(
            ~exists().where(observation_improvement.c.observation_id == Observation.id)
        )
    return query, best_first


def list_observations(
    session: DbSession, filters: ObservationFilters, per_page: int = PER_PAGE
) -> ObservationPage:
    """Newest reports first (best match first for a search), filtered and paginated, with
    their links loaded in one go."""
    total = session.scalar(_filtered(session, select(func.count(Observation.id)), filters)[0])
    pages = max(1, math.ceil((total or 0) / per_page))
    page = min(max(1, filters.page), pages)
    query, best_first = _filtered(session, select(Observation), filters, ranked=True)
    if best_first is not None:
        query = query.order_by(best_first)
    observations = session.scalars(
        query.options(
            selectinload(Observation.area),
            selectinload(Observation.reporter),
            selectinload(Observation.improvements),
            selectinload(Observation.root_causes),
        )
        .order_by(Observation.observed_at.desc(), Observation.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    rows = [
        ObservationRow(
            id=o.id,
            observed_at=o.observed_at,
            area_name=o.area.name,
            area_slug=o.area.slug,
            team_id=o.area.team_id,
            waste=o.waste,
            description=o.description,
            minutes_lost=o.minutes_lost,
            frequency=o.frequency,
            reporter_name=o.reporter.display_name if o.reporter else None,
            has_photo=o.has_photo,
            cards=[
                LinkedCard(id=c.id, title=c.title, column=c.board_column)
                for c in sorted(o.improvements, key=lambda c: c.id)
            ],
            root_causes=[
                LinkedRootCause(id=r.id, problem=r.problem)
                for r in sorted(o.root_causes, key=lambda r: r.id)
            ],
        )
        for o in observations
    ]
    return ObservationPage(
        rows=rows, page=page, pages=pages, total=total or 0, best_first=best_first is not None
    )


@dataclass(frozen=True)
class CardChoice:
    """An open card someone can link a report to."""

    id: int
    title: str
    team_id: int
    team: str


def open_cards(session: DbSession) -> list[CardChoice]:
    """Cards not yet done, by team then newest first, for the 'link to a card' pickers."""
    rows = session.execute(
        select(Improvement.id, Improvement.title, Team.id, Team.name)
        .join(Team, Improvement.team_id == Team.id)
        .where(Improvement.board_column != BoardColumn.DONE)
        .order_by(Team.name, Improvement.created_at.desc(), Improvement.id.desc())
    ).all()
    return [CardChoice(id=r[0], title=r[1], team_id=r[2], team=r[3]) for r in rows]


def cards_for_team(cards: list[CardChoice], team_id: int | None) -> list[CardChoice]:
    """The cards of the area's team, or every card when the area has no team."""
    if team_id is None:
        return cards
    return [c for c in cards if c.team_id == team_id]


def get_observation(session: DbSession, observation_id: int) -> Observation | None:
    """The observation with this id, or None."""
    return session.get(Observation, observation_id)


def link_to_improvement(
    session: DbSession, observation: Observation, improvement_id: int, by_user: User | None = None
) -> None:
    """Link the report to a card (twice is harmless); NotYourTeam: not `by_user`'s team."""
    card = session.get(Improvement, improvement_id)
    if card is None:
        raise ObservationError(_("That improvement card no longer exists."))
    if by_user is not None:
        require_team(by_user, card.team_id)
    if card not in observation.improvements:
        observation.improvements.append(card)
    session.commit()


def link_to_root_cause(
    session: DbSession, observation: Observation, root_cause_id: int, by_user: User | None = None
) -> None:
    """Link the report to a five-whys record (twice is harmless); NotYourTeam when `by_user`
    may not work on it (it belongs to other teams' cards)."""
    record = session.get(RootCause, root_cause_id)
    if record is None:
        raise ObservationError(_("That five-whys record no longer exists."))
    if by_user and not works_on_record(by_user, [c.team_id for c in record.improvements]):
        raise NotYourTeam()
    if record not in observation.root_causes:
        observation.root_causes.append(record)
    session.commit()


def title_from_description(description: str, limit: int = TITLE_LENGTH) -> str:
    """The first sentence of a description, cut at a word to at most `limit` characters."""
    text = " ".join(description.split())
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    sentence = match[1] if match else text
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1].rsplit(" ", 1)[0] or sentence[: limit - 1]
    return cut.rstrip(",;:") + "…"


def improvement_from_observation(
    session: DbSession, observation: Observation, *, created_by: User | None
) -> Improvement:
    """A new Ideas card from the report, for the area's team (or the first team); NotYourTeam
    when `created_by` does not work on that team (services/scope.py)."""
    team = observation.area.team or session.scalar(select(Team).order_by(Team.name).limit(1))
    if team is None:
        raise ObservationError(_("There is no team yet to own the card. Ask a lead to add one."))
    if created_by is not None:
        require_team(created_by, team.id)
    return create_improvement(
        session,
        title=title_from_description(observation.description),
        team=team,
        created_by=created_by,
        observations=[observation],
        problem=observation.description,
        waste=observation.waste,
        area=observation.area,
    )


def photo_bytes(
    session: DbSession, observation_id: int, *, thumbnail: bool = False
) -> tuple[bytes, str] | None:
    """The stored photo (or its thumbnail) and its Content-Type, or None when there is none."""
    column = Observation.photo_thumb if thumbnail else Observation.photo
    row = session.execute(
        select(column, Observation.photo_type).where(Observation.id == observation_id)
    ).first()
    if row is None or row[0] is None or row[1] is None:
        return None
    return bytes(row[0]), row[1]


def default_area(person: User | None) -> Area | None:
    """The area a kiosk tablet is bound to; people choose their own."""
    if person is not None and person.role is Role.KIOSK:
        return person.area
    return None


def anonymous_by_default(person: User | None) -> bool:
    """Kiosk tablets and signed-out reports carry no name unless someone asks for it."""
    return person is None or person.role is Role.KIOSK


@dataclass(frozen=True)
class EntryPage:
    """What the entry form shows around a report, as plain values.

    Read before a submit, so the answer to a saved report needs no query after the commit:
    a connection lost there would turn a stored report into an error the person retries.
    """

    preset: AreaChoice | None
    unknown_area: bool
    areas: list[AreaChoice]
    signed_in: bool
    anonymous: bool
    fixed: bool = False  # a kiosk: its area is fixed on the server, nothing to choose


def entry_page(session: DbSession, slug: str | None, person: User | None) -> EntryPage:
    """The areas to pick from, the one from `?area=` (or the kiosk's own) and who is reporting."""
    found = area_by_slug(session, slug)
    area = found or default_area(person)
    areas = area_choices(session)
    preset = next((c for c in areas if area is not None and c.id == area.id), None)
    return EntryPage(
        preset=preset,
        unknown_area=bool((slug or "").strip()) and found is None,
        areas=areas,
        signed_in=person is not None,
        anonymous=anonymous_by_default(person),
    )
