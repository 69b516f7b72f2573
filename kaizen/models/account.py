"""People and machines that sign in: user accounts (including kiosk tablets) and API tokens."""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from kaizen.extensions import Model
from kaizen.models.place import Area, Team
from kaizen.models.types import enum_type, utcnow
from kaizen.models.vocab import Role


class User(UserMixin, Model):
    """An account. A kiosk account is bound to one area and can only report observations."""

    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint("role <> 'kiosk' OR area_id IS NOT NULL", name="kiosk_has_area"),
        CheckConstraint("username <> ''", name="username_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"), default=Role.MEMBER)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id", ondelete="RESTRICT"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Last change to the row; the board's poll token watches it (a card owner's name).
    # Rows from before migration 0002 hold NULL until they are first changed.
    updated_at: Mapped[datetime | None] = mapped_column(default=utcnow, onupdate=utcnow)
    # Part of every session cookie's account id: raising it refuses every session and
    # remember-me sign-in made before (sign-out, password or role change, deactivation).
    session_generation: Mapped[int] = mapped_column(default=1, server_default="1")
    # The password was set by someone else (an admin's reset, the demo loader): the person
    # is asked to choose their own at the next sign-in and reminded until they do.
    password_change_due: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Someone who works across teams: acts on every team's cards (and, as a lead, settings).
    plant_wide: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The person's own language ('pl'); None follows the device, the plant and the browser.
    language: Mapped[str | None] = mapped_column(String(8))

    team: Mapped[Team | None] = relationship(back_populates="members")
    area: Mapped[Area | None] = relationship()

    def set_password(self, password: str) -> None:
        """Store a salted hash of the password, never the password."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """True when the password matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """Flask-Login's id in the session cookie: account id and session generation."""
        return f"{self.id}:{self.session_generation}"

    def can(self, role: Role) -> bool:
        """True when this account has at least the rights of `role` (kiosks only report)."""
        if self.role is Role.KIOSK:
            return role is Role.KIOSK
        return self.role.rank >= role.rank

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        """Flask-Login refuses sign-in for deactivated accounts."""
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


def hash_token(token: str) -> str:
    """SHA-256 of an API token: tokens are long and random, so a fast hash is enough."""
    return hashlib.sha256(token.encode()).hexdigest()


class TokenScope(StrEnum):
    """What an API token may do: read only, or read and write."""

    READ = "read"
    READ_WRITE = "read-write"

    @property
    def label(self) -> str:
        """How the scope reads on the tokens page."""
        return "Read only" if self is TokenScope.READ else "Read and write"


class ApiToken(Model):
    """A bearer token for the JSON API; only its hash is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, shown so a person can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    scope: Mapped[TokenScope] = mapped_column(
        enum_type(TokenScope, "scope"), default=TokenScope.READ, server_default="read"
    )
    # The rate limit: requests counted in the current minute (kept in the database, so
    # every worker and host counts the same token together).
    rate_minute: Mapped[int] = mapped_column(default=0, server_default="0")
    rate_count: Mapped[int] = mapped_column(default=0, server_default="0")

    user: Mapped[User] = relationship()


class RememberToken(Model):
    """A "keep me signed in" cookie of one sign-in on one device; only its hash is stored.

    Deleting the row revokes the cookie; every event that raises the account's session
    generation deletes all of the account's rows.
    """

    __tablename__ = "remember_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    user: Mapped[User] = relationship()


class SignInThrottle(Model):
    """Failed sign-ins counted per account name or client address, shared by every worker.

    `key` is 'account:<username>' or 'address:<ip>'; `locked_until` is set once the count
    passes its threshold, and grows with every further failure.
    """

    __tablename__ = "sign_in_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None]
