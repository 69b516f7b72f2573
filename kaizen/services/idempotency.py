"""Exactly once: a write that carries a client-made key is stored once, however often it is sent.

A tablet that loses its answer (a dropped connection, a database restart, a worker killed
just after the commit) cannot know whether its report was saved, so it sends it again with
the same key. The use-case service looks the key up first and, when it is there, answers
with the first result; otherwise it writes the row and the key in one transaction, so both
are stored or neither. Two copies racing each other cannot both win: the key is the primary
key of `idempotency_key`, and the loser's transaction fails and then finds the winner's key.

One mechanism for every client: the entry form's `form_key` (plain or htmx), the board's
move key, the offline queue's key and, later, the API's `Idempotency-Key` header.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kaizen.models import IdempotencyKey
from kaizen.services import DbSession

# Letters, digits and - _ . : (a UUID, a hex token), 8 to 64 of them.
KEY_PATTERN = re.compile(r"[A-Za-z0-9_.:-]{8,64}")
BAD_KEY = "An idempotency key is 8 to 64 letters, digits or - _ . :"

OBSERVATION = "observation"
MOVE = "move"

T = TypeVar("T")


class KeyReused(ValueError):
    """The key was used before for a different request: nothing is written or replayed."""


class InvalidKey(ValueError):
    """The key is not 8 to 64 letters, digits or `- _ . :`."""


def valid_key(key: str | None) -> str | None:
    """The key when it is well formed, None when none was given; InvalidKey otherwise."""
    if not key:
        return None
    if not KEY_PATTERN.fullmatch(key):
        raise InvalidKey(BAD_KEY)
    return key


def fingerprint(*parts: Any) -> str:
    """A hash of what a request asks for (JSON values), to tell a retry from another request."""
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def stored_result(
    session: DbSession, scope: str, key: str, request_fingerprint: str
) -> dict[str, Any] | None:
    """The first result for this key, or None when the key is new; KeyReused on a mismatch."""
    row = session.execute(
        select(IdempotencyKey.fingerprint, IdempotencyKey.result).where(
            IdempotencyKey.scope == scope, IdempotencyKey.key == key
        )
    ).one_or_none()
    if row is None:
        return None
    if row.fingerprint != request_fingerprint:
        raise KeyReused()
    return dict(row.result)


def remember(
    session: DbSession,
    scope: str,
    key: str,
    request_fingerprint: str,
    result: dict[str, Any],
) -> None:
    """Store the key with its result in the current transaction (flushed, not committed)."""
    session.add(
        IdempotencyKey(scope=scope, key=key, fingerprint=request_fingerprint, result=result)
    )
    session.flush()


def once(
    session: DbSession,
    scope: str,
    key: str | None,
    request_fingerprint: str,
    write: Callable[[], dict[str, Any]],
) -> tuple[dict[str, Any], bool]:
    """Run `write` (which flushes its rows and returns its result) and commit, exactly once.

    Returns the result and whether it was replayed. Without a key, `write` simply runs and
    commits. Anything `write` raises rolls back and propagates, so nothing is kept.
    """
    if key is not None:
        first = stored_result(session, scope, key, request_fingerprint)
        if first is not None:
            return first, True
    try:
        result = write()
        if key is not None:
            remember(session, scope, key, request_fingerprint, result)
        session.commit()
    except IntegrityError:
        session.rollback()
        # Another copy of this request committed first: answer as it did.
        first = stored_result(session, scope, key, request_fingerprint) if key else None
        if first is None:
            raise
        return first, True
    except BaseException:
        session.rollback()
        raise
    return result, False
