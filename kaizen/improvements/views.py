"""One improvement card: its page, in-place edits of each section, and filing a new card."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_htmx import make_response as htmx_response
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from kaizen.accounts.access import require_role
from kaizen.board.forms import DONE_LABELS, MoveForm
from kaizen.extensions import db
from kaizen.formatting import fixed
from kaizen.improvements.forms import (
    BenefitForm,
    BlockedForm,
    DetailsForm,
    NewImprovementForm,
    ReflectionForm,
    TitleForm,
)
from kaizen.models import BoardColumn, Outcome, Role, User, utcnow
from kaizen.services import improvements as cards
from kaizen.services import moves
from kaizen.services.scope import NotYourTeam, reads_observations, works_on_team
from kaizen.web import is_partial_request, render_page_or_fragment, vary_on_htmx

bp = Blueprint("improvements", __name__)

PAGE = "improvements/detail.html"
# Sections edited in place, and sections that only re-render (after an edit elsewhere).
EDITABLE = ("title", "details", "benefit", "blocked", "reflection")
READ_ONLY = ("history", "observations")
CHANGED_EVENT = "card-changed"
ANCHORS = {"reflection": "reflection"}
# The move buttons that finish a card: one whole phrase per outcome.
FINISH_LABELS = {
    Outcome.ADOPTED: _l("Finish — adopted"),
    Outcome.NOT_ADOPTED: _l("Finish — not adopted"),
}


def _me() -> User | None:
    """The signed-in account as a model object (not the proxy), or None."""
    return current_user._get_current_object() if current_user.is_authenticated else None


def _can_edit(page: cards.CardPage) -> bool:
    """Members of the card's team (and plant-wide people) edit it; everyone else reads."""
    return works_on_team(_me(), page.card.team_id)


def _load_for_edit(improvement_id: int) -> cards.CardPage:
    """The card page for an edit, or 404 (no card) or 403 (another team's card)."""
    page = _load(improvement_id)
    if not _can_edit(page):
        abort(403)
    return page


def _move_targets(page: cards.CardPage) -> list[tuple[str, str]]:
    """(value, text) of each move button; none for people who cannot edit."""
    if not _can_edit(page):
        return []
    targets = []
    for column in BoardColumn:
        if column is page.card.board_column:
            continue
        if column is BoardColumn.DONE:
            targets += [(f"done:{o.value}", str(FINISH_LABELS[o])) for o in Outcome]
        else:
            targets.append((column.value, _("Move to %(column)s", column=column.label)))
    return targets


def _money(value: Decimal | None) -> str:
    """An amount with two decimals in the reader's way of writing it ('1,250.50'); '—'."""
    if value is None:
        return "—"
    return fixed(value, 2, grouped=True)


def _load(improvement_id: int) -> cards.CardPage:
    """The card page's content, or 404."""
    page = cards.card_page(db.session, improvement_id, now=utcnow())
    if page is None:
        abort(404)
    return page


def _render(
    page: cards.CardPage, section: str | None = None, status: int = 200, **extra: Any
) -> Response:
    """The full card page, or one section of it for an htmx partial request."""
    context: dict[str, Any] = {
        "detail": page,
        "card": page.card,
        "can_edit": _can_edit(page),
        # Observation texts need a viewer, here as on /observations (services/scope.py).
        "reads_observations": reads_observations(_me()),
        "editing": None,
        "form": None,
        "conflict": False,
        "move_targets": _move_targets(page),
        "move_error": None,
        "move_needs_reason": False,
        "stale_message": str(cards.STALE_MESSAGE),
        "money": _money,
        "root_cause_statuses": cards.ROOT_CAUSE_STATUS_LABELS,
        **extra,
    }
    fragment = f"improvements/_{section}.html" if section else PAGE
    return render_page_or_fragment(PAGE, fragment, status=status, **context)


