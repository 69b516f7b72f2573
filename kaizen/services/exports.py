"""Every table a person sees, as spreadsheet-friendly CSV: UTF-8 with a byte-order mark (so
spreadsheet programs read accents right) and text that could run as a formula made inert.

Each table is built from the same service call as its page, with the filters the person
chose, but without the page's paging or "newest N" limit.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from kaizen.models import CardMove, Improvement, RootCause, Team
from kaizen.services import DbSession
from kaizen.services.board import Board
from kaizen.services.learning import LessonFilters, find_lessons
from kaizen.services.observations import ObservationFilters, list_observations
from kaizen.services.plant_time import current_zone, to_local
from kaizen.services.teams import limit_settings

Cell = str | int | float


@dataclass(frozen=True)
class Table:
    """Column headings and rows of plain values, the same on the page and in the CSV."""

    headers: list[str]
    rows: list[list[Cell]]


def safe(cell: Cell) -> Cell:
    """Keep a spreadsheet from running typed text as a formula."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def csv_bytes(data: Table) -> bytes:
    """The table as UTF-8 CSV with a byte-order mark and a heading row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(data.headers)
    writer.writerows([safe(cell) for cell in row] for row in data.rows)
    return buffer.getvalue().encode("utf-8-sig")


def _when(value: datetime | None) -> str:
    """A stored (UTC) time as the plant's clock showed it, as a spreadsheet reads it."""
    return to_local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _zoned(headers: list[Any]) -> list[str]:
    """The headings in the reader's language, with the plant's zone named in each time
    column ("Observed at (Europe/Berlin)"), so the file says how to read its times and an
    import reads them back. The headings are marked with lazy_gettext; values that are
    codes or stamps stay as they are."""
    return [str(heading).format(zone=current_zone().key) for heading in headers]


def _number(value: int | Decimal | None) -> Cell:
    """A number, or an empty cell for none."""
    if value is None:
        return ""
    return float(value) if isinstance(value, Decimal) else value


# Everything in one file, however many pages the list has.
_ALL = 2**31 - 1


OBSERVATION_HEADERS = [
    _l("ID"),
    _l("Observed at ({zone})"),
    _l("Area"),
    _l("Waste"),
    _l("Description"),
    _l("Minutes lost"),
    _l("Frequency"),
    _l("Reported by"),
    _l("Cards"),
    _l("Five whys"),
]


def observations_table(session: DbSession, filters: ObservationFilters) -> Table:
    """The observation list with its filters, every page of it."""
    found = list_observations(session, replace(filters, page=1), per_page=_ALL)
    anonymous = _("Anonymous")
    return Table(
        _zoned(OBSERVATION_HEADERS),
        [
            [
                row.id,
                _when(row.observed_at),
                row.area_name,
                row.waste.label,
                row.description,
                _number(row.minutes_lost),
                row.frequency.label if row.frequency else "",
                row.reporter_name or anonymous,
                "; ".join(f"#{card.id} {card.title}" for card in row.cards),
                "; ".join(f"#{cause.id} {cause.problem}" for cause in row.root_causes),
            ]
            for row in found.rows
        ],
    )


BOARD_HEADERS = [
    _l("ID"),
    _l("Team"),
    _l("Column"),
    _l("Title"),
    _l("Area"),
    _l("Waste"),
    _l("Owner"),
    _l("Days in column"),
    _l("Created at ({zone})"),
    _l("In column since ({zone})"),
    _l("Blocked"),
    _l("Blocked reason"),
    _l("Outcome"),
    _l("Finished at ({zone})"),
    _l("Linked observations"),
]


def _card_dates(session: DbSession, ids: list[int]) -> dict[int, tuple[datetime, datetime]]:
    """Each card's creation and its last arrival in the column it is in (one query)."""
    arrived = (
        select(func.max(CardMove.moved_at))
        .where(
            CardMove.improvement_id == Improvement.id,
            CardMove.to_column == Improvement.board_column,
        )
        .scalar_subquery()
    )
    found = session.execute(
        select(Improvement.id, Improvement.created_at, arrived).where(Improvement.id.in_(ids))
    )
    return {card_id: (created, since or created) for card_id, created, since in found}


def board_table(session: DbSession, board: Board) -> Table:
    """The cards of a board as it is shown (one team or all, recent Done or all of it)."""
    ids = [card.id for lane in board.lanes for column in lane.columns for card in column.cards]
    dates = _card_dates(session, ids)
    yes, no = _("yes"), _("no")
    rows: list[list[Cell]] = []
    for lane in board.lanes:
        for column in lane.columns:
            for card in column.cards:
                rows.append(
                    [
                        card.id,
                        lane.name,
                        card.column.label,
                        card.title,
                        card.area_name or "",
                        card.waste.label if card.waste else "",
                        card.owner_name or "",
                        _number(card.age_days),
                        _when(dates[card.id][0]),
                        _when(dates[card.id][1]),
                        yes if card.blocked else no,
                        card.blocked_reason or "",
                        card.outcome.label if card.outcome else "",
                        _when(card.finished_at),
                        card.linked_observation_count,
                    ]
                )
    return Table(_zoned(BOARD_HEADERS), rows)


