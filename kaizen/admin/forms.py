"""Forms of the admin pages: accounts, passwords, API tokens, audit filters."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import BooleanField, DateField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from kaizen.input import KaizenForm
from kaizen.models import TokenScope
from kaizen.services.accounts import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    PERSON_ROLES,
    ROLE_LABELS,
)
from kaizen.services.api_tokens import SCOPE_LABELS

ROLE_CHOICES = [(role.value, ROLE_LABELS[role]) for role in PERSON_ROLES]
# WTForms fills in %(min)d (and %(max)d) when the length is wrong.
PASSWORD_RULE = _l("At least %(min)d characters.")


def team_choices(teams: list[tuple[int, str]]) -> list[tuple[str, str]]:
    """Team options for a select, with 'no team' first."""
    return [("", _("No team")), *((str(i), name) for i, name in teams)]


def chosen_id(raw: str | None) -> int | None:
    """The id a select sent, or None for the empty choice."""
    return int(raw) if raw and raw.isdigit() else None


class RoleTeamForm(KaizenForm):
    """An account's role and team."""

    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="member")
    team = SelectField(_l("Team"), choices=[("", _l("No team"))], default="")
    plant_wide = BooleanField(_l("Works across every team (moves and edits any team's cards)"))


class AccountForm(RoleTeamForm):
    """A new account: who, what they may do, and a first password."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    display_name = StringField(_l("Name people see"), validators=[Optional(), Length(max=120)])
    password = PasswordField(
        _l("First password"),
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH, message=PASSWORD_RULE),
        ],
    )


class ResetPasswordForm(KaizenForm):
    """A new password typed by the admin, or blank for one made up and shown once."""

    new_password = PasswordField(
        _l("New password"),
        validators=[
            Optional(),
            Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH, message=PASSWORD_RULE),
        ],
    )


class TokenForm(KaizenForm):
    """A new API token: what uses it, whose it is, and what it may do."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    owner = SelectField(_l("Acts as account"), choices=[], validate_choice=True)
    scope = RadioField(
        _l("Scope"),
        choices=[(s.value, SCOPE_LABELS[s]) for s in TokenScope],
        default=TokenScope.READ.value,
    )


class AuditFilterForm(KaizenForm):
    """Filters of the audit trail, sent in the address (a GET form, no CSRF token)."""

    class Meta:
        csrf = False

    who = SelectField(_l("Who"), choices=[("", _l("Anyone"))], default="")
    subject = SelectField(_l("What"), choices=[("", _l("Everything"))], default="")
    since = DateField(lazy_pgettext("date range", "From"), validators=[Optional()])
    until = DateField(lazy_pgettext("date range", "To"), validators=[Optional()])
