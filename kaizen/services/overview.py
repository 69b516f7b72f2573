"""The plant at a glance: this month's reports and the cards on the board."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from kaizen.models import BoardColumn, CardMove, Improvement, Observation, Outcome, Team, Waste
from kaizen.services import DbSession
from kaizen.services.months import Month


@dataclass(frozen=True)
class WasteCount:
    """How often one waste was reported."""

    waste: Waste
    count: int
    bar_percent: float


@dataclass(frozen=True)
class FinishedCard:
    """A card that reached Done, for the 'recently finished' list."""

    id: int
    title: str
    team: str
    outcome: Outcome | None
    finished_at: datetime


def reporting_note(this_month: int, last_month: int) -> str:
    """A true line about the month's reports so far against last month's, that never blames:
    more reports are good news, fewer are an invitation, not a failure."""
    if this_month == 0 and last_month == 0:
        return _("No reports yet. Any waste you see is worth one: every report helps us improve.")
    if this_month > last_month:
        return _("More than last month: more problems seen early — a healthy sign.")
    if this_month == last_month:
        return _("As many as last month so far. Every report helps us improve.")
    return _(
        "Fewer than last month so far — the month is not over. Every waste seen is worth a report."
    )


@dataclass(frozen=True)
class PlantOverview:
    """Everything the home page shows, ready to render."""

    month_label: str
    reports_this_month: int
    reports_last_month: int
    waste_counts: list[WasteCount]
    cards_per_column: dict[BoardColumn, int]
    teams: int
    recently_finished: list[FinishedCard]

    @property
    def reporting_note(self) -> str:
        """This month's reports against last month's, in kind and true words."""
        return reporting_note(self.reports_this_month, self.reports_last_month)


def plant_overview(session: DbSession, now: datetime) -> PlantOverview:
    """Count this month's reports by waste, open cards by column and the latest finished cards."""
    month = Month.of(now)
    this_month, last_month = month.start, month.previous.start

    def reports_between(start: datetime, end: datetime) -> int:
        return (
            session.scalar(
                select(func.count(Observation.id)).where(
                    Observation.observed_at >= start, Observation.observed_at < end
                )
            )
            or 0
        )

    by_waste = dict(
        session.execute(
            select(Observation.waste, func.count(Observation.id))
            .where(Observation.observed_at >= this_month)
            .group_by(Observation.waste)
        ).all()
    )
    per_column = dict(
        session.execute(
            select(Improvement.board_column, func.count(Improvement.id)).group_by(
                Improvement.board_column
            )
        ).all()
    )
    finished_at = func.min(CardMove.moved_at).label("finished_at")
    finished = session.execute(
        select(Improvement.id, Improvement.title, Team.name, Improvement.outcome, finished_at)
        .join(CardMove, CardMove.improvement_id == Improvement.id)
        .join(Team, Team.id == Improvement.team_id)
        .where(
            Improvement.board_column == BoardColumn.DONE,
            CardMove.to_column == BoardColumn.DONE,
        )
        .group_by(Improvement.id, Improvement.title, Team.name, Improvement.outcome)
        .order_by(finished_at.desc())
        .limit(5)
    ).all()
    busiest = max([*by_waste.values(), 1])
    return PlantOverview(
        month_label=month.label,
        reports_this_month=reports_between(this_month, datetime.max),
        reports_last_month=reports_between(last_month, this_month),
        waste_counts=[
            WasteCount(w, by_waste.get(w, 0), round(100 * by_waste.get(w, 0) / busiest, 1))
            for w in Waste
        ],
        cards_per_column={c: per_column.get(c, 0) for c in BoardColumn},
        teams=session.scalar(select(func.count(Team.id))) or 0,
        recently_finished=[FinishedCard(*row) for row in finished],
    )


# A write the database must accept but that changes no row: refused by a read-only file
# (SQLite), a read-only transaction, a hot standby or a database in recovery (PostgreSQL).
WRITE_PROBE = "UPDATE team SET board_version = board_version WHERE 1 = 0"


def database_health(session: DbSession) -> str | None:
    """None when the database answers and accepts writes, else what is wrong (for `/healthz`).

    The write probe is rolled back at once; it takes no row lock, and on SQLite only the
    write lock for the moment it runs.
    """
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        session.rollback()
        return "database unavailable"
    try:
        session.execute(text(WRITE_PROBE))
    except SQLAlchemyError:
        return "database refuses writes"
    finally:
        session.rollback()
    return None
