"""The kanban board as ready-to-render values, and the change token that live sync polls.

Flow numbers come from the reports' flow metrics (kaizen.services.flow), so the board and
the reports agree: a card *starts* when it first reaches its team's cycle start column (or any
column after it) and *finishes* when it first reaches Done. The board counts whole calendar
days where the reports show fractional ones.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from kaizen.models import (
    Area,
    BoardColumn,
    CardMove,
    Improvement,
    Observation,
    Outcome,
    RootCause,
    Team,
    Waste,
    WipMode,
    observation_improvement,
    root_cause_improvement,
)
from kaizen.services import DbSession
from kaizen.services.flow import percentile
from kaizen.services.months import Month

# Done shows the cards finished in this many days; older ones are a link away.
DONE_WINDOW_DAYS = 30
# Fewer finished cards than this make a percentile that means little: no age warnings yet.
MIN_CYCLE_SAMPLES = 5

COLUMNS = list(BoardColumn)


class TeamNotFound(LookupError):
    """No team has this slug."""


@dataclass(frozen=True)
class CardView:
    """One card as the board shows it."""

    id: int
    title: str
    version: int
    column: BoardColumn
    area_name: str | None
    waste: Waste | None
    owner_name: str | None
    # Work-item age in days since the card started; None while it has not started.
    age_days: int | None
    # Days since the card was created (shown for cards that have not started).
    days_since_created: int
    # Days from start to finish, for cards in Done.
    cycle_days: int | None
    over_p85: bool
    has_root_cause: bool
    blocked: bool
    blocked_reason: str | None
    linked_observation_count: int
    outcome: Outcome | None
    finished_at: datetime | None
    # Finished but nobody has written down what it taught yet: a quiet reminder.
    needs_reflection: bool
    # The usual next step (the column after, or before for Done) gets its own button;
    # the other columns are one tap further, behind "⋯".
    primary_move: BoardColumn | None
    other_columns: tuple[BoardColumn, ...]

    @property
    def show_root_cause_marker(self) -> bool:
        """'No root cause yet' on started work; ideas are cheap and need no analysis yet."""
        return not self.has_root_cause and self.column not in (BoardColumn.IDEAS, BoardColumn.DONE)


@dataclass(frozen=True)
class ColumnView:
    """One column of one team's swimlane, with its WIP against its limit."""

    column: BoardColumn
    cards: list[CardView]
    # Open cards in the column (for Done: the finished cards shown).
    count: int
    limit: int | None
    mode: WipMode | None
    # Done only: finished cards older than the window, not shown.
    hidden_count: int = 0

    @property
    def over_limit(self) -> bool:
        """More cards than the limit allows."""
        return self.limit is not None and self.count > self.limit

    @property
    def at_limit(self) -> bool:
        """Exactly as many cards as the limit: the next one needs room first."""
        return self.limit is not None and self.count == self.limit


@dataclass(frozen=True)
class Swimlane:
    """One team's row of columns."""

    team_id: int
    slug: str
    name: str
    columns: list[ColumnView]
    # 85 % of this team's finished cards took at most this many days (None: too few yet).
    p85_days: int | None
    finished_count: int


@dataclass(frozen=True)
class Board:
    """Everything a board page shows, ready to render."""

    lanes: list[Swimlane]
    token: str
    observations_this_month: int
    observations_last_month: int
    done_window_days: int
    all_done: bool
    team_slug: str | None = None
    teams: list[tuple[str, str]] = field(default_factory=list)


def _days(start: datetime, end: datetime) -> int:
    """Calendar days from one moment to another (the board shows whole days)."""
    return (end.date() - start.date()).days


def _p85(samples: Sequence[int]) -> int | None:
    """A team's 85th-percentile cycle time, once it has finished enough cards to mean much."""
    if len(samples) < MIN_CYCLE_SAMPLES:
        return None
    value = percentile(samples, 85)
    return None if value is None else int(value)


def _last_arrivals_in_done(
    session: DbSession, team_ids: list[int], since: datetime | None
) -> dict[int, datetime]:
    """When each Done card of these teams last reached Done (since a moment, or ever).

    A reopened card that finished again counts as new. Read from the recent end of the log
    (an index on column and time), so older history costs nothing.
    """
    query = (
        select(CardMove.improvement_id, func.max(CardMove.moved_at))
        .join(Improvement, Improvement.id == CardMove.improvement_id)
        .where(
            CardMove.to_column == BoardColumn.DONE,
            Improvement.team_id.in_(team_ids),
            Improvement.board_column == BoardColumn.DONE,
        )
        .group_by(CardMove.improvement_id)
    )
    if since is not None:
        query = query.where(CardMove.moved_at >= since)
    return {card_id: at for card_id, at in session.execute(query)}