def _form_for(section: str, page: cards.CardPage) -> FlaskForm:
    """The edit form of a section, filled from the request (POST) or from the card (GET)."""
    card = page.card
    if section == "title":
        return TitleForm(obj=card)
    if section == "details":
        form = DetailsForm(obj=card)
        form.set_choices(
            cards.team_choices(db.session, for_user=_me(), keep=card.team_id),
            cards.area_choices(db.session, keep=card.area_id),
            cards.team_member_choices(db.session, card.team_id, keep=card.owner),
        )
        return form
    if section == "benefit":
        return BenefitForm(obj=card)
    if section == "blocked":
        form = BlockedForm(obj=card)
        if request.method == "GET" and not card.blocked:
            # The only reason to open this form on a free card is to block it.
            form.blocked.data = True
        return form
    reflection = card.reflection
    return ReflectionForm(
        obj=reflection,
        version=card.version,
        anonymous=reflection is not None and reflection.author_id is None,
    )


def _save(section: str, page: cards.CardPage, form: Any) -> None:
    """Hand the section's edit to its service (which checks the version)."""
    card, version = page.card, form.version.data
    if section == "title":
        cards.update_improvement(
            db.session, card, expected_version=version, changes={"title": form.title.data or ""}
        )
    elif section in ("details", "benefit"):
        cards.update_improvement(db.session, card, expected_version=version, changes=form.changes())
    elif section == "blocked":
        cards.set_blocked(
            db.session,
            card,
            blocked=bool(form.blocked.data),
            reason=form.blocked_reason.data,
            by_user=_me(),
            expected_version=version,
        )
    else:
        cards.save_reflection(
            db.session,
            card,
            learnt=form.learnt.data or "",
            take_forward=form.take_forward.data or "",
            do_differently=form.do_differently.data or "",
            anonymous=bool(form.anonymous.data),
            author=_me(),
            expected_version=version,
        )


def _attach_errors(form: FlaskForm, errors: dict[str, str]) -> None:
    """Show a service's messages next to the form's fields (or its first field)."""
    for name, message in errors.items():
        field = form._fields.get(name) or next(
            f for f in form if f.name not in ("version", "csrf_token")
        )
        field.errors = [*field.errors, message]


def _saved(improvement_id: int, section: str, message: Any) -> Response:
    """After a save: the fresh section for htmx (and an event), or back to the page."""
    if not is_partial_request():
        flash(str(message), "success")
        return redirect(
            url_for(
                ".detail",
                improvement_id=improvement_id,
                _anchor=ANCHORS.get(section, f"card-{section}"),
            )
        )
    return htmx_response(_render(_load(improvement_id), section), trigger=CHANGED_EVENT)


SAVED_MESSAGES = {
    "title": _l("Title saved."),
    "details": _l("Card saved."),
    "benefit": _l("Benefit saved."),
    "blocked": _l("Blocked state saved."),
    "reflection": _l("Thank you for reflecting — it is in the learning hub now."),
}


@bp.get("/improvements/<int:improvement_id>")
def detail(improvement_id: int) -> Response:
    """One card with everything about it."""
    return _render(_load(improvement_id))


@bp.get("/improvements/<int:improvement_id>/section/<section>")
def section(improvement_id: int, section: str) -> Response:
    """One section in read mode (Cancel, and refreshes after an edit elsewhere)."""
    if section not in EDITABLE + READ_ONLY:
        abort(404)
    return _render(_load(improvement_id), section)


