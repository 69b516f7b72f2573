"""the JSON API: a per-token request counter for the rate limit

Revision ID: 0014_api
Revises: 0012_search
Create Date: 2026-12-07 04:20:00

Adds `api_token.rate_minute` (minutes since the epoch of the counted minute) and
`api_token.rate_count` (requests in it). Existing tokens start at 0, which counts as a
minute long past: their first request starts a new count.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014_api"
down_revision = "0012_search"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("api_token") as batch:
        batch.add_column(sa.Column("rate_minute", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("rate_count", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("api_token") as batch:
        batch.drop_column("rate_count")
        batch.drop_column("rate_minute")
