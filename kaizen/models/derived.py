"""Values derived from other rows, kept in step with them in the same flush.

- `Improvement.started_at` / `finished_at`: the first arrival in the team's cycle start
  column (or any later one) and the first arrival in Done, as `services/flow.card_flow`
  reads them from the move log (docs/metrics.md). They are recomputed from the log, never
  set by hand, whenever a move is logged, a card changes team or a team its start column.
- `Team.board_version`: bumped whenever something a team's board shows changes (a card, its
  moves, blocks, reflection, links, five whys, its area's or owner's name, the team's
  limits and settings, an observation in its areas), so a poll reads one row by key.
- `Improvement.board_version`: the team's board_version after the card's last change as the
  board shows it (not a mere renumbering of positions), so a poll sends only changed cards.
- `Team.board_reset_version`: the board_version of the last change that redraws the whole
  lane (the team itself, an area or owner renamed, a card changing team, arriving in or
  leaving Done, or deleted: ages, the 85th percentile and names on many cards).

Writes through the ORM are caught by the session listeners below; the few Core statements
(`services/moves.py`) call `restamp_cards` / `touch_boards` themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Table, case, event, func, inspect, or_, select, update
from sqlalchemy.orm import Session, attributes, scoped_session

from kaizen.models.account import User
from kaizen.models.improvement import BlockPeriod, CardMove, Improvement
from kaizen.models.observation import Observation
from kaizen.models.place import Area, ColumnLimit, Team
from kaizen.models.reflection import Reflection
from kaizen.models.root_cause import RootCause, WhyStep, root_cause_improvement
from kaizen.models.vocab import BoardColumn

_cards = cast(Table, Improvement.__table__)
_moves = cast(Table, CardMove.__table__)
_teams = cast(Table, Team.__table__)

_PENDING = "kaizen_derived_pending"


def _ordinal(column: Any) -> Any:
    """A column code as its place on the board (Ideas 0 … Done 4), in SQL."""
    return case(*((column == c.value, c.ordinal) for c in BoardColumn), else_=-1)


def restamp_cards(
    session: Session | scoped_session[Any], card_ids: Iterable[int] | None = None
) -> None:
    """Recompute started_at and finished_at of these cards (None: all) from their move log."""
    ids = None if card_ids is None else sorted(set(card_ids))
    if ids == []:
        return
    started = (
        select(func.min(_moves.c.moved_at))
        .select_from(_moves.join(_teams, _teams.c.id == _cards.c.team_id))
        .where(
            _moves.c.improvement_id == _cards.c.id,
            _ordinal(_moves.c.to_column) >= _ordinal(_teams.c.cycle_start_column),
        )
        .scalar_subquery()
    )
    finished = (
        select(func.min(_moves.c.moved_at))
        .where(
            _moves.c.improvement_id == _cards.c.id,
            _moves.c.to_column == BoardColumn.DONE.value,
        )
        .scalar_subquery()
    )
    # updated_at keeps its value: a derived stamp is not an edit of the card.
    statement = update(_cards).values(
        started_at=started, finished_at=finished, updated_at=_cards.c.updated_at
    )
    if ids is not None:
        statement = statement.where(_cards.c.id.in_(ids))
    session.execute(statement, execution_options={"synchronize_session": False})
    # Cards this session holds read the new values when next used.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Improvement) and (ids is None or obj.id in ids):
            session.expire(obj, ["started_at", "finished_at"])


def touch_boards(
    session: Session | scoped_session[Any],
    team_ids: Iterable[int] = (),
    area_ids: Iterable[int] = (),
    owner_ids: Iterable[int] = (),
    *,
    card_ids: Iterable[int] = (),
    reset: bool = False,
) -> None:
    """Bump the change counter of these teams, of the teams of these areas, and of the teams
    whose cards sit in these areas or belong to these owners; then mark these cards changed.

    `reset`: the change redraws the whole lane of every team it bumps.
    """
    teams, areas, owners = set(team_ids), set(area_ids), set(owner_ids)
    teams.discard(None)  # type: ignore[arg-type]
    areas.discard(None)  # type: ignore[arg-type]
    owners.discard(None)  # type: ignore[arg-type]
    if not (teams or areas or owners):
        mark_cards(session, card_ids)
        return
    conditions: list[Any] = []
    if teams:
        conditions.append(_teams.c.id.in_(sorted(teams)))
    if areas:
        conditions.append(_teams.c.id.in_(select(Area.team_id).where(Area.id.in_(areas))))
        conditions.append(
            _teams.c.id.in_(select(_cards.c.team_id).where(_cards.c.area_id.in_(areas)))
        )
    if owners:
        conditions.append(
            _teams.c.id.in_(select(_cards.c.team_id).where(_cards.c.owner_id.in_(owners)))
        )
    bumped = _teams.c.board_version + 1
    values = {"board_version": bumped, **({"board_reset_version": bumped} if reset else {})}
    session.execute(
        update(_teams)
        .where(or_(*conditions))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    mark_cards(session, card_ids)


def mark_cards(session: Session | scoped_session[Any], card_ids: Iterable[int]) -> None:
    """Stamp these cards with their team's current board_version: changed as of now."""
    ids = sorted({card_id for card_id in card_ids if card_id is not None})
    if not ids:
        return
    current = select(_teams.c.board_version).where(_teams.c.id == _cards.c.team_id)
    session.execute(
        update(_cards)
        .where(_cards.c.id.in_(ids))
        # updated_at keeps its value: being shown anew is not an edit of the card.
        .values(board_version=current.scalar_subquery(), updated_at=_cards.c.updated_at)
        .execution_options(synchronize_session=False)
    )
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Improvement) and obj.id in ids:
            session.expire(obj, ["board_version"])


