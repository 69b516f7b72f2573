"""Moving cards on the board: the one place where a card changes column or position.

Every move, whatever started it (a drag, a "Move to" button, the JSON API), goes through
`move_card`, which in one transaction checks the card's version, checks the target column's
WIP limit, renumbers the positions of the columns involved, logs the move and bumps the
version. Moves within one team are serialised (a row lock on the team on PostgreSQL, the
database write lock on SQLite), so two moves can never both squeeze under a WIP limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, cast

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, Table, bindparam, select, update

from kaizen.models import (
    BoardColumn,
    CardMove,
    ColumnLimit,
    Improvement,
    Outcome,
    Team,
    User,
    WipMode,
    touch_boards,
    utcnow,
)
from kaizen.services import DbSession, webhook_events
from kaizen.services.idempotency import (
    MOVE,
    InvalidKey,
    KeyReused,
    fingerprint,
    remember,
    stored_result,
    valid_key,
)
from kaizen.services.scope import works_on_team

REASON_MAX_LENGTH = 500

STALE_MESSAGE = _l("Someone else moved this card a moment ago — the board now shows the latest.")

# Core statements on the table itself: they bypass version_id_col, as wanted below.
_card_table = cast(Table, Improvement.__table__)


class MoveRefused(Exception):
    """A move that did not happen; `message` is written for the person who tried it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CardNotFound(MoveRefused):
    """The card does not exist (any more)."""

    def __init__(self, card_id: int) -> None:
        super().__init__(_("That card is no longer on the board."))
        self.card_id = card_id


class StaleVersion(MoveRefused):
    """The card changed since the person saw it; nothing was written."""

    def __init__(self, card_id: int) -> None:
        super().__init__(str(STALE_MESSAGE))
        self.card_id = card_id


@dataclass(frozen=True)
class LimitInfo:
    """A column's WIP limit and how many open cards it holds without the moving card."""

    column: BoardColumn
    count: int
    limit: int
    mode: WipMode


class WipLimitExceeded(MoveRefused):
    """The target column has a hard WIP limit and is full: the move is refused."""

    def __init__(self, info: LimitInfo) -> None:
        super().__init__(
            _(
                "%(column)s is full (%(count)s / %(limit)s). "
                "Finish something first, or ask your lead to change the limit.",
                column=info.column.label,
                count=info.count,
                limit=info.limit,
            )
        )
        self.info = info


class SoftLimitNeedsReason(MoveRefused):
    """The target column is at its soft WIP limit: the move needs a reason to go ahead."""

    def __init__(self, info: LimitInfo) -> None:
        super().__init__(
            _(
                "%(column)s is at its limit (%(count)s / %(limit)s). "
                "You can still move the card: say briefly why.",
                column=info.column.label,
                count=info.count,
                limit=info.limit,
            )
        )
        self.info = info


class OutcomeRequired(MoveRefused):
    """A card moving to Done needs its outcome: adopted or not adopted."""

    def __init__(self) -> None:
        super().__init__(_("How did it end? Choose adopted or not adopted to finish the card."))


class InvalidMove(MoveRefused):
    """The request itself makes no sense (a reason far too long, a negative position)."""


class OtherTeamsCard(MoveRefused):
    """The card belongs to a team the mover does not work on (services/scope.py)."""

    def __init__(self) -> None:
        super().__init__(_("This card belongs to another team: you can read it, not move it."))


class MoveKeyReused(MoveRefused):
    """The move's key was already used for a different move: nothing was written."""

    def __init__(self) -> None:
        super().__init__(_("This move was already sent with other details. Reload the board."))


@dataclass(frozen=True)
class MoveResult:
    """What a successful move did."""

    card_id: int
    title: str
    from_column: BoardColumn
    to_column: BoardColumn
    position: int
    version: int
    # False for a reorder within a column, which bumps the version but logs no move.
    column_changed: bool
    move_id: int | None
    # The reason given for passing a soft WIP limit, when one was passed.
    reason: str | None
    outcome: Outcome | None

    @property
    def finished(self) -> bool:
        """True when this move took the card into Done."""
        return self.column_changed and self.to_column is BoardColumn.DONE

    def stored(self) -> dict[str, Any]:
        """The result as plain JSON values, kept with the move's idempotency key."""
        values = asdict(self)
        values["from_column"] = self.from_column.value
        values["to_column"] = self.to_column.value
        values["outcome"] = self.outcome.value if self.outcome is not None else None
        return values

    @classmethod
    def from_stored(cls, values: dict[str, Any]) -> MoveResult:
        """The result kept with an idempotency key, as the first answer gave it."""
        outcome = values.get("outcome")
        return cls(
            **{
                **values,
                "from_column": BoardColumn(values["from_column"]),
                "to_column": BoardColumn(values["to_column"]),
                "outcome": Outcome(outcome) if outcome else None,
            }
        )


