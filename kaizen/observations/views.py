"""The tablet entry form, the list of observations, their photos, linking reports to cards
and five whys, and the printable QR codes that open the form for one area."""

from __future__ import annotations

import re
import secrets
from functools import partial
from typing import Any, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from kaizen.accounts.access import require_role
from kaizen.devices.mode import current_kiosk
from kaizen.extensions import csrf, db
from kaizen.models import Area, Frequency, Role, User, Waste, utcnow
from kaizen.observations.forms import LinkCardForm, LinkRootCauseForm, ObservationForm
from kaizen.services.devices import kiosk_entry_page
from kaizen.services.exports import observations_table
from kaizen.services.months import Month, month_choices
from kaizen.services.observations import (
    EntryPage,
    ObservationError,
    ObservationFilters,
    all_areas,
    area_by_slug,
    area_choices,
    cards_for_team,
    entry_page,
    get_observation,
    improvement_from_observation,
    link_to_improvement,
    link_to_root_cause,
    list_observations,
    open_cards,
    photo_bytes,
    submit_observation,
)
from kaizen.services.photos import MAX_PHOTO_BYTES
from kaizen.services.qr import AreaCode, observe_url, qr_svg
from kaizen.services.root_causes import root_cause_choices
from kaizen.services.scope import NotYourTeam, works_on_team
from kaizen.web import csv_download, is_partial_request, on_outage, render_page_or_fragment

bp = Blueprint("observations", __name__)

THANKS = _l("Thank you — every report helps us improve.")
# The app refuses bodies over 12 MB with a bare 413 page. This form reads up to 32 MB
# itself so that a too-large photo gets a message beside its field and the typed text stays.
UPLOAD_CEILING = 32 * 1024 * 1024


def _person() -> User | None:
    """The signed-in account, or None for a signed-out tablet."""
    if current_user.is_authenticated:
        return cast(User, current_user._get_current_object())
    return None


def _kiosk_area() -> Area | None:
    """The area of the kiosk this request comes from, or None (kaizen/devices/mode.py)."""
    kiosk = current_kiosk()
    return kiosk.area if kiosk is not None else None


def _form_key(submitted: str | None = None) -> str:
    """Keep a submitted form key (so htmx keeps the chosen photo) or make a new one.

    The key is also the report's idempotency key: a retry of a stored report stores nothing.
    """
    if _valid_form_key(submitted):
        return cast(str, submitted)
    return secrets.token_hex(16)


def _valid_form_key(key: str | None) -> bool:
    """A key this form made (pages from before keys grew to 32 characters sent 12)."""
    return bool(key and re.fullmatch(r"[0-9a-f]{12,64}", key))


def _entry_page() -> EntryPage:
    """Everything the entry page shows besides the form, read before anything is saved."""
    area = _kiosk_area()
    if area is not None:
        return kiosk_entry_page(area)
    return entry_page(db.session, request.args.get("area"), _person())


def _fresh_form(page: EntryPage) -> ObservationForm:
    """An empty form, ready for the next person."""
    return ObservationForm(
        formdata=None,
        area=page.preset.slug if page.preset else None,
        anonymous=page.anonymous,
        form_key=_form_key(),
    )


def _render_entry(
    form: ObservationForm,
    page: EntryPage,
    *,
    unknown_area: bool = False,
    thanked: bool = False,
    photo_again: bool = False,
    unavailable: bool = False,
    status: int = 200,
) -> Response:
    """The entry page, or just its form for an htmx submit; no query (see EntryPage)."""
    return render_page_or_fragment(
        "observations/observe.html",
        "observations/_observe_form.html",
        status=status,
        form=form,
        wastes=list(Waste),
        frequencies=list(Frequency),
        areas=page.areas,
        preset=page.preset,
        unknown_area=unknown_area,
        signed_in=page.signed_in,
        fixed_area=page.fixed,
        thanked=thanked,
        photo_again=photo_again,
        unavailable=unavailable,
        photo_id=f"photo-{form.form_key.data}",
        post_url=_post_url(page),
        max_photo_bytes=MAX_PHOTO_BYTES,
    )


def _upload(form: ObservationForm) -> bytes | None:
    """The chosen photo's bytes (one byte over the limit is enough to refuse it)."""
    upload = form.photo.data
    if not upload:
        return None
    upload.stream.seek(0)  # from the start again when a request is retried (kaizen/faults.py)
    return cast(bytes, upload.read(MAX_PHOTO_BYTES + 1))


