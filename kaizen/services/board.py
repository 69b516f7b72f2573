"""The kanban board as ready-to-render values, and the change token that live sync polls.

Flow numbers come from the reports' flow metrics (kaizen.services.flow), so the board and
the reports agree: a card *starts* when it first reaches its team's cycle start column (or any
column after it) and *finishes* when it first reaches Done. The board counts whole calendar
days where the reports show fractional ones.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import selectinload

from kaizen.models import (
    Area,
    BoardColumn,
    CardMove,
    Improvement,
    Observation,
    Outcome,
    Reflection,
    RootCause,
    Team,
    User,
    Waste,
    WipMode,
    observation_improvement,
    root_cause_improvement,
)
from kaizen.services import DbSession
from kaizen.services.board_state import board_token
from kaizen.services.flow import percentile
from kaizen.services.months import Month
from kaizen.services.overview import reporting_note
from kaizen.services.plant_time import to_local

# Done shows the cards finished in this many days; older ones are a link away.
DONE_WINDOW_DAYS = 30
# Fewer finished cards than this make a percentile that means little: no age warnings yet.
MIN_CYCLE_SAMPLES = 5
# "Past the usual" compares with the cards finished in the last year: how the team works
# now, and a cost that does not grow with years of history.
P85_WINDOW_DAYS = 365
# The plant board draws its first lanes up to this many open cards at once; lanes below
# are fetched when scrolled to, so thousands of cards never travel in one page.
EAGER_CARDS = 400
# A TV cannot scroll: a column on a TV board sends at most this many cards (the most urgent
# first) and says how many more there are; board.js hides any that still do not fit.
TV_CARDS = 8

COLUMNS = list(BoardColumn)


class TeamNotFound(LookupError):
    """No team has this slug."""


@dataclass(slots=True)
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
    # The usual step goes back a column (only from Done): the arrow points left.
    primary_back: bool = False

    @property
    def show_root_cause_marker(self) -> bool:
        """'No root cause yet' on started work; ideas are cheap and need no analysis yet."""
        return not self.has_root_cause and self.column not in (BoardColumn.IDEAS, BoardColumn.DONE)


@dataclass(frozen=True)
class ColumnView:
    """One column of one team's swimlane, with its WIP against its limit.

    A full board carries the cards; a partial update carries only their ids, in order.
    """

    column: BoardColumn
    cards: list[CardView]
    # Open cards in the column (for Done: the finished cards shown).
    count: int
    limit: int | None
    mode: WipMode | None
    # Done only: finished cards older than the window, not shown.
    hidden_count: int = 0
    # The ids of the cards in board order (set on partial updates, whose `cards` is empty).
    ids: tuple[int, ...] = ()
    # TV boards only: cards of the column left out because a TV cannot scroll.
    more: int = 0

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
    # On the plant board, a lane below the first few is sent empty and fetched when it is
    # scrolled into view.
    pending: bool = False


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

    @property
    def reporting_note(self) -> str:
        """This month's reports against last month's, in kind and true words."""
        return reporting_note(self.observations_this_month, self.observations_last_month)


def _urgency(card: CardView) -> tuple[int, int, int, int]:
    """Sort key for a TV column: blocked first, then past the usual age, then the oldest."""
    age = card.age_days if card.age_days is not None else card.days_since_created
    return (0 if card.blocked else 1, 0 if card.over_p85 else 1, -age, card.id)


def _tv_column(column: ColumnView, per_column: int) -> ColumnView:
    """One column as a TV shows it: open work the most urgent first, at most `per_column`."""
    cards = column.cards
    if column.column is not BoardColumn.DONE:  # Done stays newest first
        cards = sorted(cards, key=_urgency)
    return replace(column, cards=cards[:per_column], more=max(0, len(cards) - per_column))


def tv_board(board: Board, per_column: int = TV_CARDS) -> Board:
    """The board for a TV that cannot scroll: each column's most urgent cards and a count of
    the rest ("+N more")."""
    lanes = [
        replace(lane, columns=[_tv_column(column, per_column) for column in lane.columns])
        for lane in board.lanes
    ]
    return replace(board, lanes=lanes)


def _days(start: datetime, end: datetime) -> int:
    """Calendar days of the plant from one moment to another (the board shows whole days)."""
    return (to_local(end).date() - to_local(start).date()).days


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
    session: DbSession, team_ids: list[int], now: datetime
) -> tuple[dict[int, int], dict[int, int | None]]:
    """Per team: how many cards sit in Done, and the 85th percentile of the cycle days of
    those finished within the last P85_WINDOW_DAYS.

    A count in the database and the stamped start and finish of the year's Done cards (an
    index on team and finish): years of older history cost nothing here.
    """
    finished: dict[int, int] = defaultdict(int)
    in_done = and_(Improvement.team_id.in_(team_ids), Improvement.board_column == BoardColumn.DONE)
    for team_id, count in session.execute(
        select(Improvement.team_id, func.count()).where(in_done).group_by(Improvement.team_id)
    ):
        finished[team_id] = count
    cycles: dict[int, list[int]] = defaultdict(list)
    for team_id, started, done in session.execute(
        select(Improvement.team_id, Improvement.started_at, Improvement.finished_at).where(
            in_done,
            Improvement.finished_at >= now - timedelta(days=P85_WINDOW_DAYS),
            Improvement.started_at.is_not(None),
        )
    ):
        if started is not None and done is not None:  # both are, by the query
            cycles[team_id].append(_days(started, done))
    return finished, {team_id: _p85(cycles[team_id]) for team_id in team_ids}


def _moves_from(column: BoardColumn) -> tuple[BoardColumn | None, tuple[BoardColumn, ...]]:
    """A card's usual next step (the column after, or before for Done) and the others."""
    i = column.ordinal
    back = COLUMNS[i - 1] if i > 0 else None
    forward = COLUMNS[i + 1] if i + 1 < len(COLUMNS) else None
    primary = forward or back
    return primary, tuple(c for c in COLUMNS if c not in (column, primary))


