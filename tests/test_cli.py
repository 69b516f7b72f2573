"""The operator's commands: demo-data and serve."""

from __future__ import annotations

from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kaizen.models import Improvement, Observation, Team
from tests.factories import make_team


def test_demo_data_fills_a_new_database_and_prints_the_sign_in(
    runner: FlaskCliRunner, session: Session
) -> None:
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    assert "Sign in as 'admin' with password 'kaizen-demo'" in result.output
    assert session.scalar(select(func.count(Team.id))) == 3
    assert session.scalar(select(func.count(Observation.id))) >= 250
    assert session.scalar(select(func.count(Improvement.id))) >= 60


def test_demo_data_refuses_a_database_that_has_data(
    runner: FlaskCliRunner, session: Session
) -> None:
    make_team(session, name="Our real team", slug="real")
    session.commit()
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code != 0
    assert "already has data" in result.output
    assert session.scalar(select(func.count(Team.id))) == 1


def test_demo_data_if_empty_quietly_leaves_a_database_with_data_alone(
    runner: FlaskCliRunner, session: Session
) -> None:
    make_team(session, name="Our real team", slug="real")
    session.commit()
    result = runner.invoke(args=["demo-data", "--if-empty"])
    assert result.exit_code == 0
    assert "not loaded" in result.output
    assert session.scalar(select(func.count(Team.id))) == 1


def test_serve_offers_host_port_and_workers(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--workers"):
        assert option in result.output
    assert "127.0.0.1" in result.output
