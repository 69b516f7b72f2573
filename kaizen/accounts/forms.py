"""Sign-in, own-password and own-language forms."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from kaizen.input import KaizenForm
from kaizen.services.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from kaizen.services.languages import LANGUAGES


class SignInForm(KaizenForm):
    """Username and password; 'keep me signed in' for a personal tablet."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me signed in on this device"))


class PasswordChangeForm(KaizenForm):
    """A person's own password: the current one, then the new one twice."""

    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                # WTForms fills in the two numbers.
                message=_l("Use at least %(min)d characters (at most %(max)d)."),
            ),
        ],
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two new passwords are not the same.")),
        ],
    )


class OwnLanguageForm(KaizenForm):
    """A person's own language, or none (follow the device, the plant and the browser)."""

    language = RadioField(
        _l("Language"),
        choices=[
            ("", _l("Not chosen: this device's, the plant's or the browser's")),
            *((language.code, language.name) for language in LANGUAGES),
        ],
        default="",
    )
