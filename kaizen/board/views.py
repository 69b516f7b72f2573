"""The board pages (`/board`, `/board/<team-slug>`), their cheap poll, and card moves."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_htmx import make_response as htmx_response
from flask_login import current_user
from werkzeug.wrappers import Response

from kaizen.accounts.access import require_role
from kaizen.board.forms import MoveForm, button_move
from kaizen.extensions import db
from kaizen.models import BoardColumn, Outcome, Role, User, Waste, utcnow
from kaizen.services.board import Board, TeamNotFound, build_board, first_team_slug, tv_board
from kaizen.services.board_state import BoardState, read_state
from kaizen.services.board_updates import build_update, plan_update
from kaizen.services.devices import display_team_slug
from kaizen.services.exports import board_table, moves_table
from kaizen.services.moves import (
    CardNotFound,
    MoveRefused,
    MoveResult,
    OtherTeamsCard,
    OutcomeRequired,
    SoftLimitNeedsReason,
    StaleVersion,
    move_card,
)
from kaizen.services.scope import manages_team, works_on_team
from kaizen.web import (
    IdUrl,
    csv_download,
    is_partial_request,
    render_page_or_fragment,
    vary_on_htmx,
)

bp = Blueprint("board", __name__)

# How often an open board asks whether anything changed.
POLL_SECONDS = 3


@dataclass(frozen=True)
class Notice:
    """A message above the board after a move: kind is success, warning or error."""

    text: str
    kind: str = "success"
    link_url: str | None = None
    link_text: str | None = None


@dataclass(frozen=True)
class MoveDialog:
    """The small form that asks for what a move still needs: a reason or an outcome."""

    kind: str  # "reason" or "outcome"
    card_id: int
    column: BoardColumn
    message: str
    form: MoveForm


@dataclass(frozen=True)
class Scope:
    """Which board a person is looking at: one team or all, TV or not, all of Done or not."""

    team_slug: str | None
    tv: bool = False
    all_done: bool = False
    # A TV display link's token: the board is reached (and polled) through that address.
    display_token: str | None = None
    # TV only: seconds before the screen turns to the next team's board (a stand-up wall).
    rotate: int | None = None

    def url(self, **extra: Any) -> str:
        """The address of this board (plus extra query arguments)."""
        if self.display_token is not None:
            return url_for("board.display", token=self.display_token, **extra)
        args: dict[str, Any] = {"team_slug": self.team_slug, **extra}
        if self.tv:
            args["display"] = "tv"
        if self.all_done:
            args["done"] = "all"
        if self.tv and self.rotate:
            args["rotate"] = self.rotate
        return url_for("board.board", **args)

    def next_team_url(self, board: Board) -> str | None:
        """Where a rotating TV turns next: the next team's TV board, round the plant."""
        slugs = [slug for slug, _name in board.teams]
        if not (self.tv and self.rotate and slugs):
            return None
        at = slugs.index(self.team_slug) + 1 if self.team_slug in slugs else 0
        return replace(self, team_slug=slugs[at % len(slugs)]).url()


# Rotation between team boards: from a few seconds (testing a wall) to an hour.
ROTATE_SECONDS = range(5, 3601)
# A TV asked for the whole plant shows one team's board at a time, turning every so often:
# every team's lane at once cannot be read from three metres.
PLANT_TV_ROTATE = 30


def _rotate(value: str | None) -> int | None:
    """The `rotate` seconds asked for, or None when absent or out of range."""
    if value is None or not value.isdigit():
        return None
    seconds = int(value)
    return seconds if seconds in ROTATE_SECONDS else None


def _can(role: Role) -> bool:
    """Whether the person signed in holds this role or a higher one."""
    return bool(current_user.is_authenticated and current_user.can(role))


def _me() -> User | None:
    """The signed-in account as a model object, or None."""
    return current_user._get_current_object() if current_user.is_authenticated else None


def _shared(scope: Scope) -> dict[str, Any]:
    """What every card of a board needs, built once per page rather than once per card."""
    me = None if scope.tv else _me()
    return {
        "tv": scope.tv,
        # Members and up move cards of their own team (every team with the plant-wide
        # flag), leads change their team's WIP limits; viewers, kiosks, signed-out screens
        # and TV mode only watch (services/scope.py).
        "can_move": _can(Role.MEMBER) and not scope.tv,
        "moves_in": lambda team_id: works_on_team(me, team_id),
        "manages": lambda team_id: manages_team(me, team_id),
        "card_url": IdUrl.of("improvements.detail", "improvement_id"),
        "card_move_url": IdUrl.of("board.move", "card_id"),
        "column_labels": {column: column.label for column in BoardColumn},
        # The accessible name of each "Move to" button: one message per column, per page.
        "move_labels": {c: _("Move to %(column)s", column=c.label) for c in BoardColumn},
        "waste_labels": {waste: waste.label for waste in Waste},
        "outcome_labels": {outcome: outcome.label for outcome in Outcome},
        # A fresh idempotency key for each move form drawn (services/idempotency.py).
        "move_key": lambda: secrets.token_hex(16),
    }


