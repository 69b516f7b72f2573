"""Kiosk tablets and TV display links: made, found by their secret, listed and revoked.

Both hold a long random secret that only the device (a cookie) or the address (a TV link)
knows; the database keeps its SHA-256, so a copy of the database opens no screen.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kaizen.models import Area, DisplayLink, KioskDevice, Team, User, utcnow
from kaizen.models.device import hash_secret
from kaizen.services import DbSession
from kaizen.services.observations import AreaChoice, EntryPage
from kaizen.services.scope import NotYourTeam, manages_team

NAME_MAX_LENGTH = 120
# A secret is this many random bytes, written in URL-safe base64 (43 characters).
SECRET_BYTES = 32


class DeviceError(ValueError):
    """A kiosk or display link that cannot be made; the message says why."""


@dataclass(frozen=True)
class NewSecret:
    """A device just made and its secret, which is shown (or set as a cookie) only now."""

    id: int
    secret: str


def _clean_name(name: str, fallback: str) -> str:
    """The name as typed, trimmed; a blank name becomes `fallback`."""
    cleaned = " ".join(name.split())
    if len(cleaned) > NAME_MAX_LENGTH:
        raise DeviceError(
            _("Please keep the name under %(count)s characters.", count=NAME_MAX_LENGTH)
        )
    return cleaned or fallback


def bindable_areas(session: DbSession, user: User) -> list[Area]:
    """The areas this person may turn a tablet into the kiosk of (not archived)."""
    areas = session.scalars(
        select(Area)
        .where(Area.archived_at.is_(None))
        .options(selectinload(Area.team))
        .order_by(Area.name)
    )
    return [area for area in areas if manages_team(user, area.team_id)]


def bind_kiosk(session: DbSession, area_id: int | None, name: str, by_user: User) -> NewSecret:
    """Make a kiosk of an area this person manages; the secret goes into the tablet's cookie."""
    area = session.get(Area, area_id) if area_id is not None else None
    if area is None or area.archived_at is not None:
        raise DeviceError(_("Choose the area this tablet stands in."))
    if not manages_team(by_user, area.team_id):
        raise DeviceError(_("You can bind tablets only to the areas of your own team."))
    secret = secrets.token_urlsafe(SECRET_BYTES)
    device = KioskDevice(
        name=_clean_name(name, _("Tablet at %(area)s", area=area.name)),
        area=area,
        secret_hash=hash_secret(secret),
        created_by=by_user,
    )
    session.add(device)
    session.commit()
    return NewSecret(device.id, secret)


def kiosk_by_secret(session: DbSession, secret: str | None) -> KioskDevice | None:
    """The live kiosk whose cookie holds this secret, with its area, or None."""
    if not secret or len(secret) > 200:
        return None
    return session.scalar(
        select(KioskDevice)
        .where(KioskDevice.secret_hash == hash_secret(secret), KioskDevice.revoked_at.is_(None))
        .options(selectinload(KioskDevice.area))
    )


def kiosk_entry_page(area: Area) -> EntryPage:
    """The entry form of a kiosk: its own area and nothing to pick; reports carry no name."""
    own = AreaChoice(area.id, area.slug, area.name, area.team.name if area.team else None)
    return EntryPage(
        preset=own, unknown_area=False, areas=[own], signed_in=False, anonymous=True, fixed=True
    )


def list_kiosks(session: DbSession) -> list[KioskDevice]:
    """Every kiosk, live ones first, newest first, with area and maker loaded."""
    return list(
        session.scalars(
            select(KioskDevice)
            .options(selectinload(KioskDevice.area), selectinload(KioskDevice.created_by))
            .order_by(KioskDevice.revoked_at.is_not(None), KioskDevice.created_at.desc())
        )
    )


def revoke_kiosk(session: DbSession, device_id: int, now: datetime | None = None) -> bool:
    """Revoke a kiosk (its cookie opens nothing any more); False when there is no such kiosk."""
    device = session.get(KioskDevice, device_id)
    if device is None:
        return False
    if device.revoked_at is None:
        device.revoked_at = now or utcnow()
        session.commit()
    return True


def displayable_teams(session: DbSession, user: User) -> list[Team]:
    """The teams this person may make TV links for (not archived)."""
    teams = session.scalars(select(Team).where(Team.archived_at.is_(None)).order_by(Team.name))
    return [team for team in teams if manages_team(user, team.id)]


def create_display_link(
    session: DbSession, team_id: int | None, name: str, by_user: User
) -> NewSecret:
    """Make a TV link to a team's board; the token is shown once, in its address."""
    team = session.get(Team, team_id) if team_id is not None else None
    if team is None or team.archived_at is not None:
        raise DeviceError(_("Choose the team whose board the screen shows."))
    if not manages_team(by_user, team.id):
        raise DeviceError(_("You can make TV links only for your own team's board."))
    token = secrets.token_urlsafe(SECRET_BYTES)
    link = DisplayLink(
        name=_clean_name(name, _("%(team)s TV", team=team.name)),
        team=team,
        token_hash=hash_secret(token),
        created_by=by_user,
    )
    session.add(link)
    session.commit()
    return NewSecret(link.id, token)


def display_team_slug(session: DbSession, token: str) -> str | None:
    """The slug of the team a live display link shows, or None (unknown or revoked)."""
    if not token or len(token) > 200:
        return None
    return session.scalar(
        select(Team.slug)
        .join(DisplayLink, DisplayLink.team_id == Team.id)
        .where(DisplayLink.token_hash == hash_secret(token), DisplayLink.revoked_at.is_(None))
    )


def list_display_links(session: DbSession, user: User) -> list[DisplayLink]:
    """The TV links this person may see and revoke: all for admins, their team's for leads."""
    links = session.scalars(
        select(DisplayLink)
        .options(selectinload(DisplayLink.team), selectinload(DisplayLink.created_by))
        .order_by(DisplayLink.revoked_at.is_not(None), DisplayLink.created_at.desc())
    )
    return [link for link in links if manages_team(user, link.team_id)]


def display_link(session: DbSession, link_id: int) -> DisplayLink | None:
    """One TV link by id, or None."""
    return session.get(DisplayLink, link_id)


def revoke_display_link(
    session: DbSession, link: DisplayLink, by_user: User, now: datetime | None = None
) -> None:
    """Revoke a TV link: its address shows nothing any more. NotYourTeam unless this person
    manages the link's team."""
    if not manages_team(by_user, link.team_id):
        raise NotYourTeam(_("This TV link belongs to another team's board."))
    if link.revoked_at is None:
        link.revoked_at = now or utcnow()
        session.commit()
