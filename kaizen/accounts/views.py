"""Sign in and sign out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from kaizen.accounts.forms import SignInForm
from kaizen.extensions import db, login
from kaizen.models import User
from kaizen.services.accounts import account_by_id, authenticate

bp = Blueprint("accounts", __name__)


@login.user_loader
def load_user(user_id: str) -> User | None:
    """Flask-Login's hook: the account behind a session cookie."""
    return account_by_id(db.session, user_id)


def _safe_next(target: str | None) -> str:
    """Only follow `next` to a path on this site, never to another host."""
    if target and target.startswith("/") and not urlsplit(target).netloc:
        return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
def login_page() -> Response | tuple[str, int] | str:
    """Show the sign-in form and sign the person in."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignInForm()
    if form.validate_on_submit():
        user = authenticate(db.session, form.username.data or "", form.password.data or "")
        if user is not None:
            login_user(user, remember=bool(form.remember.data))
            flash(f"Welcome, {user.display_name}.", "success")
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append("That username and password do not match an account.")
    status = 422 if form.errors else 200
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
def logout() -> Response:
    """Sign out and return home."""
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("main.home"))
