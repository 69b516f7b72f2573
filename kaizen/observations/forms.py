"""The tablet entry form and the small forms that link a report to cards and five whys."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length
from wtforms.widgets import NumberInput

from kaizen.input import KaizenForm
from kaizen.services.observations import LONG_DESCRIPTION, MAX_DESCRIPTION, ObservationInput


class ObservationForm(KaizenForm):
    """What a worker fills in at the line: a waste, an area, a sentence and optional extras.

    The form only carries what was typed (and CSRF): `submit_observation` checks every
    field, in the same words for the page and the API. The template draws the tiles and
    chips itself, so the choice fields carry no choices.
    """

    waste = RadioField(_l("What kind of waste?"), validate_choice=False)
    area = RadioField(_l("Where?"), validate_choice=False)
    # `required` lets the browser point at an empty box before anything is sent.
    description = TextAreaField(
        _l("What did you see?"),
        validators=[Length(max=MAX_DESCRIPTION, message=LONG_DESCRIPTION)],
        render_kw={"required": True},
    )
    # Text, not IntegerField: what the person typed stays in the box when it is refused.
    minutes_lost = StringField(_l("Minutes lost"), widget=NumberInput())
    frequency = RadioField(_l("How often?"), validate_choice=False)
    photo = FileField(_l("Photo"))
    anonymous = BooleanField(_l("Report without my name"))
    # Names the photo input so htmx can keep a chosen photo across a re-shown form.
    form_key = HiddenField()

    def submitted(self, photo: bytes | None) -> ObservationInput:
        """The report as typed, for the service to check."""
        return ObservationInput(
            area=self.area.data,
            waste=self.waste.data,
            description=self.description.data,
            minutes_lost=self.minutes_lost.data,
            frequency=self.frequency.data,
            photo=photo,
            anonymous=bool(self.anonymous.data),
        )

    def show_errors(self, errors: dict[str, str]) -> None:
        """Put the service's message beside each field it names."""
        for name, message in errors.items():
            self[name].errors = [message]


class LinkCardForm(KaizenForm):
    """Link a report to an existing improvement card."""

    improvement_id = IntegerField(
        _l("Improvement card"), validators=[InputRequired(message=_l("Choose a card."))]
    )


class LinkRootCauseForm(KaizenForm):
    """Link a report to a five-whys record."""

    root_cause_id = IntegerField(
        _l("Five-whys record"),
        validators=[InputRequired(message=_l("Choose a five-whys record."))],
    )
