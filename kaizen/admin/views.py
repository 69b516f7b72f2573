"""Admin pages: accounts, API tokens and the audit trail. Every address here is for admins."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from kaizen.accounts.access import refuse_unless
from kaizen.admin.forms import (
    AccountForm,
    AuditFilterForm,
    ResetPasswordForm,
    RoleTeamForm,
    TokenForm,
    chosen_id,
    team_choices,
)
from kaizen.extensions import db
from kaizen.models import Role, TokenScope, User
from kaizen.services import accounts, api_tokens
from kaizen.services.accounts import ROLE_LABELS
from kaizen.services.api_tokens import SCOPE_LABELS
from kaizen.services.audit import SUBJECT_TYPES, AuditFilter, audit_csv, audit_events, audit_table

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def admins_only() -> Any:
    """Every page of this blueprint, now and later, is for admins only."""
    return refuse_unless(Role.ADMIN)


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _teams() -> list[tuple[str, str]]:
    return team_choices([(t.id, t.name) for t in accounts.team_options(db.session)])


def _account(account_id: int) -> User:
    user = accounts.account_by_id(db.session, account_id)
    if user is None:
        abort(404)
    return user


@bp.get("")
def index() -> str:
    """The admin home: links to every admin page."""
    return render_template("admin/index.html")


@bp.get("/accounts")
def accounts_list() -> str:
    """Every account with its role, team and state."""
    return render_template(
        "admin/accounts.html", accounts=accounts.list_accounts(db.session), roles=ROLE_LABELS
    )


@bp.route("/accounts/new", methods=["GET", "POST"])
def account_new() -> Response | tuple[str, int]:
    """Create an account with a first password, to be changed at the first sign-in."""
    form = AccountForm()
    form.team.choices = _teams()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                db.session,
                form.username.data or "",
                form.password.data or "",
                role=Role(form.role.data),
                display_name=form.display_name.data,
                team=accounts.team_by_id(db.session, chosen_id(form.team.data)),
                actor=_me(),
                password_change_due=True,
            )
        except accounts.AccountError as error:
            form[error.field or "username"].errors.append(str(error))
        else:
            flash(
                _(
                    "Account %(username)s created. Give them the first password.",
                    username=user.username,
                ),
                "success",
            )
            return redirect(url_for(".account", account_id=user.id))
    return render_template("admin/account_new.html", form=form), 422 if form.errors else 200


def _account_page(user: User, status: int = 200, **forms: Any) -> tuple[str, int]:
    role_form = forms.get("role_form") or RoleTeamForm(
        data={
            "role": user.role.value,
            "team": str(user.team_id or ""),
            "plant_wide": user.plant_wide,
        }
    )
    role_form.team.choices = _teams()
    reset_form = forms.get("reset_form") or ResetPasswordForm()
    return render_template(
        "admin/account.html",
        user=user,
        role_form=role_form,
        reset_form=reset_form,
        is_me=user.id == _me().id,
        generated=forms.get("generated"),
        roles=ROLE_LABELS,
    ), status


@bp.get("/accounts/<int:account_id>")
def account(account_id: int) -> tuple[str, int]:
    """One account: role and team, password reset, deactivation, sign out everywhere."""
    return _account_page(_account(account_id))


@bp.post("/accounts/<int:account_id>/role")
def account_role(account_id: int) -> Response | tuple[str, int]:
    """Change an account's role or team (a role change signs them out everywhere)."""
    user = _account(account_id)
    form = RoleTeamForm()
    form.team.choices = _teams()
    if form.validate():
        try:
            team = accounts.team_by_id(db.session, chosen_id(form.team.data))
            accounts.change_role_and_team(
                db.session,
                _me(),
                user,
                role=Role(form.role.data),
                team=team,
                plant_wide=bool(form.plant_wide.data),
            )
        except accounts.AccountError as error:
            form.role.errors.append(str(error))
        else:
            flash(_("Role and team of %(username)s saved.", username=user.username), "success")
            return redirect(url_for(".account", account_id=user.id))
    return _account_page(user, 422, role_form=form)


@bp.post("/accounts/<int:account_id>/active")
def account_active(account_id: int) -> Response | tuple[str, int]:
    """Deactivate an account (signed out at once) or reactivate it."""
    user = _account(account_id)
    active = request.form.get("active") == "1"
    try:
        accounts.set_active(db.session, _me(), user, active=active)
    except accounts.AccountError as error:
        flash(str(error), "error")
        return _account_page(user, 422)
    if active:
        done = _("%(username)s is reactivated: they can sign in again.", username=user.username)
    else:
        done = _("%(username)s is deactivated and signed out.", username=user.username)
    flash(done, "success")
    return redirect(url_for(".account", account_id=user.id))