MOVE_HEADERS = [
    _l("Card"),
    _l("Title"),
    _l("Team"),
    _l("Moved at ({zone})"),
    _l("From"),
    _l("To"),
    _l("Moved by"),
    _l("Reason"),
]


def moves_table(session: DbSession, *, team_slug: str | None, card_id: int | None) -> Table:
    """The card-move log, oldest first, for one card, one team or every team."""
    query = (
        select(CardMove)
        .join(Improvement, Improvement.id == CardMove.improvement_id)
        .options(
            selectinload(CardMove.moved_by),
            selectinload(CardMove.improvement).selectinload(Improvement.team),
        )
        .order_by(CardMove.moved_at, CardMove.id)
    )
    if card_id is not None:
        query = query.where(CardMove.improvement_id == card_id)
    if team_slug:
        query = query.where(Improvement.team_id.in_(select(Team.id).where(Team.slug == team_slug)))
    return Table(
        _zoned(MOVE_HEADERS),
        [
            [
                move.improvement_id,
                move.improvement.title,
                move.improvement.team.name,
                _when(move.moved_at),
                move.from_column.label if move.from_column else "",
                move.to_column.label,
                move.moved_by.display_name if move.moved_by else "",
                move.reason or "",
            ]
            for move in session.scalars(query)
        ],
    )


ROOT_CAUSE_HEADERS = [
    _l("ID"),
    _l("Problem"),
    _l("Category"),
    _l("Status"),
    _l("Root cause"),
    _l("Countermeasure"),
    _l("Step"),
    _l("Why"),
    _l("Because"),
    _l("Updated at ({zone})"),
]


def root_causes_table(session: DbSession, ids: list[int]) -> Table:
    """Five-whys records in the list's order, one row per step (one row if none yet)."""
    records = {
        record.id: record
        for record in session.scalars(
            select(RootCause).where(RootCause.id.in_(ids)).options(selectinload(RootCause.steps))
        )
    }
    rows: list[list[Cell]] = []
    for record_id in ids:
        record = records[record_id]
        head: list[Cell] = [
            record.id,
            record.problem,
            record.category.label if record.category else "",
            record.status.label,
            record.root_cause,
            record.countermeasure,
        ]
        updated = _when(record.updated_at)
        steps = sorted(record.steps, key=lambda step: step.position)
        if not steps:
            rows.append([*head, "", "", "", updated])
        for number, step in enumerate(steps, start=1):
            rows.append([*head, number, step.why, step.because, updated])
    return Table(_zoned(ROOT_CAUSE_HEADERS), rows)


LESSON_HEADERS = [
    _l("Card"),
    _l("Title"),
    _l("Team"),
    _l("Area"),
    _l("Waste"),
    _l("Outcome"),
    _l("Root cause"),
    _l("What we learnt"),
    _l("Take forward"),
    _l("Do differently"),
    _l("Written by"),
    _l("Finished at ({zone})"),
    _l("Written at ({zone})"),
]


def lessons_table(session: DbSession, filters: LessonFilters) -> Table:
    """The learning hub's reflections with its search and filters, all of them."""
    return Table(
        _zoned(LESSON_HEADERS),
        [
            [
                row.improvement_id,
                row.title,
                row.team,
                row.area or "",
                row.waste.label if row.waste else "",
                row.outcome.label if row.outcome else "",
                row.root_cause or "",
                row.learnt,
                row.take_forward,
                row.do_differently,
                row.author,
                _when(row.finished_at),
                _when(row.written_at),
            ]
            for row in find_lessons(session, filters)
        ],
    )


def teams_table(teams: list[Team]) -> Table:
    """Every team with its cycle start and WIP limits, as the teams page shows them."""
    limits = limit_settings(teams[0]) if teams else []
    headers = [_("Team"), _("Slug"), _("Cycle starts at"), _("Areas")]
    headers += [_("%(column)s WIP limit", column=setting.column.label) for setting in limits]
    rows: list[list[Cell]] = []
    for team in teams:
        rows.append(
            [
                team.name,
                team.slug,
                team.cycle_start_column.label,
                len(team.areas),
                *[setting.description for setting in limit_settings(team)],
            ]
        )
    return Table(headers, rows)


def areas_table(teams: list[Team]) -> Table:
    """Every area with its team, as the teams page lists them."""
    return Table(
        [_("Area"), _("Slug"), _("Kind"), _("Team")],
        [
            [area.name, area.slug, area.kind, team.name]
            for team in teams
            for area in sorted(team.areas, key=lambda area: area.name)
        ],
    )
