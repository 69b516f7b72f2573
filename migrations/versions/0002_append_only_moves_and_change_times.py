"""card-move log append-only at the database; updated_at on team, area and user_account

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 10:00:00

- Triggers refuse every UPDATE and DELETE of a `card_move` row, on SQLite and PostgreSQL.
- The foreign keys from `card_move` to `improvement` and `user_account` become RESTRICT
  (they were CASCADE and SET NULL, which would change the log from outside it).
- `team`, `area` and `user_account` get a nullable `updated_at`, which the board's poll
  token watches (renames, a team's cycle start column). Existing rows stay NULL until they
  are first changed; no data is touched.

The trigger statements are copied here rather than imported from the models, so this
migration keeps doing what it did when the models change later.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TRIGGERS = {
    "sqlite": (
        "CREATE TRIGGER card_move_no_update BEFORE UPDATE ON card_move BEGIN "
        "SELECT RAISE(ABORT, 'card_move is append-only: a logged move is never changed'); END",
        "CREATE TRIGGER card_move_no_delete BEFORE DELETE ON card_move BEGIN "
        "SELECT RAISE(ABORT, 'card_move is append-only: a logged move is never deleted'); END",
    ),
    "postgresql": (
        "CREATE OR REPLACE FUNCTION card_move_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION "
        "'card_move is append-only: a logged move is never changed or deleted' "
        "USING ERRCODE = 'restrict_violation'; END $$",
        "CREATE TRIGGER card_move_append_only BEFORE UPDATE OR DELETE ON card_move "
        "FOR EACH ROW EXECUTE FUNCTION card_move_append_only()",
    ),
}
DROP_TRIGGERS = {
    "sqlite": (
        "DROP TRIGGER IF EXISTS card_move_no_update",
        "DROP TRIGGER IF EXISTS card_move_no_delete",
    ),
    "postgresql": (
        "DROP TRIGGER IF EXISTS card_move_append_only ON card_move",
        "DROP FUNCTION IF EXISTS card_move_append_only()",
    ),
}
FK_IMPROVEMENT = "fk_card_move_improvement_id_improvement"
FK_MOVED_BY = "fk_card_move_moved_by_id_user_account"
CHANGE_TIMES = ("team", "area", "user_account")


def _set_move_foreign_keys(improvement_ondelete: str, moved_by_ondelete: str) -> None:
    # Batch mode: SQLite rebuilds the table (copying every row) to change a foreign key;
    # PostgreSQL alters it in place. Nothing references card_move, so the rebuild is safe
    # with foreign keys enforced.
    with op.batch_alter_table("card_move", schema=None) as batch_op:
        batch_op.drop_constraint(FK_IMPROVEMENT, type_="foreignkey")
        batch_op.drop_constraint(FK_MOVED_BY, type_="foreignkey")
        batch_op.create_foreign_key(
            FK_IMPROVEMENT, "improvement", ["improvement_id"], ["id"], ondelete=improvement_ondelete
        )
        batch_op.create_foreign_key(
            FK_MOVED_BY, "user_account", ["moved_by_id"], ["id"], ondelete=moved_by_ondelete
        )


def upgrade():
    dialect = op.get_bind().dialect.name
    for table in CHANGE_TIMES:
        op.add_column(table, sa.Column("updated_at", sa.DateTime(), nullable=True))
    _set_move_foreign_keys("RESTRICT", "RESTRICT")
    # After the rebuild: SQLite's rebuild would have dropped triggers made before it.
    for statement in TRIGGERS.get(dialect, ()):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in DROP_TRIGGERS.get(dialect, ()):
        op.execute(statement)
    _set_move_foreign_keys("CASCADE", "SET NULL")
    for table in CHANGE_TIMES:
        op.drop_column(table, "updated_at")
