"""Importing a plant's existing spreadsheet (CSV or XLSX) of observations or improvement cards.

A file is read into rows of text, its columns matched to fields by their headings (the
headings of Kaizen's own CSV exports, and a few common alternatives), and every row checked
before anything is written: one bad row and nothing is imported, and the answer names every
bad row by its line in the spreadsheet (the heading is line 1) and says why.

Teams and areas named in the file that the plant does not have yet are created, so a file
imports into an empty plant. Cards keep their dates as their move history: filed in Ideas
when created, arrived in their column when the file says, so the board's ages, the monthly
report and the move log read them as if they had moved on the board.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask_babel import force_locale, lazy_pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from kaizen.formatting import number
from kaizen.models import (
    Area,
    BoardColumn,
    CardMove,
    Frequency,
    Improvement,
    Observation,
    Outcome,
    Team,
    User,
    Waste,
    utcnow,
)
from kaizen.services import DbSession
from kaizen.services.plant_time import TimeZoneError, current_zone, parse_zone

MAX_ROWS = 50_000

E = TypeVar("E", bound=Enum)


class ImportFileError(ValueError):
    """The file cannot be read at all (not CSV or XLSX, no heading, unknown kind)."""


# Field name -> English headings it is known by (compared lower-case, without "(utc)").
OBSERVATION_FIELDS: dict[str, tuple[str, ...]] = {
    "observed_at": ("observed at", "observed", "date", "when"),
    "area": ("area", "area name", "workstation"),
    "waste": ("waste", "waste type"),
    "description": ("description", "what happened", "observation"),
    "minutes_lost": ("minutes lost", "minutes"),
    "frequency": ("frequency", "how often"),
    "reporter": ("reported by", "reporter"),
}
CARD_FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("title", "idea", "improvement"),
    "team": ("team",),
    "column": ("column", "status", "stage"),
    "area": ("area",),
    "waste": ("waste",),
    "owner": ("owner",),
    "problem": ("problem",),
    "countermeasure": ("countermeasure",),
    "outcome": ("outcome", "result"),
    "created_at": ("created at", "created", "date"),
    "in_column_since": ("in column since",),
    "finished_at": ("finished at", "finished", "done at"),
}
REQUIRED = {
    "observations": ("area", "waste", "description"),
    "cards": ("title", "team"),
}
# The headings Kaizen's own CSV exports write (services/exports.py), marked with the same
# words: an export in the reader's language reads back, beside the English headings above.
EXPORTED_HEADINGS: dict[str, dict[str, Any]] = {
    "observations": {
        "observed_at": _l("Observed at ({zone})"),
        "area": _l("Area"),
        "waste": _l("Waste"),
        "description": _l("Description"),
        "minutes_lost": _l("Minutes lost"),
        "frequency": _l("Frequency"),
        "reporter": _l("Reported by"),
    },
    "cards": {
        "title": _l("Title"),
        "team": _l("Team"),
        "column": _l("Column"),
        "area": _l("Area"),
        "waste": _l("Waste"),
        "owner": _l("Owner"),
        "outcome": _l("Outcome"),
        "created_at": _l("Created at ({zone})"),
        "in_column_since": _l("In column since ({zone})"),
        "finished_at": _l("Finished at ({zone})"),
    },
}
# How each field reads in the preview's "Imported as" column.
FIELD_LABELS = {
    "observed_at": lazy_pgettext("imported field", "observed at"),
    "area": lazy_pgettext("imported field", "area"),
    "waste": lazy_pgettext("imported field", "waste"),
    "description": lazy_pgettext("imported field", "description"),
    "minutes_lost": lazy_pgettext("imported field", "minutes lost"),
    "frequency": lazy_pgettext("imported field", "frequency"),
    "reporter": lazy_pgettext("imported field", "reporter"),
    "title": lazy_pgettext("imported field", "title"),
    "team": lazy_pgettext("imported field", "team"),
    "column": lazy_pgettext("imported field", "column"),
    "owner": lazy_pgettext("imported field", "owner"),
    "problem": lazy_pgettext("imported field", "problem"),
    "countermeasure": lazy_pgettext("imported field", "countermeasure"),
    "outcome": lazy_pgettext("imported field", "outcome"),
    "created_at": lazy_pgettext("imported field", "created at"),
    "in_column_since": lazy_pgettext("imported field", "in column since"),
    "finished_at": lazy_pgettext("imported field", "finished at"),
}


@dataclass
class Preview:
    """What an import would do: the column mapping, the rows it read, and every error."""

    kind: str
    mapping: list[tuple[str, str | None]]  # (heading in the file, field or None: ignored)
    rows: int
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    new_teams: list[str] = field(default_factory=list)
    new_areas: list[str] = field(default_factory=list)
    imported: int = 0

    @property
    def ok(self) -> bool:
        """True when every row can be imported."""
        return not self.errors

    @property
    def columns(self) -> list[tuple[str, str | None]]:
        """Each heading with the field it fills as the reader reads it (None: ignored)."""
        return [
            (heading, str(FIELD_LABELS[name]) if name else None) for heading, name in self.mapping
        ]


def read_table(name: str, data: bytes) -> list[list[str]]:
    """The file's cells as text, heading row first (CSV in UTF-8, with or without BOM, or XLSX)."""
    if name.lower().endswith(".xlsx"):
        return _read_xlsx(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            _("The file is not UTF-8 text: save it as CSV UTF-8 or XLSX.")
        ) from error
    if "\0" in text:
        raise ImportFileError(_("The file is not a CSV or XLSX spreadsheet."))
    return [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]