# The same for every card in a column: worked out once, not per card.
_MOVES = {column: _moves_from(column) for column in COLUMNS}


def board_teams(session: DbSession, team_slug: str | None) -> list[Team]:
    """The teams a board shows: one by slug (archived too: its history stays), or every
    team in use by name."""
    query = select(Team).options(selectinload(Team.column_limits)).order_by(Team.name)
    if team_slug is not None:
        query = query.where(Team.slug == team_slug)
    else:
        query = query.where(Team.archived_at.is_(None))
    teams = list(session.scalars(query))
    if team_slug is not None and not teams:
        raise TeamNotFound(team_slug)
    return teams


def first_team_slug(session: DbSession) -> str | None:
    """The slug of the first team by name (where a rotating plant TV starts), if any."""
    return session.scalar(select(Team.slug).order_by(Team.name).limit(1))


def card_rows(session: DbSession, where: Any) -> list[Any]:
    """The cards matching `where`, as plain rows with what a card shows (no ORM objects:
    thousands of cards are read, not edited). Board order: position, then id."""
    observation_count = (
        select(func.count())
        .where(observation_improvement.c.improvement_id == Improvement.id)
        .scalar_subquery()
    )
    has_root_cause = (
        select(func.count())
        .select_from(root_cause_improvement)
        .join(RootCause, RootCause.id == root_cause_improvement.c.root_cause_id)
        .where(
            root_cause_improvement.c.improvement_id == Improvement.id,
            func.length(func.trim(RootCause.root_cause)) > 0,
        )
        .scalar_subquery()
    )
    has_reflection = select(Reflection.id).where(Reflection.improvement_id == Improvement.id)
    query = (
        select(
            Improvement.id,
            Improvement.team_id,
            Improvement.title,
            Improvement.version,
            Improvement.board_column,
            Improvement.waste,
            Improvement.blocked,
            Improvement.blocked_reason,
            Improvement.outcome,
            Improvement.created_at,
            Improvement.started_at,
            Improvement.finished_at,
            Area.name.label("area_name"),
            User.display_name.label("owner_name"),
            observation_count.label("observation_count"),
            has_root_cause.label("root_cause_count"),
            has_reflection.exists().label("has_reflection"),
        )
        .outerjoin(Area, Area.id == Improvement.area_id)
        .outerjoin(User, User.id == Improvement.owner_id)
        .where(where)
        .order_by(Improvement.position, Improvement.id)
    )
    return list(session.execute(query))


