"""Riding out database faults: a restart, a dropped connection, a session that cannot close.

- Pool pre-ping (PostgreSQL): a connection the database dropped while it sat in the pool is
  noticed when it is taken out and replaced, instead of failing the next request.
- A request that meets a lost connection is run again, a few times within about two
  seconds, when it has not yet asked the database to commit: what it wrote before
  then was never committed and died with its connection, so running it again cannot store
  anything twice. A request that did ask to commit is never run again: its write may be
  stored, and only its idempotency key (services/idempotency.py) can make a retry safe.
- Closing the session at the end of a request never turns an answer into an error: a
  connection that died after the commit is simply thrown away.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, g
from flask.typing import ResponseReturnValue
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from kaizen.extensions import db

log = logging.getLogger(__name__)

# Pauses before each new attempt: about two seconds in all, enough for a database restart.
RETRY_PAUSES = (0.05, 0.2, 0.5, 1.2)

_COMMIT_ASKED = "kaizen_commit_asked"


def engine_options(database_url: str, configured: dict[str, Any] | None) -> dict[str, Any]:
    """The engine options: pre-ping on a database reached over a connection (not SQLite)."""
    options = dict(configured or {})
    if not database_url.startswith("sqlite"):
        options.setdefault("pool_pre_ping", True)
    return options


def lost_connection(error: BaseException) -> bool:
    """Whether this error means the database connection was lost or could not be made."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    # On a server database an OperationalError is a connection that failed or was cut (a
    # restart, "the database system is starting up"); on SQLite it is a locked or read-only
    # file, which trying again will not cure.
    return isinstance(error, OperationalError) and db.engine.dialect.name != "sqlite"


def database_unavailable(error: BaseException) -> bool:
    """Whether the request failed because the database could not be reached or refused it."""
    return lost_connection(error) or isinstance(error, OperationalError)


def _note_commit(session: Session) -> None:
    """Before any commit: from now on this request's writes may be stored."""
    session.info[_COMMIT_ASKED] = True


event.listen(Session, "before_commit", _note_commit)


def commit_asked() -> bool:
    """Whether the current request's session has asked the database to commit."""
    return bool(db.session().info.get(_COMMIT_ASKED))


def roll_back_quietly() -> None:
    """Roll the session back; if even that fails (a dead connection), throw the session away."""
    try:
        db.session.rollback()
    except Exception:
        close_quietly()


def start_afresh() -> None:
    """Roll back and forget the account loaded through the old session, so the next attempt
    starts on a fresh connection."""
    roll_back_quietly()
    g.pop("_login_user", None)


def close_quietly(_error: BaseException | None = None) -> None:
    """End the request's session; a connection that cannot even roll back is dropped."""
    try:
        db.session.remove()
    except Exception:
        # The answer is already made (and any commit done): closing must not undo it.
        log.warning("Could not close the database session cleanly", exc_info=True)
        db.session.registry.clear()


class KaizenFlask(Flask):
    """Flask, running a request again when it met a lost connection before committing."""

    def dispatch_request(self) -> ResponseReturnValue:
        """Run the view; on a lost connection with nothing committed, run it again."""
        db.session().info.pop(_COMMIT_ASKED, None)
        attempt = 0
        while True:
            try:
                return super().dispatch_request()
            except DBAPIError as error:
                if attempt == len(RETRY_PAUSES) or not lost_connection(error) or commit_asked():
                    raise
                log.warning("Database connection lost (%s); trying again", type(error).__name__)
            start_afresh()
            time.sleep(RETRY_PAUSES[attempt])
            attempt += 1


def install(app: Flask) -> None:
    """Close the session quietly at the end of every request (before Flask-SQLAlchemy's own
    clean-up, which then finds nothing left to do)."""
    app.teardown_appcontext(close_quietly)
