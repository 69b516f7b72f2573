"""Forms for five-whys records."""

from __future__ import annotations

from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from kaizen.input import KaizenForm
from kaizen.models import Improvement, Observation, RootCauseCategory, RootCauseStatus

WHY_HINT = "Why does this happen?"
BECAUSE_HINT = "Because ..."


class StepForm(KaizenForm):
    """One rung: the question and its answer."""

    why = StringField(
        "Why?",
        validators=[DataRequired("Write the question: why did it happen?"), Length(max=500)],
        render_kw={"placeholder": WHY_HINT},
    )
    because = TextAreaField(
        "Because ...",
        validators=[DataRequired("Write the answer: because ..."), Length(max=2000)],
        render_kw={"placeholder": BECAUSE_HINT, "rows": 2},
    )


class NewRootCauseForm(StepForm):
    """The problem and the first why, with where the record comes from."""

    problem = TextAreaField(
        "Problem statement",
        validators=[DataRequired("Describe the problem in a sentence."), Length(max=2000)],
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
        "Problem statement",
        validators=[DataRequired("Describe the problem in a sentence."), Length(max=2000)],
        render_kw={"rows": 3},
    )


class ConclusionForm(KaizenForm):
    """Root cause, its category, the countermeasure and the status."""

    root_cause = TextAreaField(
        "Root cause (in the process)",
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 2},
    )
    category = SelectField(
        "Root-cause category",
        choices=[("", "Not chosen yet")] + [(c.value, c.label) for c in RootCauseCategory],
        validators=[Optional()],
    )
    countermeasure = TextAreaField(
        "Countermeasure", validators=[Optional(), Length(max=2000)], render_kw={"rows": 2}
    )
    status = SelectField(
        "Status",
        choices=[(s.value, s.label) for s in RootCauseStatus],
        default=RootCauseStatus.OPEN.value,
    )


class LinkForm(KaizenForm):
    """Link a card or an observation (one of the two)."""

    improvement_id = SelectField("Link an improvement card", coerce=str, validators=[Optional()])
    observation_id = SelectField("Link an observation", coerce=str, validators=[Optional()])
