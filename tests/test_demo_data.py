"""The demo plant is believable, consistent with the rules of the model, and repeatable.

The plant is loaded once for the module (loading hashes 16 passwords), on SQLite or on
PostgreSQL when KAIZEN_TEST_POSTGRES_URL is set, like the rest of the suite.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kaizen import create_app
from kaizen.demo import DEMO_PASSWORD, DemoPlantError, DemoSummary, load_demo_plant
from kaizen.extensions import db
from kaizen.models import (
    Area,
    BlockPeriod,
    BoardColumn,
    CardMove,
    ColumnLimit,
    Improvement,
    Observation,
    Outcome,
    Reflection,
    Role,
    RootCause,
    Team,
    User,
    Waste,
    WipMode,
)
from kaizen.services.accounts import authenticate

from .conftest import app_config, empty_all_tables

NOW = datetime(2025, 3, 14, 10, 30, 12, 345678)
SIX_MONTHS = timedelta(days=182)


@dataclass
class Plant:
    """The loaded demo plant: a session to query it and the loader's summary."""

    session: Session
    summary: DemoSummary


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory, postgres_schema: str | None) -> Iterator[Plant]:
    """One demo plant for the whole module, in a database of its own."""
    folder = tmp_path_factory.mktemp("demo-plant")
    app = create_app(app_config(postgres_schema or f"sqlite:///{folder / 'kaizen.db'}", folder))
    with app.app_context():
        if postgres_schema:
            empty_all_tables()
        else:
            db.create_all()
        summary = load_demo_plant(db.session, now=NOW)
        db.session.commit()
        yield Plant(db.session, summary)
        db.session.remove()
        db.engine.dispose()


def all_of(session: Session, model: Any) -> list[Any]:
    """Every row of a model, in id order."""
    return list(session.scalars(select(model).order_by(model.id)))


def cards(session: Session) -> list[Improvement]:
    """Every improvement card, in id order."""
    return all_of(session, Improvement)