def _read_xlsx(data: bytes) -> list[list[str]]:
    """The first sheet of a workbook as text cells."""
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise ImportFileError(_("The file is not a readable XLSX workbook.")) from error
    sheet = book.worksheets[0]
    rows = []
    for values in sheet.iter_rows(values_only=True):
        cells = [_xlsx_text(value) for value in values]
        if any(cell.strip() for cell in cells):
            rows.append(cells)
    book.close()
    return rows


def _xlsx_text(value: Any) -> str:
    """A workbook cell as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _unguarded(cell: str) -> str:
    """Undo the export's formula guard (services/exports.safe), so a round trip keeps text."""
    if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@", "\t", "\r"):
        return cell[1:]
    return cell


_ZONE_NOTE = re.compile(r"\(([^()]*)\)")


def _key(heading: str) -> str:
    """A heading as matched: without a note in brackets ("(Europe/Berlin)"), any case."""
    return re.sub(r"\s+", " ", _ZONE_NOTE.sub("", heading)).strip().lower()


def _heading_zone(heading: str) -> ZoneInfo | None:
    """The time zone a heading names in brackets, as our exports write it ("(UTC)",
    "(Europe/Berlin)"), or None."""
    for note in _ZONE_NOTE.findall(heading):
        try:
            return parse_zone(note.strip())
        except TimeZoneError:
            continue
    return None


def _map(headings: list[str], fields: dict[str, tuple[str, ...]]) -> list[tuple[str, str | None]]:
    """Each heading with the field it fills (the first heading wins a field)."""
    taken: set[str] = set()
    mapping: list[tuple[str, str | None]] = []
    for heading in headings:
        found = next(
            (
                name
                for name, known in fields.items()
                if _key(heading) in known and name not in taken
            ),
            None,
        )
        if found:
            taken.add(found)
        mapping.append((heading, found))
    return mapping


def known_headings(kind: str) -> dict[str, tuple[str, ...]]:
    """Each field's headings: the English ones, and the one our export writes for it in the
    reader's language."""
    known = {}
    for name, english in FIELDS[kind].items():
        exported = EXPORTED_HEADINGS[kind].get(name)
        known[name] = english + ((_key(str(exported)),) if exported is not None else ())
    return known


def detect_kind(headings: list[str]) -> str:
    """'cards' when the file has a title column, 'observations' when it has a description."""
    keys = {_key(heading) for heading in headings}
    if keys & set(known_headings("cards")["title"]):
        return "cards"
    if keys & set(known_headings("observations")["description"]):
        return "observations"
    raise ImportFileError(
        _(
            "The heading row names neither a Title column (cards) nor a Description column "
            "(observations)."
        )
    )


def _words(enum_cls: type[E]) -> dict[str, E]:
    """An enum's members by their code, English label and label in the reader's language
    (lower-case; the first member to claim a word keeps it)."""
    with force_locale("en"):
        english = {member: str(getattr(member, "label", "")) for member in enum_cls}
    words: dict[str, E] = {}
    for member in enum_cls:
        for word in (str(member.value), english[member], str(getattr(member, "label", ""))):
            if word:
                words.setdefault(word.lower(), member)
    return words


