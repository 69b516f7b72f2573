"""Forms of the webhook pages."""

from __future__ import annotations

from wtforms import SelectMultipleField, StringField, URLField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from kaizen.input import KaizenForm
from kaizen.models.webhook import URL_MAX
from kaizen.services.webhook_events import EVENTS
from kaizen.services.webhooks import NAME_MAX


class WebhookForm(KaizenForm):
    """A new webhook: what receives it, where, and which events it wants."""

    name = StringField(
        "Name",
        validators=[
            DataRequired(message="Give the webhook a name that says what receives it."),
            Length(max=NAME_MAX, message=f"Names can be at most {NAME_MAX} characters."),
        ],
    )
    url = URLField(
        "Address",
        validators=[
            DataRequired(message="Give the address that receives the events."),
            Length(max=URL_MAX, message=f"Addresses can be at most {URL_MAX:,} characters."),
        ],
    )
    events = SelectMultipleField(
        "Events",
        choices=list(EVENTS.items()),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[DataRequired(message="Choose at least one event.")],
    )
