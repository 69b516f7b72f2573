"""Forms for binding a kiosk and making a TV display link."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length

from kaizen.input import KaizenForm
from kaizen.services.devices import NAME_MAX_LENGTH


class KioskForm(KaizenForm):
    """Which area this tablet stands in, and a name to tell tablets apart."""

    area_id = SelectField(
        _l("Area this tablet stands in"),
        coerce=int,
        validators=[InputRequired(message=_l("Choose the area this tablet stands in."))],
    )
    name = StringField(
        _l("Name of this tablet (optional)"),
        validators=[Length(max=NAME_MAX_LENGTH)],
    )


class DisplayLinkForm(KaizenForm):
    """Which team's board the screen shows, and a name for the screen."""

    team_id = SelectField(
        _l("Team board to show"),
        coerce=int,
        validators=[InputRequired(message=_l("Choose the team whose board the screen shows."))],
    )
    name = StringField(
        _l("Name of the screen (optional)"),
        validators=[Length(max=NAME_MAX_LENGTH)],
    )
