"""Column types and helpers shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Enum

# The longest text a person may type: a one-line box (a title, a question) and a multi-line
# box (a description, a countermeasure). The forms refuse longer text with a message; the
# database refuses it too (CHECK constraints), on SQLite as on PostgreSQL.
LINE_MAX = 200
TEXT_MAX = 2000


def utcnow() -> datetime:
    """Now in UTC, without tzinfo: every timestamp is stored as naive UTC on both databases."""
    return datetime.now(UTC).replace(tzinfo=None)


def enum_type(enum_cls: type[StrEnum], name: str) -> Enum:
    """A portable enum column: VARCHAR plus a CHECK constraint listing the allowed codes."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def text_limit(column: str, limit: int) -> CheckConstraint:
    """A CHECK constraint keeping a text column to `limit` characters (both databases)."""
    return CheckConstraint(f"length({column}) <= {limit}", name=f"{column}_max_length")
