"""The aggregate report path against the plain computation from the move log, on random plants.

`services/reports.monthly_report` reads windows and aggregates; `tests/report_reference`
replays every card's whole log through `services/flow`. On any plant hypothesis can make up
(teams with different start columns, cards that go back and forth and out of Done again,
blocks still open, observations linked or not, reflections) and for any month, filter and
way of counting days, both give the same numbers and the same tables. Runs on SQLite, and
on PostgreSQL when KAIZEN_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from kaizen.extensions import db
from kaizen.models import (
    BlockPeriod,
    BoardColumn,
    CardMove,
    Outcome,
    Reflection,
    Waste,
)
from kaizen.services.flow_data import Scope
from kaizen.services.months import Month
from kaizen.services.plant_time import use_zone
from kaizen.services.report_page import TABLES, table
from kaizen.services.reports import MonthlyReport, ReportParams, monthly_report
from tests.conftest import POSTGRES_URL
from tests.factories import make_area, make_improvement, make_observation, make_team
from tests.report_reference import reference_report

COLUMNS = list(BoardColumn)
WASTES = list(Waste)
# The plant's history runs over ~16 months before NOW; minutes give ties now and then.
ORIGIN = datetime(2025, 1, 3, 6, 0)
NOW = datetime(2026, 4, 20, 10, 30)
SPAN_MINUTES = int((NOW - ORIGIN).total_seconds() // 60)


@dataclass(frozen=True)
class CardPlan:
    team: int
    area: int | None
    waste: Waste | None
    created: int  # minutes after ORIGIN
    steps: tuple[tuple[int, int], ...]  # (column index, minutes after the previous move)
    blocks: tuple[tuple[int, int | None], ...]  # (start, length or open), minutes
    adopted: bool
    reflected: bool


@dataclass(frozen=True)
class ObservationPlan:
    area: int
    waste: Waste
    at: int
    minutes_lost: int | None
    linked_card: int | None


@dataclass(frozen=True)
class PlantPlan:
    start_columns: tuple[BoardColumn, ...]
    area_teams: tuple[int, ...]
    cards: tuple[CardPlan, ...]
    observations: tuple[ObservationPlan, ...]


minutes = st.integers(min_value=0, max_value=SPAN_MINUTES)


@st.composite
def plants(draw: st.DrawFn) -> PlantPlan:
    """A small plant: 1-3 teams, 1-4 areas, up to 14 cards, up to 30 observations."""
    start_columns = tuple(draw(st.lists(st.sampled_from(COLUMNS[1:4]), min_size=1, max_size=3)))
    teams = len(start_columns)
    area_teams = tuple(draw(st.lists(st.integers(0, teams - 1), min_size=1, max_size=4)))
    areas = len(area_teams)
    step = st.tuples(st.integers(0, 4), st.integers(1, 60 * 24 * 40))
    block = st.tuples(minutes, st.one_of(st.none(), st.integers(1, 60 * 24 * 20)))
    card = st.builds(
        CardPlan,
        team=st.integers(0, teams - 1),
        area=st.one_of(st.none(), st.integers(0, areas - 1)),
        waste=st.one_of(st.none(), st.sampled_from(WASTES)),
        created=minutes,
        steps=st.lists(step, max_size=6).map(tuple),
        blocks=st.lists(block, max_size=2).map(tuple),
        adopted=st.booleans(),
        reflected=st.booleans(),
    )
    cards = tuple(draw(st.lists(card, max_size=14)))
    observation = st.builds(
        ObservationPlan,
        area=st.integers(0, areas - 1),
        waste=st.sampled_from(WASTES[:3]),  # few wastes, so cards and reports match often
        at=minutes,
        minutes_lost=st.one_of(st.none(), st.integers(0, 90)),
        linked_card=st.one_of(st.none(), st.integers(0, max(len(cards) - 1, 0))),
    )
    observations = tuple(draw(st.lists(observation, max_size=30)))
    return PlantPlan(start_columns, area_teams, cards, observations)


def at(minute: int) -> datetime:
    return ORIGIN + timedelta(minutes=minute)


def write_plant(session: Session, plan: PlantPlan) -> dict[str, list[Any]]:
    """The plan as rows, through the models (so the derived stamps are kept as in the app)."""
    teams = [make_team(session, cycle_start_column=c) for c in plan.start_columns]
    areas = [make_area(session, team=teams[t]) for t in plan.area_teams]
    cards = []
    for index, card_plan in enumerate(plan.cards):
        card = make_improvement(
            session,
            created_at=at(card_plan.created),
            team=teams[card_plan.team],
            area=areas[card_plan.area] if card_plan.area is not None else None,
            waste=card_plan.waste,
            title=f"Card {index}",
        )
        column, moment = BoardColumn.IDEAS, at(card_plan.created)
        for target, gap in card_plan.steps:
            moment = min(moment + timedelta(minutes=gap), NOW)
            if COLUMNS[target] is column:
                continue
            session.add(
                CardMove(
                    improvement=card, from_column=column, to_column=COLUMNS[target], moved_at=moment
                )
            )
            column = COLUMNS[target]
        card.board_column = column
        if column is BoardColumn.DONE:
            card.outcome = Outcome.ADOPTED if card_plan.adopted else Outcome.NOT_ADOPTED
        blocks = sorted(card_plan.blocks, key=lambda block: block[0])
        for number, (start, length) in enumerate(blocks):
            is_last = number == len(blocks) - 1
            ended = (
                None if length is None and is_last else at(min(start + (length or 1), SPAN_MINUTES))
            )
            session.add(
                BlockPeriod(improvement=card, started_at=at(start), ended_at=ended, reason="Parts")
            )
        if blocks and blocks[-1][1] is None:
            card.blocked, card.blocked_reason = True, "Parts"
        if card_plan.reflected and column is BoardColumn.DONE:
            session.add(Reflection(improvement=card, learnt=f"Lesson {index}"))
        cards.append(card)
    session.flush()
    for observation_plan in plan.observations:
        observation = make_observation(
            session,
            area=areas[observation_plan.area],
            waste=observation_plan.waste,
            observed_at=at(observation_plan.at),
            minutes_lost=observation_plan.minutes_lost,
        )
        if observation_plan.linked_card is not None and cards:
            observation.improvements.append(cards[observation_plan.linked_card])
    session.commit()
    return {"teams": teams, "areas": areas}


@contextmanager
def fresh_session(template: Path, folder: Path) -> Iterator[Session]:
    """A session on an empty database of its own: a copied SQLite file, or PostgreSQL
    emptied (the schema is the suite's)."""
    if POSTGRES_URL:
        engine = create_engine(POSTGRES_URL)
        names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        path = folder / "plant.db"
        shutil.copyfile(template, path)
        engine = create_engine(f"sqlite:///{path}")
    session = Session(engine)
    try:
        yield session
    finally:
        session.close()
        engine.dispose()


def shown(report: MonthlyReport, params: ReportParams) -> dict[str, Any]:
    """Everything the page, the charts and the CSV files show of a report."""
    return {
        "numbers": report.numbers,
        "months": report.months,
        "finished": report.finished,
        "cycle_points": [
            (f.id, f.title, f.team_name, f.waste, f.outcome, f.finished_at, f.cycle_days)
            for f in report.cycle_points
        ],
        "cycle_percentiles": report.cycle_percentiles,
        "throughput": report.throughput,
        "observations": report.observations,
        "pareto": report.pareto,
        "flow": report.flow,
        "aging": [
            (f.id, f.title, f.team_name, f.column, f.waste, f.blocked, f.age_days)
            for f in report.aging
        ],
        "before_after": report.before_after,
        "lessons": report.lessons,
        "tables": {name: table(name, report, params) for name in TABLES},
    }


@pytest.fixture
def template(request: pytest.FixtureRequest, postgres_schema: str | None) -> Path | None:
    """The suite's empty SQLite database to copy (None on PostgreSQL)."""
    return None if postgres_schema else request.getfixturevalue("sqlite_template")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    plan=plants(),
    month=st.sampled_from([Month(2026, 4), Month(2026, 3), Month(2025, 11), Month(2025, 2)]),
    working_days=st.booleans(),
    filter_by=st.sampled_from(["plant", "team", "area"]),
    # Months and days of the plant's calendar: UTC, a zone with daylight saving, a half-hour
    # zone east of UTC and one west of it.
    zone=st.sampled_from(["UTC", "Europe/Berlin", "Asia/Kolkata", "America/New_York"]),
)
def test_the_aggregate_report_equals_the_plain_computation_from_the_move_log(
    template: Path | None,
    tmp_path: Path,
    plan: PlantPlan,
    month: Month,
    working_days: bool,
    filter_by: str,
    zone: str,
) -> None:
    with fresh_session(template or Path(), tmp_path) as session, use_zone(zone):
        written = write_plant(session, plan)
        scope = Scope()
        if filter_by == "team":
            scope = Scope(team_id=written["teams"][0].id)
        elif filter_by == "area":
            scope = Scope(area_id=written["areas"][0].id)
        params = ReportParams(month=month, working_days=working_days)

        fast = monthly_report(session, month, NOW, scope, working_days)
        plain = reference_report(session, month, NOW, scope, working_days)

        assert shown(fast, params) == shown(plain, params)
