"""The JSON API's frame: the OpenAPI generator, token authentication and the rate limit,
errors as `{"error": {"code", "message", "fields"}}`, and the `next` link of a page.

Every request under /api/v1/ (but the OpenAPI document and its docs page) carries
`Authorization: Bearer <token>`. The token's account does the work, with its role and team
scope; a read token may only read. Cookies are never looked at here, so the API needs no
CSRF token and a browser's session cannot be borrowed by a script.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from kaizen.api.schemas import Error
from kaizen.extensions import csrf, db
from kaizen.models import ApiToken, Role, TokenScope, User
from kaizen.services import api_tokens
from kaizen.services.audit import act_as

PREFIX = "/api/"
OPEN_ENDPOINTS = frozenset({"api-docs.openapi_json", "api-guide.docs"})
READS = frozenset({"GET", "HEAD", "OPTIONS"})

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}


class ApiError(Exception):
    """An answer of the API that is not a success: status, code, words and field messages."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or CODES.get(status, "error")
        self.fields = fields or {}
        self.headers = headers or {}


def is_api_request() -> bool:
    """Whether this request is the JSON API's (its errors are JSON too)."""
    return request.path.startswith(PREFIX)


def error_response(error: ApiError) -> Response:
    """The JSON answer for an API error."""
    body = {"error": {"code": error.code, "message": error.message, "fields": error.fields}}
    response = jsonify(body)
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


def _flatten(messages: Any, prefix: str = "") -> dict[str, str]:
    """webargs' nested messages ({"json": {"steps": {0: {"why": [...]}}}}) as one per field."""
    if isinstance(messages, dict):
        flat: dict[str, str] = {}
        for key, value in messages.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "_schema": " ".join(messages)}
    return {prefix or "_schema": str(messages)}


def validation_fields(error: Any) -> dict[str, str]:
    """A marshmallow ValidationError's messages, one per field."""
    messages = error.messages
    return _flatten(messages if isinstance(messages, dict) else {"_schema": messages})


def http_error_response(error: HTTPException) -> Response:
    """An HTTP error raised under /api/ (not found, a request the schemas refused, ...)."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    fields: dict[str, str] = {}
    if "messages" in data:
        # Drop the location level: {"json": {...}} or {"query": {...}}.
        for located in data["messages"].values():
            fields.update(_flatten(located))
    message = error.description or error.name
    if status == 422 and fields:
        message = _("Some fields need another look: see `fields`.")
    elif status == 400 and fields:
        message = " ".join(fields.values())
    elif status == 404 and message == type(error).description:
        message = _("Nothing is at this address.")
    return error_response(ApiError(status, message, fields=fields))


class KaizenApi(Api):
    """flask-smorest's generator, answering errors our way and documenting them everywhere."""

    ERROR_SCHEMA = Error

    def _register_error_handlers(self) -> None:
        # kaizen/web.py's handlers answer every error; under /api/ they answer in JSON.
        return None

    def register_blueprint(self, blp: Any, **options: Any) -> None:
        """Register the blueprint; every operation documents the error answer it may give."""
        super().register_blueprint(blp, **options)
        for operations in self.spec._paths.values():
            for operation in operations.values():
                if isinstance(operation, dict) and "responses" in operation:
                    operation["responses"].setdefault("default", "DEFAULT_ERROR")


def _bearer_secret() -> str:
    scheme, _space, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiError(
            401,
            _(
                "Send an API token: Authorization: Bearer <token> (admins make them on the "
                "API tokens page)."
            ),
            headers={"WWW-Authenticate": "Bearer"},
        )
    return secret.strip()


def authenticate() -> None:
    """Find the request's token and its account, count it against the rate limit."""
    if not is_api_request() or request.endpoint in OPEN_ENDPOINTS or request.endpoint is None:
        return
    token = api_tokens.authenticate(db.session, _bearer_secret())
    if token is None:
        raise ApiError(
            401,
            _("This token is unknown, revoked, or its account is deactivated."),
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    if request.method not in READS and token.scope is TokenScope.READ:
        raise ApiError(403, _("This token may only read."), "read_only_token")
    counted = api_tokens.count_request(db.session, token, current_app.config["API_RATE_PER_MINUTE"])
    if not counted.allowed:
        raise ApiError(
            429,
            _("Too many requests with this token: wait a little and send again."),
            headers={"Retry-After": str(counted.retry_after)},
        )
    g.api_token_id = token.id
    g.api_user = db.session.get(User, token.user_id)
    act_as(db.session, token.user_id)


def api_user() -> User:
    """The account behind this request's token."""
    user: User = g.api_user
    return user


def token_id() -> int:
    """The id of this request's token (idempotency keys are kept per token)."""
    return int(g.api_token_id)


def require(role: Role) -> User:
    """The token's account, when it has at least `role`; 403 otherwise."""
    user = api_user()
    if not user.can(role):
        raise ApiError(
            403, _("This needs an account with the %(role)s role or higher.", role=role.value)
        )
    return user


def next_link(cursor: int | None) -> str | None:
    """The address of the next page (this request's filters kept), or None at the end."""
    if cursor is None:
        return None
    values: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict()}
    values["cursor"] = str(cursor)
    assert request.endpoint is not None
    return url_for(request.endpoint, **values)


def install(app: Flask) -> KaizenApi:
    """Set the API up on the app: the generator, its blueprints, authentication."""
    from kaizen.api.views import BLUEPRINTS, guide

    app.config.setdefault("API_TITLE", "Kaizen")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "security": [{"bearer": []}],
            "info": {
                "description": "Kaizen's JSON API: observations, improvement cards and their "
                "moves, five whys, reflections and flow metrics. Codes are English; times "
                "are ISO 8601 in UTC. See /api/v1/docs."
            },
        },
    )
    api = KaizenApi(app)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for blueprint in BLUEPRINTS:
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    app.register_blueprint(guide)
    app.before_request(authenticate)
    app.register_error_handler(ApiError, error_response)
    return api


__all__ = ["ApiError", "ApiToken", "install"]