def shown_cards(team_ids: list[int], last_done: dict[int, datetime]) -> Any:
    """The cards a board shows: the open cards of these teams and their recent Done.

    Each side of the OR stands on an index of its own (team and column; the ids of the
    recent Done cards, which are these teams' already), so years of Done cards are never
    scanned to find the few on screen.
    """
    open_columns = [c for c in COLUMNS if c is not BoardColumn.DONE]
    return or_(
        and_(Improvement.team_id.in_(team_ids), Improvement.board_column.in_(open_columns)),
        Improvement.id.in_(list(last_done)),
    )


@dataclass(frozen=True)
class LaneFacts:
    """What every lane of a board needs besides its cards."""

    now: datetime
    last_done: dict[int, datetime]
    finished: dict[int, int]
    p85: dict[int, int | None]

    def card(self, row: Any) -> CardView:
        """One card row as the board shows it."""
        return _card_view(row, self.last_done.get(row.id), self.p85[row.team_id], self.now)


def lane_facts(session: DbSession, now: datetime, team_ids: list[int], all_done: bool) -> LaneFacts:
    """The Done window and each lane's finished count and 85th percentile."""
    cutoff = None if all_done else now - timedelta(days=DONE_WINDOW_DAYS)
    finished, p85 = _finished_and_p85(session, team_ids, now)
    return LaneFacts(now, _last_arrivals_in_done(session, team_ids, cutoff), finished, p85)


def _done_first(views: list[Any], finished_at: dict[int, datetime]) -> None:
    """Done reads newest first, whatever order the cards arrived in."""
    views.sort(key=lambda v: finished_at.get(v.id) or datetime.min, reverse=True)


def lane_columns(
    team: Team, by_place: dict[tuple[int, BoardColumn], list[Any]], facts: LaneFacts
) -> list[ColumnView]:
    """A team's five columns with their cards (or placements) and their WIP limits."""
    limits = {limit.board_column: limit for limit in team.column_limits}
    columns = []
    for column in COLUMNS:
        views = by_place[(team.id, column)]
        if column is BoardColumn.DONE:
            _done_first(views, facts.last_done)
        limit = limits.get(column) if column is not BoardColumn.DONE else None
        hidden = facts.finished[team.id] - len(views) if column is BoardColumn.DONE else 0
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
    return columns


def swimlane(team: Team, columns: list[ColumnView], facts: LaneFacts) -> Swimlane:
    """One team's swimlane."""
    return Swimlane(
        team_id=team.id,
        slug=team.slug,
        name=team.name,
        columns=columns,
        p85_days=facts.p85[team.id],
        finished_count=facts.finished[team.id],
    )


def _eager_teams(session: DbSession, teams: list[Team]) -> set[int]:
    """The lanes the plant board draws at once: from the top until EAGER_CARDS open cards
    (at least one lane); the rest are fetched as they are scrolled into view."""
    counts = dict(
        session.execute(
            select(Improvement.team_id, func.count())
            .where(
                Improvement.team_id.in_([team.id for team in teams]),
                Improvement.board_column != BoardColumn.DONE,
            )
            .group_by(Improvement.team_id)
        ).all()
    )
    eager: set[int] = set()
    total = 0
    for team in teams:
        total += counts.get(team.id, 0)
        if eager and total > EAGER_CARDS:
            break
        eager.add(team.id)
    return eager


def _pending_lane(team: Team) -> Swimlane:
    """A lane the plant board fetches when it is scrolled into view."""
    return Swimlane(team.id, team.slug, team.name, [], None, 0, pending=True)