def _render(scope: Scope, status: int = 200, **context: Any) -> Response:
    """Build the board for this scope and render it as a page or, for htmx, as the fragment."""
    try:
        board = build_board(db.session, utcnow(), scope.team_slug, scope.all_done)
    except TeamNotFound:
        abort(404)
    if scope.tv:
        board = tv_board(board)
    response = render_page_or_fragment(
        "board/page.html",
        "board/_board.html",
        status=status,
        board=board,
        heading=_heading(board),
        page_url=scope.url(),
        poll_seconds=POLL_SECONDS,
        rotate_url=scope.next_team_url(board),
        rotate_seconds=scope.rotate,
        **_shared(scope),
        **context,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _changes(scope: Scope, since: str, **context: Any) -> Response | None:
    """What changed on this board since the screen's token: nothing (204), the changed
    cards, or None when the screen needs the whole board (a new day, a lane changed as a
    whole on a team board, a token the board did not write)."""
    now = utcnow()
    current = read_state(db.session, now, scope.team_slug)
    if since == current.state.token and not context:
        response = make_response("", 204)
    elif scope.tv:
        # A TV shows each column's most urgent cards: any change redraws the whole board.
        return None
    else:
        plan = plan_update(current, BoardState.parse(since))
        if plan is None:
            return None
        update = build_update(db.session, now, current, plan, scope.team_slug, scope.all_done)
        html = render_template("board/_update.html", board=update, **_shared(scope), **context)
        response = make_response(html)
        # board.js merges this into the board instead of swapping it in.
        response.headers["X-Board-Update"] = "changes"
    response.headers["Cache-Control"] = "no-store"
    return vary_on_htmx(response)


def _poll(scope: Scope, since: str) -> Response:
    """An open board asks what changed since its token."""
    return _changes(scope, since) or _render(scope)


def _heading(board: Board) -> str:
    """The board's title: the team's board, or the board of every team."""
    if board.team_slug and board.lanes:
        return _("%(team)s board", team=board.lanes[0].name)
    return _("Improvement board")


@bp.get("/board")
@bp.get("/board/<team_slug>")
def board(team_slug: str | None = None) -> Response:
    """The kanban board of every team (one swimlane each) or of one team.

    A poll from an open board sends `since=<token>` and gets only what changed.
    """
    tv = request.args.get("display") == "tv"
    rotate = _rotate(request.args.get("rotate"))
    if tv and team_slug is None:
        first = first_team_slug(db.session)
        if first is not None:
            return redirect(
                url_for(
                    "board.board", team_slug=first, display="tv", rotate=rotate or PLANT_TV_ROTATE
                )
            )
    scope = Scope(
        team_slug=team_slug,
        tv=tv,
        all_done=request.args.get("done") == "all",
        rotate=rotate,
    )
    since = request.args.get("since")
    if since and is_partial_request():
        return _poll(scope, since)
    return _render(scope)


@bp.get("/tv/<token>")
def display(token: str) -> Response:
    """A team's board in TV mode through a display link's secret address, no account needed.

    A revoked or unknown link is a 404; an open screen polling it reloads into that page.
    """
    team_slug = display_team_slug(db.session, token)
    if team_slug is None:
        response = make_response(render_template("board/display_gone.html"), 404)
        if is_partial_request():
            response.headers["HX-Refresh"] = "true"
        return response
    scope = Scope(team_slug=team_slug, tv=True, display_token=token)
    since = request.args.get("since")
    if since and is_partial_request():
        return _poll(scope, since)
    return _render(scope)


@bp.get("/board/export.csv")
def export() -> Response:
    """The cards of a board, as it is shown (`team`, `done=all`), as CSV; open like the board."""
    team_slug = request.args.get("team") or None
    all_done = request.args.get("done") == "all"
    try:
        board = build_board(db.session, utcnow(), team_slug, all_done)
    except TeamNotFound:
        abort(404)
    parts = ["kaizen-board", team_slug, "all-done" if all_done else None]
    return csv_download(board_table(db.session, board), "-".join(part for part in parts if part))


@bp.get("/board/moves.csv")
def moves_export() -> Response:
    """The card-move log (one `card`, one `team` or all) as CSV; open like the board."""
    team_slug = request.args.get("team") or None
    card_id = request.args.get("card", type=int)
    table = moves_table(db.session, team_slug=team_slug, card_id=card_id)
    suffix = f"-card-{card_id}" if card_id else f"-{team_slug}" if team_slug else ""
    return csv_download(table, f"kaizen-moves{suffix}")


@bp.get("/board/<team_slug>/lane")
def lane(team_slug: str) -> Response:
    """One team's lane of the plant board, fetched when it is scrolled into view."""
    scope = Scope(team_slug=None, tv=request.args.get("display") == "tv")
    if not is_partial_request():
        return redirect(url_for("board.board", team_slug=team_slug))
    try:
        board = build_board(db.session, utcnow(), team_slug, request.args.get("done") == "all")
    except TeamNotFound:
        abort(404)
    # Drawn as a lane of the plant board: its name links to the team's own board.
    plant = replace(board, team_slug=None)
    html = render_template("board/_lane.html", board=plant, lane=board.lanes[0], **_shared(scope))
    response = make_response(html)
    response.headers["Cache-Control"] = "no-store"
    return vary_on_htmx(response)


def _scope_from(form: MoveForm) -> Scope:
    """The board the move came from, so the answer redraws that board."""
    return Scope(team_slug=form.board.data or None, all_done=form.done.data == "all")


@bp.post("/board/cards/<int:card_id>/move")
@require_role(Role.MEMBER)
def move(card_id: int) -> Response:
    """Move a card (a drag, or a button through board.js); answer with the redrawn board
    (htmx) or a redirect back to it."""
    return _move(card_id, MoveForm())


@bp.post("/board/moves")
@require_role(Role.MEMBER)
def move_by_button() -> Response:
    """A card's "Move to" button submitted the board's one move form (no JavaScript)."""
    card_id, form = button_move(request.form)
    return _move(card_id, form)


def _move(card_id: int, form: MoveForm) -> Response:
    """Move the card as the form says, or say why not."""
    scope = _scope_from(form)
    if not form.validate():
        notice = Notice(_("That move could not be read. Please reload the board and try."), "error")
        return _refused(scope, card_id, 422, "invalid", notice=notice)
    column, outcome = form.target()
    try:
        result = move_card(
            db.session,
            card_id,
            column,
            form.position.data,
            form.version.data or 0,
            current_user._get_current_object(),
            reason=form.reason.data,
            outcome=outcome,
            key=form.key.data or None,
        )
    except MoveRefused as refused:
        return _answer_refusal(scope, card_id, form, column, refused)
    return _moved(scope, result)


def _answer_refusal(
    scope: Scope, card_id: int, form: MoveForm, column: BoardColumn, refused: MoveRefused
) -> Response:
    """A stale or vanished card warns; a missing reason or outcome asks; a limit refuses."""
    if isinstance(refused, OtherTeamsCard):
        return _refused(scope, card_id, 403, "team", notice=Notice(refused.message, "error"))
    if isinstance(refused, StaleVersion | CardNotFound):
        why = "stale" if isinstance(refused, StaleVersion) else "gone"
        return _refused(scope, card_id, 409, why, notice=Notice(refused.message, "warning"))
    if isinstance(refused, SoftLimitNeedsReason | OutcomeRequired):
        kind = "reason" if isinstance(refused, SoftLimitNeedsReason) else "outcome"
        if kind == "reason" and form.reason.data is not None:
            form.reason.errors = [*form.reason.errors, _("Please say briefly why.")]
        dialog = MoveDialog(kind, card_id, column, refused.message, form)
        return _refused(scope, card_id, 422, kind, dialog=dialog)
    return _refused(scope, card_id, 422, "limit", notice=Notice(refused.message, "error"))


def _refused(scope: Scope, card_id: int, status: int, why: str, **context: Any) -> Response:
    """Redraw the board with why the move did not happen (the card stays where it was)."""
    response = _render(scope, status=status, **context)
    return htmx_response(response, trigger={"card-move-refused": {"card": card_id, "why": why}})


def _moved(scope: Scope, result: MoveResult) -> Response:
    """After a move: the redrawn board for htmx, a redirect with a flash otherwise."""
    notice = _success_notice(result)
    if not is_partial_request():
        flash(notice.text, "success")
        return redirect(scope.url())
    # The mover's screen gets what changed since its token, like any other screen: its
    # other lanes stay as they are (on the plant board, the ones fetched as scrolled to).
    since = request.form.get("since")
    response = (since and _changes(scope, since, notice=notice)) or _render(scope, notice=notice)
    return htmx_response(
        response,
        trigger={"card-moved": {"card": result.card_id, "to": result.to_column.value}},
    )


def _success_notice(result: MoveResult) -> Notice:
    """What the person reads after a move; Done invites the reflection."""
    title, column = result.title, result.to_column.label
    if result.finished and result.outcome is not None:
        return Notice(
            _(
                "“%(title)s” is finished: adopted. "
                "Both outcomes teach — write the reflection while it is fresh.",
                title=title,
            )
            if result.outcome is Outcome.ADOPTED
            else _(
                "“%(title)s” is finished: not adopted. "
                "Both outcomes teach — write the reflection while it is fresh.",
                title=title,
            ),
            link_url=url_for(
                "improvements.detail", improvement_id=result.card_id, _anchor="reflection"
            ),
            link_text=_("Write the reflection"),
        )
    if not result.column_changed:
        return Notice(_("“%(title)s” reordered in %(column)s.", title=title, column=column))
    return Notice(_("“%(title)s” moved to %(column)s.", title=title, column=column))
