"""Teams and their board settings: WIP limits per column and where cycle time starts."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from kaizen.models import Area, BoardColumn, ColumnLimit, KioskDevice, Team, User, WipMode, utcnow
from kaizen.services import DbSession
from kaizen.services.scope import manages_team

# Messages shared with the forms (kaizen/teams/forms.py), translated when shown.
AT_LEAST_ONE = _l("Use 1 or more, or leave it blank for no limit.")
NAME_NEEDED = _l("A name is needed.")

# Done is finished work: it never has a WIP limit.
LIMITABLE_COLUMNS = (BoardColumn.IDEAS, BoardColumn.PLAN, BoardColumn.DO, BoardColumn.CHECK)
# Cycle time starts when a card first reaches one of these (Plan = first leaves Ideas).
CYCLE_START_COLUMNS = (BoardColumn.PLAN, BoardColumn.DO, BoardColumn.CHECK)


class TeamSettingsError(ValueError):
    """Settings that break a rule; `errors` maps each field name to a plain-words message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class LimitSetting:
    """One column's WIP limit (None = no limit) and whether it warns or refuses."""

    column: BoardColumn
    wip_limit: int | None
    mode: WipMode

    @property
    def description(self) -> str:
        """How the setting reads: 'No limit', 'At most 4, soft (warns)'."""
        if self.wip_limit is None:
            return _("No limit")
        if self.mode is WipMode.HARD:
            return _("At most %(limit)s — hard (refuses more)", limit=self.wip_limit)
        return _("At most %(limit)s — soft (warns, asks for a reason)", limit=self.wip_limit)


def list_teams(session: DbSession) -> list[Team]:
    """Every team, in use first, by name, with its areas and column limits loaded."""
    return list(
        session.scalars(
            select(Team)
            .options(selectinload(Team.areas), selectinload(Team.column_limits))
            .order_by(Team.archived_at.is_not(None), Team.name)
        )
    )


def team_by_slug(session: DbSession, slug: str) -> Team | None:
    """The team with this slug, its column limits loaded, or None."""
    return session.scalar(
        select(Team).where(Team.slug == slug).options(selectinload(Team.column_limits))
    )


def limit_settings(team: Team) -> list[LimitSetting]:
    """The WIP setting of every limitable column of a team, in board order."""
    limits = {limit.board_column: limit for limit in team.column_limits}
    settings = []
    for column in LIMITABLE_COLUMNS:
        limit = limits.get(column)
        settings.append(
            LimitSetting(
                column=column,
                wip_limit=limit.wip_limit if limit else None,
                mode=limit.mode if limit else WipMode.SOFT,
            )
        )
    return settings


def save_team_settings(
    session: DbSession,
    team: Team,
    *,
    limits: dict[BoardColumn, tuple[int | None, WipMode]],
    cycle_start_column: BoardColumn,
) -> None:
    """Save a team's WIP limits (None removes a limit) and its cycle start column."""
    errors: dict[str, str] = {}
    for column, (wip_limit, _mode) in limits.items():
        if column not in LIMITABLE_COLUMNS:
            errors[f"{column.value}_limit"] = _("Done is finished work and never has a limit.")
        elif wip_limit is not None and wip_limit < 1:
            errors[f"{column.value}_limit"] = str(AT_LEAST_ONE)
    if cycle_start_column not in CYCLE_START_COLUMNS:
        errors["cycle_start_column"] = _("Cycle time can start at Plan, Do or Check.")
    if errors:
        raise TeamSettingsError(errors)
    existing = {limit.board_column: limit for limit in team.column_limits}
    for column, (wip_limit, mode) in limits.items():
        limit = existing.get(column)
        if wip_limit is None:
            if limit is not None:
                team.column_limits.remove(limit)  # delete-orphan removes the row
        elif limit is None:
            team.column_limits.append(
                ColumnLimit(board_column=column, wip_limit=wip_limit, mode=mode)
            )
        else:
            limit.wip_limit = wip_limit
            limit.mode = mode
    team.cycle_start_column = cycle_start_column
    session.commit()


# -- teams and areas: create, rename, archive (admins; leads for their own team's areas) --

NAME_MAX_LENGTH = 120
SLUG_MAX_LENGTH = 60
AREA_KINDS = ("workstation", "line", "cell")
# What people read for each kind (the codes above are stored and exported).
AREA_KIND_LABELS = {"workstation": _l("Workstation"), "line": _l("Line"), "cell": _l("Cell")}


