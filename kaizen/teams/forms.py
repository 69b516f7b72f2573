"""Team forms: WIP limits and cycle start per team; names of teams and areas."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from wtforms import Field, RadioField, SelectField, StringField
from wtforms.validators import InputRequired, NumberRange, Optional

from kaizen.improvements.forms import WholeNumberField, optional_int
from kaizen.input import KaizenForm
from kaizen.models import BoardColumn, WipMode
from kaizen.services.teams import (
    AREA_KIND_LABELS,
    AREA_KINDS,
    AT_LEAST_ONE,
    CYCLE_START_COLUMNS,
    LIMITABLE_COLUMNS,
    NAME_NEEDED,
)

MODE_CHOICES = [
    (WipMode.SOFT.value, _l("Soft — warn and ask for a reason")),
    (WipMode.HARD.value, _l("Hard — refuse more cards")),
]


def _column_label(column: BoardColumn) -> LazyString:
    """The column's name, read in the reader's language each time a label shows it."""
    return LazyString(lambda: column.label)


def _limit(column: BoardColumn) -> WholeNumberField:
    return WholeNumberField(
        _l("%(column)s WIP limit", column=_column_label(column)),
        validators=[Optional(), NumberRange(min=1, message=AT_LEAST_ONE)],
    )


def _mode(column: BoardColumn) -> RadioField:
    return RadioField(
        _l("When %(column)s is full", column=_column_label(column)),
        choices=MODE_CHOICES,
        default=WipMode.SOFT.value,
    )


def _cycle_start_choices() -> list[tuple[str, str]]:
    """The columns cycle time may start at, named when the form is built (in a request)."""
    return [
        (c.value, _("%(column)s (when it leaves Ideas)", column=c.label))
        if c is BoardColumn.PLAN
        else (c.value, c.label)
        for c in CYCLE_START_COLUMNS
    ]


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
        _l("Cycle time starts when a card first reaches"), choices=_cycle_start_choices
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

    name = StringField(_l("Team name"), validators=[InputRequired(message=NAME_NEEDED)])


class AreaForm(KaizenForm):
    """An area's name, kind and team."""

    name = StringField(_l("Area name"), validators=[InputRequired(message=NAME_NEEDED)])
    kind = SelectField(_l("Kind"), choices=[(kind, AREA_KIND_LABELS[kind]) for kind in AREA_KINDS])
    team_id = SelectField(_l("Team"), coerce=optional_int)
