"""Sign in and sign out, one's own password, and loading the account behind a request.

A session cookie names the account as '<id>:<session generation>'; the loader refuses it
once the generation has moved on (sign-out, password or role change, deactivation). "Keep
me signed in" sets a cookie of its own holding a random token that is stored hashed, one
per sign-in, revoked by the same events.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask import Request as FlaskRequest
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from kaizen.accounts.access import require_role
from kaizen.accounts.forms import OwnLanguageForm, PasswordChangeForm, SignInForm
from kaizen.extensions import db, login
from kaizen.models import Role, User
from kaizen.services.accounts import (
    AccountError,
    account_by_session_id,
    change_own_password,
    sign_out,
)
from kaizen.services.audit import act_as
from kaizen.services.languages import save_own_language
from kaizen.services.sign_in import (
    SignInLocked,
    ThrottlePolicy,
    account_by_remember_token,
    authenticate,
    issue_remember_token,
)

bp = Blueprint("accounts", __name__)

REMEMBER_COOKIE = "kaizen_remember"


@login.user_loader
def load_user(session_id: str) -> User | None:
    """Flask-Login's hook: the account behind a session cookie, if it is still valid."""
    user = account_by_session_id(db.session, session_id)
    act_as(db.session, user.id if user else None)
    return user


@login.request_loader
def load_user_from_remember_cookie(req: FlaskRequest) -> User | None:
    """A browser kept signed in: the remember-me token stands for the account."""
    user = account_by_remember_token(db.session, req.cookies.get(REMEMBER_COOKIE, ""))
    if user is not None:
        # Carry on in a (not fresh) session, as after Flask-Login's own remember cookie.
        session["_user_id"] = user.get_id()
        session["_fresh"] = False
        act_as(db.session, user.id)
    return user


def _safe_next(target: str | None) -> str:
    """Only follow `next` to a path on this site, never to another host."""
    # "//host" and "/\host" are other hosts to a browser, though not to urlsplit.
    foreign = target is None or target.startswith(("//", "/\\")) or urlsplit(target).netloc
    if target and target.startswith("/") and not foreign:
        return target
    return url_for("main.home")


def attempt_sign_in(form: SignInForm) -> User | None:
    """The account the sign-in form names, if its password is right, with this app's
    throttling (SignInLocked while paused): the sign-in page's and the kiosk unlock's."""
    return authenticate(
        db.session,
        form.username.data or "",
        form.password.data or "",
        address=request.remote_addr,
        policy=throttle_policy(),
    )


def throttle_policy() -> ThrottlePolicy:
    """The sign-in throttling settings of this app."""
    config = current_app.config
    return ThrottlePolicy(
        account_failures=config["SIGNIN_ACCOUNT_FAILURES"],
        address_failures=config["SIGNIN_ADDRESS_FAILURES"],
        lock_seconds=config["SIGNIN_LOCK_SECONDS"],
        max_lock_seconds=config["SIGNIN_MAX_LOCK_SECONDS"],
    )


@bp.route("/login", methods=["GET", "POST"])
def login_page() -> Response | tuple[str, int] | str:
    """Show the sign-in form and sign the person in."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignInForm()
    if form.validate_on_submit():
        try:
            user = attempt_sign_in(form)
        except SignInLocked as locked:
            form.password.errors.append(str(locked))
            return render_template("accounts/login.html", form=form), 429
        if user is not None:
            return _signed_in(user, remember=bool(form.remember.data))
        form.password.errors.append(_("That username and password do not match an account."))
    status = 422 if form.errors else 200
    return render_template("accounts/login.html", form=form), status


def _signed_in(user: User, *, remember: bool) -> Response:
    """Start the session (and a remember-me token if asked) and go where the person was."""
    login_user(user)
    if user.password_change_due:
        flash(_("Welcome. Please choose a password of your own to finish signing in."), "info")
        response = redirect(url_for(".password", next=request.args.get("next")))
    else:
        flash(_("Welcome, %(name)s.", name=user.display_name), "success")
        response = redirect(_safe_next(request.args.get("next")))
    if remember:
        days = current_app.config["REMEMBER_DAYS"]
        token = issue_remember_token(db.session, user, days=days)
        response.set_cookie(
            REMEMBER_COOKIE,
            token,
            max_age=days * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["REMEMBER_COOKIE_SECURE"],
        )
    return response


@bp.post("/logout")
def logout() -> Response:
    """Sign out of every device and return home."""
    # Worded before signing out, so it is still in the person's own language.
    done = _("You are signed out.")
    if current_user.is_authenticated:
        sign_out(db.session, current_user._get_current_object())
    logout_user()
    flash(done, "info")
    response = redirect(url_for("main.home"))
    response.delete_cookie(REMEMBER_COOKIE, httponly=True, samesite="Lax")
    return response


@bp.route("/account/password", methods=["GET", "POST"])
@require_role(Role.VIEWER)
def password() -> Response | tuple[str, int]:
    """Change one's own password: the current one, then the new one twice."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            change_own_password(
                db.session,
                user,
                current=form.current_password.data or "",
                new=form.new_password.data or "",
            )
        except AccountError as error:
            form[error.field or "new_password"].errors.append(str(error))
        else:
            # Other devices are signed out; this one carries on under the new generation.
            login_user(user)
            flash(_("Your password is changed. Other devices are signed out."), "success")
            return redirect(_safe_next(request.args.get("next")))
    status = 422 if form.errors else 200
    return _account_page(form, OwnLanguageForm(language=current_user.language or "")), status


def _account_page(form: PasswordChangeForm, language_form: OwnLanguageForm) -> str:
    """One's own account page: the password form and the language form."""
    return render_template("accounts/password.html", form=form, language_form=language_form)


@bp.post("/account/language")
@require_role(Role.VIEWER)
def language() -> Response | tuple[str, int]:
    """Choose one's own language (or none, to follow the device and the plant)."""
    form = OwnLanguageForm()
    if not form.validate():
        return _account_page(PasswordChangeForm(formdata=None), form), 422
    save_own_language(db.session, current_user._get_current_object(), form.language.data or "")
    flash(_("Your language is saved."), "success")
    return redirect(url_for(".password"), 303)
