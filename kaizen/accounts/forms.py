"""Sign-in form."""

from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from kaizen.input import KaizenForm


class SignInForm(KaizenForm):
    """Username and password; 'keep me signed in' for a personal tablet."""

    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Keep me signed in on this device")
