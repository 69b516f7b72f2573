"""A synthetic plant for benchmarks: `kaizen bench-data --preset team500|history10x|plant`.

Written in bulk (Core inserts of plain rows), but by the app's rules: every card's move log
starts with its creation (no from-column) and walks forward, sometimes back, to the card's
column; only Done cards have an outcome; positions run 0..n-1 per column. The same seed
always gives the same plant.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text

from kaizen.models import (
    Area,
    BoardColumn,
    CardMove,
    Improvement,
    Observation,
    Outcome,
    Role,
    Team,
    Waste,
    restamp_cards,
    touch_reports,
)
from kaizen.services import DbSession
from kaizen.services.accounts import create_user

PRESETS = ("team500", "history10x", "plant", "tiny")
OPEN_COLUMNS = (BoardColumn.IDEAS, BoardColumn.PLAN, BoardColumn.DO, BoardColumn.CHECK)
AREAS_PER_TEAM = 6
BATCH = 5_000
TITLES = (
    "Kanban square for the forklift",
    "Shadow board at the press",
    "Quick-change clamps on die 4",
    "Move the scrap bin next to the saw",
    "Visual check sheet for the torque tool",
    "One-piece flow trial in cell B",
    "Label the bins by part number",
    "Standard work for the night shift hand-over",
)
SENTENCES = (
    "Parts waited for the forklift again.",
    "Walked to the tool crib twice for the same wrench.",
    "Bins overflowing at the end of the line.",
    "Rework on three housings, scratched in transport.",
    "Operator idle while the die was changed.",
)


class BenchDataError(RuntimeError):
    """The synthetic plant cannot be written (the database already holds one)."""


@dataclass(frozen=True)
class PresetSize:
    """How big a preset is."""

    teams: int
    open_cards: int  # per team
    finished_recent: int  # per team, finished in the last 12 months
    finished_old: int  # per team, finished 1-5 years ago
    observations: int  # in all, over the last 12 months


# The account `kaizen bench` signs in with (a scratch database only): username, password.
BENCH_MEMBER = ("bench-member", "bench-member-password")

SIZES = {
    "team500": PresetSize(1, 500, 1_500, 0, 30_000),
    "history10x": PresetSize(1, 500, 1_500, 13_500, 30_000),
    "plant": PresetSize(20, 250, 0, 0, 0),
    # A few seconds' worth: what `kaizen bench --quick` and the tests use.
    "tiny": PresetSize(2, 30, 30, 10, 300),
}


@dataclass
class BenchSummary:
    """What was written."""

    teams: int = 0
    cards: int = 0
    moves: int = 0
    observations: int = 0
    team_slugs: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line for the terminal."""
        return (
            f"Wrote {self.teams} teams, {self.cards} cards with {self.moves} moves "
            f"and {self.observations} observations."
        )


def _path_to(rng: random.Random, column: BoardColumn) -> list[BoardColumn]:
    """A plausible walk from Ideas to `column`: forward, with the odd step back."""
    path = [BoardColumn.IDEAS]
    while path[-1] is not column:
        here = path[-1]
        if here.ordinal > 1 and rng.random() < 0.08:
            path.append(list(BoardColumn)[here.ordinal - 1])  # back for another try
        else:
            path.append(list(BoardColumn)[here.ordinal + 1])
    return path