def snapshot(session: Session) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The parts of a plant a person would notice if they changed between two loads."""
    card_rows = [
        (
            card.title,
            card.board_column,
            card.outcome,
            card.position,
            len(card.moves),
            tuple(move.moved_at for move in card.moves),
        )
        for card in cards(session)
    ]
    observation_rows = [
        (o.observed_at, o.area.slug, o.waste, o.description, o.minutes_lost, o.is_anonymous)
        for o in all_of(session, Observation)
    ]
    return card_rows, observation_rows


def test_the_plant_has_three_teams_with_four_areas_each(plant: Plant) -> None:
    teams = all_of(plant.session, Team)
    assert [t.slug for t in teams] == ["press-shop", "assembly", "logistics"]
    assert all(len(t.areas) == 4 for t in teams)
    slugs = [a.slug for a in all_of(plant.session, Area)]
    assert len(slugs) == 12
    assert all(slug == slug.lower() and " " not in slug for slug in slugs)


def test_every_team_has_wip_limits_for_plan_do_and_check(plant: Plant) -> None:
    limits = all_of(plant.session, ColumnLimit)
    assert len(limits) == 9
    assert {limit.board_column for limit in limits} == {
        BoardColumn.PLAN,
        BoardColumn.DO,
        BoardColumn.CHECK,
    }
    assert [(lim.team.slug, lim.board_column) for lim in limits if lim.mode is WipMode.HARD] == [
        ("press-shop", BoardColumn.DO)
    ]


def test_the_accounts_cover_every_role_and_kiosks_are_bound_to_an_area(plant: Plant) -> None:
    users = all_of(plant.session, User)
    roles = Counter(u.role for u in users)
    assert len(users) <= 16
    assert roles[Role.ADMIN] == 1 and roles[Role.LEAD] == 3 and roles[Role.VIEWER] == 1
    assert roles[Role.KIOSK] == 3 and 6 <= roles[Role.MEMBER] <= 9
    assert all(u.area is not None for u in users if u.role is Role.KIOSK)


def test_every_waste_has_observations_and_waiting_motion_and_defects_lead(plant: Plant) -> None:
    counts = Counter(o.waste for o in all_of(plant.session, Observation))
    assert sum(counts.values()) == 300
    assert set(counts) == set(Waste)
    top_three = {waste for waste, _ in counts.most_common(3)}
    assert top_three == {Waste.WAITING, Waste.MOTION, Waste.DEFECTS}


def test_observations_span_the_last_six_months(plant: Plant) -> None:
    observations = all_of(plant.session, Observation)
    times = [o.observed_at for o in observations]
    assert min(times) >= NOW - SIX_MONTHS
    assert min(times) <= NOW - timedelta(days=170)
    assert NOW - timedelta(days=7) <= max(times) <= NOW
    assert all(o.created_at == o.observed_at for o in observations)
    assert not any(o.has_photo for o in observations)


def test_reporting_grows_in_recent_months(plant: Plant) -> None:
    times = [o.observed_at for o in all_of(plant.session, Observation)]
    middle = NOW - SIX_MONTHS / 2
    assert sum(t >= middle for t in times) > 1.2 * sum(t < middle for t in times)


def test_anonymous_observations_keep_no_reporter(plant: Plant) -> None:
    observations = all_of(plant.session, Observation)
    anonymous = [o for o in observations if o.is_anonymous]
    assert 0.3 <= len(anonymous) / len(observations) <= 0.5
    assert all(o.reporter is None for o in anonymous)


def test_kiosks_report_only_from_their_own_area(plant: Plant) -> None:
    by_kiosk = [
        o
        for o in all_of(plant.session, Observation)
        if o.reporter is not None and o.reporter.role is Role.KIOSK
    ]
    assert by_kiosk
    assert all(o.area_id == o.reporter.area_id for o in by_kiosk)


def test_about_eighty_improvements_fill_every_column_with_both_outcomes(plant: Plant) -> None:
    all_cards = cards(plant.session)
    columns = Counter(card.board_column for card in all_cards)
    outcomes = Counter(card.outcome for card in all_cards if card.board_column is BoardColumn.DONE)
    assert 75 <= len(all_cards) <= 85
    assert set(columns) == set(BoardColumn)
    assert 30 <= columns[BoardColumn.DONE] <= 35
    assert outcomes[Outcome.ADOPTED] > outcomes[Outcome.NOT_ADOPTED] > 0
    assert all(c.outcome is None for c in all_cards if c.board_column is not BoardColumn.DONE)


def test_finished_cards_are_spread_over_the_months(plant: Plant) -> None:
    finished = [card.moves[-1].moved_at for card in cards(plant.session) if card.outcome]
    months = Counter((t.year, t.month) for t in finished)
    assert len(months) >= 6


def test_every_cards_column_is_its_last_moves_column_and_moves_run_forward(plant: Plant) -> None:
    for card in cards(plant.session):
        moves = card.moves
        assert moves[0].from_column is None
        assert moves[0].to_column is BoardColumn.IDEAS
        assert moves[0].moved_at == card.created_at
        assert moves[-1].to_column is card.board_column
        for before, after in pairwise(moves):
            assert after.from_column is before.to_column
            assert before.moved_at < after.moved_at
        assert moves[-1].moved_at <= NOW
        assert card.moves[-1].moved_at <= card.updated_at <= NOW


def test_some_cards_moved_backwards_and_then_on(plant: Plant) -> None:
    backwards = [
        move
        for move in all_of(plant.session, CardMove)
        if move.from_column is not None and move.to_column.ordinal < move.from_column.ordinal
    ]
    assert len(backwards) >= 4
    assert any(m.improvement.board_column is BoardColumn.DONE for m in backwards)


def test_hard_wip_limits_hold_on_the_current_board(plant: Plant) -> None:
    in_column = Counter((card.team_id, card.board_column) for card in cards(plant.session))
    for limit in all_of(plant.session, ColumnLimit):
        if limit.mode is WipMode.HARD:
            assert in_column[(limit.team_id, limit.board_column)] <= limit.wip_limit


def test_positions_count_from_zero_in_every_column(plant: Plant) -> None:
    positions: dict[tuple[int, BoardColumn], list[int]] = {}
    for card in cards(plant.session):
        positions.setdefault((card.team_id, card.board_column), []).append(card.position)
    for found in positions.values():
        assert sorted(found) == list(range(len(found)))


def test_blocked_cards_have_a_reason_and_an_open_block_period(plant: Plant) -> None:
    all_cards = cards(plant.session)
    blocked = [card for card in all_cards if card.blocked]
    assert 2 <= len(blocked) <= 6
    for card in blocked:
        assert card.blocked_reason
        assert card.board_column in (BoardColumn.PLAN, BoardColumn.DO, BoardColumn.CHECK)
        assert [p.ended_at for p in card.block_periods] == [None]
        assert card.moves[-1].moved_at <= card.block_periods[0].started_at <= NOW
    closed = [p for p in all_of(plant.session, BlockPeriod) if p.ended_at is not None]
    assert len(closed) >= 3
    assert all(not p.improvement.blocked for p in closed)


def test_linked_observations_share_the_cards_area_and_waste_and_came_first(plant: Plant) -> None:
    all_cards = cards(plant.session)
    linked = [card for card in all_cards if card.observations]
    assert len(linked) >= 0.75 * len(all_cards)
    for card in linked:
        assert 1 <= len(card.observations) <= 4
        for observation in card.observations:
            assert (observation.area_id, observation.waste) == (card.area_id, card.waste)
            assert observation.observed_at < card.created_at


def test_five_whys_records_have_three_to_six_ordered_steps_and_a_card(plant: Plant) -> None:
    records = all_of(plant.session, RootCause)
    assert 25 <= len(records) <= 35
    for record in records:
        assert [step.position for step in record.steps] == list(range(len(record.steps)))
        assert 3 <= len(record.steps) <= 6
        assert all(step.why and step.because for step in record.steps)
        assert record.root_cause and record.category and record.countermeasure
        assert record.improvements
        assert all(o in record.improvements[0].observations for o in record.observations)


def test_some_open_cards_have_no_root_cause_yet(plant: Plant) -> None:
    open_cards = [c for c in cards(plant.session) if c.board_column is not BoardColumn.DONE]
    assert any(card.root_causes for card in open_cards)
    assert sum(not card.root_causes for card in open_cards) >= 10


def test_finished_cards_have_reflections_including_every_not_adopted_one(plant: Plant) -> None:
    finished = [c for c in cards(plant.session) if c.board_column is BoardColumn.DONE]
    without = [card for card in finished if card.reflection is None]
    assert 3 <= len(without) <= 5
    assert all(c.reflection for c in finished if c.outcome is Outcome.NOT_ADOPTED)
    for card in finished:
        if card.reflection is not None:
            assert card.moves[-1].moved_at < card.reflection.created_at <= NOW


def test_some_reflections_are_anonymous(plant: Plant) -> None:
    authors = [r.author_id for r in all_of(plant.session, Reflection)]
    assert None in authors
    assert any(author is not None for author in authors)


def test_the_summary_counts_what_was_loaded(plant: Plant) -> None:
    session, summary = plant.session, plant.summary

    def count(model: Any) -> int:
        return session.scalar(select(func.count()).select_from(model)) or 0

    assert summary == DemoSummary(
        teams=count(Team),
        areas=count(Area),
        users=count(User),
        observations=count(Observation),
        improvements=count(Improvement),
        card_moves=count(CardMove),
        root_causes=count(RootCause),
        reflections=count(Reflection),
    )
    assert summary.describe().startswith("Demo plant loaded: 3 teams, 12 areas,")


def test_the_admin_signs_in_with_the_demo_password(plant: Plant) -> None:
    admin = authenticate(plant.session, "admin", DEMO_PASSWORD)
    assert admin is not None and admin.role is Role.ADMIN
    assert authenticate(plant.session, "admin", "not-the-password") is None


def test_the_same_seed_and_moment_give_the_same_plant(plant: Plant, tmp_path: Path) -> None:
    other = create_app(app_config(f"sqlite:///{tmp_path / 'again.db'}", tmp_path))
    with other.app_context():
        db.create_all()
        load_demo_plant(db.session, now=NOW, seed=7)
        db.session.commit()
        again = snapshot(db.session)
        db.session.remove()
        db.engine.dispose()
    assert again == snapshot(plant.session)


def test_loading_over_an_existing_demo_plant_is_refused_cleanly(plant: Plant) -> None:
    with pytest.raises(DemoPlantError, match=r"team 'press-shop'.*user 'admin'"):
        load_demo_plant(plant.session, now=NOW)
    assert not plant.session.new


def test_teams_and_accounts_existed_before_the_first_card(plant: Plant) -> None:
    first_card = min(card.created_at for card in cards(plant.session))
    assert all(t.created_at < first_card for t in all_of(plant.session, Team))
    assert all(u.created_at < first_card for u in all_of(plant.session, User))
