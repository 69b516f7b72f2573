"""Forms of the webhook pages."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from wtforms import SelectMultipleField, StringField, URLField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from kaizen.formatting import number
from kaizen.input import KaizenForm
from kaizen.models.webhook import URL_MAX
from kaizen.services.webhooks import EVENT_LABELS, NAME_MAX


class WebhookForm(KaizenForm):
    """A new webhook: what receives it, where, and which events it wants."""

    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(message=_l("Give the webhook a name that says what receives it.")),
            # WTForms fills in %(max)d.
            Length(max=NAME_MAX, message=_l("Names can be at most %(max)d characters.")),
        ],
    )
    url = URLField(
        _l("Address"),
        validators=[
            DataRequired(message=_l("Give the address that receives the events.")),
            Length(
                max=URL_MAX,
                # Worded when shown, with the number written as the reader writes it.
                message=LazyString(
                    lambda: _(
                        "Addresses can be at most %(most)s characters.", most=number(URL_MAX, 0)
                    )
                ),
            ),
        ],
    )
    events = SelectMultipleField(
        _l("Events"),
        choices=list(EVENT_LABELS.items()),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[DataRequired(message=_l("Choose at least one event."))],
    )
