"""The move form: what a drag, a "Move to" button or the reason/outcome dialog sends."""

import re

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, IntegerField, RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from kaizen.input import KaizenForm
from kaizen.models import BoardColumn, Outcome
from kaizen.services.moves import REASON_MAX_LENGTH

# How a finish reads on a button or in a message: one whole phrase per outcome, so no
# language has to glue a lower-cased outcome onto a column name.
DONE_LABELS = {
    Outcome.ADOPTED: _l("Done — adopted"),
    Outcome.NOT_ADOPTED: _l("Done — not adopted"),
}


def _column_choices() -> list[tuple[str, str]]:
    """Every column, and Done with each outcome (`done:adopted`), in the reader's words."""
    columns = [(c.value, c.label) for c in BoardColumn]
    done = BoardColumn.DONE.value
    return columns + [(f"{done}:{o.value}", str(DONE_LABELS[o])) for o in Outcome]


def _outcome_choices() -> list[tuple[str, str]]:
    """The two outcomes, in the reader's words (read when the form is made)."""
    return [(o.value, o.label) for o in Outcome]


class MoveForm(KaizenForm):
    """Move one card to a column (and position), with the version the person saw.

    A button that finishes a card may name its outcome in one value: `done:adopted`.
    """

    to_column = SelectField(_l("Move to"), choices=_column_choices, validators=[InputRequired()])
    position = IntegerField(_l("Position"), validators=[Optional(), NumberRange(min=0)])
    version = IntegerField(_l("Version"), validators=[InputRequired(), NumberRange(min=1)])
    reason = TextAreaField(
        _l("Why does it need to go in now?"),
        validators=[Optional(), Length(max=REASON_MAX_LENGTH)],
    )
    outcome = RadioField(_l("How did it end?"), choices=_outcome_choices, validators=[Optional()])
    # Which board the person is looking at, so the answer redraws that same board.
    board = HiddenField()
    done = HiddenField()
    # Made by the page for this one move: a retry of it is answered, not moved twice.
    key = HiddenField()

    def target(self) -> tuple[BoardColumn, Outcome | None]:
        """The column to move to and, for Done, how the card ended (when already chosen)."""
        column, _, outcome = (self.to_column.data or "").partition(":")
        chosen = outcome or self.outcome.data
        return BoardColumn(column), Outcome(chosen) if chosen else None


# What a card's "Move to" button sends: "<card id>:<column>[:<outcome>]:<version>".
_BUTTON = re.compile(r"(\d{1,12}):([a-z_]{1,20}(?::[a-z_]{1,20})?):(\d{1,12})")


def button_move(formdata: MultiDict[str, str]) -> tuple[int, MoveForm]:
    """The card a board's move button names, and the move form it stands for.

    A value that is not a button's gives card 0 and a form that does not validate.
    """
    match = _BUTTON.fullmatch(formdata.get("move", ""))
    data = MultiDict(formdata)
    data.pop("move", None)
    if match is None:
        return 0, MoveForm(formdata=data)
    data["to_column"], data["version"] = match[2], match[3]
    return int(match[1]), MoveForm(formdata=data)
