"""Who may act on what: the one home of the team-scope rules (docs/access.md).

- Viewers and up read boards, cards, five whys and reports; observation texts need a
  viewer wherever they appear (a kiosk or a signed-out screen never reads them).
- Members (and leads) create, edit and move the cards of their own team, write reflections
  on them, and work on five-whys records that are linked to no card or to a card of their
  team. Another team's cards and records they read, and leave alone.
- Leads manage their own team's settings (WIP limits, columns, areas, kiosks, TV links).
- The plant-wide flag lifts the team restriction for someone who works across teams;
  admins act on everything.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l

from kaizen.models import Role, User

OTHER_TEAM = _l("This belongs to another team: you can read it, not change it.")


class NotYourTeam(PermissionError):
    """An action on another team's work; `message` says so in plain words (by default in the
    reader's language, read when the error is raised)."""

    def __init__(self, message: str | None = None) -> None:
        message = str(OTHER_TEAM) if message is None else message
        super().__init__(message)
        self.message = message


def reads_observations(user: User | None) -> bool:
    """Observation texts (and photos) are for viewers and up, never a kiosk or a stranger."""
    return user is not None and user.can(Role.VIEWER)


def acts_on_every_team(user: User | None) -> bool:
    """Admins, and members or leads with the plant-wide flag, act on every team."""
    if user is None or not user.can(Role.MEMBER):
        return False
    return user.role is Role.ADMIN or user.plant_wide


def works_on_team(user: User | None, team_id: int | None) -> bool:
    """May this person create, edit and move cards of this team?"""
    if user is None or not user.can(Role.MEMBER):
        return False
    return acts_on_every_team(user) or (team_id is not None and user.team_id == team_id)


def manages_team(user: User | None, team_id: int | None) -> bool:
    """May this person change this team's settings, areas, kiosks and TV links?"""
    if user is None or not user.can(Role.LEAD):
        return False
    return acts_on_every_team(user) or (team_id is not None and user.team_id == team_id)


def works_on_record(user: User | None, linked_team_ids: Iterable[int | None]) -> bool:
    """May this person edit a five-whys record linked to cards of these teams?

    A record linked to no card is open to every member; one linked to cards is worked on by
    the teams of those cards.
    """
    if user is None or not user.can(Role.MEMBER):
        return False
    teams = set(linked_team_ids)
    return not teams or any(works_on_team(user, team_id) for team_id in teams)


def require_team(user: User | None, team_id: int | None) -> None:
    """Raise NotYourTeam unless this person works on this team."""
    if not works_on_team(user, team_id):
        raise NotYourTeam()


def team_filter(user: User | None) -> int | None:
    """The one team whose choices this person gets, or None for every team."""
    if user is None or acts_on_every_team(user):
        return None
    return user.team_id
