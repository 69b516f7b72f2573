"""What a board screen has seen, as a short token: the day and each lane's change counter.

A team's `board_version` is bumped in the same transaction as every change its board shows
(kaizen.models.derived): a card added, removed, moved, reordered or edited, its blocks,
reflection, links and five whys, the name of its area or owner, the team's WIP limits,
cycle start column and name, an observation in its areas. The plant board adds the newest
observation (areas without a team count there too). The day is part of it: at midnight ages
grow and at a month's turn the counts reset. Reading it is one query by key, no history.

The token names each lane's version, so a poll that finds a change can send only the cards
changed since the version the screen has (kaizen.services.board_updates).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select

from kaizen.models import Observation, Team
from kaizen.services import DbSession

_LANE = re.compile(r"(\d{1,12})-(\d{1,12})")
_DAY = re.compile(r"\d{8}")
# A token longer than this is not one the board wrote (a plant has tens of teams).
MAX_TOKEN_LENGTH = 4000


@dataclass(frozen=True)
class BoardState:
    """The day, the newest observation (plant board only) and each lane's version."""

    day: str
    newest_observation: int | None
    versions: tuple[tuple[int, int], ...]  # (team id, board_version), by team id

    @property
    def token(self) -> str:
        """`20261201.1-45.2-33` (team board) or `20261201.o912.1-45.2-33` (plant board)."""
        parts = [self.day]
        if self.newest_observation is not None:
            parts.append(f"o{self.newest_observation}")
        parts.extend(f"{team}-{version}" for team, version in self.versions)
        return ".".join(parts)

    @classmethod
    def parse(cls, token: str) -> BoardState | None:
        """The state a token describes, or None for anything the board did not write."""
        if len(token) > MAX_TOKEN_LENGTH:
            return None
        day, *rest = token.split(".")
        if not _DAY.fullmatch(day):
            return None
        newest = None
        if rest and rest[0].startswith("o") and rest[0][1:].isdigit():
            newest = int(rest.pop(0)[1:])
        versions = []
        for part in rest:
            match = _LANE.fullmatch(part)
            if match is None:
                return None
            versions.append((int(match[1]), int(match[2])))
        return cls(day, newest, tuple(versions))


@dataclass(frozen=True)
class CurrentState:
    """The board's state now, and per team the version of its last whole-lane change."""

    state: BoardState
    resets: dict[int, int]


_team = cast(Table, Team.__table__)
# Built once: a poll runs one of these many times a second, so it skips building and
# caching a statement each time and the ORM's layer around plain column reads.
_COLUMNS = (_team.c.id, _team.c.board_version, _team.c.board_reset_version)
_ONE_TEAM = select(*_COLUMNS).where(_team.c.slug == bindparam("slug"))
# Archived teams leave the plant board; archiving one changes this set, which redraws it.
_EVERY_TEAM = (
    select(
        *_COLUMNS,
        select(
            func.coalesce(func.max(cast(Table, Observation.__table__).c.id), 0)
        ).scalar_subquery(),
    )
    .where(_team.c.archived_at.is_(None))
    .order_by(_team.c.id)
)


def read_state(session: DbSession, now: datetime, team_slug: str | None = None) -> CurrentState:
    """The board's state now, in one query by key (the plant board: one row per team)."""
    connection = session.connection()
    newest = None
    rows: list[Any]
    if team_slug is not None:
        rows = list(connection.execute(_ONE_TEAM, {"slug": team_slug}))
    else:
        rows = list(connection.execute(_EVERY_TEAM))
        newest = rows[0][3] if rows else 0
    state = BoardState(now.strftime("%Y%m%d"), newest, tuple((row[0], row[1]) for row in rows))
    return CurrentState(state, {row[0]: row[2] for row in rows})


def board_token(session: DbSession, now: datetime, team_slug: str | None = None) -> str:
    """The token of the board as it is now (one query by key)."""
    return read_state(session, now, team_slug).state.token
