"""Hostile input, refused in one place rather than field by field.

- Control characters (NUL, escape, backspace ...) have no place in anything a person types:
  PostgreSQL cannot even store a NUL. Query strings and form bodies holding a NUL are
  refused by a request hook with a 400 (a NUL cannot be typed, only sent by a script); every
  other control character is refused by the base form, beside its field, with everything
  typed kept. Tab, newline and carriage return are text in a multi-line box; in a one-line
  box they become spaces.
- Lengths: every text field gets the limit its column has in the database (a CHECK
  constraint), unless it declares a shorter one.
- Numbers: ids in addresses, ids in query strings and whole numbers in forms are bounded to
  what a 32-bit integer column holds; amounts must be finite and fit their column.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask import Flask, Request, abort, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter, Map
from wtforms import (
    DecimalField,
    Field,
    FloatField,
    IntegerField,
    PasswordField,
    StringField,
    TextAreaField,
)
from wtforms.meta import DefaultMeta
from wtforms.validators import Length, StopValidation, ValidationError

from kaizen.formatting import number
from kaizen.models.types import LINE_MAX, TEXT_MAX

# Every C0 control but tab, newline and carriage return, DEL, and the C1 controls.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
LINE_BREAKS = re.compile(r"[\t\r\n]")
# The largest id or whole number a column holds (INTEGER on PostgreSQL).
INT_MAX = 2**31 - 1
# Amounts are NUMERIC(12, 2): ten digits before the point.
AMOUNT_MAX = Decimal("9999999999.99")

CONTROL_MESSAGE = _l(
    "This text holds invisible control characters that cannot be stored. "
    "Please type it again (pasted text sometimes brings them along)."
)
ADDRESS_MESSAGE = "This address holds control characters. Check the link and try again."
BODY_MESSAGE = "What was sent holds a NUL character, which cannot be stored. Please type it again."


def has_control_characters(text: str) -> bool:
    """Whether `text` holds a control character other than tab, newline and return."""
    return CONTROL_CHARACTERS.search(text) is not None


def without_control_characters(text: str) -> str:
    """`text` with its control characters removed (to show it back safely)."""
    return CONTROL_CHARACTERS.sub("", text)


def _no_control_characters(_form: Any, field: Field) -> None:
    """Refuse a field whose sent text holds a control character."""
    if any(isinstance(raw, str) and has_control_characters(raw) for raw in field.raw_data or ()):
        # StopValidation: one clear message, not "not a valid choice" after it.
        raise StopValidation(str(CONTROL_MESSAGE))


def _one_line(value: Any) -> Any:
    """A one-line box holds no line breaks or tabs: they become spaces."""
    return LINE_BREAKS.sub(" ", value) if isinstance(value, str) else value


def _bounded_number(_form: Any, field: Field) -> None:
    """Refuse a number no column can hold: not finite, or too large either way."""
    value = field.data
    if value is None:
        return
    if isinstance(value, Decimal | float) and not Decimal(value).is_finite():
        raise ValidationError("Enter a number, like 250 or 99.50.")
    limit = INT_MAX if isinstance(field, IntegerField) else AMOUNT_MAX
    if abs(value) > limit:
        raise ValidationError(f"That number is too large (at most {limit:,}).")


def _has_length_limit(field: Field) -> bool:
    return any(isinstance(v, Length) and v.max >= 0 for v in field.validators)


class _GuardedMeta(DefaultMeta):
    """Binds every field of a `KaizenForm` with the checks hostile input needs."""

    def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Field:
        """Add the control-character check to every field, a length limit to text fields,
        line-break folding to one-line boxes and bounds to numbers."""
        field_class = unbound_field.field_class
        # A password is taken exactly as typed (and never kept in the database as text).
        text = issubclass(field_class, StringField) and not issubclass(field_class, PasswordField)
        field = unbound_field.bind(form=form, **options)
        if text and not issubclass(field_class, TextAreaField):
            # Set on the bound field (the form processes its data after binding them all).
            field.filters = (_one_line, *field.filters)
        checks: list[Any] = [_no_control_characters]
        validators = list(field.validators)
        if text and not _has_length_limit(field):
            limit = TEXT_MAX if issubclass(field_class, TextAreaField) else LINE_MAX
            validators.append(
                Length(
                    max=limit,
                    message=_(
                        "Keep this to %(limit)s characters or fewer.", limit=number(limit, 0)
                    ),
                )
            )
        if issubclass(field_class, IntegerField | DecimalField | FloatField):
            validators.append(_bounded_number)
        field.validators = [*checks, *validators]
        return field  # type: ignore[no-any-return]


class KaizenForm(FlaskForm):
    """The base of every form: control characters refused, lengths and numbers bounded."""

    class Meta(_GuardedMeta, FlaskForm.Meta):  # type: ignore[misc]
        pass


class BoundedArgs(ImmutableMultiDict[str, str]):
    """Query-string and form values: `get(..., type=int)` gives the default for a number no
    id column can hold, instead of a database error."""

    def get(  # type: ignore[override]
        self,
        key: str,
        default: Any = None,
        type: Any = None,
    ) -> Any:
        """As MultiDict.get, but an int outside the 32-bit range counts as not a number."""
        value = super().get(key, default, type)
        if type is int and isinstance(value, int) and value is not default:
            return value if -INT_MAX <= value <= INT_MAX else default
        return value


class KaizenRequest(Request):
    """A request whose parameters bound their whole numbers (see BoundedArgs)."""

    parameter_storage_class = BoundedArgs


class BoundedIntConverter(IntegerConverter):
    """`<int:id>` in a route: a number larger than any id is simply not found (404)."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", INT_MAX)
        super().__init__(url_map, *args, **kwargs)


def refuse_control_characters() -> None:
    """Before every request: a query string with a control character, or a body with a NUL,
    is refused with a clear message."""
    if any(
        has_control_characters(key) or has_control_characters(value)
        for key, value in request.args.items(multi=True)
    ):
        abort(400, ADDRESS_MESSAGE)
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        # Reading the body here obeys the size limit of the view (set before the request
        # reaches it); a body over it is left for the view, which answers it in the form.
        if request.content_length and request.content_length > (request.max_content_length or 0):
            return
        if any("\x00" in key or "\x00" in value for key, value in request.form.items(multi=True)):
            abort(400, BODY_MESSAGE)


def install(app: Flask) -> None:
    """Bound ids in routes and query strings, and refuse control characters before views."""
    app.request_class = KaizenRequest
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(refuse_control_characters)