def move_card(
    session: DbSession,
    card_id: int,
    to_column: BoardColumn,
    position: int | None,
    expected_version: int,
    by_user: User | None,
    reason: str | None = None,
    outcome: Outcome | None = None,
    now: datetime | None = None,
    key: str | None = None,
) -> MoveResult:
    """Move a card to `position` (None: the end; Done: the top) of `to_column`, and commit.

    Raises a MoveRefused subclass, after rolling back so nothing is written, when the
    version is stale, a hard WIP limit refuses, a soft one needs a reason, or Done needs
    an outcome, or the card belongs to a team `by_user` does not work on (None: a move
    made by the system itself, such as the demo loader). Call it with a session that holds
    no other pending work.

    With a `key` (made by the client for this one move), a retry of a move that was
    stored answers with the first result and writes nothing (services/idempotency.py).
    """
    now = now or utcnow()
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > REASON_MAX_LENGTH:
        raise InvalidMove(
            _("Please keep the reason under %(count)s characters.", count=REASON_MAX_LENGTH)
        )
    if position is not None and position < 0:
        raise InvalidMove(_("That position is not on the board."))
    try:
        key = valid_key(key)
    except InvalidKey as error:
        raise InvalidMove(str(error)) from error
    asked = fingerprint(card_id, to_column, position, expected_version, reason, outcome)
    try:
        # Looked up under the team's lock: a copy of this move that is still running holds
        # the lock, and once it commits, its key is what this one finds. So two copies can
        # never both miss the key (the primary key would refuse the second anyway).
        team_id = session.scalar(select(Improvement.team_id).where(Improvement.id == card_id))
        if team_id is None:
            raise CardNotFound(card_id)
        if by_user is not None and not works_on_team(by_user, team_id):
            raise OtherTeamsCard()
        _lock_team(session, team_id)
        first = _first_result(session, key, asked)
        if first is not None:
            session.rollback()
            return first
        result = _move(
            session,
            team_id,
            card_id,
            to_column,
            position,
            expected_version,
            by_user,
            reason,
            outcome,
            now,
        )
        if key is not None:
            remember(session, MOVE, key, asked, result.stored())
        if result.move_id is not None:
            webhook_events.card_moved(session, card_id, result.move_id, result.finished, now)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


def _first_result(session: DbSession, key: str | None, asked: str) -> MoveResult | None:
    """The result a move with this key already had, or None."""
    if key is None:
        return None
    try:
        stored = stored_result(session, MOVE, key, asked)
    except KeyReused as error:
        raise MoveKeyReused() from error
    return MoveResult.from_stored(stored) if stored is not None else None


