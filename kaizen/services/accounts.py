"""Accounts: creating them, passwords, roles and teams, and revoking sessions.

Every change an admin makes is written to the audit trail in the same transaction.
Revoking sessions means raising the account's session generation (part of the id in every
session cookie) and deleting its remember-me tokens: any cookie made before is refused.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_pgettext
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from kaizen.models import Area, Role, Team, User
from kaizen.services import DbSession
from kaizen.services.audit import record
from kaizen.services.sign_in import authenticate as authenticate  # offered beside accounts
from kaizen.services.sign_in import revoke_remember_tokens

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 200
# Roles an admin gives on the accounts page; kiosks are tablets, set up with their area.
PERSON_ROLES = (Role.VIEWER, Role.MEMBER, Role.LEAD, Role.ADMIN)
# How each role reads on the admin pages (the codes stay in the database and the API).
ROLE_LABELS = {
    Role.KIOSK: lazy_pgettext("role", "Kiosk"),
    Role.VIEWER: lazy_pgettext("role", "Viewer"),
    Role.MEMBER: lazy_pgettext("role", "Member"),
    Role.LEAD: lazy_pgettext("role", "Lead"),
    Role.ADMIN: lazy_pgettext("role", "Admin"),
}


class AccountError(ValueError):
    """An account change broke a rule; the message says why, in plain words.

    `field` names the form field the message belongs next to, when there is one.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def check_new_password(password: str, field: str = "password") -> None:
    """Refuse a password that is too short or absurdly long."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _("Passwords need at least %(min)d characters.", min=MIN_PASSWORD_LENGTH), field
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(
            _("Passwords can be at most %(max)d characters.", max=MAX_PASSWORD_LENGTH), field
        )


def create_user(
    session: DbSession,
    username: str,
    password: str,
    *,
    role: Role = Role.MEMBER,
    display_name: str | None = None,
    team: Team | None = None,
    area: Area | None = None,
    actor: User | None = None,
    password_change_due: bool = False,
    plant_wide: bool = False,
) -> User:
    """Add an account with a hashed password; kiosk accounts must name their area."""
    username = username.strip().lower()
    if not username:
        raise AccountError(_("A username is needed."), "username")
    if len(username) > 80:
        raise AccountError(_("Usernames can be at most %(max)d characters.", max=80), "username")
    check_new_password(password)
    if role is Role.KIOSK and area is None:
        raise AccountError(_("A kiosk account is bound to one area: name the area."), "area")
    taken = session.scalar(select(User.id).where(func.lower(User.username) == username))
    if taken is not None:
        raise AccountError(
            _("The username %(username)s is taken.", username=repr(username)), "username"
        )
    user = User(
        username=username,
        display_name=(display_name or "").strip() or username,
        role=role,
        team=team,
        area=area,
        password_change_due=password_change_due,
        plant_wide=plant_wide,
    )
    user.set_password(password)
    session.add(user)
    session.flush()
    record(
        session,
        actor=actor,
        action="created",
        subject_type="account",
        subject_id=user.id,
        summary=f"Created {role.value} account {username}"
        + (f" in team {team.name}" if team else ""),
    )
    session.commit()
    return user


def account_by_id(session: DbSession, user_id: int) -> User | None:
    """The account with this id, or None."""
    return session.get(User, user_id)


def account_by_session_id(session: DbSession, session_id: str) -> User | None:
    """The active account a session cookie names ('<id>:<generation>'), or None when the
    id is malformed, the account is gone or deactivated, or its sessions were revoked."""
    account_id, _colon, generation = session_id.partition(":")
    if not account_id.isdigit() or not generation.isdigit() or len(session_id) > 40:
        return None
    user = session.get(User, int(account_id))
    if user is None or not user.active or user.session_generation != int(generation):
        return None
    return user


def revoke_sessions(session: DbSession, user: User) -> None:
    """Refuse every session and remember-me cookie of the account (the caller commits)."""
    user.session_generation = (user.session_generation or 0) + 1
    revoke_remember_tokens(session, user)


def sign_out(session: DbSession, user: User) -> None:
    """Sign the account out of every device (a copied cookie stops working too)."""
    revoke_sessions(session, user)
    session.commit()


def change_own_password(session: DbSession, user: User, *, current: str, new: str) -> None:
    """A person replaces their own password; every other session of theirs ends."""
    if not user.check_password(current):
        raise AccountError(_("That is not your current password."), "current_password")
    check_new_password(new, "new_password")
    if user.check_password(new):
        raise AccountError(_("Choose a password different from the current one."), "new_password")
    user.set_password(new)
    user.password_change_due = False
    revoke_sessions(session, user)
    record(
        session,
        actor=user,
        action="password-changed",
        subject_type="account",
        subject_id=user.id,
        summary=f"{user.username} changed their own password",
    )
    session.commit()


# --------------------------------------------------------------------------------------
# What admins do on the accounts page
# --------------------------------------------------------------------------------------


def list_accounts(session: DbSession) -> list[User]:
    """Every account, active first, by username, with team and area loaded."""
    return list(
        session.scalars(
            select(User)
            .options(joinedload(User.team), joinedload(User.area))
            .order_by(User.active.desc(), User.username)
        )
    )


def team_options(session: DbSession) -> list[Team]:
    """Teams an account can belong to, by name."""
    return list(session.scalars(select(Team).order_by(Team.name)))


def _refuse_own(actor: User, user: User, refusal: str) -> None:
    # An admin who demotes or deactivates themselves can lock the plant out of its own
    # administration; another admin does it for them.
    if actor.id == user.id:
        raise AccountError(refusal)


def change_role_and_team(
    session: DbSession,
    actor: User,
    user: User,
    *,
    role: Role,
    team: Team | None,
    plant_wide: bool | None = None,
) -> None:
    """Give an account another role, team or plant-wide flag; a role change ends its
    sessions."""
    if role not in PERSON_ROLES or user.role is Role.KIOSK:
        raise AccountError(_("Kiosk tablets keep their role; set them up with their area."), "role")
    if role is not user.role:
        _refuse_own(
            actor, user, _("You cannot change the role of your own account; ask another admin.")
        )
    changes = []
    if role is not user.role:
        changes.append(f"role {user.role.value} → {role.value}")
        user.role = role
        revoke_sessions(session, user)
    if team is not user.team:
        before = user.team.name if user.team else "no team"
        changes.append(f"team {before} → {team.name if team else 'no team'}")
        user.team = team
    if plant_wide is not None and plant_wide != user.plant_wide:
        changes.append("works across every team" if plant_wide else "works on its own team")
        user.plant_wide = plant_wide
    if not changes:
        return
    record(
        session,
        actor=actor,
        action="role-changed" if "role" in changes[0] else "team-changed",
        subject_type="account",
        subject_id=user.id,
        summary=f"{user.username}: " + "; ".join(changes),
    )
    session.commit()


def set_active(session: DbSession, actor: User, user: User, *, active: bool) -> None:
    """Deactivate an account (its sessions end at once) or let it sign in again."""
    if active == user.active:
        return
    if not active:
        _refuse_own(actor, user, _("You cannot deactivate your own account; ask another admin."))
        revoke_sessions(session, user)
    user.active = active
    record(
        session,
        actor=actor,
        action="reactivated" if active else "deactivated",
        subject_type="account",
        subject_id=user.id,
        summary=f"{'Reactivated' if active else 'Deactivated'} {user.username}",
    )
    session.commit()


@dataclass(frozen=True)
class PasswordReset:
    """The new password, shown once to the admin when it was generated."""

    generated: str | None


def reset_password(
    session: DbSession, actor: User, user: User, *, new_password: str | None
) -> PasswordReset:
    """Set a new password (typed by the admin, or generated); the person must change it at
    the next sign-in, and every session of theirs ends."""
    generated = None
    if not new_password:
        generated = new_password = secrets.token_urlsafe(9)
    check_new_password(new_password, "new_password")
    user.set_password(new_password)
    user.password_change_due = True
    revoke_sessions(session, user)
    record(
        session,
        actor=actor,
        action="password-reset",
        subject_type="account",
        subject_id=user.id,
        summary=f"Reset the password of {user.username}",
    )
    session.commit()
    return PasswordReset(generated)


def sign_out_everywhere(session: DbSession, actor: User, user: User) -> None:
    """End every session of an account on every device."""
    revoke_sessions(session, user)
    record(
        session,
        actor=actor,
        action="signed-out",
        subject_type="account",
        subject_id=user.id,
        summary=f"Signed {user.username} out everywhere",
    )
    session.commit()


def team_by_id(session: DbSession, team_id: int | None) -> Team | None:
    """The team with this id, or None (also for no id)."""
    return session.get(Team, team_id) if team_id is not None else None


def account_choices(session: DbSession, *, active_only: bool = False) -> list[tuple[int, str]]:
    """(id, 'Name (username)') of accounts, for a select."""
    query = select(User.id, User.display_name, User.username).order_by(User.username)
    if active_only:
        query = query.where(User.active.is_(True), User.role != Role.KIOSK)
    return [(i, f"{name} ({username})") for i, name, username in session.execute(query)]
