"""languages: a person's own language and the plant's default language

Revision ID: 0016_languages
Revises: 0015_webhooks
Create Date: 2026-12-07 09:00:00

Adds `user_account.language` (a shipped language code such as 'pl'; NULL follows the device,
the plant and the browser) and `plant_setting.language` (the plant's default; empty means
each browser's own Accept-Language). Existing rows keep reading exactly as before: English,
unless a browser asks for a shipped language.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016_languages"
down_revision = "0015_webhooks"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=True))
    with op.batch_alter_table("plant_setting") as batch:
        batch.add_column(
            sa.Column("language", sa.String(length=8), server_default="", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("plant_setting") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("language")
