"""The synthetic plant behind `kaizen bench`: written by the app's rules, the same every time."""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise
from pathlib import Path

from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kaizen import create_app
from kaizen.bench.data import write_bench_data
from kaizen.extensions import db
from kaizen.models import BoardColumn, CardMove, Improvement, Observation, Team, utcnow
from tests.conftest import app_config
from tests.factories import make_team


def test_bench_data_writes_the_tiny_plant_it_promises(
    runner: FlaskCliRunner, session: Session
) -> None:
    result = runner.invoke(args=["bench-data", "--preset", "tiny"])

    assert result.exit_code == 0, result.output
    assert session.scalar(select(func.count(Team.id))) == 2
    assert session.scalar(select(func.count(Improvement.id))) == 2 * (30 + 30 + 10)
    assert session.scalar(select(func.count(Observation.id))) == 300


def test_every_synthetic_card_has_a_move_chain_that_ends_in_its_column(
    runner: FlaskCliRunner, session: Session
) -> None:
    runner.invoke(args=["bench-data", "--preset", "tiny"])
    chains: dict[int, list[CardMove]] = defaultdict(list)
    for move in session.scalars(select(CardMove).order_by(CardMove.moved_at, CardMove.id)):
        chains[move.improvement_id].append(move)

    for card in session.scalars(select(Improvement)):
        chain = chains[card.id]
        assert chain[0].from_column is None and chain[0].to_column is BoardColumn.IDEAS
        assert all(a.to_column is b.from_column for a, b in pairwise(chain))
        assert chain[-1].to_column is card.board_column
        assert (card.outcome is not None) == (card.board_column is BoardColumn.DONE)


# What a seed decides (ids of areas come from the database's sequence, so not those).
SAME_SEED_SHAPE = select(
    Improvement.id,
    Improvement.board_column,
    Improvement.position,
    Improvement.version,
    Improvement.outcome,
    Improvement.blocked,
).order_by(Improvement.id)


def test_bench_data_is_the_same_for_the_same_seed(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    runner.invoke(args=["bench-data", "--preset", "tiny", "--seed", "3"])
    first = session.execute(SAME_SEED_SHAPE).all()
    # A second, separate database (the move log cannot be emptied to make room).
    other = create_app(app_config(f"sqlite:///{tmp_path / 'again.db'}", tmp_path))
    with other.app_context():
        db.create_all()
        write_bench_data(db.session, "tiny", utcnow(), seed=3)
        again = db.session.execute(SAME_SEED_SHAPE).all()
        db.session.remove()

    assert again == first


def test_bench_data_refuses_a_database_that_has_teams(
    runner: FlaskCliRunner, session: Session
) -> None:
    make_team(session)
    session.commit()

    result = runner.invoke(args=["bench-data", "--preset", "tiny"])

    assert result.exit_code != 0 and "empty database" in result.output


def test_the_bench_has_the_monthly_report_rows_issue_12_asks_for() -> None:
    """`kaizen bench` prints the report's rows: cold both ways (as a browser asks, and one
    request after the other) for the team and its 10x history, warm on another worker, 304
    and the cost of 10x history (checked without running the bench)."""
    from kaizen.bench import report

    rows = report.figures(("team500", "history10x", "plant"))

    assert list(rows) == [
        "Report cold: page, then 7 charts at once, team500",
        "Report cold: page, then 7 charts at once, history10x",
        "Report cold: page + 7 charts one after the other, team500",
        "Report cold: page + 7 charts one after the other, history10x",
        "Report page, warm on another worker (p50)",
        "Report chart, warm on another worker (p50)",
        "Report chart 304 (p50)",
        "Report cold cost at 10x history",
    ]
    assert rows[report.HISTORY].unit == "%"
    assert len(report.CHARTS) == 7