class PlaceError(ValueError):
    """A team or area that cannot be saved; `errors` maps field names to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def slugify(name: str) -> str:
    """The address form of a name: 'Press Line 2' -> 'press-line-2'."""
    slug = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", name).lower())
    slug = slug.encode("ascii", "ignore").decode().strip("-")
    return slug[:SLUG_MAX_LENGTH].strip("-") or "place"


def _free_slug(session: DbSession, model: type[Team] | type[Area], name: str) -> str:
    """A slug for `name` that no row of `model` has yet (printed QR codes keep old ones)."""
    base = slugify(name)
    taken = set(session.scalars(select(model.slug).where(model.slug.startswith(base))))
    slug, n = base, 2
    while slug in taken:
        suffix = f"-{n}"
        slug = base[: SLUG_MAX_LENGTH - len(suffix)] + suffix
        n += 1
    return slug


def _clean_name(name: str) -> str:
    """A name as typed, spaces tidied; a PlaceError when blank or too long."""
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise PlaceError({"name": str(NAME_NEEDED)})
    if len(cleaned) > NAME_MAX_LENGTH:
        message = _("Please keep the name under %(count)s characters.", count=NAME_MAX_LENGTH)
        raise PlaceError({"name": message})
    return cleaned


def _team_name_taken(session: DbSession, name: str, except_id: int | None = None) -> bool:
    query = select(Team.id).where(func.lower(Team.name) == name.lower())
    if except_id is not None:
        query = query.where(Team.id != except_id)
    return session.scalar(query) is not None


def create_team(session: DbSession, name: str) -> Team:
    """A new team with a slug made from its name (admins only, checked by the caller)."""
    name = _clean_name(name)
    if _team_name_taken(session, name):
        raise PlaceError({"name": _("There is already a team called %(name)s.", name=name)})
    team = Team(name=name, slug=_free_slug(session, Team, name))
    session.add(team)
    session.commit()
    return team


def rename_team(session: DbSession, team: Team, name: str) -> None:
    """Give a team a new name; its slug (board addresses, bookmarks) stays."""
    name = _clean_name(name)
    if _team_name_taken(session, name, except_id=team.id):
        raise PlaceError({"name": _("There is already a team called %(name)s.", name=name)})
    team.name = name
    session.commit()


def set_team_archived(session: DbSession, team: Team, archived: bool) -> None:
    """Archive a team (it leaves menus, the plant board and entry forms; its cards and history
    stay, and its own board address still answers) or bring it back."""
    team.archived_at = utcnow() if archived else None
    session.commit()


def list_areas(session: DbSession) -> list[Area]:
    """Every area, in use first, by name, with its team loaded."""
    return list(
        session.scalars(
            select(Area)
            .options(selectinload(Area.team))
            .order_by(Area.archived_at.is_not(None), Area.name)
        )
    )


def area_by_slug(session: DbSession, slug: str) -> Area | None:
    """The area with this slug, its team loaded, or None."""
    return session.scalar(select(Area).where(Area.slug == slug).options(selectinload(Area.team)))


def _check_area(name: str, kind: str, team_id: int | None, by_user: User) -> str:
    """The cleaned name; a PlaceError for a bad kind or a team this person does not manage."""
    name = _clean_name(name)
    errors: dict[str, str] = {}
    if kind not in AREA_KINDS:
        errors["kind"] = _("Choose workstation, line or cell.")
    if not manages_team(by_user, team_id):
        errors["team_id"] = _("You can add and change areas of your own team only.")
    if errors:
        raise PlaceError(errors)
    return name


def create_area(
    session: DbSession, *, name: str, kind: str, team_id: int | None, by_user: User
) -> Area:
    """A new area of a team this person manages, with a slug for its QR code."""
    name = _check_area(name, kind, team_id, by_user)
    area = Area(name=name, kind=kind, team_id=team_id, slug=_free_slug(session, Area, name))
    session.add(area)
    session.commit()
    return area


def update_area(
    session: DbSession, area: Area, *, name: str, kind: str, team_id: int | None, by_user: User
) -> None:
    """Rename an area or move it to another team (both teams managed by this person); its
    slug, and so its printed QR code, stays."""
    name = _check_area(name, kind, team_id, by_user)
    area.name, area.kind, area.team_id = name, kind, team_id
    session.commit()


def set_area_archived(session: DbSession, area: Area, archived: bool) -> None:
    """Archive an area (it leaves the entry form and menus, its kiosks are revoked, its
    reports stay) or bring it back."""
    now = utcnow()
    area.archived_at = now if archived else None
    if archived:
        session.execute(
            update(KioskDevice)
            .where(KioskDevice.area_id == area.id, KioskDevice.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    session.commit()
