"""Improvement cards: creating them (creation is logged as the first card move), reading one
card with everything about it, and editing it safely against concurrent changes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from kaizen.models import (
    Area,
    BlockPeriod,
    BoardColumn,
    CardMove,
    Improvement,
    Observation,
    Outcome,
    Reflection,
    Role,
    RootCause,
    RootCauseStatus,
    Team,
    User,
    Waste,
    utcnow,
)
from kaizen.services import DbSession, webhook_events
from kaizen.services.scope import require_team, works_on_team


def next_position(session: DbSession, team_id: int, column: BoardColumn) -> int:
    """The position just after the last card of this team's column."""
    last = session.scalar(
        select(func.max(Improvement.position)).where(
            Improvement.team_id == team_id, Improvement.board_column == column
        )
    )
    return 0 if last is None else last + 1


def create_improvement(
    session: DbSession,
    *,
    title: str,
    team: Team,
    created_by: User | None = None,
    observations: list[Observation] | None = None,
    now: datetime | None = None,
    **fields: Any,
) -> Improvement:
    """Add a card at the bottom of its team's Ideas column and log its creation as a move."""
    now = now or utcnow()
    card = Improvement(
        title=title.strip(),
        team=team,
        created_by=created_by,
        board_column=BoardColumn.IDEAS,
        position=next_position(session, team.id, BoardColumn.IDEAS),
        created_at=now,
        updated_at=now,
        **fields,
    )
    card.observations.extend(observations or [])
    session.add(card)
    session.add(
        CardMove(
            improvement=card,
            from_column=None,
            to_column=BoardColumn.IDEAS,
            moved_at=now,
            moved_by=created_by,
        )
    )
    session.commit()
    return card


# --------------------------------------------------------------------------------------
# One card, everything about it: reading it for its page, editing it safely.
# --------------------------------------------------------------------------------------

STALE_MESSAGE = _l(
    "Someone changed this card while you were editing. Here is the latest; "
    "your text is below so you can re-apply it."
)
TITLE_MAX = 200
ROOT_CAUSE_STATUS_LABELS = {
    RootCauseStatus.OPEN: _l("Open — still digging"),
    RootCauseStatus.COUNTERMEASURE: _l("Countermeasure chosen"),
    RootCauseStatus.VERIFIED: _l("Verified"),
}
# The fields of a card people edit in place (team, owner and area by id).
EDITABLE_FIELDS = frozenset(
    {
        "title",
        "problem",
        "countermeasure",
        "team_id",
        "area_id",
        "waste",
        "owner_id",
        "expected_minutes_per_week",
        "expected_cost",
        "actual_minutes_per_week",
        "actual_cost",
    }
)
_NOT_NEGATIVE = (
    "expected_minutes_per_week",
    "expected_cost",
    "actual_minutes_per_week",
    "actual_cost",
)


class StaleCard(Exception):
    """The card changed after the edit's form was loaded; nothing was written."""

    def __init__(self, improvement_id: int) -> None:
        super().__init__(str(STALE_MESSAGE))
        self.improvement_id = improvement_id


class CardInputError(ValueError):
    """An edit breaks a rule; `errors` maps each field name to a plain-words message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class MoveEntry:
    """One line of a card's move history, ready to show."""

    from_label: str | None
    to_label: str
    by: str
    at: datetime
    reason: str | None


@dataclass(frozen=True)
class BlockEntry:
    """One blocked period of a card, ready to show."""

    started_at: datetime
    ended_at: datetime | None
    reason: str
    by: str
    duration: str


@dataclass(frozen=True)
class CardPage:
    """Everything the card page shows, loaded in a fixed number of queries."""

    card: Improvement
    history: list[MoveEntry]
    blocks: list[BlockEntry]
    observations: list[Observation]
    root_causes: list[RootCause]
    is_done: bool
    outcome_text: str | None
    asks_for_reflection: bool


