"""Creating accounts and checking sign-ins."""

from __future__ import annotations

from sqlalchemy import func, select

from kaizen.models import Area, Role, Team, User
from kaizen.services import DbSession

MIN_PASSWORD_LENGTH = 8


class AccountError(ValueError):
    """An account could not be created; the message says why, in plain words."""


def create_user(
    session: DbSession,
    username: str,
    password: str,
    *,
    role: Role = Role.MEMBER,
    display_name: str | None = None,
    team: Team | None = None,
    area: Area | None = None,
    plant_wide: bool = False,
) -> User:
    """Add an account with a hashed password; kiosk accounts must name their area."""
    username = username.strip().lower()
    if not username:
        raise AccountError("A username is needed.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.")
    if role is Role.KIOSK and area is None:
        raise AccountError("A kiosk account is bound to one area: name the area.")
    taken = session.scalar(select(User.id).where(func.lower(User.username) == username))
    if taken is not None:
        raise AccountError(f"The username {username!r} is taken.")
    user = User(
        username=username,
        display_name=display_name or username,
        role=role,
        team=team,
        area=area,
        plant_wide=plant_wide,
    )
    user.set_password(password)
    session.add(user)
    session.commit()
    return user


def authenticate(session: DbSession, username: str, password: str) -> User | None:
    """The active account with this username and password, or None."""
    user = session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if user is None or not user.active or not user.check_password(password):
        return None
    return user


def account_by_id(session: DbSession, user_id: str) -> User | None:
    """The account a session cookie names, or None (a malformed id is nobody)."""
    try:
        return session.get(User, int(user_id))
    except ValueError:
        return None
