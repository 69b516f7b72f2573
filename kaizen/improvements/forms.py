"""Forms of the card page: one per section edited in place, and the new-card form."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import get_decimal_symbol
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)
from wtforms.widgets import HiddenInput

from kaizen.formatting import locale
from kaizen.input import KaizenForm
from kaizen.models import Waste
from kaizen.services.improvements import TITLE_MAX


def optional_int(value: Any) -> int | None:
    """Coerce a select's value to an id, or None for the blank choice."""
    if value in (None, "", "None"):
        return None
    return int(value)


def optional_waste(value: Any) -> Waste | None:
    """Coerce a select's value to a waste, or None for the blank choice."""
    if value in (None, "", "None"):
        return None
    return Waste(value)


class WholeNumberField(IntegerField):
    """An integer field whose error speaks plainly."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Read a whole number, or leave a clear message (the typed text is kept)."""
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_("Enter a whole number, like 30.")) from error


def plain_amount(text: str) -> str:
    """An amount as the reader writes it ('1,250.50'; '1.250,50' or '99,50' where the comma
    is the decimal sign) in the form Decimal reads ('1250.50')."""
    text = "".join(text.split())  # spaces, also the no-break ones of '1 250,50'
    if get_decimal_symbol(locale()) == "," and "," in text:
        return text.replace(".", "").replace(",", ".")
    return text.replace(",", "")


class MoneyField(DecimalField):
    """An amount of money, with at most two decimal places, in the reader's decimal sign."""

    def _value(self) -> str:
        """The stored amount with the reader's decimal sign ('99,50'); what was typed as is."""
        shown = str(super()._value())
        if self.raw_data or not shown:
            return shown
        return shown.replace(".", get_decimal_symbol(locale()))

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Read an amount like 120 or 120.50, or leave a clear message."""
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = Decimal(plain_amount(str(valuelist[0])))
        except InvalidOperation as error:
            self.data = None
            raise ValueError(_("Enter an amount, like 250 or 99.50.")) from error
        if not self.data.is_finite():  # "NaN" and "Infinity" read as Decimals too
            self.data = None
            raise ValueError(_("Enter an amount, like 250 or 99.50."))
        if self.data.as_tuple().exponent < -2:  # type: ignore[operator]
            raise ValueError(_("Use at most two decimal places."))


NOT_NEGATIVE = NumberRange(min=0, message=_l("Use 0 or more."))
TITLE_VALIDATORS = [
    DataRequired(message=_l("Give the card a title.")),
    Length(
        max=TITLE_MAX,
        message=_l("Keep the title to %(count)s characters or fewer.", count=TITLE_MAX),
    ),
]


def waste_choices() -> list[tuple[str, str]]:
    """The eight wastes for a select, after a blank 'not chosen' choice."""
    return [("", _("— not chosen —")), *((w.value, f"{w.info.icon} {w.label}") for w in Waste)]


def with_blank(choices: Sequence[tuple[int, str]], blank: str) -> list[tuple[Any, str]]:
    """Id choices for a select, after a blank choice with the given label."""
    return [("", blank), *choices]


class VersionedForm(KaizenForm):
    """Every edit form carries the card version it was loaded from."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class TitleForm(VersionedForm):
    """The card's title."""

    title = StringField(_l("Title"), validators=TITLE_VALIDATORS)