def describe_duration(span: timedelta) -> str:
    """A short human duration: '45 min', '5 h 10 min', '3 days 4 h'."""
    minutes = max(0, int(span.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    # Whole phrases, so each language orders and inflects them its own way.
    if days and hours:
        return ngettext("%(num)d day %(hours)d h", "%(num)d days %(hours)d h", days, hours=hours)
    if days:
        return ngettext("%(num)d day", "%(num)d days", days)
    if hours and minutes:
        return _("%(hours)d h %(minutes)d min", hours=hours, minutes=minutes)
    if hours:
        return _("%(hours)d h", hours=hours)
    return _("%(minutes)d min", minutes=minutes)


def outcome_text(outcome: Outcome | None) -> str | None:
    """How a finished card's outcome reads: both outcomes are finished work."""
    if outcome is Outcome.ADOPTED:
        return _("Adopted")
    if outcome is Outcome.NOT_ADOPTED:
        return _("Not adopted — a finished experiment that teaches")
    return None


def load_card(session: DbSession, improvement_id: int) -> Improvement | None:
    """The card with everything its page shows eager-loaded (no query per row)."""
    return session.scalar(
        select(Improvement)
        .where(Improvement.id == improvement_id)
        .options(
            joinedload(Improvement.team),
            joinedload(Improvement.area),
            joinedload(Improvement.owner),
            joinedload(Improvement.created_by),
            selectinload(Improvement.moves).joinedload(CardMove.moved_by),
            selectinload(Improvement.block_periods).joinedload(BlockPeriod.blocked_by),
            selectinload(Improvement.observations).joinedload(Observation.area),
            selectinload(Improvement.observations).joinedload(Observation.reporter),
            selectinload(Improvement.root_causes),
            selectinload(Improvement.reflection).joinedload(Reflection.author),
        )
        .execution_options(populate_existing=True)
    )


def card_page(
    session: DbSession, improvement_id: int, now: datetime | None = None
) -> CardPage | None:
    """The card page's content: the card, its history, blocks, observations and five whys."""
    card = load_card(session, improvement_id)
    if card is None:
        return None
    now = now or utcnow()
    history = [
        MoveEntry(
            from_label=move.from_column.label if move.from_column else None,
            to_label=move.to_column.label,
            by=move.moved_by.display_name if move.moved_by else "—",
            at=move.moved_at,
            reason=move.reason,
        )
        for move in card.moves
    ]
    blocks = [
        BlockEntry(
            started_at=period.started_at,
            ended_at=period.ended_at,
            reason=period.reason,
            by=period.blocked_by.display_name if period.blocked_by else "—",
            duration=describe_duration((period.ended_at or now) - period.started_at),
        )
        for period in card.block_periods
    ]
    is_done = card.board_column is BoardColumn.DONE
    return CardPage(
        card=card,
        history=history,
        blocks=blocks,
        observations=sorted(card.observations, key=lambda o: o.observed_at, reverse=True),
        root_causes=sorted(card.root_causes, key=lambda r: r.created_at),
        is_done=is_done,
        outcome_text=outcome_text(card.outcome),
        asks_for_reflection=is_done and card.reflection is None,
    )


def team_member_choices(
    session: DbSession, team_id: int, keep: User | None = None
) -> list[tuple[int, str]]:
    """(id, name) of the active people in a team, plus `keep` (a current owner elsewhere)."""
    people = session.execute(
        select(User.id, User.display_name)
        .where(User.team_id == team_id, User.active.is_(True), User.role != Role.KIOSK)
        .order_by(User.display_name)
    )
    choices = [(person_id, name) for person_id, name in people]
    if keep is not None and keep.id not in {pid for pid, _ in choices}:
        choices.append((keep.id, keep.display_name))
    return choices


def team_choices(
    session: DbSession, for_user: User | None = None, keep: int | None = None
) -> list[tuple[int, str]]:
    """(id, name) of the teams in use whose cards `for_user` may file and move (every team
    when no one is named), by name; `keep` stays in the list (a card's current team)."""
    query = select(Team.id, Team.name).order_by(Team.name)
    in_use = Team.archived_at.is_(None)
    query = query.where(in_use | (Team.id == keep)) if keep is not None else query.where(in_use)
    rows = session.execute(query)
    return [
        (team_id, name)
        for team_id, name in rows
        if team_id == keep or for_user is None or works_on_team(for_user, team_id)
    ]


def area_choices(session: DbSession, keep: int | None = None) -> list[tuple[int, str]]:
    """(id, name) of every area in use, by name; `keep` stays in the list (a card's area)."""
    in_use = Area.archived_at.is_(None)
    query = select(Area.id, Area.name).order_by(Area.name)
    query = query.where(in_use | (Area.id == keep)) if keep is not None else query.where(in_use)
    rows = session.execute(query)
    return [(area_id, name) for area_id, name in rows]


def _check_version(session: DbSession, card: Improvement, expected_version: int) -> None:
    """Refuse an edit made on an older version of the card (and forget what we read of it)."""
    if card.version != expected_version:
        improvement_id = card.id
        session.rollback()  # the caller re-reads the card as it is now
        raise StaleCard(improvement_id)


def _commit_or_stale(
    session: DbSession, card: Improvement, then: Callable[[], object] | None = None
) -> None:
    """Commit; a concurrent writer between our check and our UPDATE also counts as stale.

    `then` runs after the changes are flushed, in the same transaction (queueing events).
    """
    improvement_id = card.id  # a failed flush expires the card
    try:
        if then is not None:
            session.flush()
            then()
        session.commit()
    except StaleDataError as error:
        session.rollback()
        raise StaleCard(improvement_id) from error


def validate_card_fields(changes: dict[str, Any]) -> dict[str, str]:
    """The rule-breaking fields of an edit with a message each (empty when all is well)."""
    errors: dict[str, str] = {}
    if "title" in changes:
        title = (changes["title"] or "").strip()
        if not title:
            errors["title"] = _("Give the card a title.")
        elif len(title) > TITLE_MAX:
            errors["title"] = _("Keep the title to %(count)s characters or fewer.", count=TITLE_MAX)
    for name in _NOT_NEGATIVE:
        value = changes.get(name)
        if value is not None and value < 0:
            errors[name] = _("Use 0 or more.")
    return errors


def update_improvement(
    session: DbSession,
    card: Improvement,
    *,
    expected_version: int,
    changes: dict[str, Any],
    now: datetime | None = None,
) -> Improvement:
    """Apply edits to a card's fields, refusing a stale version and invalid values."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable here: {', '.join(sorted(unknown))}")
    _check_version(session, card, expected_version)
    errors = validate_card_fields(changes)
    if errors:
        raise CardInputError(errors)
    values = dict(changes)
    if "title" in values:
        values["title"] = values["title"].strip()
    for text_field in ("problem", "countermeasure"):
        if text_field in values:
            values[text_field] = (values[text_field] or "").strip()
    new_team = values.get("team_id")
    if new_team is not None and new_team != card.team_id:
        # A card that changes team goes to the bottom of its column in the new team.
        values["position"] = next_position(session, new_team, card.board_column)
    changed = False
    for name, value in values.items():
        if getattr(card, name) != value:
            setattr(card, name, value)
            changed = True
    if changed:
        card.updated_at = now or utcnow()
        _commit_or_stale(session, card)
    return card


def set_blocked(
    session: DbSession,
    card: Improvement,
    *,
    blocked: bool,
    reason: str | None,
    by_user: User | None,
    expected_version: int,
    now: datetime | None = None,
) -> Improvement:
    """Block a card (opening a blocked period) or unblock it (closing the open one)."""
    _check_version(session, card, expected_version)
    now = now or utcnow()
    reason = (reason or "").strip()
    open_periods = [p for p in card.block_periods if p.ended_at is None]
    if blocked:
        if not reason:
            raise CardInputError({"blocked_reason": _("Say what the card is waiting for.")})
        if card.blocked and card.blocked_reason == reason and open_periods:
            return card
        if open_periods:
            # Still the same stop; its reason is simply said better now.
            open_periods[-1].reason = reason
        else:
            session.add(
                BlockPeriod(
                    improvement=card,
                    started_at=now,
                    reason=reason,
                    blocked_by_id=by_user.id if by_user else None,
                )
            )
        card.blocked = True
        card.blocked_reason = reason
    else:
        if not card.blocked and not open_periods:
            return card
        for period in open_periods:
            period.ended_at = max(now, period.started_at)
        card.blocked = False
        card.blocked_reason = None
    card.updated_at = now
    _commit_or_stale(session, card)
    return card


def save_reflection(
    session: DbSession,
    card: Improvement,
    *,
    learnt: str,
    take_forward: str,
    do_differently: str,
    anonymous: bool,
    author: User | None,
    expected_version: int,
    now: datetime | None = None,
) -> Reflection:
    """Write or rewrite a finished card's reflection; anonymous keeps no author at all."""
    _check_version(session, card, expected_version)
    if card.board_column is not BoardColumn.DONE:
        raise CardInputError({"answers": _("Reflections are written once the card is in Done.")})
    answers = [(text or "").strip() for text in (learnt, take_forward, do_differently)]
    if not any(answers):
        raise CardInputError({"answers": _("Answer at least one of the three questions.")})
    now = now or utcnow()
    reflection = card.reflection
    if reflection is None:
        reflection = Reflection(improvement=card, created_at=now)
        session.add(reflection)
    reflection.learnt, reflection.take_forward, reflection.do_differently = answers
    reflection.author_id = None if anonymous or author is None else author.id
    reflection.updated_at = now
    # Touching the card bumps its version, so two people editing the reflection at
    # once find out instead of overwriting each other.
    card.updated_at = now
    card_id = card.id
    _commit_or_stale(
        session, card, lambda: webhook_events.reflection_written(session, card_id, now)
    )
    return reflection


def unlink_observation(session: DbSession, card: Improvement, observation_id: int) -> bool:
    """Remove the link between a card and an observation; False when there was none."""
    for observation in card.observations:
        if observation.id == observation_id:
            card.observations.remove(observation)
            session.commit()
            return True
    return False


@dataclass(frozen=True)
class NewCardDefaults:
    """What the new-card form starts with, from ?team= and ?observation=."""

    team_id: int | None = None
    area_id: int | None = None
    waste: Waste | None = None
    problem: str = ""
    observation_id: int | None = None


def new_card_defaults(
    session: DbSession,
    *,
    team_slug: str | None,
    observation: Observation | None,
    user: User | None,
) -> NewCardDefaults:
    """Pre-fill a new card from a team slug, an observation, or the person's own team."""
    team_id = session.scalar(select(Team.id).where(Team.slug == team_slug)) if team_slug else None
    if observation is None:
        return NewCardDefaults(team_id=team_id or (user.team_id if user else None))
    return NewCardDefaults(
        team_id=team_id or observation.area.team_id or (user.team_id if user else None),
        area_id=observation.area_id,
        waste=observation.waste,
        problem=observation.description,
        observation_id=observation.id,
    )


def file_idea(
    session: DbSession,
    *,
    title: str,
    team_id: int,
    created_by: User | None,
    observation_id: Any = None,
    problem: str = "",
    countermeasure: str = "",
    area_id: int | None = None,
    waste: Waste | None = None,
) -> Improvement | None:
    """A new card in its team's Ideas column, linked to the report it came from (if any).

    None when the team does not exist (any more); NotYourTeam when `created_by` does not
    work on that team (services/scope.py).
    """
    team = session.get(Team, team_id)
    if team is None:
        return None
    if created_by is not None:
        require_team(created_by, team.id)
    observation = observation_or_none(session, observation_id)
    return create_improvement(
        session,
        title=title,
        team=team,
        created_by=created_by,
        observations=[observation] if observation else [],
        problem=problem.strip(),
        countermeasure=countermeasure.strip(),
        area_id=area_id,
        waste=waste,
    )


def new_card(
    session: DbSession,
    *,
    team: Team,
    created_by: User,
    title: str,
    observations: list[Observation],
    fields: dict[str, Any],
) -> Improvement:
    """A card as the JSON API files it: checked as an edit is, then put in Ideas.

    NotYourTeam when `created_by` does not work on the team; CardInputError on a bad value.
    """
    require_team(created_by, team.id)
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable here: {', '.join(sorted(unknown))}")
    errors = validate_card_fields({"title": title, **fields})
    if errors:
        raise CardInputError(errors)
    values = {
        name: value.strip() if name in ("problem", "countermeasure") else value
        for name, value in fields.items()
    }
    return create_improvement(
        session,
        title=title,
        team=team,
        created_by=created_by,
        observations=observations,
        **values,
    )


def _typed_id(raw: Any) -> int | None:
    """An id as typed in a form or address; None when blank, not a number or out of range."""
    try:
        value = int(raw) if raw else None
    except (TypeError, ValueError):
        return None
    # Ids are 32-bit integers on PostgreSQL: anything larger cannot exist.
    return value if value is not None and 0 < value < 2**31 else None


def observation_or_none(session: DbSession, observation_id: Any) -> Observation | None:
    """The observation with this id (as typed in a form), or None."""
    value = _typed_id(observation_id)
    return session.get(Observation, value) if value is not None else None


def improvement_or_none(session: DbSession, improvement_id: Any) -> Improvement | None:
    """The card with this id (as typed in a form), or None."""
    value = _typed_id(improvement_id)
    return session.get(Improvement, value) if value is not None else None