def build_board(
    session: DbSession, now: datetime, team_slug: str | None = None, all_done: bool = False
) -> Board:
    """The board of one team (by slug) or of every team, one swimlane per team."""
    # The change token first: a change committed while the board is read shows again at
    # the next poll rather than never.
    token = board_token(session, now, team_slug)
    teams = board_teams(session, team_slug)
    eager = {team.id for team in teams} if team_slug else _eager_teams(session, teams)
    team_ids = [team.id for team in teams if team.id in eager]
    # Start and finish are stamped on each card from its move log (kaizen.models.derived),
    # so nothing here reads history beyond the cards on screen and the last month of Done.
    facts = lane_facts(session, now, team_ids, all_done)
    by_place: dict[tuple[int, BoardColumn], list[Any]] = defaultdict(list)
    for row in card_rows(session, shown_cards(team_ids, facts.last_done)):
        by_place[(row.team_id, row.board_column)].append(facts.card(row))
    lanes = [
        swimlane(team, lane_columns(team, by_place, facts), facts)
        if team.id in eager
        else _pending_lane(team)
        for team in teams
    ]
    all_teams = [
        (row.slug, row.name)
        for row in session.execute(
            select(Team.slug, Team.name).where(Team.archived_at.is_(None)).order_by(Team.name)
        )
    ]
    return Board(
        lanes=lanes,
        token=token,
        observations_this_month=observations_this_month(session, now, team_slug),
        observations_last_month=observations_last_month(session, now, team_slug),
        done_window_days=DONE_WINDOW_DAYS,
        all_done=all_done,
        team_slug=team_slug,
        teams=all_teams,
    )


def _card_view(
    row: Any, finished_at: datetime | None, p85_days: int | None, now: datetime
) -> CardView:
    """Turn a card row, with its start and first finish stamped from its log, into a view."""
    started = row.started_at
    first_done = row.finished_at
    column: BoardColumn = row.board_column
    done = column is BoardColumn.DONE
    age = _days(started, now) if started is not None and not done else None
    cycle = _days(started, first_done) if done and started and first_done else None
    primary, others = _MOVES[column]
    return CardView(
        primary_back=done,
        id=row.id,
        title=row.title,
        version=row.version,
        column=column,
        area_name=row.area_name,
        waste=row.waste,
        owner_name=row.owner_name,
        age_days=age,
        days_since_created=max(_days(row.created_at, now), 0),
        cycle_days=cycle,
        over_p85=age is not None and p85_days is not None and age > p85_days,
        has_root_cause=bool(row.root_cause_count),
        blocked=row.blocked,
        blocked_reason=row.blocked_reason,
        linked_observation_count=row.observation_count,
        outcome=row.outcome,
        finished_at=finished_at if done else None,
        needs_reflection=done and not row.has_reflection,
        primary_move=primary,
        other_columns=others,
    )


def _observation_scope(query: Select[Any], team_slug: str | None) -> Select[Any]:
    """Limit an observation query to the areas of one team, when the board shows one."""
    if team_slug is None:
        return query
    team_areas = select(Area.id).join(Team, Team.id == Area.team_id).where(Team.slug == team_slug)
    return query.where(Observation.area_id.in_(team_areas))


def observations_this_month(session: DbSession, now: datetime, team_slug: str | None) -> int:
    """Observations reported this month (in the team's areas on a team board)."""
    query = select(func.count(Observation.id)).where(Observation.observed_at >= Month.of(now).start)
    return session.scalar(_observation_scope(query, team_slug)) or 0


def observations_last_month(session: DbSession, now: datetime, team_slug: str | None) -> int:
    """Observations reported last month, for the trend next to this month's count."""
    month = Month.of(now).previous
    query = select(func.count(Observation.id)).where(
        Observation.observed_at >= month.start, Observation.observed_at < month.end
    )
    return session.scalar(_observation_scope(query, team_slug)) or 0