@csrf.exempt  # checked in the view, after the upload ceiling is raised
@bp.route("/observe", methods=["GET", "POST"])
def observe() -> Response:
    """Report a waste in a few taps: no sign-in needed, the area pre-filled from the QR code."""
    page = _entry_page()
    if request.method == "GET":
        return _render_entry(_fresh_form(page), page, unknown_area=page.unknown_area)
    request.max_content_length = UPLOAD_CEILING
    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()
    form = ObservationForm()
    if not form.validate():
        return _refused(form, page)
    key = form.form_key.data if _valid_form_key(form.form_key.data) else None
    # The database away: the form again, everything typed and the same key (sending it again
    # cannot store the report twice), rather than an error page.
    on_outage(lambda: _render_entry(form, page, unavailable=True, status=503))
    result = submit_observation(
        db.session, form.submitted(_upload(form)), _person(), key=key, fixed_area=_kiosk_area()
    )
    if result.observation is not None:
        if is_partial_request():
            return _render_entry(_fresh_form(page), page, thanked=True)
        flash(str(THANKS), "success")
        return redirect(_post_url(page), 303)
    form.show_errors(result.errors)
    # A refused photo must not be kept in the re-shown form: its input gets a new name. A
    # key already used for another report makes way for a new one.
    kept = not {"photo", "form_key"} & result.errors.keys()
    form.form_key.data = _form_key(form.form_key.data if kept else None)
    again = result.photo_accepted and not is_partial_request()
    return _render_entry(form, page, photo_again=again, status=422)


def _refused(form: ObservationForm, page: EntryPage) -> Response:
    """Control characters or text over its limit (kaizen/input.py): refused beside the
    field, with everything typed kept."""
    form.form_key.data = _form_key(form.form_key.data)
    again = bool(form.photo.data) and not is_partial_request()
    return _render_entry(form, page, photo_again=again, status=422)


def _post_url(page: EntryPage) -> str:
    """The entry form's own address, with its preset area (a kiosk's needs none)."""
    if page.fixed:
        return url_for(".observe")
    return url_for(".observe", area=page.preset.slug if page.preset else None)


def _filters(args: MultiDict[str, str]) -> ObservationFilters:
    """List filters from the query string; anything malformed is ignored."""
    waste = args.get("waste", "")
    page = args.get("page", "1")
    return ObservationFilters(
        area_slug=args.get("area", "").strip() or None,
        waste=Waste(waste) if waste in {w.value for w in Waste} else None,
        month=Month.parse(args.get("month")),
        unlinked=args.get("unlinked") == "1",
        text=args.get("q", "").strip(),
        page=int(page) if page.isdigit() else 1,
    )


def _filter_args(filters: ObservationFilters) -> dict[str, Any]:
    """The query-string form of the filters (without the page)."""
    args: dict[str, Any] = {}
    if filters.area_slug:
        args["area"] = filters.area_slug
    if filters.waste:
        args["waste"] = filters.waste.value
    if filters.month:
        args["month"] = filters.month.code
    if filters.unlinked:
        args["unlinked"] = "1"
    if filters.text:
        args["q"] = filters.text
    return args


@bp.get("/observations")
@require_role(Role.VIEWER)
def index() -> Response:
    """Every report, newest first, filterable by area, waste, month and 'not yet linked', and
    searchable (best match first)."""
    filters = _filters(request.args)
    result = list_observations(db.session, filters)
    args = _filter_args(filters)
    person = _person()
    can_act = person is not None and person.can(Role.MEMBER)
    # Turning a report into a card is for the team whose area it came from.
    acts_on = partial(works_on_team, person)
    return render_page_or_fragment(
        "observations/index.html",
        "observations/_list.html",
        result=result,
        filters=args,
        wastes=list(Waste),
        areas=area_choices(db.session, include_archived=True),
        months=month_choices(utcnow(), filters.month),
        can_act=can_act,
        acts_on=acts_on,
        back_url=url_for(".index", **args, page=result.page),
        previous_url=url_for(".index", **args, page=result.page - 1),
        next_url=url_for(".index", **args, page=result.page + 1),
        clear_url=url_for(".index"),
        export_url=url_for(".export", **args),
    )


@bp.get("/observations/export.csv")
@require_role(Role.VIEWER)
def export() -> Response:
    """The list with its filters as CSV, every page of it."""
    filters = _filters(request.args)
    args = _filter_args(filters)
    args["unlinked"] = "unlinked" if filters.unlinked else None
    stem = "-".join(["kaizen-observations", *[str(v) for v in args.values() if v]])
    return csv_download(observations_table(db.session, filters), stem)