def _move(
    session: DbSession,
    team_id: int,
    card_id: int,
    to_column: BoardColumn,
    position: int | None,
    expected_version: int,
    by_user: User | None,
    reason: str | None,
    outcome: Outcome | None,
    now: datetime,
) -> MoveResult:
    """The body of move_card, inside the transaction that move_card commits or rolls back,
    with the team's lock already held."""
    # Read the card again under the lock: this is the state the move is decided on.
    card = session.execute(
        select(
            Improvement.title,
            Improvement.board_column,
            Improvement.position,
            Improvement.version,
            Improvement.outcome,
        ).where(Improvement.id == card_id)
    ).one_or_none()
    if card is None:
        raise CardNotFound(card_id)
    if card.version != expected_version:
        raise StaleVersion(card_id)

    from_column: BoardColumn = card.board_column
    column_changed = from_column is not to_column
    if column_changed and to_column is BoardColumn.DONE and outcome is None:
        raise OutcomeRequired()
    if to_column is not BoardColumn.DONE:
        outcome = None
    elif not column_changed:
        outcome = card.outcome  # reordering within Done keeps the outcome

    # The target column without the moving card: what the WIP limit counts and the new order.
    others = _column_cards(session, team_id, to_column, exclude_card_id=card_id)
    logged_reason = None
    # A reorder within a column is not checked: the count does not change.
    if column_changed:
        info = _column_limit(session, team_id, to_column, len(others))
        if info is not None and info.count >= info.limit:
            if info.mode is WipMode.HARD:
                raise WipLimitExceeded(info)
            if reason is None:
                raise SoftLimitNeedsReason(info)
            logged_reason = reason

    if position is None:
        position = 0 if to_column is BoardColumn.DONE else len(others)
    position = min(position, len(others))

    # The version check and the write are one statement: only the holder of the expected
    # version can change the row, however many requests race for it.
    written = session.execute(
        update(_card_table)
        .where(_card_table.c.id == card_id, _card_table.c.version == expected_version)
        .values(
            board_column=to_column,
            position=position,
            outcome=outcome,
            version=_card_table.c.version + 1,
            updated_at=now,
        )
    )
    changed = cast(CursorResult[Any], written).rowcount
    if changed != 1:
        raise StaleVersion(card_id)

    _renumber(session, [*others[:position], None, *others[position:]])
    if column_changed:
        _renumber(session, _column_cards(session, team_id, from_column, exclude_card_id=card_id))

    # Every open board of the team sees the change at its next poll (a reorder logs no move).
    touch_boards(session, [team_id], card_ids=[card_id])
    move_id = None
    if column_changed:
        move = CardMove(
            improvement_id=card_id,
            from_column=from_column,
            to_column=to_column,
            moved_at=now,
            moved_by_id=by_user.id if by_user is not None else None,
            reason=logged_reason,
        )
        session.add(move)
        session.flush()
        move_id = move.id

    return MoveResult(
        card_id=card_id,
        title=card.title,
        from_column=from_column,
        to_column=to_column,
        position=position,
        version=expected_version + 1,
        column_changed=column_changed,
        move_id=move_id,
        reason=logged_reason,
        outcome=outcome,
    )


def _lock_team(session: DbSession, team_id: int) -> None:
    """Serialise moves within a team until the transaction ends.

    PostgreSQL: a row lock on the team. SQLite: take the database write lock up front
    (BEGIN IMMEDIATE), so the WIP count read next cannot be outdated by another writer.
    Locking the team before any card keeps the lock order the same for every move.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        dbapi_connection: Any = connection.connection.dbapi_connection
        if not dbapi_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        session.execute(select(Team.id).where(Team.id == team_id).with_for_update())


def _column_limit(
    session: DbSession, team_id: int, column: BoardColumn, count: int
) -> LimitInfo | None:
    """The team's WIP limit for `column` against its `count` cards, or None (Done: never)."""
    if column is BoardColumn.DONE:
        return None
    limit = session.execute(
        select(ColumnLimit.wip_limit, ColumnLimit.mode).where(
            ColumnLimit.team_id == team_id, ColumnLimit.board_column == column
        )
    ).one_or_none()
    if limit is None:
        return None
    return LimitInfo(column=column, count=count, limit=limit.wip_limit, mode=limit.mode)


def _column_cards(
    session: DbSession, team_id: int, column: BoardColumn, exclude_card_id: int
) -> list[tuple[int, int]]:
    """(id, position) of a team's cards in a column, in board order, without one card."""
    rows = session.execute(
        select(Improvement.id, Improvement.position)
        .where(
            Improvement.team_id == team_id,
            Improvement.board_column == column,
            Improvement.id != exclude_card_id,
        )
        .order_by(Improvement.position, Improvement.id)
    )
    return [(row.id, row.position) for row in rows]


def _renumber(session: DbSession, ordered: Sequence[tuple[int, int] | None]) -> None:
    """Give the cards positions 0..n-1 in this order, writing only those that change.

    None stands for the moving card, already written. A plain Core UPDATE on purpose:
    shifting a neighbour is not a change to that card, so its version and updated_at stay.
    """
    rows = [
        {"card_id": card[0], "new_position": index}
        for index, card in enumerate(ordered)
        if card is not None and card[1] != index
    ]
    if not rows:
        return
    session.execute(
        update(_card_table)
        .where(_card_table.c.id == bindparam("card_id"))
        .values(position=bindparam("new_position"), updated_at=_card_table.c.updated_at),
        rows,
    )
