"""Team forms: WIP limits and cycle start per team; names of teams and areas."""

from __future__ import annotations

from wtforms import Field, RadioField, SelectField, StringField
from wtforms.validators import InputRequired, NumberRange, Optional

from kaizen.improvements.forms import WholeNumberField, optional_int
from kaizen.input import KaizenForm
from kaizen.models import BoardColumn, WipMode
from kaizen.services.teams import AREA_KINDS, CYCLE_START_COLUMNS, LIMITABLE_COLUMNS

AT_LEAST_ONE = NumberRange(min=1, message="Use 1 or more, or leave it blank for no limit.")
MODE_CHOICES = [
    (WipMode.SOFT.value, "Soft — warn and ask for a reason"),
    (WipMode.HARD.value, "Hard — refuse more cards"),
]


def _limit(column: BoardColumn) -> WholeNumberField:
    return WholeNumberField(f"{column.label} WIP limit", validators=[Optional(), AT_LEAST_ONE])


def _mode(column: BoardColumn) -> RadioField:
    return RadioField(
        f"When {column.label} is full", choices=MODE_CHOICES, default=WipMode.SOFT.value
    )


class TeamSettingsForm(KaizenForm):
    """WIP limits for Ideas, Plan, Do and Check (Done never has one) and the cycle start."""

    ideas_limit = _limit(BoardColumn.IDEAS)
    ideas_mode = _mode(BoardColumn.IDEAS)
    plan_limit = _limit(BoardColumn.PLAN)
    plan_mode = _mode(BoardColumn.PLAN)
    do_limit = _limit(BoardColumn.DO)
    do_mode = _mode(BoardColumn.DO)
    check_limit = _limit(BoardColumn.CHECK)
    check_mode = _mode(BoardColumn.CHECK)
    cycle_start_column = SelectField(
        "Cycle time starts when a card first reaches",
        choices=[
            (c.value, c.label + (" (when it leaves Ideas)" if c is BoardColumn.PLAN else ""))
            for c in CYCLE_START_COLUMNS
        ],
    )

    def rows(self) -> list[tuple[BoardColumn, Field, Field]]:
        """(column, limit field, mode field) for every limitable column, in board order."""
        return [
            (column, self[f"{column.value}_limit"], self[f"{column.value}_mode"])
            for column in LIMITABLE_COLUMNS
        ]

    def limits(self) -> dict[BoardColumn, tuple[int | None, WipMode]]:
        """The chosen limit (None = no limit) and mode of every limitable column."""
        return {
            column: (limit.data, WipMode(mode.data or WipMode.SOFT.value))
            for column, limit, mode in self.rows()
        }


class TeamForm(KaizenForm):
    """A team's name (its slug is made once, from the first name)."""

    name = StringField("Team name", validators=[InputRequired(message="A name is needed.")])


class AreaForm(KaizenForm):
    """An area's name, kind and team."""

    name = StringField("Area name", validators=[InputRequired(message="A name is needed.")])
    kind = SelectField("Kind", choices=[(kind, kind.capitalize()) for kind in AREA_KINDS])
    team_id = SelectField("Team", coerce=optional_int)
