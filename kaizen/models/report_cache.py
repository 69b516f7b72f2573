"""The monthly report's shared cache and the plant-wide change counter it is keyed by.

- `ReportVersion`: one row whose `value` goes up by one in the same transaction as any
  change a report shows (a card, its moves, blocks, reflection and links, an observation,
  a team or an area). Reading it is one row by key, however long the history.
- `ReportBuild` / `ReportPart`: one build of a month's report for one set of filters at
  one counter value, and what was made from it (the page's HTML, each chart's SVG, each
  CSV, a PNG once someone asks for it). Kept in the database so every worker on every host
  shares them; the oldest builds are dropped beyond a size cap (`services/report_cache`).
- `ReportLock`: a row held while a build is being made, so that concurrent first requests
  for the same report wait for that one build instead of each making their own.

Writes through the ORM are caught by the session listeners below; a bulk Core write of
report data (the bench plant) calls `touch_reports` itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DDL, ForeignKey, Index, LargeBinary, String, event, insert, update
from sqlalchemy.orm import Mapped, Session, mapped_column, scoped_session

from kaizen.extensions import Model
from kaizen.models.improvement import BlockPeriod, CardMove, Improvement
from kaizen.models.observation import Observation
from kaizen.models.place import Area, Team
from kaizen.models.reflection import Reflection
from kaizen.models.types import utcnow

VERSION_ROW = 1


class ReportVersion(Model):
    """The plant-wide change counter of everything the reports show (one row)."""

    __tablename__ = "report_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class ReportBuild(Model):
    """One build of a monthly report: its key, the counter value it was built at, and when."""

    __tablename__ = "report_build"
    __table_args__ = (Index("ix_report_build_key_built_at", "key", "built_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # A hash of the month, the filters, the counter value and the drawing revision.
    key: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(index=True)
    # The moment the build counts ages and "until now" from.
    built_at: Mapped[datetime] = mapped_column(default=utcnow)
    size: Mapped[int] = mapped_column(default=0)


class ReportPart(Model):
    """Something made from a build: 'page', 'svg:cycle-time', 'csv:flow', 'png:aging' …"""

    __tablename__ = "report_part"

    build_id: Mapped[int] = mapped_column(
        ForeignKey("report_build.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)


class ReportLock(Model):
    """Held (one row per report key) while that report is being built."""

    __tablename__ = "report_lock"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)


# The counter's one row exists from the start, in a new database as after the migration.
event.listen(
    ReportVersion.__table__,
    "after_create",
    DDL(f"INSERT INTO report_version (id, value) VALUES ({VERSION_ROW}, 0)"),
)

# What a report shows: a change to any of these bumps the counter.
REPORTED = (Improvement, CardMove, BlockPeriod, Reflection, Observation, Team, Area)
_CHANGED = "kaizen_reports_changed"


def touch_reports(session: Session | scoped_session[Any]) -> None:
    """Bump the plant-wide report counter in this transaction."""
    bumped = session.execute(
        update(ReportVersion)
        .where(ReportVersion.id == VERSION_ROW)
        .values(value=ReportVersion.value + 1)
        .execution_options(synchronize_session=False)
    )
    if not getattr(bumped, "rowcount", 1):
        # Only an emptied database (the PostgreSQL tests truncate) lacks the row.
        session.execute(insert(ReportVersion).values(id=VERSION_ROW, value=1))


def _note_report_changes(session: Session, _context: Any, _instances: Any) -> None:
    """Before a flush: remember whether it writes anything a report shows."""
    if session.info.get(_CHANGED):
        return
    for obj in [*session.new, *session.deleted, *session.dirty]:
        if isinstance(obj, REPORTED) and (obj not in session.dirty or session.is_modified(obj)):
            session.info[_CHANGED] = True
            return


def _bump_report_version_at_commit(session: Session) -> None:
    """Just before commit: bump the counter once if the transaction changed report data.

    Last in the transaction, so the counter's row is locked only for the commit itself and
    always after any other row the transaction locked (no lock-order deadlocks).
    """
    session.flush()
    if session.info.pop(_CHANGED, False):
        touch_reports(session)


event.listen(Session, "before_flush", _note_report_changes)
event.listen(Session, "before_commit", _bump_report_version_at_commit)
