"""Five-whys pages: the list, a new record, and one record's ladder edited in place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from kaizen.accounts.access import require_role
from kaizen.extensions import db, htmx
from kaizen.models import (
    Improvement,
    Observation,
    Role,
    RootCause,
    RootCauseCategory,
    RootCauseStatus,
    User,
)
from kaizen.root_causes.forms import (
    ConclusionForm,
    LinkForm,
    NewRootCauseForm,
    ProblemForm,
    StepForm,
)
from kaizen.services import improvements as cards
from kaizen.services import root_causes as service
from kaizen.services.exports import root_causes_table
from kaizen.services.scope import reads_observations, works_on_record, works_on_team
from kaizen.web import csv_download, is_partial_request, vary_on_htmx

bp = Blueprint("root_causes", __name__, url_prefix="/root-causes")


def _record_or_404(root_cause_id: int) -> RootCause:
    record = service.load_root_cause(db.session, root_cause_id)
    if record is None:
        abort(404)
    return record


def _me() -> User | None:
    """The signed-in account as a model object, or None."""
    return current_user._get_current_object() if current_user.is_authenticated else None


def _can_edit(record: RootCause) -> bool:
    """Members work on a record linked to no card or to a card of their team (scope.py)."""
    return works_on_record(_me(), [card.team_id for card in record.improvements])


def _record_for_edit(root_cause_id: int) -> RootCause:
    """The record for a change, or 404 (none) or 403 (it belongs to other teams' cards)."""
    record = _record_or_404(root_cause_id)
    if not _can_edit(record):
        abort(403)
    return record


def _person_names() -> list[str]:
    """People's names for the blame prompt, read once per request however many sections ask."""
    if "person_names" not in g:
        g.person_names = service.person_names(db.session)
    return g.person_names


def _ladder_context(
    record: RootCause,
    *,
    editing: int | None = None,
    step_form: StepForm | None = None,
    edit_form: StepForm | None = None,
    ladder_error: str | None = None,
) -> dict[str, Any]:
    view = service.ladder(record, _person_names(), editing)
    if edit_form is None and view.editing is not None:
        edit_form = StepForm(formdata=None, obj=view.editing)
    return {
        "record": record,
        "steps": view.steps,
        "short_chain": view.short_chain,
        "suggested_min_steps": service.SUGGESTED_MIN_STEPS,
        "step_form": step_form or StepForm(formdata=None),
        "edit_form": edit_form,
        "ladder_error": ladder_error,
        "can_edit": _can_edit(record),
        "blame_prompt": service.BLAME_PROMPT,
    }


def _conclusion_context(
    record: RootCause, form: ConclusionForm | None = None, saved: bool = False
) -> dict[str, Any]:
    if form is None:
        form = ConclusionForm(
            formdata=None,
            data={
                "root_cause": record.root_cause,
                "category": record.category.value if record.category else "",
                "countermeasure": record.countermeasure,
                "status": record.status.value,
            },
        )
    return {
        "record": record,
        "conclusion_form": form,
        "conclusion_blame": service.blame_matches(record.root_cause, _person_names()),
        "conclusion_saved": saved,
        "can_edit": _can_edit(record),
        "blame_prompt": service.BLAME_PROMPT,
    }


def _problem_context(record: RootCause, form: ProblemForm | None = None) -> dict[str, Any]:
    return {
        "record": record,
        "problem_form": form or ProblemForm(formdata=None, obj=record),
        "can_edit": _can_edit(record),
    }


def _links_context(record: RootCause, error: str | None = None) -> dict[str, Any]:
    can_edit = _can_edit(record)
    form = None
    if can_edit:  # Only people who may link need the lists of what could be linked.
        cards, observations = service.link_options(db.session, record)
        form = LinkForm(formdata=None)
        form.improvement_id.choices = [("", _("Choose a card")), *cards]
        form.observation_id.choices = [("", _("Choose an observation")), *observations]
    return {
        "record": record,
        "link_form": form,
        "links_error": error,
        "can_edit": can_edit,
        # Observation texts need a viewer, here as on /observations (services/scope.py).
        "reads_observations": reads_observations(_me()),
        "recurrence": service.recurrence(db.session, record),
    }


def _section(
    record: RootCause, fragment: str, context: dict[str, Any], status: int = 200
) -> Response:
    """Answer an edit: the section's fragment for htmx, otherwise back to the full page."""
    if is_partial_request():
        response = current_app.make_response((render_template(fragment, **context), status))
        return vary_on_htmx(response)
    if status >= 400:
        return current_app.make_response(
            (render_template("root_causes/detail.html", **_detail_context(record, context)), status)
        )
    return redirect(url_for("root_causes.detail", root_cause_id=record.id))


def _detail_context(record: RootCause, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    context: dict[str, Any] = {}
    context.update(_problem_context(record))
    context.update(_ladder_context(record, editing=request.args.get("edit", type=int)))
    context.update(_conclusion_context(record))
    context.update(_links_context(record))
    context.update(overrides or {})
    return context


def _list_filters() -> tuple[RootCauseCategory | None, RootCauseStatus | None, str]:
    """The list's category, status and words from the query string (malformed ones ignored)."""
    category = _enum_arg(RootCauseCategory, "category")
    status = _enum_arg(RootCauseStatus, "status")
    return category, status, request.args.get("q", "").strip()


@bp.get("/export.csv")
def export() -> Response:
    """The filtered list as CSV, each record with its steps."""
    category, status, text = _list_filters()
    rows = service.list_root_causes(db.session, category=category, status=status, text=text)
    table = root_causes_table(db.session, [row.id for row in rows])
    return csv_download(table, "kaizen-five-whys")


@bp.get("")
def index() -> Response:
    """All five-whys records, filtered by category, status and words."""
    category, status, text = _list_filters()
    rows = service.list_root_causes(db.session, category=category, status=status, text=text)
    context = {
        "rows": rows,
        "categories": list(RootCauseCategory),
        "statuses": list(RootCauseStatus),
        "category": category,
        "status": status,
        "q": text,
        "can_edit": bool(current_user.is_authenticated and current_user.can(Role.MEMBER)),
        "export_url": url_for(
            ".export",
            category=category.value if category else None,
            status=status.value if status else None,
            q=text or None,
        ),
    }
    template = (
        "root_causes/_list.html"
        if is_partial_request() and htmx.target == "root-cause-list"
        else "root_causes/index.html"
    )
    return vary_on_htmx(current_app.make_response(render_template(template, **context)))


def _enum_arg(enum_cls: Any, name: str) -> Any:
    value = request.args.get(name, "")
    try:
        return enum_cls(value) if value else None
    except ValueError:
        return None


@bp.route("/new", methods=["GET", "POST"])
@require_role(Role.MEMBER)
def new() -> Response | str | tuple[str, int]:
    """Start a five whys: blank, from an observation or from a card."""
    form = NewRootCauseForm()
    improvement = cards.improvement_or_none(
        db.session, form.improvement_id.data or request.args.get("improvement")
    )
    observation = cards.observation_or_none(
        db.session, form.observation_id.data or request.args.get("observation")
    )
    if improvement is not None and not works_on_team(_me(), improvement.team_id):
        abort(403)
    if request.method == "GET":
        form.start_from(improvement, observation)
    if form.validate_on_submit():
        record = service.create_root_cause(
            db.session,
            **form.record_fields(),
            created_by=current_user._get_current_object(),
            observation=observation,
            improvement=improvement,
        )
        return redirect(url_for("root_causes.detail", root_cause_id=record.id))
    status = 422 if form.errors else 200
    context = {"form": form, "improvement": improvement, "observation": observation}
    return render_template("root_causes/new.html", **context), status


def _posted_item() -> Improvement | Observation | None:
    """The card or the observation a link form names."""
    return service.find_item(
        db.session, request.form.get("improvement_id"), request.form.get("observation_id")
    )


def _change_ladder(
    record: RootCause, change: Callable[[], object], refused_status: int
) -> Response:
    """Make one change to the ladder and answer with the ladder as it now stands (or with
    the reason the change was refused)."""
    try:
        change()
    except service.RootCauseError as error:
        context = _ladder_context(record, ladder_error=str(error))
        return _section(record, "root_causes/_ladder.html", context, refused_status)
    return _section(record, "root_causes/_ladder.html", _ladder_context(record))


@bp.get("/<int:root_cause_id>")
def detail(root_cause_id: int) -> Response:
    """One record: problem, the ladder, the conclusion, links and recurrence."""
    record = _record_or_404(root_cause_id)
    context = _detail_context(record)
    if is_partial_request() and htmx.target == "why-ladder":
        template = "root_causes/_ladder.html"
    else:
        template = "root_causes/detail.html"
    return vary_on_htmx(current_app.make_response(render_template(template, **context)))


@bp.post("/<int:root_cause_id>/steps")
@require_role(Role.MEMBER)
def add_step(root_cause_id: int) -> Response:
    """Add a why/because step at the bottom of the ladder."""
    record = _record_for_edit(root_cause_id)
    form = StepForm()
    if not form.validate_on_submit():
        return _section(
            record, "root_causes/_ladder.html", _ladder_context(record, step_form=form), 422
        )
    return _change_ladder(
        record,
        lambda: service.add_step(db.session, record, form.why.data or "", form.because.data or ""),
        refused_status=422,
    )


@bp.post("/<int:root_cause_id>/steps/<int:step_id>")
@require_role(Role.MEMBER)
def update_step(root_cause_id: int, step_id: int) -> Response:
    """Save an edited step."""
    record = _record_for_edit(root_cause_id)
    form = StepForm()
    if not form.validate_on_submit():
        context = _ladder_context(record, editing=step_id, edit_form=form)
        return _section(record, "root_causes/_ladder.html", context, 422)
    return _change_ladder(
        record,
        lambda: service.update_step(
            db.session, record, step_id, form.why.data or "", form.because.data or ""
        ),
        refused_status=409,
    )


@bp.post("/<int:root_cause_id>/steps/<int:step_id>/move")
@require_role(Role.MEMBER)
def move_step(root_cause_id: int, step_id: int) -> Response:
    """Move a step up or down one place."""
    record = _record_for_edit(root_cause_id)
    offset = -1 if request.form.get("direction") == "up" else 1
    return _change_ladder(
        record, lambda: service.move_step(db.session, record, step_id, offset), refused_status=409
    )


@bp.post("/<int:root_cause_id>/steps/remove-last")
@require_role(Role.MEMBER)
def remove_last_step(root_cause_id: int) -> Response:
    """Remove the bottom step (the first one always stays)."""
    record = _record_for_edit(root_cause_id)
    return _change_ladder(
        record, lambda: service.remove_last_step(db.session, record), refused_status=422
    )


@bp.post("/<int:root_cause_id>/problem")
@require_role(Role.MEMBER)
def update_problem(root_cause_id: int) -> Response:
    """Reword the problem statement."""
    record = _record_for_edit(root_cause_id)
    form = ProblemForm()
    if not form.validate_on_submit():
        return _section(record, "root_causes/_problem.html", _problem_context(record, form), 422)
    service.update_problem(db.session, record, form.problem.data or "")
    return _section(record, "root_causes/_problem.html", _problem_context(record))


@bp.post("/<int:root_cause_id>/conclusion")
@require_role(Role.MEMBER)
def update_conclusion(root_cause_id: int) -> Response:
    """Save the root cause, category, countermeasure and status; blame only prompts."""
    record = _record_for_edit(root_cause_id)
    form = ConclusionForm()
    if form.validate_on_submit():
        try:
            service.update_conclusion(
                db.session,
                record,
                root_cause=form.root_cause.data or "",
                category=RootCauseCategory(form.category.data) if form.category.data else None,
                countermeasure=form.countermeasure.data or "",
                status=RootCauseStatus(form.status.data),
            )
        except service.RootCauseError as error:
            form.countermeasure.errors = [str(error)]
        else:
            return _section(
                record, "root_causes/_conclusion.html", _conclusion_context(record, saved=True)
            )
    return _section(record, "root_causes/_conclusion.html", _conclusion_context(record, form), 422)


@bp.post("/<int:root_cause_id>/links")
@require_role(Role.MEMBER)
def add_link(root_cause_id: int) -> Response:
    """Link a card or an observation to the record."""
    record = _record_for_edit(root_cause_id)
    item = _posted_item()
    if isinstance(item, Improvement) and not works_on_team(_me(), item.team_id):
        abort(403)
    if item is None:
        context = _links_context(record, error=_("Choose a card or an observation to link."))
        return _section(record, "root_causes/_links.html", context, 422)
    service.link(db.session, record, item)
    return _section(record, "root_causes/_links.html", _links_context(record))


@bp.post("/<int:root_cause_id>/links/remove")
@require_role(Role.MEMBER)
def remove_link(root_cause_id: int) -> Response:
    """Unlink a card or an observation (neither is deleted)."""
    record = _record_for_edit(root_cause_id)
    item = _posted_item()
    if item is not None:
        service.unlink(db.session, record, item)
    return _section(record, "root_causes/_links.html", _links_context(record))
