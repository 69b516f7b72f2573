"""Signing in: passwords checked at the same cost for every name, failures counted in the
database (so every worker on every host sees them), and "keep me signed in" tokens.

Throttling: failures are counted per account name (known or not, so a lock says nothing
about whether the account exists) and per client address. Once a count reaches its
threshold the name or address is locked for `lock_seconds`, doubling with every further
failure up to `max_lock_seconds`. While locked, attempts are refused before any password
is checked and are not counted. A successful sign-in clears the account name's count; the
address count fades only with time (it is forgotten after the longest lock).
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask_babel import ngettext
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from kaizen.models import RememberToken, SignInThrottle, User, utcnow
from kaizen.services import DbSession


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures lock a name or an address, and for how long."""

    account_failures: int = 5
    address_failures: int = 20
    lock_seconds: int = 30
    max_lock_seconds: int = 900


class SignInLocked(Exception):
    """Too many failed sign-ins: the message says when to try again."""

    def __init__(self, until: datetime, now: datetime) -> None:
        self.until = until
        wait = max(1, math.ceil((until - now).total_seconds()))
        self.wait_seconds = wait
        if wait < 90:
            message = ngettext(
                "Too many sign-in attempts. For your account's safety, sign-in is paused: "
                "please try again in %(num)d second.",
                "Too many sign-in attempts. For your account's safety, sign-in is paused: "
                "please try again in %(num)d seconds.",
                wait,
            )
        else:
            message = ngettext(
                "Too many sign-in attempts. For your account's safety, sign-in is paused: "
                "please try again in %(num)d minute.",
                "Too many sign-in attempts. For your account's safety, sign-in is paused: "
                "please try again in %(num)d minutes.",
                math.ceil(wait / 60),
            )
        super().__init__(message)


@cache
def _dummy_hash() -> str:
    """A hash to check unknown names against, made like every real one (same cost)."""
    return generate_password_hash(secrets.token_hex(16))


def _keys(username: str, address: str | None) -> list[str]:
    keys = [f"account:{username.strip().lower()[:150]}"]
    if address:
        keys.append(f"address:{address[:150]}")
    return keys


def _locked_until(session: DbSession, keys: list[str], now: datetime) -> datetime | None:
    latest = session.scalar(
        select(func.max(SignInThrottle.locked_until)).where(
            SignInThrottle.key.in_(keys), SignInThrottle.locked_until > now
        )
    )
    return latest


def _count_failure(session: DbSession, key: str, threshold: int, policy: ThrottlePolicy) -> None:
    """Add one failure to `key` atomically (two workers never lose a count)."""
    now = utcnow()
    forget_before = now - timedelta(seconds=policy.max_lock_seconds)
    # An old count (no failure for longer than the longest lock) starts afresh.
    session.execute(
        delete(SignInThrottle).where(
            SignInThrottle.key == key, SignInThrottle.last_failure_at < forget_before
        )
    )
    changed = session.execute(
        update(SignInThrottle)
        .where(SignInThrottle.key == key)
        .values(failures=SignInThrottle.failures + 1, last_failure_at=now)
    )
    if changed.rowcount == 0:  # type: ignore[attr-defined]
        try:
            with session.begin_nested():
                session.add(SignInThrottle(key=key, failures=1, last_failure_at=now))
        except IntegrityError:  # another worker counted the first failure just now
            session.execute(
                update(SignInThrottle)
                .where(SignInThrottle.key == key)
                .values(failures=SignInThrottle.failures + 1, last_failure_at=now)
            )
    failures = session.scalar(select(SignInThrottle.failures).where(SignInThrottle.key == key))
    if failures is not None and failures >= threshold:
        seconds = min(policy.max_lock_seconds, policy.lock_seconds * 2 ** (failures - threshold))
        session.execute(
            update(SignInThrottle)
            .where(SignInThrottle.key == key)
            .values(locked_until=now + timedelta(seconds=seconds))
        )


def authenticate(
    session: DbSession,
    username: str,
    password: str,
    *,
    address: str | None = None,
    policy: ThrottlePolicy | None = None,
) -> User | None:
    """The active account with this username and password, or None; raises SignInLocked
    while the name or the address has failed too often."""
    policy = policy or ThrottlePolicy()
    now = utcnow()
    keys = _keys(username, address)
    locked = _locked_until(session, keys, now)
    if locked is not None:
        raise SignInLocked(locked, now)
    user = session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    # Check a hash whether or not the account exists, so both answers take as long.
    stored = user.password_hash if user is not None else _dummy_hash()
    matches = check_password_hash(stored, password)
    if user is not None and user.active and matches:
        session.execute(delete(SignInThrottle).where(SignInThrottle.key == keys[0]))
        session.commit()
        return user
    _count_failure(session, keys[0], policy.account_failures, policy)
    if len(keys) > 1:
        _count_failure(session, keys[1], policy.address_failures, policy)
    session.commit()
    return None


# --------------------------------------------------------------------------------------
# "Keep me signed in"
# --------------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_remember_token(session: DbSession, user: User, *, days: int) -> str:
    """A new random token for this sign-in on this device; only its hash is kept."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        RememberToken(
            user_id=user.id,
            token_hash=_token_hash(token),
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
    )
    # Expired tokens of this account are of no use to anyone.
    session.execute(
        delete(RememberToken).where(
            RememberToken.user_id == user.id, RememberToken.expires_at < now
        )
    )
    session.commit()
    return token


def account_by_remember_token(session: DbSession, token: str) -> User | None:
    """The active account a remember-me cookie stands for, or None (unknown, expired or
    revoked)."""
    if not token or len(token) > 200:
        return None
    found = session.scalar(
        select(RememberToken).where(RememberToken.token_hash == _token_hash(token))
    )
    if found is None or found.expires_at <= utcnow() or not found.user.active:
        return None
    return found.user


def revoke_remember_tokens(session: DbSession, user: User) -> None:
    """Delete every remember-me token of the account (the caller commits)."""
    session.execute(delete(RememberToken).where(RememberToken.user_id == user.id))
