"""The audit trail: who created, changed or removed what, and when.

Account and token actions are recorded by their services with `record`, because their
meaning (a password reset, "sign out everywhere") is more than a changed column. Changes to
cards, five whys, reflections and team settings are recorded by a session hook: whatever
path writes them (a form, htmx, the API, a later import page), the rows that change are
seen at flush and the events are added just before the commit, so they land in the same
transaction as the change or not at all. The hook records only when an actor is known
(`act_as`): the web request of a signed-in person. Command-line loaders (demo data, bench)
write without one and are not in the trail. Card moves have their own log and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, joinedload

from kaizen.models import (
    Area,
    AuditEvent,
    ColumnLimit,
    DisplayLink,
    Improvement,
    KioskDevice,
    PlantSetting,
    Reflection,
    RootCause,
    Team,
    User,
    WhyStep,
    utcnow,
)
from kaizen.services import DbSession
from kaizen.services.exports import Table, csv_bytes
from kaizen.services.plant_time import current_zone, day_end, day_start, to_local

ACTOR_KEY = "audit_actor_id"
PENDING_KEY = "audit_pending"
SUMMARY_MAX = 300

# Subject codes (stored) and how they read on the audit page, in the reader's language.
SUBJECT_TYPES = {
    "account": _l("Accounts"),
    "api-token": _l("API tokens"),
    "card": _l("Cards"),
    "five-whys": _l("Five whys"),
    "reflection": _l("Reflections"),
    "team": _l("Teams and team settings"),
    "area": _l("Areas"),
    "kiosk": _l("Kiosk tablets"),
    "tv-link": _l("TV links"),
    "plant": _l("Plant settings"),
    "webhook": _l("Webhooks"),
}

# The columns whose change counts as an edit; the rest (board position, versions, change
# stamps, start and finish times) follow moves, which have their own log.
_WATCHED: dict[type, tuple[str, frozenset[str]]] = {
    Improvement: (
        "card",
        frozenset(
            {
                "title",
                "problem",
                "countermeasure",
                "team_id",
                "area_id",
                "waste",
                "owner_id",
                "expected_minutes_per_week",
                "expected_cost",
                "actual_minutes_per_week",
                "actual_cost",
                "blocked",
                "blocked_reason",
            }
        ),
    ),
    RootCause: (
        "five-whys",
        frozenset({"problem", "root_cause", "category", "countermeasure", "status"}),
    ),
    Reflection: ("reflection", frozenset({"learnt", "take_forward", "do_differently"})),
    Team: ("team", frozenset({"name", "slug", "cycle_start_column", "archived_at"})),
    Area: ("area", frozenset({"name", "slug", "kind", "team_id", "archived_at"})),
    KioskDevice: ("kiosk", frozenset({"name", "area_id", "revoked_at"})),
    DisplayLink: ("tv-link", frozenset({"name", "team_id", "revoked_at"})),
    PlantSetting: ("plant", frozenset({"time_zone", "language"})),
}


def act_as(session: DbSession, actor_id: int | None) -> None:
    """Name the account behind this session's writes (None: nobody, nothing recorded)."""
    session.info[ACTOR_KEY] = actor_id


def record(
    session: DbSession,
    *,
    actor: User | None,
    action: str,
    subject_type: str,
    subject_id: int | None,
    summary: str,
) -> None:
    """Add one event to the trail; the caller's commit writes it with the change."""
    session.add(
        AuditEvent(
            at=utcnow(),
            actor_id=actor.id if actor else None,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            summary=summary[:SUMMARY_MAX],
        )
    )


# --------------------------------------------------------------------------------------
# The session hook
# --------------------------------------------------------------------------------------


def _label(obj: Any) -> str:
    if isinstance(obj, Improvement):
        return f"card “{obj.title}”"
    if isinstance(obj, RootCause):
        return f"five whys “{obj.problem[:80]}”"
    if isinstance(obj, Reflection):
        return f"reflection on card {obj.improvement_id}"
    if isinstance(obj, Team):
        return f"team {obj.name}"
    if isinstance(obj, Area):
        return f"area {obj.name}"
    if isinstance(obj, KioskDevice):
        return f"kiosk tablet “{obj.name}”"
    if isinstance(obj, DisplayLink):
        return f"TV link “{obj.name}”"
    if isinstance(obj, PlantSetting):
        return f"plant time zone {obj.time_zone}"
    return str(obj)


def _changed_fields(obj: Any, watched: frozenset[str]) -> list[str]:
    state = inspect(obj)
    return sorted(name for name in watched if state.attrs[name].history.has_changes())