class _Writer:
    """Collects rows and writes them in batches."""

    def __init__(self, session: DbSession) -> None:
        self.session = session
        self.rows: dict[Any, list[dict[str, Any]]] = defaultdict(list)

    def add(self, table: Any, row: dict[str, Any]) -> None:
        self.rows[table].append(row)
        if len(self.rows[table]) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Write what is collected, cards before their moves (tables in first-seen order)."""
        for key in list(self.rows):
            if self.rows[key]:
                self.session.execute(insert(key), self.rows[key])
                self.rows[key] = []


@dataclass(frozen=True)
class _Card:
    """One synthetic card: where it ends up."""

    id: int
    team_id: int
    area_id: int
    column: BoardColumn
    position: int

    def write(
        self, writer: _Writer, rng: random.Random, now: datetime, finished_days_ago: float | None
    ) -> int:
        """Add the card and its move log; return how many moves were logged."""
        path = _path_to(rng, self.column)
        if finished_days_ago is None:
            created = now - timedelta(days=rng.uniform(0.5, 120))
            last = now - timedelta(hours=rng.uniform(0, 8))
        else:
            last = now - timedelta(days=finished_days_ago)
            created = last - timedelta(days=rng.uniform(2, 60) + rng.uniform(0, 30))
        span = (last - created) / max(len(path) - 1, 1)
        times = [created + span * i for i in range(len(path))]
        done = self.column is BoardColumn.DONE
        blocked = not done and rng.random() < 0.05
        writer.add(
            Improvement,
            {
                "id": self.id,
                "title": f"{TITLES[self.id % len(TITLES)]} #{self.id}",
                "problem": SENTENCES[self.id % len(SENTENCES)],
                "countermeasure": "",
                "team_id": self.team_id,
                "area_id": self.area_id,
                "waste": list(Waste)[self.id % len(Waste)],
                "board_column": self.column,
                "position": self.position,
                "blocked": blocked,
                "blocked_reason": "Waiting for maintenance" if blocked else None,
                "outcome": rng.choice(list(Outcome)) if done else None,
                "version": len(path),
                "created_at": created,
                "updated_at": times[-1],
            },
        )
        previous: BoardColumn | None = None
        for column, at in zip(path, times, strict=True):
            writer.add(
                CardMove,
                {
                    "improvement_id": self.id,
                    "from_column": previous,
                    "to_column": column,
                    "moved_at": at,
                },
            )
            previous = column
        return len(path)


def _places(
    session: DbSession, size: PresetSize, summary: BenchSummary
) -> tuple[list[int], dict[int, list[int]]]:
    """The teams and their areas (a few ORM rows): team ids, and area ids per team."""
    teams: list[int] = []
    areas: dict[int, list[int]] = {}
    for t in range(1, size.teams + 1):
        slug = "bench-team" if size.teams == 1 else f"bench-team-{t:02d}"
        team = Team(slug=slug, name=f"Bench team {t:02d}")
        team.areas = [
            Area(slug=f"{slug}-cell-{a}", name=f"Cell {t:02d}-{a}") for a in range(AREAS_PER_TEAM)
        ]
        session.add(team)
        session.flush()
        teams.append(team.id)
        areas[team.id] = [area.id for area in team.areas]
        summary.team_slugs.append(slug)
    summary.teams = len(teams)
    return teams, areas


def write_bench_data(
    session: DbSession, preset: str, now: datetime, seed: int = 11
) -> BenchSummary:
    """Write the preset's plant into an empty database, and commit."""
    if preset not in SIZES:
        raise BenchDataError(f"No preset {preset!r}; choose one of {', '.join(PRESETS)}.")
    if session.scalar(select(func.count()).select_from(Team)):
        raise BenchDataError("The database already has teams; use an empty database.")
    size = SIZES[preset]
    rng = random.Random(seed)
    summary = BenchSummary()
    teams, areas = _places(session, size, summary)
    writer = _Writer(session)
    next_id = (session.scalar(select(func.max(Improvement.id))) or 0) + 1
    for team_id in teams:
        plans: list[tuple[BoardColumn, float | None]] = [
            (rng.choice(OPEN_COLUMNS), None) for _ in range(size.open_cards)
        ]
        plans += [(BoardColumn.DONE, rng.uniform(0, 365)) for _ in range(size.finished_recent)]
        plans += [(BoardColumn.DONE, rng.uniform(365, 5 * 365)) for _ in range(size.finished_old)]
        positions: dict[BoardColumn, int] = defaultdict(int)
        for column, finished_days_ago in plans:
            card = _Card(next_id, team_id, rng.choice(areas[team_id]), column, positions[column])
            summary.moves += card.write(writer, rng, now, finished_days_ago)
            positions[column] += 1
            next_id += 1
            summary.cards += 1
    writer.flush()
    all_areas = [area for team_areas in areas.values() for area in team_areas]
    for n in range(size.observations):
        at = now - timedelta(days=rng.uniform(0, 365))
        writer.add(
            Observation,
            {
                "observed_at": at,
                "created_at": at,
                "area_id": rng.choice(all_areas),
                "waste": rng.choice(list(Waste)),
                "description": SENTENCES[n % len(SENTENCES)],
                "minutes_lost": rng.choice((None, 5, 10, 20, 45)),
            },
        )
    writer.flush()
    summary.observations = size.observations
    # Bulk rows skip the session's bookkeeping: stamp start and finish from the log, set-based.
    restamp_cards(session)
    touch_reports(session)  # bulk rows skip the report counter's listener too
    # A member of the first team, so the benchmark can see the board as people who move
    # cards do (their move buttons and drag handles).
    first_team = session.get(Team, teams[0]) if teams else None
    create_user(
        session, *BENCH_MEMBER, role=Role.MEMBER, display_name="Bench member", team=first_team
    )
    session.commit()
    # Fresh planner statistics, as autovacuum (PostgreSQL) or a nightly ANALYZE would keep
    # them on a plant's database: without them, PostgreSQL plans the Done window's join
    # over 80,000 just-written moves as if the table were empty (1.8 s instead of 6 ms).
    session.execute(text("ANALYZE"))
    session.commit()
    return summary
