"""input limits: every text a person types has a maximum length in the database too

Revision ID: 0009_input_limits
Revises: 0008_scope
Create Date: 2026-12-01 06:30:00

CHECK constraints `length(column) <= limit` on the text columns people type into: 200
characters for a card's title, 2,000 for every multi-line text (the limits of the forms,
kaizen/models/types.py). They hold on SQLite, whose VARCHAR lengths are not enforced, as on
PostgreSQL.

No data is changed. Text longer than its new limit, stored before the forms had limits, is
not cut short: the upgrade stops before changing anything and names the rows to shorten.
SQLite adds a constraint by copying the table (batch mode), which drops its triggers: the
append-only triggers of `card_move` are made again afterwards (as in 0002).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009_input_limits"
down_revision = "0008_scope"
branch_labels = None
depends_on = None

LINE_MAX = 200
TEXT_MAX = 2000

LIMITS = {
    "observation": {"description": TEXT_MAX},
    "improvement": {
        "title": LINE_MAX,
        "problem": TEXT_MAX,
        "countermeasure": TEXT_MAX,
        "blocked_reason": TEXT_MAX,
    },
    "card_move": {"reason": TEXT_MAX},
    "block_period": {"reason": TEXT_MAX},
    "reflection": {"learnt": TEXT_MAX, "take_forward": TEXT_MAX, "do_differently": TEXT_MAX},
    "root_cause": {"problem": TEXT_MAX, "root_cause": TEXT_MAX, "countermeasure": TEXT_MAX},
    "why_step": {"why": TEXT_MAX, "because": TEXT_MAX},
}

# Copied from 0002 (not imported) so this migration keeps doing what it does today.
CARD_MOVE_TRIGGERS = (
    "DROP TRIGGER IF EXISTS card_move_no_update",
    "DROP TRIGGER IF EXISTS card_move_no_delete",
    "CREATE TRIGGER card_move_no_update BEFORE UPDATE ON card_move BEGIN "
    "SELECT RAISE(ABORT, 'card_move is append-only: a logged move is never changed'); END",
    "CREATE TRIGGER card_move_no_delete BEFORE DELETE ON card_move BEGIN "
    "SELECT RAISE(ABORT, 'card_move is append-only: a logged move is never deleted'); END",
)


def _name(table, column):
    return f"ck_{table}_{column}_max_length"


def _too_long(bind):
    """Rows whose text is over its new limit, as 'table.column: ids'."""
    found = []
    for table, columns in LIMITS.items():
        for column, limit in columns.items():
            ids = bind.execute(
                sa.text(f"SELECT id FROM {table} WHERE length({column}) > :limit ORDER BY id"),
                {"limit": limit},
            ).scalars()
            ids = list(ids)
            if ids:
                shown = ", ".join(str(i) for i in ids[:20])
                found.append(f"{table}.{column} over {limit} characters: id {shown}")
    return found


def upgrade():
    bind = op.get_bind()
    too_long = _too_long(bind)
    if too_long:
        raise RuntimeError(
            "Some stored text is longer than the new limits; shorten it and upgrade again:\n"
            + "\n".join(too_long)
        )
    for table, columns in LIMITS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, limit in columns.items():
                batch_op.create_check_constraint(
                    op.f(_name(table, column)), f"length({column}) <= {limit}"
                )
    if bind.dialect.name == "sqlite":
        for statement in CARD_MOVE_TRIGGERS:
            op.execute(statement)


def downgrade():
    bind = op.get_bind()
    for table, columns in LIMITS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_constraint(op.f(_name(table, column)), type_="check")
    if bind.dialect.name == "sqlite":
        for statement in CARD_MOVE_TRIGGERS:
            op.execute(statement)
