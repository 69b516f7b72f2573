"""Forms for five-whys records."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from kaizen.input import KaizenForm
from kaizen.models import Improvement, Observation, RootCauseCategory, RootCauseStatus
from kaizen.services.root_causes import NO_ANSWER, NO_PROBLEM, NO_QUESTION

WHY_HINT = _l("Why does this happen?")
BECAUSE_HINT = _l("Because ...")


class StepForm(KaizenForm):
    """One rung: the question and its answer."""

    why = StringField(
        _l("Why?"),
        validators=[DataRequired(NO_QUESTION), Length(max=500)],
        render_kw={"placeholder": WHY_HINT},
    )
    because = TextAreaField(
        _l("Because ..."),
        validators=[DataRequired(NO_ANSWER), Length(max=2000)],
        render_kw={"placeholder": BECAUSE_HINT, "rows": 2},
    )


class NewRootCauseForm(StepForm):
    """The problem and the first why, with where the record comes from."""

    problem = TextAreaField(
        _l("Problem statement"),
        validators=[DataRequired(NO_PROBLEM), Length(max=2000)],
        render_kw={"rows": 3},
    )
    improvement_id = HiddenField()
    observation_id = HiddenField()

    def start_from(self, improvement: Improvement | None, observation: Observation | None) -> None:
        """Fill a new form from the card or observation the record starts from."""
        self.improvement_id.data = str(improvement.id) if improvement else ""
        self.observation_id.data = str(observation.id) if observation else ""
        if improvement is not None:
            self.problem.data = improvement.problem or improvement.title
        elif observation is not None:
            self.problem.data = observation.description

    def record_fields(self) -> dict[str, str]:
        """The problem and the first step, as the service takes them."""
        return {
            "problem": self.problem.data or "",
            "why": self.why.data or "",
            "because": self.because.data or "",
        }


class ProblemForm(KaizenForm):
    """Reword the problem."""

    problem = TextAreaField(
        _l("Problem statement"),
        validators=[DataRequired(NO_PROBLEM), Length(max=2000)],
        render_kw={"rows": 3},
    )


def _category_choices() -> list[tuple[str, str]]:
    """The categories, named when the form is built (so in the reader's language)."""
    return [("", _("Not chosen yet"))] + [(c.value, c.label) for c in RootCauseCategory]


def _status_choices() -> list[tuple[str, str]]:
    """The statuses, named when the form is built."""
    return [(s.value, s.label) for s in RootCauseStatus]


class ConclusionForm(KaizenForm):
    """Root cause, its category, the countermeasure and the status."""

    root_cause = TextAreaField(
        _l("Root cause (in the process)"),
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 2},
    )
    category = SelectField(
        _l("Root-cause category"), choices=_category_choices, validators=[Optional()]
    )
    countermeasure = TextAreaField(
        _l("Countermeasure"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2}
    )
    status = SelectField(_l("Status"), choices=_status_choices, default=RootCauseStatus.OPEN.value)


class LinkForm(KaizenForm):
    """Link a card or an observation (one of the two)."""

    improvement_id = SelectField(
        _l("Link an improvement card"), coerce=str, validators=[Optional()]
    )
    observation_id = SelectField(_l("Link an observation"), coerce=str, validators=[Optional()])
