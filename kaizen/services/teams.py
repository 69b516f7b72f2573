"""Teams and their board settings: WIP limits per column and where cycle time starts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kaizen.models import BoardColumn, ColumnLimit, Team, WipMode
from kaizen.services import DbSession

# Done is finished work: it never has a WIP limit.
LIMITABLE_COLUMNS = (BoardColumn.IDEAS, BoardColumn.PLAN, BoardColumn.DO, BoardColumn.CHECK)
# Cycle time starts when a card first reaches one of these (Plan = first leaves Ideas).
CYCLE_START_COLUMNS = (BoardColumn.PLAN, BoardColumn.DO, BoardColumn.CHECK)


class TeamSettingsError(ValueError):
    """Settings that break a rule; `errors` maps each field name to a plain-words message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class LimitSetting:
    """One column's WIP limit (None = no limit) and whether it warns or refuses."""

    column: BoardColumn
    wip_limit: int | None
    mode: WipMode

    @property
    def description(self) -> str:
        """How the setting reads: 'No limit', 'At most 4, soft (warns)'."""
        if self.wip_limit is None:
            return "No limit"
        how = "refuses more" if self.mode is WipMode.HARD else "warns, asks for a reason"
        return f"At most {self.wip_limit} — {self.mode.value} ({how})"


def list_teams(session: DbSession) -> list[Team]:
    """Every team by name, with its areas and column limits loaded."""
    return list(
        session.scalars(
            select(Team)
            .options(selectinload(Team.areas), selectinload(Team.column_limits))
            .order_by(Team.name)
        )
    )


def team_by_slug(session: DbSession, slug: str) -> Team | None:
    """The team with this slug, its column limits loaded, or None."""
    return session.scalar(
        select(Team).where(Team.slug == slug).options(selectinload(Team.column_limits))
    )


def limit_settings(team: Team) -> list[LimitSetting]:
    """The WIP setting of every limitable column of a team, in board order."""
    limits = {limit.board_column: limit for limit in team.column_limits}
    settings = []
    for column in LIMITABLE_COLUMNS:
        limit = limits.get(column)
        settings.append(
            LimitSetting(
                column=column,
                wip_limit=limit.wip_limit if limit else None,
                mode=limit.mode if limit else WipMode.SOFT,
            )
        )
    return settings


def save_team_settings(
    session: DbSession,
    team: Team,
    *,
    limits: dict[BoardColumn, tuple[int | None, WipMode]],
    cycle_start_column: BoardColumn,
) -> None:
    """Save a team's WIP limits (None removes a limit) and its cycle start column."""
    errors: dict[str, str] = {}
    for column, (wip_limit, _mode) in limits.items():
        if column not in LIMITABLE_COLUMNS:
            errors[f"{column.value}_limit"] = "Done is finished work and never has a limit."
        elif wip_limit is not None and wip_limit < 1:
            errors[f"{column.value}_limit"] = "Use 1 or more, or leave it blank for no limit."
    if cycle_start_column not in CYCLE_START_COLUMNS:
        errors["cycle_start_column"] = "Cycle time can start at Plan, Do or Check."
    if errors:
        raise TeamSettingsError(errors)
    existing = {limit.board_column: limit for limit in team.column_limits}
    for column, (wip_limit, mode) in limits.items():
        limit = existing.get(column)
        if wip_limit is None:
            if limit is not None:
                team.column_limits.remove(limit)  # delete-orphan removes the row
        elif limit is None:
            team.column_limits.append(
                ColumnLimit(board_column=column, wip_limit=wip_limit, mode=mode)
            )
        else:
            limit.wip_limit = wip_limit
            limit.mode = mode
    team.cycle_start_column = cycle_start_column
    session.commit()