@bp.post("/accounts/<int:account_id>/password")
def account_password(account_id: int) -> tuple[str, int] | Response:
    """Reset a password (typed, or made up and shown once); it must be changed at sign-in."""
    user = _account(account_id)
    form = ResetPasswordForm()
    if form.validate():
        reset = accounts.reset_password(
            db.session, _me(), user, new_password=form.new_password.data or None
        )
        if reset.generated is None:
            flash(
                _(
                    "Password of %(username)s reset. They choose their own at sign-in.",
                    username=user.username,
                ),
                "success",
            )
            return redirect(url_for(".account", account_id=user.id))
        # Shown on this answer only, never stored in the clear or put in a flash cookie.
        return _account_page(user, generated=reset.generated)
    return _account_page(user, 422, reset_form=form)


@bp.post("/accounts/<int:account_id>/sign-out")
def account_sign_out(account_id: int) -> Response:
    """End every session of an account on every device."""
    user = _account(account_id)
    accounts.sign_out_everywhere(db.session, _me(), user)
    flash(_("%(username)s is signed out everywhere.", username=user.username), "success")
    return redirect(url_for(".account", account_id=user.id))


def _token_form(fresh: bool = False) -> TokenForm:
    """The new-token form (empty when `fresh`), owned by the admin unless they choose."""
    own = {"owner": str(_me().id)}
    form = TokenForm(formdata=None, data=own) if fresh else TokenForm()
    if not fresh and request.method == "GET":
        form = TokenForm(data=own)
    choices = accounts.account_choices(db.session, active_only=True)
    form.owner.choices = [(str(i), label) for i, label in choices]
    return form


@bp.route("/tokens", methods=["GET", "POST"])
def tokens() -> tuple[str, int]:
    """API tokens: the list, a new one (its secret shown once), revoked ones kept."""
    form = _token_form()
    secret = None
    if form.validate_on_submit():
        owner = _account(int(form.owner.data or 0))
        try:
            _token, secret = api_tokens.create_token(
                db.session,
                _me(),
                name=form.name.data or "",
                owner=owner,
                scope=TokenScope(form.scope.data),
            )
        except accounts.AccountError as error:
            form[error.field or "name"].errors.append(str(error))
        else:
            form = _token_form(fresh=True)
    page = render_template(
        "admin/tokens.html",
        form=form,
        tokens=api_tokens.list_tokens(db.session),
        secret=secret,
        scopes=SCOPE_LABELS,
    )
    return page, 422 if form.errors else 200


@bp.post("/tokens/<int:token_id>/revoke")
def token_revoke(token_id: int) -> Response:
    """Stop a token from working (it stays listed as revoked)."""
    token = api_tokens.token_by_id(db.session, token_id)
    if token is None:
        abort(404)
    api_tokens.revoke_token(db.session, _me(), token)
    flash(_("Token “%(name)s” revoked.", name=token.name), "success")
    return redirect(url_for(".tokens"))


def _audit_filter() -> tuple[AuditFilterForm, AuditFilter]:
    form = AuditFilterForm(request.args)
    form.who.choices = [("", _("Anyone"))] + [
        (str(i), label) for i, label in accounts.account_choices(db.session)
    ]
    form.subject.choices = [("", _("Everything")), *SUBJECT_TYPES.items()]
    if not form.validate():
        return form, AuditFilter()
    wanted = AuditFilter(
        actor_id=chosen_id(form.who.data),
        subject_type=form.subject.data or None,
        since=form.since.data,
        until=form.until.data,
    )
    return form, wanted


@bp.get("/audit")
def audit() -> tuple[str, int]:
    """The audit trail, newest first, filtered by who, what and when."""
    form, wanted = _audit_filter()
    table = audit_table(audit_events(db.session, wanted))
    page = render_template("admin/audit.html", form=form, table=table, args=request.args)
    return page, 422 if form.errors else 200


@bp.get("/audit.csv")
def audit_download() -> Response:
    """The filtered audit trail as CSV (typed text guarded against spreadsheet formulas)."""
    form, wanted = _audit_filter()
    if form.errors:
        abort(400)
    return Response(
        audit_csv(db.session, wanted),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="kaizen-audit.csv"'},
    )
