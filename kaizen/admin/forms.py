"""Forms of the admin pages: accounts, passwords, API tokens, audit filters."""

from __future__ import annotations

from wtforms import BooleanField, DateField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from kaizen.input import KaizenForm
from kaizen.models import TokenScope
from kaizen.services.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, PERSON_ROLES

ROLE_CHOICES = [(role.value, role.value.capitalize()) for role in PERSON_ROLES]
PASSWORD_RULE = f"At least {MIN_PASSWORD_LENGTH} characters."


def team_choices(teams: list[tuple[int, str]]) -> list[tuple[str, str]]:
    """Team options for a select, with 'no team' first."""
    return [("", "No team"), *((str(i), name) for i, name in teams)]


def chosen_id(raw: str | None) -> int | None:
    """The id a select sent, or None for the empty choice."""
    return int(raw) if raw and raw.isdigit() else None


class RoleTeamForm(KaizenForm):
    """An account's role and team."""

    role = SelectField("Role", choices=ROLE_CHOICES, default="member")
    team = SelectField("Team", choices=[("", "No team")], default="")
    plant_wide = BooleanField("Works across every team (moves and edits any team's cards)")


class AccountForm(RoleTeamForm):
    """A new account: who, what they may do, and a first password."""

    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    display_name = StringField("Name people see", validators=[Optional(), Length(max=120)])
    password = PasswordField(
        "First password",
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH, message=PASSWORD_RULE),
        ],
    )


class ResetPasswordForm(KaizenForm):
    """A new password typed by the admin, or blank for one made up and shown once."""

    new_password = PasswordField(
        "New password",
        validators=[
            Optional(),
            Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH, message=PASSWORD_RULE),
        ],
    )


class TokenForm(KaizenForm):
    """A new API token: what uses it, whose it is, and what it may do."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    owner = SelectField("Acts as account", choices=[], validate_choice=True)
    scope = RadioField(
        "Scope",
        choices=[(s.value, s.label) for s in TokenScope],
        default=TokenScope.READ.value,
    )


class AuditFilterForm(KaizenForm):
    """Filters of the audit trail, sent in the address (a GET form, no CSRF token)."""

    class Meta:
        csrf = False

    who = SelectField("Who", choices=[("", "Anyone")], default="")
    subject = SelectField("What", choices=[("", "Everything")], default="")
    since = DateField("From", validators=[Optional()])
    until = DateField("To", validators=[Optional()])