def _finished_and_p85(
    session: DbSession, team_ids: list[int]
) -> tuple[dict[int, int], dict[int, int | None]]:
    """Per team: how many cards sit in Done, and the 85th percentile of their cycle days.

    One query over the stamped start and finish of the team's Done cards (no move log).
    """
    rows = session.execute(
        select(Improvement.team_id, Improvement.started_at, Improvement.finished_at).where(
            Improvement.team_id.in_(team_ids), Improvement.board_column == BoardColumn.DONE
        )
    )
    finished: dict[int, int] = defaultdict(int)
    cycles: dict[int, list[int]] = defaultdict(list)
    for team_id, started, done in rows:
        finished[team_id] += 1
        if started is not None and done is not None:
            cycles[team_id].append(_days(started, done))
    return finished, {team_id: _p85(cycles[team_id]) for team_id in team_ids}


def _neighbours(column: BoardColumn) -> tuple[BoardColumn | None, BoardColumn | None]:
    """The columns just before and after this one."""
    i = column.ordinal
    return (COLUMNS[i - 1] if i > 0 else None, COLUMNS[i + 1] if i + 1 < len(COLUMNS) else None)


def _teams(session: DbSession, team_slug: str | None) -> list[Team]:
    """The teams a board shows: one by slug, or every team by name."""
    query = select(Team).options(selectinload(Team.column_limits)).order_by(Team.name)
    if team_slug is not None:
        query = query.where(Team.slug == team_slug)
    teams = list(session.scalars(query))
    if team_slug is not None and not teams:
        raise TeamNotFound(team_slug)
    return teams


def build_board(
    session: DbSession, now: datetime, team_slug: str | None = None, all_done: bool = False
) -> Board:
    """The board of one team (by slug) or of every team, one swimlane per team."""
    teams = _teams(session, team_slug)
    team_ids = [team.id for team in teams]
    # Start and finish are stamped on each card from its move log (kaizen.models.derived),
    # so nothing here reads history beyond the cards on screen and the last month of Done.
    cutoff = None if all_done else now - timedelta(days=DONE_WINDOW_DAYS)
    last_done = _last_arrivals_in_done(session, team_ids, cutoff)
    open_columns = [c for c in COLUMNS if c is not BoardColumn.DONE]
    cards = list(
        session.scalars(
            select(Improvement)
            .options(
                joinedload(Improvement.owner),
                joinedload(Improvement.area),
                joinedload(Improvement.reflection),
            )
            .where(
                Improvement.team_id.in_(team_ids),
                or_(
                    Improvement.board_column.in_(open_columns), Improvement.id.in_(list(last_done))
                ),
            )
            .order_by(Improvement.position, Improvement.id)
        )
    )
    shown_ids = [card.id for card in cards]
    observation_counts: dict[int, int] = dict(
        session.execute(
            select(observation_improvement.c.improvement_id, func.count())
            .where(observation_improvement.c.improvement_id.in_(shown_ids))
            .group_by(observation_improvement.c.improvement_id)
        ).all()
    )
    with_root_cause = set(
        session.scalars(
            select(root_cause_improvement.c.improvement_id)
            .join(RootCause, RootCause.id == root_cause_improvement.c.root_cause_id)
            .where(
                root_cause_improvement.c.improvement_id.in_(shown_ids),
                func.length(func.trim(RootCause.root_cause)) > 0,
            )
            .distinct()
        )
    )
    finished, p85 = _finished_and_p85(session, team_ids)

    by_place: dict[tuple[int, BoardColumn], list[CardView]] = defaultdict(list)
    for card in cards:
        view = _card_view(
            card,
            last_done.get(card.id),
            p85[card.team_id],
            observation_counts.get(card.id, 0),
            card.id in with_root_cause,
            now,
        )
        by_place[(card.team_id, card.board_column)].append(view)
    for (_team, column), views in by_place.items():
        if column is BoardColumn.DONE:
            # Done reads newest first, whatever order the cards arrived in.
            views.sort(key=lambda v: v.finished_at or datetime.min, reverse=True)

    lanes = []
    for team in teams:
        limits = {limit.board_column: limit for limit in team.column_limits}
        columns = []
        for column in COLUMNS:
            views = by_place[(team.id, column)]
            limit = limits.get(column) if column is not BoardColumn.DONE else None
            hidden = finished[team.id] - len(views) if column is BoardColumn.DONE else 0
            columns.append(
                ColumnView(
                    column=column,
                    cards=views,
                    count=len(views),
                    limit=limit.wip_limit if limit else None,
                    mode=limit.mode if limit else None,
                    hidden_count=hidden,
                )
            )
        lanes.append(
            Swimlane(
                team_id=team.id,
                slug=team.slug,
                name=team.name,
                columns=columns,
                p85_days=p85[team.id],
                finished_count=finished[team.id],
            )
        )

    all_teams = [
        (row.slug, row.name)
        for row in session.execute(select(Team.slug, Team.name).order_by(Team.name))
    ]
    return Board(
        lanes=lanes,
        token=board_token(session, now, team_slug),
        observations_this_month=_observations_this_month(session, now, team_slug),
        observations_last_month=_observations_last_month(session, now, team_slug),
        done_window_days=DONE_WINDOW_DAYS,
        all_done=all_done,
        team_slug=team_slug,
        teams=all_teams,
    )