def _changed(obj: Any, *names: str) -> bool:
    """Whether any of these attributes of a flushed-to-be object changed."""
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _old_and_new(obj: Any, name: str) -> set[Any]:
    """Every value an attribute had or has in this flush (old and new sides of a change)."""
    history = attributes.get_history(obj, name)
    return {*history.added, *history.unchanged, *history.deleted}


class _Pending:
    """What one flush changed that derived values depend on (objects, resolved after it)."""

    def __init__(self) -> None:
        self.restamp: list[Any] = []
        self.restamp_teams: list[Team] = []
        self.teams: list[Any] = []
        self.cards: list[Improvement] = []
        self.observations: list[Observation] = []
        self.root_causes: list[RootCause] = []
        self.areas: list[Area] = []
        self.owners: list[User] = []
        self.card_ids: set[int] = set()
        # Whole-lane changes: these teams, and the teams of these cards.
        self.reset_teams: list[Any] = []
        self.reset_card_ids: set[int] = set()


def _collect(session: Session, _context: Any, _instances: Any) -> None:
    """Before a flush: note what changed, while the change history is still there."""
    pending: _Pending = session.info.setdefault(_PENDING, _Pending())
    changed = [*session.new, *session.dirty, *session.deleted]
    for obj in changed:
        if obj in session.dirty and not session.is_modified(obj):
            continue
        if isinstance(obj, CardMove):
            pending.restamp.append(obj)
            pending.cards.append(obj.improvement)
            if obj.improvement_id is not None:
                pending.card_ids.add(obj.improvement_id)
                # Into or out of Done: the lane's 85th percentile and finished count change.
                if BoardColumn.DONE in (obj.to_column, obj.from_column):
                    pending.reset_card_ids.add(obj.improvement_id)
        elif isinstance(obj, Improvement):
            pending.cards.append(obj)
            if obj in session.deleted:
                pending.reset_teams.append(obj.team_id)
            if obj in session.dirty and _changed(obj, "team_id", "team"):
                pending.restamp.append(obj)
                pending.reset_teams.extend(_old_and_new(obj, "team"))
                pending.reset_teams.extend(_old_and_new(obj, "team_id"))
        elif isinstance(obj, BlockPeriod | Reflection):
            pending.cards.append(obj.improvement)
            if obj.improvement_id is not None:
                pending.card_ids.add(obj.improvement_id)
        elif isinstance(obj, Observation):
            pending.observations.append(obj)
            pending.cards.extend(_old_and_new(obj, "improvements"))
        elif isinstance(obj, RootCause):
            pending.root_causes.append(obj)
            pending.cards.extend(_old_and_new(obj, "improvements"))
        elif isinstance(obj, WhyStep):
            if obj.root_cause is not None:
                pending.root_causes.append(obj.root_cause)
        elif isinstance(obj, ColumnLimit):
            pending.teams.append(obj.team_id if obj.team_id is not None else obj.team)
        elif isinstance(obj, Team):
            pending.reset_teams.append(obj)
            if obj in session.dirty and _changed(obj, "cycle_start_column"):
                pending.restamp_teams.append(obj)
        elif isinstance(obj, Area):
            pending.areas.append(obj)
            pending.reset_teams.extend(_old_and_new(obj, "team_id"))
        elif isinstance(obj, User) and obj in session.dirty and _changed(obj, "display_name"):
            pending.owners.append(obj)