@bp.get("/observations/<int:observation_id>/links")
@require_role(Role.MEMBER)
def link_forms(observation_id: int) -> Response:
    """The pickers that link one report to an open card of its team or a five-whys record."""
    observation = get_observation(db.session, observation_id)
    if observation is None:
        abort(404)
    team_id = observation.area.team_id if observation.area else None
    return render_page_or_fragment(
        "observations/link_forms.html",
        "observations/_link_forms.html",
        observation=observation,
        card_choices=cards_for_team(open_cards(db.session), team_id),
        root_cause_choices=root_cause_choices(db.session),
        back_url=_back(request.args.get("next", "")),
    )


def _photo_response(observation_id: int, *, thumbnail: bool) -> Response:
    """Serve stored photo bytes with their type, an ETag and a long private cache."""
    found = photo_bytes(db.session, observation_id, thumbnail=thumbnail)
    if found is None:
        abort(404)
    data, content_type = found
    response = make_response(data)
    response.content_type = content_type
    # A report's photo never changes, so browsers may keep it; private because the list is.
    response.cache_control.private = True
    response.cache_control.max_age = 7 * 24 * 3600
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/observations/<int:observation_id>/photo")
@require_role(Role.VIEWER)
def photo(observation_id: int) -> Response:
    """The photo of one report, at most 1600 px."""
    return _photo_response(observation_id, thumbnail=False)


@bp.get("/observations/<int:observation_id>/thumbnail")
@require_role(Role.VIEWER)
def thumbnail(observation_id: int) -> Response:
    """The small photo shown in lists."""
    return _photo_response(observation_id, thumbnail=True)


def _back(target: str | None = None) -> str:
    """Where to return after an action: the list the person came from, never another site."""
    target = request.form.get("next", "") if target is None else target
    if target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for(".index")


@bp.post("/observations/<int:observation_id>/improvement")
@require_role(Role.MEMBER)
def convert(observation_id: int) -> Response:
    """Turn a report into a new Ideas card pre-filled from it."""
    observation = get_observation(db.session, observation_id) or abort(404)
    try:
        card = improvement_from_observation(db.session, observation, created_by=_person())
    except NotYourTeam:
        abort(403)
    except ObservationError as error:
        flash(str(error), "error")
        return redirect(_back(), 303)
    flash(_("New improvement card on the board: “%(title)s”.", title=card.title), "success")
    return redirect(url_for("improvements.detail", improvement_id=card.id), 303)


@bp.post("/observations/<int:observation_id>/link-improvement")
@require_role(Role.MEMBER)
def link_improvement(observation_id: int) -> Response:
    """Link a report to an existing improvement card."""
    observation = get_observation(db.session, observation_id) or abort(404)
    form = LinkCardForm()
    try:
        if not form.validate() or form.improvement_id.data is None:
            raise ObservationError(_("Choose a card to link this report to."))
        link_to_improvement(db.session, observation, form.improvement_id.data, _person())
    except NotYourTeam:
        abort(403)
    except ObservationError as error:
        flash(str(error), "error")
    else:
        flash(_("Report linked to the improvement card."), "success")
    return redirect(_back(), 303)


@bp.post("/observations/<int:observation_id>/link-root-cause")
@require_role(Role.MEMBER)
def link_root_cause(observation_id: int) -> Response:
    """Link a report to a five-whys record."""
    observation = get_observation(db.session, observation_id) or abort(404)
    form = LinkRootCauseForm()
    try:
        if not form.validate() or form.root_cause_id.data is None:
            raise ObservationError(_("Choose a five-whys record to link this report to."))
        link_to_root_cause(db.session, observation, form.root_cause_id.data, _person())
    except NotYourTeam:
        abort(403)
    except ObservationError as error:
        flash(str(error), "error")
    else:
        flash(_("Report linked to the five-whys record."), "success")
    return redirect(_back(), 303)


def _area_code(area: Area) -> AreaCode:
    """The printable code of one area, pointing at the public address when one is set."""
    base_url = current_app.config.get("PUBLIC_BASE_URL") or request.host_url
    url = observe_url(base_url, url_for(".observe"), area.slug)
    return AreaCode(
        name=area.name,
        slug=area.slug,
        team=area.team.name if area.team else None,
        url=url,
        svg=qr_svg(url, title=_("QR code to report waste at %(area)s", area=area.name)),
    )


@bp.get("/areas/<slug>/qr")
def area_qr(slug: str) -> str:
    """A printable page with the QR code that opens the entry form for one area."""
    area = area_by_slug(db.session, slug) or abort(404)
    return render_template("observations/qr.html", codes=[_area_code(area)], area=area)


@bp.get("/areas/qr")
def all_qr() -> str:
    """One sheet with the QR code of every area, several to an A4 page."""
    codes = [_area_code(area) for area in all_areas(db.session)]
    return render_template("observations/qr_sheet.html", codes=codes)