def _card_view(
    card: Improvement,
    finished_at: datetime | None,
    p85_days: int | None,
    observation_count: int,
    has_root_cause: bool,
    now: datetime,
) -> CardView:
    """Turn a card, with its start and first finish stamped from its log, into a view."""
    started = card.started_at
    first_done = card.finished_at
    done = card.board_column is BoardColumn.DONE
    age = _days(started, now) if started is not None and not done else None
    cycle = _days(started, first_done) if done and started and first_done else None
    back, forward = _neighbours(card.board_column)
    primary = forward or back
    others = tuple(c for c in COLUMNS if c not in (card.board_column, primary))
    return CardView(
        id=card.id,
        title=card.title,
        version=card.version,
        column=card.board_column,
        area_name=card.area.name if card.area else None,
        waste=card.waste,
        owner_name=card.owner.display_name if card.owner else None,
        age_days=age,
        days_since_created=max(_days(card.created_at, now), 0),
        cycle_days=cycle,
        over_p85=age is not None and p85_days is not None and age > p85_days,
        has_root_cause=has_root_cause,
        blocked=card.blocked,
        blocked_reason=card.blocked_reason,
        linked_observation_count=observation_count,
        outcome=card.outcome,
        finished_at=finished_at if done else None,
        needs_reflection=done and card.reflection is None,
        primary_move=primary,
        other_columns=others,
    )


def _observation_scope(query: Select[Any], team_slug: str | None) -> Select[Any]:
    """Limit an observation query to the areas of one team, when the board shows one."""
    if team_slug is None:
        return query
    team_areas = select(Area.id).join(Team, Team.id == Area.team_id).where(Team.slug == team_slug)
    return query.where(Observation.area_id.in_(team_areas))


def _observations_this_month(session: DbSession, now: datetime, team_slug: str | None) -> int:
    """Observations reported this month (in the team's areas on a team board)."""
    query = select(func.count(Observation.id)).where(Observation.observed_at >= Month.of(now).start)
    return session.scalar(_observation_scope(query, team_slug)) or 0


def _observations_last_month(session: DbSession, now: datetime, team_slug: str | None) -> int:
    """Observations reported last month, for the trend next to this month's count."""
    month = Month.of(now).previous
    query = select(func.count(Observation.id)).where(
        Observation.observed_at >= month.start, Observation.observed_at < month.end
    )
    return session.scalar(_observation_scope(query, team_slug)) or 0


def board_token(session: DbSession, now: datetime, team_slug: str | None = None) -> str:
    """A short fingerprint of everything the board shows, read by key (no scan, no history).

    A team's `board_version` is bumped in the same transaction as every change its board
    shows (kaizen.models.derived): a card added, removed, moved, reordered or edited, its
    blocks, reflection, links and five whys, the name of its area or owner, the team's WIP
    limits, cycle start column and name, an observation in its areas. The plant board adds
    the list of teams and the newest observation (areas without a team count there too).
    The date is part of it: at midnight ages grow and at a month's turn the counts reset.
    """
    if team_slug is not None:
        row = session.execute(
            select(Team.id, Team.board_version).where(Team.slug == team_slug)
        ).one_or_none()
        state: tuple[Any, ...] = tuple(row) if row is not None else (None,)
    else:
        state = tuple(
            session.execute(
                select(
                    func.count(Team.id),
                    func.coalesce(func.sum(Team.board_version), 0),
                    func.max(Team.id),
                    select(func.max(Observation.id)).scalar_subquery(),
                )
            ).one()
        )
    fingerprint = repr((state, now.date().isoformat(), team_slug))
    return hashlib.sha256(fingerprint.encode()).hexdigest()[:16]