def _subject(obj: Any) -> tuple[str, int | None, Any] | None:
    """What a changed row belongs to: its own record, or its parent's (steps, limits)."""
    if isinstance(obj, WhyStep):
        return ("five-whys", obj.root_cause_id, obj.root_cause)
    if isinstance(obj, ColumnLimit):
        return ("team", obj.team_id, obj.team)
    watched = _WATCHED.get(type(obj))
    if watched is None:
        return None
    return (watched[0], obj.id, obj)


def _note(pending: dict[tuple[str, int | None], dict[str, Any]], obj: Any, action: str) -> None:
    """Fold one changed row into the pending event of the record it belongs to."""
    found = _subject(obj)
    if found is None:
        return
    subject_type, subject_id, owner = found
    entry = pending.setdefault(
        (subject_type, subject_id), {"action": "edited", "fields": set(), "label": ""}
    )
    if owner is obj and action in ("created", "deleted"):
        entry["action"] = action
    if owner is not None:
        entry["label"] = _label(owner)
    elif not entry["label"]:
        entry["label"] = f"{subject_type} {subject_id}"
    if isinstance(obj, WhyStep):
        entry["fields"].add("why steps")
    elif isinstance(obj, ColumnLimit):
        entry["fields"].add("WIP limits")
    elif action == "edited":
        entry["fields"].update(_changed_fields(obj, _WATCHED[type(obj)][1]))


def _after_flush(session: Session, _context: Any) -> None:
    if session.info.get(ACTOR_KEY) is None:
        return
    pending = session.info.setdefault(PENDING_KEY, {})
    for obj in session.new:
        _note(pending, obj, "created")
    for obj in session.dirty:
        found = _WATCHED.get(type(obj))
        if found is not None and not _changed_fields(obj, found[1]):
            continue
        if session.is_modified(obj, include_collections=False):
            _note(pending, obj, "edited")
    for obj in session.deleted:
        _note(pending, obj, "deleted")


def _before_commit(session: Session) -> None:
    pending = session.info.pop(PENDING_KEY, None)
    actor_id = session.info.get(ACTOR_KEY)
    if not pending or actor_id is None:
        return
    now = utcnow()
    for (subject_type, subject_id), entry in pending.items():
        if entry["action"] == "edited" and not entry["fields"]:
            continue
        fields = ", ".join(sorted(f.replace("_", " ") for f in entry["fields"]))
        summary = f"{entry['action'].capitalize()} {entry['label']}".strip()
        if entry["action"] == "edited" and fields:
            summary += f": {fields}"
        session.add(
            AuditEvent(
                at=now,
                actor_id=actor_id,
                action=entry["action"],
                subject_type=subject_type,
                subject_id=subject_id,
                summary=summary[:SUMMARY_MAX],
            )
        )


def _forget_pending(session: Session, previous: Any) -> None:
    # A savepoint rolled back (a retried insert) leaves the outer transaction's changes.
    if not previous.nested:
        session.info.pop(PENDING_KEY, None)


def install_audit_hook() -> None:
    """Listen to every ORM session (once per process) for audited changes."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_soft_rollback", _forget_pending)


# --------------------------------------------------------------------------------------
# Reading the trail
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    """Who, what kind of subject, and a date range (inclusive), all optional."""

    actor_id: int | None = None
    subject_type: str | None = None
    since: date | None = None
    until: date | None = None


PAGE_SIZE = 200


def audit_events(
    session: DbSession, wanted: AuditFilter, limit: int | None = PAGE_SIZE
) -> list[AuditEvent]:
    """The newest events matching the filter, with their actors loaded."""
    query = select(AuditEvent).options(joinedload(AuditEvent.actor))
    if wanted.actor_id is not None:
        query = query.where(AuditEvent.actor_id == wanted.actor_id)
    if wanted.subject_type:
        query = query.where(AuditEvent.subject_type == wanted.subject_type)
    # Days of the plant's calendar, as the page shows the times.
    if wanted.since is not None:
        query = query.where(AuditEvent.at >= day_start(wanted.since))
    if wanted.until is not None:
        query = query.where(AuditEvent.at < day_end(wanted.until))
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def audit_table(events: list[AuditEvent]) -> Table:
    """The events as a table of plain values (the page and the CSV)."""
    return Table(
        headers=[
            _("When (%(zone)s)", zone=current_zone().key),
            _("Who"),
            _("Action"),
            _("Subject"),
            _("Subject id"),
            _("Summary"),
        ],
        rows=[
            [
                to_local(e.at).strftime("%Y-%m-%d %H:%M:%S"),
                e.actor.username if e.actor else "",
                e.action,
                str(SUBJECT_TYPES.get(e.subject_type, e.subject_type)),
                "" if e.subject_id is None else e.subject_id,
                e.summary,
            ]
            for e in events
        ],
    )


def audit_csv(session: DbSession, wanted: AuditFilter) -> bytes:
    """Every event matching the filter as CSV, typed text guarded against formulas."""
    return csv_bytes(audit_table(audit_events(session, wanted, limit=None)))
