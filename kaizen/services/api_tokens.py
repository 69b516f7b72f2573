"""API tokens for the JSON API: made by admins, shown once, stored hashed, revocable."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from kaizen.models import ApiToken, TokenScope, User, utcnow
from kaizen.models.account import hash_token
from kaizen.services import DbSession
from kaizen.services.accounts import AccountError
from kaizen.services.audit import record

TOKEN_PREFIX = "kz_"
NAME_MAX = 120


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
        raise AccountError("Give the token a name that says what uses it.", "name")
    if len(name) > NAME_MAX:
        raise AccountError(f"Names can be at most {NAME_MAX} characters.", "name")
    if not owner.active:
        raise AccountError("That account is deactivated.", "owner")
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