_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d", "%d/%m/%Y")


def _when(text: str, what: str, zone: ZoneInfo) -> datetime:
    """A date or date and time on the clock of `zone`, as a stored (UTC) moment."""
    for pattern in _FORMATS:
        try:
            local = datetime.strptime(text.strip(), pattern)
        except ValueError:
            continue
        return local.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)
    raise ValueError(
        _(
            "%(what)s “%(text)s” is not a date like 2026-03-31 or 2026-03-31 14:05",
            what=what,
            text=text,
        )
    )


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "area"


class _Places:
    """Teams and areas by name, existing or to be created by this import."""

    def __init__(self, session: DbSession, zones: dict[str, ZoneInfo]) -> None:
        self.session = session
        # The clock each time column is read on: the zone its heading names, else the plant's.
        self.zones = zones
        self.teams = {t.name.lower(): t for t in session.scalars(select(Team))}
        self.areas = {a.name.lower(): a for a in session.scalars(select(Area))}
        self.users = {u.display_name.lower(): u for u in session.scalars(select(User))}
        self.new_teams: list[str] = []
        self.new_areas: list[str] = []
        # Read once per import: the words each vocabulary is written in.
        self.words: dict[type[Enum], dict[str, Any]] = {
            enum_cls: _words(enum_cls) for enum_cls in (Waste, Frequency, BoardColumn, Outcome)
        }

    def team(self, name: str) -> Team:
        found = self.teams.get(name.lower())
        if found is None:
            found = Team(name=name, slug=self._free_slug(name, Team))
            self.teams[name.lower()] = found
            self.new_teams.append(name)
        return found

    def area(self, name: str, team: Team | None = None) -> Area:
        found = self.areas.get(name.lower())
        if found is None:
            found = Area(name=name, slug=self._free_slug(name, Area), team=team)
            self.areas[name.lower()] = found
            self.new_areas.append(name)
        return found

    def when(self, text: str, field: str, label: str) -> datetime:
        """A time column's cell as a stored (UTC) moment."""
        return _when(text, label, self.zones.get(field) or current_zone())

    def member(self, enum_cls: type[E], text: str, what: str) -> E:
        """An enum member from its code or its label (English or the reader's), any case."""
        found: E | None = self.words[enum_cls].get(text.strip().lower())
        if found is not None:
            return found
        choices = ", ".join(str(getattr(m, "label", m.value)) for m in enum_cls)
        raise ValueError(
            _(
                "%(what)s “%(text)s” is not one of: %(choices)s",
                what=what,
                text=text,
                choices=choices,
            )
        )

    def _free_slug(self, name: str, model: type[Team] | type[Area]) -> str:
        taken = {t.slug for t in self.teams.values()} | {a.slug for a in self.areas.values()}
        taken |= set(self.session.scalars(select(model.slug)))
        base = _slug(name)
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base[:55]}-{n}"
        return slug


def _observation(cells: dict[str, str], places: _Places) -> Observation:
    """One observation from its cells, or ValueError with the reason."""
    description = cells.get("description", "").strip()
    if not description:
        raise ValueError(_("Description is empty"))
    if not cells.get("area", "").strip():
        raise ValueError(_("Area is empty"))
    minutes_text = cells.get("minutes_lost", "").strip()
    if minutes_text and not minutes_text.isdigit():
        raise ValueError(
            _("Minutes lost “%(text)s” is not a whole number of minutes", text=minutes_text)
        )
    observed = cells.get("observed_at", "").strip()
    frequency = cells.get("frequency", "").strip()
    reporter = places.users.get(cells.get("reporter", "").strip().lower())
    return Observation(
        observed_at=places.when(observed, "observed_at", _("Observed at"))
        if observed
        else utcnow(),
        area=places.area(cells["area"].strip()),
        waste=places.member(Waste, cells.get("waste", ""), _("Waste")),
        description=description,
        minutes_lost=int(minutes_text) if minutes_text else None,
        frequency=places.member(Frequency, frequency, _("Frequency")) if frequency else None,
        reporter=reporter,
    )


