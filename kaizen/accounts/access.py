"""Role checks for views: viewer < member < lead < admin; a kiosk only reports."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, request, url_for
from flask_htmx.responses import HTMXResponseClientRedirect
from flask_login import current_user

from kaizen.extensions import htmx, login
from kaizen.models import Role

F = TypeVar("F", bound=Callable[..., Any])


def require_role(role: Role) -> Callable[[F], F]:
    """Let the view run only for a signed-in account with at least `role`."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            refusal = refuse_unless(role)
            if refusal is not None:
                return refusal
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


# A plain function rather than the body of the decorated wrapper, so that mutation testing
# (which leaves decorated functions alone) reaches the rule itself.
def refuse_unless(role: Role) -> Any | None:
    """The answer refusing the current request when it lacks `role`, or None to let it in."""
    if not current_user.is_authenticated:
        if htmx and not htmx.boosted:
            # A partial swap must not put the sign-in page inside the board:
            # ask htmx to load it as a whole page instead.
            return HTMXResponseClientRedirect(
                url_for(login.login_view or "accounts.login_page", next=request.full_path)
            )
        return login.unauthorized()
    if not current_user.can(role):
        abort(403)
    return None
