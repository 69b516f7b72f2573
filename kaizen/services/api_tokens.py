"""API tokens for the JSON API: made by admins, shown once, stored hashed, revocable."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select, update
from sqlalchemy.orm import joinedload

from kaizen.models import ApiToken, Role, TokenScope, User, utcnow
from kaizen.models.account import hash_token
from kaizen.services import DbSession
from kaizen.services.accounts import AccountError
from kaizen.services.audit import record

TOKEN_PREFIX = "kz_"
NAME_MAX = 120
# How each scope reads on the tokens page (the codes stay in the database and the API).
SCOPE_LABELS = {TokenScope.READ: _l("Read only"), TokenScope.READ_WRITE: _l("Read and write")}


def list_tokens(session: DbSession) -> list[ApiToken]:
    """Every token, live ones first, newest first, with its owner loaded."""
    return list(
        session.scalars(
            select(ApiToken)
            .options(joinedload(ApiToken.user))
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id)
        )
    )


def create_token(
    session: DbSession, actor: User, *, name: str, owner: User, scope: TokenScope
) -> tuple[ApiToken, str]:
    """A new token for `owner`; the secret is returned once and only its hash is kept."""
    name = name.strip()
    if not name:
        raise AccountError(_("Give the token a name that says what uses it."), "name")
    if len(name) > NAME_MAX:
        raise AccountError(_("Names can be at most %(max)d characters.", max=NAME_MAX), "name")
    if not owner.active:
        raise AccountError(_("That account is deactivated."), "owner")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=owner.id,
        name=name,
        token_hash=hash_token(secret),
        prefix=secret[:10],
        scope=scope,
        created_at=utcnow(),
    )
    session.add(token)
    session.flush()
    record(
        session,
        actor=actor,
        action="created",
        subject_type="api-token",
        subject_id=token.id,
        summary=f"Created {scope.value} token “{name}” for {owner.username}",
    )
    session.commit()
    return token, secret


def token_by_id(session: DbSession, token_id: int) -> ApiToken | None:
    """The token with this id, or None."""
    return session.get(ApiToken, token_id)


def revoke_token(session: DbSession, actor: User, token: ApiToken) -> None:
    """Stop a token from working; it stays listed as revoked."""
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    record(
        session,
        actor=actor,
        action="revoked",
        subject_type="api-token",
        subject_id=token.id,
        summary=f"Revoked token “{token.name}” ({token.prefix}…)",
    )
    session.commit()


# How often a token's "last used" time is written: a busy integration should not turn every
# request into a write of that column alone.
LAST_USED_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Counted:
    """A request counted against its token's limit: allowed, or how long to wait."""

    allowed: bool
    retry_after: int


def authenticate(session: DbSession, secret: str) -> ApiToken | None:
    """The live token with this secret, its account active and not a kiosk; None otherwise."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = session.scalar(
        select(ApiToken)
        .options(joinedload(ApiToken.user))
        .where(ApiToken.token_hash == hash_token(secret), ApiToken.revoked_at.is_(None))
    )
    if token is None or not token.user.active or token.user.role is Role.KIOSK:
        return None
    return token


def count_request(
    session: DbSession, token: ApiToken, limit_per_minute: int, now: datetime | None = None
) -> Counted:
    """Count one request in the token's current minute (one UPDATE, committed).

    The count lives on the token's row, so every worker and host adds to the same number;
    the UPDATE is atomic, so concurrent requests never lose a count.
    """
    now = now or utcnow()
    minute = int(now.timestamp() // 60)
    values: dict[str, object] = {
        "rate_count": case((ApiToken.rate_minute == minute, ApiToken.rate_count + 1), else_=1),
        "rate_minute": minute,
    }
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        values["last_used_at"] = now
    count = session.scalar(
        update(ApiToken)
        .where(ApiToken.id == token.id)
        .values(values)
        .returning(ApiToken.rate_count)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if count is not None and count > limit_per_minute:
        return Counted(False, 60 - int(now.timestamp()) % 60)
    return Counted(True, 0)