def _card(cells: dict[str, str], places: _Places) -> Improvement:
    """One card with its move history, or ValueError with the reason."""
    title = cells.get("title", "").strip()
    if not title:
        raise ValueError(_("Title is empty"))
    if not cells.get("team", "").strip():
        raise ValueError(_("Team is empty"))
    column_text = cells.get("column", "").strip()
    column = (
        places.member(BoardColumn, column_text, _("Column")) if column_text else BoardColumn.IDEAS
    )
    outcome_text = cells.get("outcome", "").strip()
    outcome = places.member(Outcome, outcome_text, _("Outcome")) if outcome_text else None
    if outcome and column != BoardColumn.DONE:
        raise ValueError(_("Only a card in %(done)s has an outcome", done=BoardColumn.DONE.label))
    dates = {
        name: places.when(cells[name], name, label)
        for name, label in (
            ("created_at", _("Created at")),
            ("in_column_since", _("In column since")),
            ("finished_at", _("Finished at")),
        )
        if cells.get(name, "").strip()
    }
    created = dates.get("created_at") or dates.get("finished_at") or utcnow()
    arrived = dates.get("in_column_since") or dates.get("finished_at") or created
    if column == BoardColumn.DONE and "finished_at" in dates:
        arrived = dates["finished_at"]
    if arrived < created:
        raise ValueError(_("It arrived in its column before it was created"))
    team = places.team(cells["team"].strip())
    area_name = cells.get("area", "").strip()
    waste_text = cells.get("waste", "").strip()
    card = Improvement(
        title=title[:200],
        team=team,
        area=places.area(area_name, team) if area_name else None,
        waste=places.member(Waste, waste_text, _("Waste")) if waste_text else None,
        owner=places.users.get(cells.get("owner", "").strip().lower()),
        problem=cells.get("problem", "").strip(),
        countermeasure=cells.get("countermeasure", "").strip(),
        board_column=column,
        outcome=outcome,
        created_at=created,
    )
    card.moves = [CardMove(from_column=None, to_column=BoardColumn.IDEAS, moved_at=created)]
    if column != BoardColumn.IDEAS:
        card.moves.append(
            CardMove(from_column=BoardColumn.IDEAS, to_column=column, moved_at=arrived)
        )
    return card


BUILDERS: dict[str, Callable[[dict[str, str], _Places], Any]] = {
    "observations": _observation,
    "cards": _card,
}
FIELDS = {"observations": OBSERVATION_FIELDS, "cards": CARD_FIELDS}


def import_rows(
    session: DbSession, table: list[list[str]], *, dry_run: bool, kind: str | None = None
) -> Preview:
    """Check every row and, unless a dry run or any row is bad, import them all in one commit."""
    if not table:
        raise ImportFileError(_("The file is empty: it needs a heading row and at least one row."))
    if len(table) - 1 > MAX_ROWS:
        raise ImportFileError(
            _("The file has more than %(most)s rows; split it.", most=number(MAX_ROWS, 0))
        )
    headings, body = table[0], table[1:]
    kind = kind or detect_kind(headings)
    mapping = _map(headings, known_headings(kind))
    preview = Preview(kind=kind, mapping=mapping, rows=len(body))
    mapped = {name for _heading, name in mapping if name}
    missing = [name for name in REQUIRED[kind] if name not in mapped]
    if missing:
        labels = [str(FIELD_LABELS[name]) for name in missing]
        names = ", ".join(label[:1].upper() + label[1:] for label in labels)
        preview.errors.append((1, _("No column for: %(names)s", names=names)))
        return preview
    zones = {name: zone for heading, name in mapping if name and (zone := _heading_zone(heading))}
    places = _Places(session, zones)
    built = []
    for line, row in enumerate(body, start=2):
        cells = {
            name: _unguarded(row[i] if i < len(row) else "")
            for i, (_h, name) in enumerate(mapping)
            if name
        }
        try:
            built.append(BUILDERS[kind](cells, places))
        except ValueError as error:
            preview.errors.append((line, str(error)))
    preview.new_teams, preview.new_areas = places.new_teams, places.new_areas
    if preview.errors or dry_run:
        session.rollback()
        return preview
    session.add_all(built)
    session.commit()
    preview.imported = len(built)
    return preview