def _apply(session: Session, _context: Any) -> None:
    """After a flush: recompute the stamps and bump the counters it calls for."""
    pending: _Pending | None = session.info.pop(_PENDING, None)
    if pending is None:
        return
    restamp = {
        obj.improvement_id if isinstance(obj, CardMove) else obj.id for obj in pending.restamp
    }
    for team in pending.restamp_teams:
        restamp.update(session.scalars(select(_cards.c.id).where(_cards.c.team_id == team.id)))
    if restamp:
        restamp_cards(session, restamp)
    card_ids = {card.id for card in pending.cards if card is not None} | pending.card_ids
    team_ids = {t.id if isinstance(t, Team) else t for t in pending.teams if t is not None}
    team_ids |= {card.team_id for card in pending.cards if card is not None}
    if card_ids:
        team_ids.update(session.scalars(select(_cards.c.team_id).where(_cards.c.id.in_(card_ids))))
    # A report counts on the board of its area's team: one row read by key, where touching
    # by area would also scan the cards that sit in the area.
    report_areas = {o.area_id for o in pending.observations} - {None}
    if report_areas:
        team_ids.update(session.scalars(select(Area.team_id).where(Area.id.in_(report_areas))))
    for record in pending.root_causes:
        linked = select(root_cause_improvement.c.improvement_id).where(
            root_cause_improvement.c.root_cause_id == record.id
        )
        linked_ids = set(session.scalars(linked))
        card_ids |= linked_ids
        team_ids.update(
            session.scalars(select(_cards.c.team_id).where(_cards.c.id.in_(linked_ids)))
        )
    reset_ids = {t.id if isinstance(t, Team) else t for t in pending.reset_teams if t is not None}
    if pending.reset_card_ids:
        reset_ids.update(
            session.scalars(select(_cards.c.team_id).where(_cards.c.id.in_(pending.reset_card_ids)))
        )
    touch_boards(session, team_ids - reset_ids)
    touch_boards(
        session,
        reset_ids,
        {a.id for a in pending.areas},
        {user.id for user in pending.owners},
        reset=True,
    )
    mark_cards(session, card_ids)


def _forget(session: Session, _previous: Any) -> None:
    """A rolled-back transaction leaves nothing pending."""
    session.info.pop(_PENDING, None)


# On the Session class: every session (Flask-SQLAlchemy's, the tests', the CLI's) gets them.
event.listen(Session, "before_flush", _collect)
event.listen(Session, "after_flush_postexec", _apply)
event.listen(Session, "after_soft_rollback", _forget)
