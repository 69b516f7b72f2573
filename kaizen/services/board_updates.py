"""A poll that finds a change sends only what changed: the cards changed since the version
the screen has, the order of each column, its header and foot, the month's report counts.

A lane whose last whole-lane change (kaizen.models.derived: a rename, a card into or out
of Done, a new cycle start column) is newer than what the screen saw is sent whole; on a
team board that is the whole board. A new day, a team added or removed, or a token the
board did not write also get the whole board.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select

from kaizen.models import BoardColumn, Improvement
from kaizen.services import DbSession
from kaizen.services.board import (
    DONE_WINDOW_DAYS,
    CardView,
    ColumnView,
    Swimlane,
    board_teams,
    card_rows,
    lane_columns,
    lane_facts,
    observations_last_month,
    observations_this_month,
    shown_cards,
    swimlane,
)
from kaizen.services.board_state import BoardState, CurrentState

# Per team: the version the screen has (only the cards changed since), or None (whole lane).
Plan = dict[int, int | None]


@dataclass(frozen=True)
class LaneChanges:
    """One lane's changed cards, and every column's header, foot and card order."""

    team_id: int
    slug: str
    name: str
    columns: list[ColumnView]
    cards: list[CardView]
    p85_days: int | None
    finished_count: int


@dataclass(frozen=True)
class BoardUpdate:
    """What a screen needs to catch up: whole lanes, changed lanes and the header counts."""

    token: str
    lane_order: list[int]
    whole_lanes: list[Swimlane]
    changed_lanes: list[LaneChanges]
    observations_this_month: int
    observations_last_month: int
    done_window_days: int
    all_done: bool
    team_slug: str | None


def plan_update(current: CurrentState, seen: BoardState | None) -> Plan | None:
    """What to send a screen that has `seen`: None means the whole board."""
    now = current.state
    if seen is None or seen.day != now.day:
        return None
    if (seen.newest_observation is None) != (now.newest_observation is None):
        return None  # a token of the other kind of board
    had = dict(seen.versions)
    if set(had) != {team for team, _ in now.versions}:
        return None
    plan: Plan = {}
    for team, version in now.versions:
        if version == had[team]:
            continue
        whole = had[team] > version or had[team] < current.resets.get(team, 0)
        plan[team] = None if whole else had[team]
    if now.newest_observation is None and any(since is None for since in plan.values()):
        return None  # a team board whose lane changed as a whole: the whole board
    return plan


def build_update(
    session: DbSession,
    now: datetime,
    current: CurrentState,
    plan: Plan,
    team_slug: str | None = None,
    all_done: bool = False,
) -> BoardUpdate:
    """The lanes of the plan, whole or as their changed cards, and the header counts."""
    teams = board_teams(session, team_slug)
    wanted = [team for team in teams if team.id in plan]
    facts = lane_facts(session, now, [team.id for team in wanted], all_done)
    whole = [team for team in wanted if plan[team.id] is None]
    changed = [team for team in wanted if plan[team.id] is not None]

    whole_lanes = []
    if whole:
        by_place: dict[tuple[int, BoardColumn], list[Any]] = defaultdict(list)
        for row in card_rows(session, shown_cards([t.id for t in whole], facts.last_done)):
            by_place[(row.team_id, row.board_column)].append(facts.card(row))
        whole_lanes = [swimlane(team, lane_columns(team, by_place, facts), facts) for team in whole]

    changed_lanes = []
    if changed:
        shown = shown_cards([t.id for t in changed], facts.last_done)
        places: dict[tuple[int, BoardColumn], list[Any]] = defaultdict(list)
        for row in session.execute(
            select(Improvement.id, Improvement.team_id, Improvement.board_column)
            .where(shown)
            .order_by(Improvement.position, Improvement.id)
        ):
            places[(row.team_id, row.board_column)].append(row)
        since = or_(
            *(
                and_(Improvement.team_id == team.id, Improvement.board_version > plan[team.id])
                for team in changed
            )
        )
        cards: dict[int, list[CardView]] = defaultdict(list)
        for row in card_rows(session, and_(shown, since)):
            cards[row.team_id].append(facts.card(row))
        for team in changed:
            columns = [
                ColumnView(
                    column=col.column,
                    cards=[],
                    count=col.count,
                    limit=col.limit,
                    mode=col.mode,
                    hidden_count=col.hidden_count,
                    ids=tuple(row.id for row in col.cards),
                )
                for col in lane_columns(team, places, facts)
            ]
            lane = swimlane(team, [], facts)
            changed_lanes.append(
                LaneChanges(
                    team_id=team.id,
                    slug=team.slug,
                    name=team.name,
                    columns=columns,
                    cards=cards[team.id],
                    p85_days=lane.p85_days,
                    finished_count=lane.finished_count,
                )
            )
    return BoardUpdate(
        token=current.state.token,
        lane_order=[team.id for team in teams],
        whole_lanes=whole_lanes,
        changed_lanes=changed_lanes,
        observations_this_month=observations_this_month(session, now, team_slug),
        observations_last_month=observations_last_month(session, now, team_slug),
        done_window_days=DONE_WINDOW_DAYS,
        all_done=all_done,
        team_slug=team_slug,
    )