@bp.route("/improvements/<int:improvement_id>/edit/<section>", methods=["GET", "POST"])
@require_role(Role.MEMBER)
def edit(improvement_id: int, section: str) -> Response:
    """Edit one section in place: the form, then the saved section (409 when stale)."""
    if section not in EDITABLE:
        abort(404)
    page = _load_for_edit(improvement_id)
    form = _form_for(section, page)
    if request.method == "GET":
        return _render(page, section, editing=section, form=form)
    if not form.validate():
        return _render(page, section, status=422, editing=section, form=form)
    try:
        _save(section, page, form)
    except cards.StaleCard:
        page = _load(improvement_id)
        # Keep what they typed; the next save applies it on top of the latest version.
        form.version.data = page.card.version
        form.version.raw_data = [str(page.card.version)]
        return _render(page, section, status=409, editing=section, form=form, conflict=True)
    except cards.CardInputError as error:
        _attach_errors(form, error.errors)
        return _render(_load(improvement_id), section, status=422, editing=section, form=form)
    return _saved(improvement_id, section, SAVED_MESSAGES[section])


@bp.post("/improvements/<int:improvement_id>/observations/<int:observation_id>/unlink")
@require_role(Role.MEMBER)
def unlink_observation(improvement_id: int, observation_id: int) -> Response:
    """Take an observation off this card (the observation itself stays)."""
    page = _load_for_edit(improvement_id)
    if not cards.unlink_observation(db.session, page.card, observation_id):
        abort(404)
    return _saved(improvement_id, "observations", _("Observation unlinked from this card."))


@bp.post("/improvements/<int:improvement_id>/move")
@require_role(Role.MEMBER)
def move(improvement_id: int) -> Response:
    """Move the card with the board's form and move service (WIP limits, versions)."""
    form = MoveForm()
    if not form.validate():
        abort(400)
    to_column, outcome = form.target()
    label = _target_label(to_column, outcome)
    try:
        moves.move_card(
            db.session,
            improvement_id,
            to_column,
            None,
            form.version.data or 0,
            _me(),
            reason=form.reason.data,
            outcome=outcome,
        )
    except moves.OtherTeamsCard:
        abort(403)
    except moves.MoveRefused as refused:
        return _render(
            _load(improvement_id),
            status=409 if isinstance(refused, moves.StaleVersion) else 422,
            move_error=refused.message,
            move_needs_reason=isinstance(refused, moves.SoftLimitNeedsReason),
            move_target=form.to_column.data,
            move_target_label=label,
        )
    return _saved(improvement_id, "blocked", _("Moved to %(column)s.", column=label))


def _target_label(column: BoardColumn, outcome: Outcome | None) -> str:
    """How a move target reads on its button: 'Plan', 'Done — adopted'."""
    if outcome is not None and column is BoardColumn.DONE:
        return str(DONE_LABELS[outcome])
    return column.label


def _new_card_form() -> NewImprovementForm:
    """The new-card form: as posted, or pre-filled from ?team= and ?observation=."""
    if request.method == "GET":
        defaults = cards.new_card_defaults(
            db.session,
            team_slug=request.args.get("team"),
            observation=cards.observation_or_none(db.session, request.args.get("observation")),
            user=_me(),
        )
        form = NewImprovementForm(
            team_id=defaults.team_id,
            area_id=defaults.area_id,
            waste=defaults.waste,
            problem=defaults.problem,
            observation_id=defaults.observation_id or "",
        )
    else:
        form = NewImprovementForm()
    form.set_choices(cards.team_choices(db.session, for_user=_me()), cards.area_choices(db.session))
    return form


@bp.route("/improvements/new", methods=["GET", "POST"])
@require_role(Role.MEMBER)
def new() -> Response:
    """File a new idea: a title and a team are all it needs."""
    form = _new_card_form()
    if request.method == "GET" or not form.validate():
        status = 200 if request.method == "GET" else 422
        return render_page_or_fragment(
            "improvements/new.html", "improvements/_new_form.html", status=status, form=form
        )
    try:
        card = cards.file_idea(db.session, **form.idea(), created_by=_me())
    except NotYourTeam:
        abort(403)
    if card is None:
        abort(400)
    target = url_for(".detail", improvement_id=card.id)
    if is_partial_request():
        return vary_on_htmx(htmx_response("", redirect=target))
    flash(_("Card added to the Ideas column. Thank you — ideas are cheap to file."), "success")
    return redirect(target)
