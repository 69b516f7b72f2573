"""idempotency keys: the first answer to a client-made key, stored with the write

Revision ID: 0006_idempotency
Revises: 0005_report_cache
Create Date: 2026-12-01 03:00:00

Adds `idempotency_key` (scope, key) -> fingerprint, result, created_at. A report or card
move sent with a key stores the key in the same transaction; a retry finds it and gets the
first answer back instead of a second row (kaizen/services/idempotency.py). No data is
touched.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006_idempotency"
down_revision = "0005_report_cache"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "idempotency_key",
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("length(key) >= 8", name=op.f("ck_idempotency_key_key_long_enough")),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_idempotency_key")),
    )
    with op.batch_alter_table("idempotency_key", schema=None) as batch_op:
        batch_op.create_index("ix_idempotency_key_created_at", ["created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("idempotency_key", schema=None) as batch_op:
        batch_op.drop_index("ix_idempotency_key_created_at")
    op.drop_table("idempotency_key")
