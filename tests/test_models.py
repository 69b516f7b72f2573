"""The data model keeps its promises in the database itself, not only in forms."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from kaizen.models import (
    AppendOnlyError,
    BoardColumn,
    CardMove,
    ColumnLimit,
    Improvement,
    Observation,
    Outcome,
    Reflection,
    Role,
    RootCause,
    RootCauseCategory,
    User,
    WhyStep,
    WipMode,
)
from tests.factories import (
    make_area,
    make_improvement,
    make_observation,
    make_team,
    make_user,
)


def assert_refused(session: Session, statement: str, **params: object) -> None:
    """The database itself refuses this raw SQL (bypassing every form and model check)."""
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(text(statement), params)


def test_team_slugs_are_unique(session: Session) -> None:
    make_team(session, slug="assembly", name="Assembly")
    with pytest.raises(IntegrityError):
        make_team(session, slug="assembly", name="Assembly two")


def test_area_slugs_are_unique(session: Session) -> None:
    make_area(session, slug="press-line-2")
    with pytest.raises(IntegrityError):
        make_area(session, slug="press-line-2")


def test_slugs_must_be_lowercase(session: Session) -> None:
    assert_refused(
        session,
        "INSERT INTO team (slug, name, cycle_start_column, created_at) "
        "VALUES ('Press', 'Press', 'plan', CURRENT_TIMESTAMP)",
    )


def test_database_refuses_an_unknown_waste_code(session: Session) -> None:
    area = make_area(session)
    assert_refused(
        session,
        "INSERT INTO observation (observed_at, created_at, area_id, waste, description) "
        "VALUES (CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, :area, 'laziness', 'x')",
        area=area.id,
    )


def test_database_refuses_an_observation_in_an_area_that_does_not_exist(
    session: Session,
) -> None:
    assert_refused(
        session,
        "INSERT INTO observation (observed_at, created_at, area_id, waste, description) "
        "VALUES (CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 999999, 'waiting', 'x')",
    )


def test_database_refuses_a_blank_description(session: Session) -> None:
    with pytest.raises(IntegrityError):
        make_observation(session, description="   ")


def test_database_refuses_negative_minutes_lost(session: Session) -> None:
    with pytest.raises(IntegrityError):
        make_observation(session, minutes_lost=-5)


def test_an_anonymous_observation_stores_no_reporter(session: Session) -> None:
    observation = make_observation(session, reporter=None)
    session.commit()
    row = session.execute(
        text("SELECT reporter_id FROM observation WHERE id = :id"), {"id": observation.id}
    ).one()
    assert row.reporter_id is None
    assert observation.is_anonymous


def test_observation_photos_are_not_loaded_by_lists(session: Session) -> None:
    make_observation(session, photo=b"\xff\xd8jpeg-bytes", photo_type="image/jpeg")
    session.commit()
    session.expire_all()
    listed = session.scalars(select(Observation)).one()
    assert "photo" not in listed.__dict__
    assert listed.has_photo


def test_a_photo_needs_its_type(session: Session) -> None:
    with pytest.raises(IntegrityError):
        make_observation(session, photo=b"bytes", photo_type=None)


def test_an_outcome_is_only_allowed_in_done(session: Session) -> None:
    card = make_improvement(session)
    card.outcome = Outcome.ADOPTED
    with pytest.raises(IntegrityError):
        session.flush()


def test_a_finished_card_may_be_not_adopted(session: Session) -> None:
    card = make_improvement(session)
    card.board_column = BoardColumn.DONE
    card.outcome = Outcome.NOT_ADOPTED
    session.commit()
    assert session.get(Improvement, card.id).outcome is Outcome.NOT_ADOPTED


def test_a_blocked_card_needs_a_reason(session: Session) -> None:
    card = make_improvement(session)
    card.blocked = True
    with pytest.raises(IntegrityError):
        session.flush()


def test_a_card_version_goes_up_with_every_change(session: Session) -> None:
    card = make_improvement(session)
    session.commit()
    assert card.version == 1
    card.title = "Kanban square for forklift pick-up"
    session.commit()
    assert card.version == 2


def test_a_stale_card_version_refuses_to_overwrite(session: Session) -> None:
    card = make_improvement(session)
    session.commit()
    # Someone else moves the card meanwhile.
    session.execute(
        text("UPDATE improvement SET version = version + 1 WHERE id = :id"), {"id": card.id}
    )
    card.board_column = BoardColumn.PLAN
    with pytest.raises(StaleDataError):
        session.flush()


def test_card_moves_are_append_only(session: Session) -> None:
    card = make_improvement(session)
    session.commit()
    move = card.moves[0]
    move.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        session.flush()
    session.rollback()
    with pytest.raises(AppendOnlyError):
        session.delete(card.moves[0])
        session.flush()


def test_the_database_refuses_to_change_a_logged_move_even_in_raw_sql(session: Session) -> None:
    card = make_improvement(session)
    session.commit()
    assert_refused(
        session, "UPDATE card_move SET reason = 'rewritten' WHERE improvement_id = :id", id=card.id
    )
    assert_refused(session, "UPDATE card_move SET to_column = 'done'")


def test_a_bulk_orm_update_of_the_move_log_is_refused_by_the_database(session: Session) -> None:
    make_improvement(session)
    session.commit()
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(update(CardMove).values(reason="rewritten"))


def test_the_database_refuses_to_delete_a_logged_move(session: Session) -> None:
    card = make_improvement(session)
    session.commit()
    assert_refused(session, "DELETE FROM card_move WHERE improvement_id = :id", id=card.id)
    assert_refused(session, "DELETE FROM card_move")
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(delete(CardMove))
    assert session.scalar(select(func.count(CardMove.id))) == 1


def test_deleting_a_card_or_an_account_never_reaches_into_the_move_log(session: Session) -> None:
    # The foreign keys RESTRICT instead of cascading or setting NULL, so the log stays whole.
    mover = make_user(session)
    card = make_improvement(session)
    session.add(
        CardMove(
            improvement=card,
            from_column=BoardColumn.IDEAS,
            to_column=BoardColumn.PLAN,
            moved_by=mover,
        )
    )
    session.commit()
    assert_refused(session, "DELETE FROM improvement WHERE id = :id", id=card.id)
    assert_refused(session, "DELETE FROM user_account WHERE id = :id", id=mover.id)
    moves = session.execute(select(CardMove.improvement_id, CardMove.moved_by_id)).all()
    assert sorted(moves, key=str) == sorted([(card.id, None), (card.id, mover.id)], key=str)


def test_a_card_move_must_change_column(session: Session) -> None:
    card = make_improvement(session)
    session.add(
        CardMove(improvement=card, from_column=BoardColumn.PLAN, to_column=BoardColumn.PLAN)
    )
    with pytest.raises(IntegrityError):
        session.flush()


def test_wip_limits_are_positive_and_one_per_team_and_column(session: Session) -> None:
    team = make_team(session)
    session.add(ColumnLimit(team=team, board_column=BoardColumn.DO, wip_limit=3, mode=WipMode.HARD))
    session.flush()
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(ColumnLimit(team=team, board_column=BoardColumn.DO, wip_limit=4))
        session.flush()
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(ColumnLimit(team=team, board_column=BoardColumn.PLAN, wip_limit=0))
        session.flush()


def test_a_kiosk_account_must_be_bound_to_an_area(session: Session) -> None:
    with pytest.raises(IntegrityError):
        make_user(session, role=Role.KIOSK)


def test_passwords_are_stored_hashed(session: Session) -> None:
    user = make_user(session, password="forklift-square")
    assert "forklift-square" not in user.password_hash
    assert user.check_password("forklift-square")
    assert not user.check_password("wrong")


def test_roles_include_the_rights_of_lower_roles_and_kiosks_only_report(session: Session) -> None:
    lead = make_user(session, role=Role.LEAD)
    kiosk = make_user(session, role=Role.KIOSK, area=make_area(session))
    assert lead.can(Role.MEMBER) and lead.can(Role.VIEWER) and not lead.can(Role.ADMIN)
    assert kiosk.can(Role.KIOSK) and not kiosk.can(Role.VIEWER)


def test_why_steps_come_back_in_their_order(session: Session) -> None:
    record = RootCause(problem="Press 4 stops for die changes", category=RootCauseCategory.METHOD)
    record.steps = [
        WhyStep(position=2, why="Why is the die not ready?", because="No staging area."),
        WhyStep(position=0, why="Why does the press stop?", because="The die change takes 40 min."),
        WhyStep(
            position=1, why="Why 40 minutes?", because="The next die is fetched after stopping."
        ),
    ]
    session.add(record)
    session.commit()
    session.expire_all()
    loaded = session.get(RootCause, record.id)
    assert [s.position for s in loaded.steps] == [0, 1, 2]


def test_database_refuses_an_unknown_root_cause_category(session: Session) -> None:
    assert_refused(
        session,
        "INSERT INTO root_cause (problem, root_cause, category, countermeasure, status, "
        "created_at, updated_at) VALUES ('p', '', 'bad luck', '', 'open', "
        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    )


def test_root_causes_link_to_observations_and_improvements_both_ways(session: Session) -> None:
    observation = make_observation(session)
    card = make_improvement(session)
    record = RootCause(problem="Forklift waits")
    record.observations.append(observation)
    record.improvements.append(card)
    session.add(record)
    session.commit()
    session.expire_all()
    assert session.get(Observation, observation.id).root_causes[0].id == record.id
    assert session.get(Improvement, card.id).root_causes[0].id == record.id


def test_one_reflection_per_improvement_and_it_may_be_anonymous(session: Session) -> None:
    card = make_improvement(session)
    session.add(Reflection(improvement=card, learnt="Small trials beat big plans.", author=None))
    session.flush()
    assert card.reflection.author_id is None
    with pytest.raises(IntegrityError):
        session.add(Reflection(improvement=card, learnt="Again"))
        session.flush()


def test_a_reflection_needs_at_least_one_answer(session: Session) -> None:
    card = make_improvement(session)
    session.add(Reflection(improvement=card))
    with pytest.raises(IntegrityError):
        session.flush()


def test_enum_values_outside_the_list_are_refused_before_reaching_the_database(
    session: Session,
) -> None:
    user = User(username="x", display_name="x", password_hash="x", role="superuser")
    session.add(user)
    with pytest.raises((StatementError, LookupError)):
        session.flush()
