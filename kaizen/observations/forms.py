"""The tablet entry form and the small forms that link a report to cards and five whys."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, TextAreaField
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from kaizen.models import Frequency, Waste
from kaizen.services.observations import MAX_DESCRIPTION, MAX_MINUTES_LOST


class WholeMinutesField(IntegerField):
    """A number of minutes, with a plain-words message when it is not a whole number."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Read a whole number; `Optional()` forgives empty input, anything else is explained."""
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError("Minutes lost is a whole number, like 15.") from error


class ObservationForm(FlaskForm):
    """What a worker fills in at the line: a waste, an area, a sentence and optional extras.

    The template draws the tiles and chips itself, so the choice fields carry no choices;
    the validators say which codes are allowed.
    """

    waste = RadioField(
        "What kind of waste?",
        validate_choice=False,
        validators=[
            InputRequired(message="Tap the kind of waste you saw."),
            AnyOf([w.value for w in Waste], message="Tap one of the eight kinds of waste."),
        ],
    )
    area = RadioField(
        "Where?",
        validate_choice=False,
        validators=[InputRequired(message="Choose the area where you saw it.")],
    )
    description = TextAreaField(
        "What did you see?",
        validators=[
            # DataRequired also refuses a description of only spaces.
            DataRequired(message="Tell us in a sentence or two what you saw."),
            Length(
                max=MAX_DESCRIPTION, message=f"Please keep it under {MAX_DESCRIPTION} characters."
            ),
        ],
    )
    minutes_lost = WholeMinutesField(
        "Minutes lost",
        validators=[Optional()],
    )
    frequency = RadioField(
        "How often?",
        validate_choice=False,
        validators=[
            Optional(),
            AnyOf([f.value for f in Frequency], message="Choose one of the options."),
        ],
    )
    photo = FileField("Photo")
    anonymous = BooleanField("Report without my name")
    # Names the photo input so htmx can keep a chosen photo across a re-shown form.
    form_key = HiddenField()

    def validate_minutes_lost(self, field: WholeMinutesField) -> None:
        """Between nothing and a week; a number that could not be read is already explained."""
        if field.data is not None and not 0 <= field.data <= MAX_MINUTES_LOST:
            raise ValidationError(f"Minutes lost is between 0 and {MAX_MINUTES_LOST} (a week).")


class LinkCardForm(FlaskForm):
    """Link a report to an existing improvement card."""

    improvement_id = IntegerField(
        "Improvement card", validators=[InputRequired(message="Choose a card.")]
    )


class LinkRootCauseForm(FlaskForm):
    """Link a report to a five-whys record."""

    root_cause_id = IntegerField(
        "Five-whys record", validators=[InputRequired(message="Choose a five-whys record.")]
    )