class DetailsForm(VersionedForm):
    """Problem, countermeasure and who and where the card belongs to."""

    problem = TextAreaField(_l("Problem"), validators=[Optional()])
    countermeasure = TextAreaField(_l("Proposed countermeasure"), validators=[Optional()])
    team_id = SelectField(_l("Team"), coerce=int, validators=[InputRequired()])
    area_id = SelectField(_l("Area"), coerce=optional_int, validators=[Optional()])
    waste = SelectField(_l("Waste"), coerce=optional_waste, validators=[Optional()])
    owner_id = SelectField(_l("Owner"), coerce=optional_int, validators=[Optional()])

    def set_choices(
        self,
        teams: Sequence[tuple[int, str]],
        areas: Sequence[tuple[int, str]],
        people: Sequence[tuple[int, str]],
    ) -> None:
        """Fill the selects from the database's teams, areas and the team's people."""
        self.team_id.choices = list(teams)
        self.area_id.choices = with_blank(areas, _("— no area —"))
        self.waste.choices = waste_choices()
        self.owner_id.choices = with_blank(people, _("— nobody yet —"))

    def changes(self) -> dict[str, Any]:
        """The edited values, keyed by card field."""
        return {
            "problem": self.problem.data or "",
            "countermeasure": self.countermeasure.data or "",
            "team_id": self.team_id.data,
            "area_id": self.area_id.data,
            "waste": self.waste.data,
            "owner_id": self.owner_id.data,
        }


class BenefitForm(VersionedForm):
    """Expected and actual benefit: minutes a week saved and cost."""

    expected_minutes_per_week = WholeNumberField(
        _l("Expected minutes saved per week"), validators=[Optional(), NOT_NEGATIVE]
    )
    expected_cost = MoneyField(_l("Expected cost"), validators=[Optional(), NOT_NEGATIVE])
    actual_minutes_per_week = WholeNumberField(
        _l("Actual minutes saved per week"), validators=[Optional(), NOT_NEGATIVE]
    )
    actual_cost = MoneyField(_l("Actual cost"), validators=[Optional(), NOT_NEGATIVE])

    def changes(self) -> dict[str, Any]:
        """The edited values, keyed by card field."""
        return {
            "expected_minutes_per_week": self.expected_minutes_per_week.data,
            "expected_cost": self.expected_cost.data,
            "actual_minutes_per_week": self.actual_minutes_per_week.data,
            "actual_cost": self.actual_cost.data,
        }


class BlockedForm(VersionedForm):
    """Whether the card is blocked, and what it waits for."""

    blocked = BooleanField(_l("Blocked"))
    blocked_reason = TextAreaField(_l("What is it waiting for?"))


class ReflectionForm(VersionedForm):
    """The three questions of a finished improvement."""

    learnt = TextAreaField(_l("What have we learnt?"))
    take_forward = TextAreaField(_l("What successes would we take forward?"))
    do_differently = TextAreaField(_l("What would we do differently next time?"))
    anonymous = BooleanField(_l("Reflect without my name"))


class NewImprovementForm(KaizenForm):
    """A new card: a title and a team are all it needs."""

    title = StringField(_l("Title"), validators=TITLE_VALIDATORS)
    team_id = SelectField(
        _l("Team"),
        coerce=optional_int,
        validators=[InputRequired(_l("Choose the team whose board the card goes on."))],
    )
    problem = TextAreaField(_l("Problem"), validators=[Optional()])
    countermeasure = TextAreaField(_l("Proposed countermeasure"), validators=[Optional()])
    area_id = SelectField(_l("Area"), coerce=optional_int, validators=[Optional()])
    waste = SelectField(_l("Waste"), coerce=optional_waste, validators=[Optional()])
    observation_id = HiddenField()

    def idea(self) -> dict[str, Any]:
        """The new card's fields as `file_idea` takes them."""
        return {
            "title": self.title.data or "",
            "team_id": self.team_id.data,
            "observation_id": self.observation_id.data,
            "problem": self.problem.data or "",
            "countermeasure": self.countermeasure.data or "",
            "area_id": self.area_id.data,
            "waste": self.waste.data,
        }

    def set_choices(
        self, teams: Sequence[tuple[int, str]], areas: Sequence[tuple[int, str]]
    ) -> None:
        """Fill the selects from the database's teams and areas."""
        self.team_id.choices = with_blank(teams, _("— choose a team —"))
        self.area_id.choices = with_blank(areas, _("— no area —"))
        self.waste.choices = waste_choices()
